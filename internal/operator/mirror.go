// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/dnscompare"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider"
)

// A GSLBConfig that names both an Avi Controller (gslbLeader.controllerIP) and
// a dns section programs the controller and serves the same services from
// amko's built-in DNS server, the mirror: the way off Avi without a moment
// where a name does not resolve (docs/operations.md, "Leaving Avi"). The
// mirror follows the desired model on every amko, whatever its role (like the
// DNS backend, it is this amko's own), so each site's server can take a
// delegated zone.

// dnsOnly reports whether the built-in DNS server is the backend itself.
func dnsOnly(gc *amkov1alpha1.GSLBConfig) bool {
	return gc.Spec.DNS != nil && gc.Spec.GSLBLeader.ControllerIP == ""
}

// wantsMirror reports whether gc asks for the DNS mirror beside a controller.
func wantsMirror(gc *amkov1alpha1.GSLBConfig) bool {
	return gc.Spec.DNS != nil && gc.Spec.GSLBLeader.ControllerIP != ""
}

// mirrorFor keeps the mirror in step with gc: built when asked for, rebuilt
// (its listener kept) when its settings change, closed when no longer asked.
// A mirror that cannot be built (its port taken) is reported and retried at
// the next pass; the controller goes on being programmed meanwhile.
func (o *Operator) mirrorFor(ctx context.Context, gc *amkov1alpha1.GSLBConfig) {
	o.mu.Lock()
	current, currentKey := o.state.mirror, o.state.mirrorKey
	o.mu.Unlock()
	if !wantsMirror(gc) {
		o.closeMirror()
		return
	}
	spec, err := json.Marshal(gc.Spec.DNS)
	if err != nil {
		o.log.Warn("the DNS mirror's settings", "err", err)
		return
	}
	sum := sha256.Sum256(spec)
	key := hex.EncodeToString(sum[:])
	if current != nil && key == currentKey {
		return
	}
	mirror, err := o.opts.Providers(ctx, provider.Settings{Config: gc, Mirror: true, Prev: current,
		ProbeScale: o.opts.ProbeScale, OnHealth: o.healthChanged, Log: o.log, Registerer: o.metrics.reg})
	if err != nil {
		o.log.Warn("the DNS mirror cannot run; the controller is still programmed", "err", err)
		o.mirrorFailed(gc, err.Error())
		return
	}
	if current != nil && current != mirror {
		if err := current.Close(); err != nil {
			o.log.Warn("closing the previous DNS mirror", "err", err)
		}
	}
	o.mu.Lock()
	o.state.mirror, o.state.mirrorKey, o.state.mirrorErr = mirror, key, ""
	o.mu.Unlock()
	o.log.Info("serving the controller's GSLB services from the built-in DNS server too", "addr", o.MirrorAddr())
}

// mirrorFailed records why the mirror does not run, once per cause.
func (o *Operator) mirrorFailed(gc *amkov1alpha1.GSLBConfig, msg string) {
	o.mu.Lock()
	same := o.state.mirrorErr == msg
	o.state.mirrorErr = msg
	o.mu.Unlock()
	if !same {
		o.recorder.Event(gc, "Warning", "MirrorFailed", "the built-in DNS server beside the controller cannot run: "+msg)
	}
}

// closeMirror stops the mirror, if any.
func (o *Operator) closeMirror() {
	o.mu.Lock()
	m := o.state.mirror
	o.state.mirror, o.state.mirrorKey = nil, ""
	o.mu.Unlock()
	if m == nil {
		return
	}
	if err := m.Close(); err != nil {
		o.log.Warn("closing the DNS mirror", "err", err)
	}
}

// mirrorPlan is the planner of the mirror's writes, with the mirror and
// settings it was made for.
type mirrorPlan struct {
	mirror  provider.Provider
	key     string
	planner *plan.Planner
}

