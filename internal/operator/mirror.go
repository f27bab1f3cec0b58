// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
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

// syncMirror makes the mirror serve desired. Mass deletions wait like the
// controller's (a typo must not empty a zone that is already delegated): its
// own guard holds them, and the controller's reports the hold.
func (o *Operator) syncMirror(ctx context.Context, desired []*gslb.Service) {
	o.mu.Lock()
	m := o.state.mirror
	o.mu.Unlock()
	if m == nil {
		return
	}
	obs, err := m.Observe(ctx)
	if err != nil {
		o.log.Warn("reading the DNS mirror", "err", err)
		return
	}
	changes := plan.Compute(desired, obs, m.Equality())
	changes, _ = o.mirrorGuard.Check(time.Now(), changes, len(obs.Services))
	if len(changes) == 0 {
		return
	}
	failed := 0
	for _, r := range m.Apply(ctx, changes) {
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