// syncMirror makes the mirror serve desired. Mass deletions wait like the
// controller's (a typo must not empty a zone that is already delegated): its
// own guard holds them, and the controller's reports the hold.
func (o *Operator) syncMirror(ctx context.Context, desired []*gslb.Service) {
	o.mu.Lock()
	m, key := o.state.mirror, o.state.mirrorKey
	o.mu.Unlock()
	if m == nil {
		o.mirrorPlan = mirrorPlan{}
		return
	}
	// The mirror changes only by these writes: its state is read once per
	// mirror and settings (and at each resync), then kept by the planner.
	if o.mirrorPlan.planner == nil || o.mirrorPlan.mirror != m || o.mirrorPlan.key != key {
		obs, err := m.Observe(ctx)
		if err != nil {
			o.log.Warn("reading the DNS mirror", "err", err)
			return
		}
		o.mirrorPlan = mirrorPlan{mirror: m, key: key, planner: plan.NewPlanner(obs, m.Equality())}
	}
	planner := o.mirrorPlan.planner
	changes := planner.Plan(desired)
	changes, _ = o.mirrorGuard.Check(time.Now(), changes, planner.ObservedServices())
	if len(changes) == 0 {
		return
	}
	failed := 0
	results := m.Apply(ctx, changes)
	planner.Applied(results)
	for _, r := range results {
		if r.Err != nil {
			failed++
			o.log.Warn("the DNS mirror refused a change", "err", r.Err)
		}
	}
	o.log.Info("applied changes", "backend", "dns mirror", "changes", len(changes), "failed", failed)
}

// MirrorAddr is where the DNS mirror serves, "" without one.
func (o *Operator) MirrorAddr() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.mirrorAddrLocked()
}

func (o *Operator) mirrorAddrLocked() string {
	if a, ok := o.state.mirror.(interface{ Addr() string }); ok {
		return a.Addr()
	}
	return ""
}

// compareEvery bounds how often amko's answers are compared with
// spec.dns.compareWith: each comparison asks up to a hundred questions per
// name of both servers.
const compareEvery = 30 * time.Second

// Comparison is the last comparison of amko's DNS server with
// spec.dns.compareWith (the Avi DNS service, while leaving Avi).
type Comparison struct {
	// At is when it ended.
	At time.Time `json:"at"`
	// With is the server compared with; Amko is amko's own.
	With string `json:"with"`
	Amko string `json:"amko"`
	// Names is how many names were asked.
	Names int `json:"names"`
	// Differences are the names and types answered differently.
	Differences []dnscompare.Difference `json:"differences"`
	// Error says why the comparison could not be made.
	Error string `json:"error,omitempty"`
}

// maybeCompare starts, in the background, a comparison of amko's DNS server
// (the backend or the mirror) with spec.dns.compareWith about desired's
// names, unless one runs or ran within compareEvery. A change between
// agreeing and not is an Event on the GSLBConfig.
func (o *Operator) maybeCompare(ctx context.Context, gc *amkov1alpha1.GSLBConfig, desired []*gslb.Service) {
	other := ""
	if gc.Spec.DNS != nil {
		other = gc.Spec.DNS.CompareWith
	}
	o.mu.Lock()
	if other == "" {
		o.comparison = nil
		o.mu.Unlock()
		o.metrics.setDNSDifferences(0)
		return
	}
	addr := o.mirrorAddrLocked()
	if addr == "" {
		addr = o.dnsAddrLocked()
	}
	last := o.comparison
	if addr == "" || o.comparing || last != nil && last.With == other && time.Since(last.At) < compareEvery {
		o.mu.Unlock()
		return
	}
	o.comparing = true
	o.mu.Unlock()
	var names []string
	for _, svc := range desired {
		names = append(names, svc.DomainNames...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	go func() {
		c := &Comparison{With: other, Amko: addr, Names: len(names)}
		diffs, err := dnscompare.Compare(ctx, other, addr, names, dnscompare.Options{})
		c.At, c.Differences = time.Now(), diffs
		if c.Differences == nil {
			c.Differences = []dnscompare.Difference{}
		}
		if err != nil {
			c.Error = err.Error()
		}
		o.mu.Lock()
		o.comparing = false
		if ctx.Err() != nil {
			o.mu.Unlock()
			return
		}
		agreedBefore := last == nil || len(last.Differences) == 0
		o.comparison = c
		o.mu.Unlock()
		o.metrics.setDNSDifferences(len(c.Differences))
		switch agrees := len(c.Differences) == 0; {
		case err != nil:
			o.log.Warn("comparing DNS answers", "with", other, "err", err)
		case agreedBefore && !agrees:
			o.recorder.Event(gc, "Warning", "DNSAnswersDiffer", fmt.Sprintf("%d of the answers of %s and amko's DNS server %s differ, e.g. %s",
				len(c.Differences), other, addr, c.Differences[0]))
		case !agreedBefore && agrees:
			o.recorder.Event(gc, "Normal", "DNSAnswersAgree", fmt.Sprintf("%s and amko's DNS server %s answer alike for all %d names", other, addr, len(names)))
		}
	}()
}
