// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package plan

import (
	"cmp"
	"slices"

	"github.com/amko-project/amko/internal/gslb"
)

// Planner plans pass after pass against one observed state, which it keeps up
// to date from the results of the changes (as Observed.Apply does). Its first
// plan compares everything, as Compute does; each later one compares only
// what can differ since: the services whose desired value is a different
// object than the pass before (added, removed or rebuilt), the services and
// monitors whose changes the last plan returned (they may have failed, or the
// deletion guard may have held them), and the monitors those services use or
// used. Every other object was found in agreement and neither side has
// changed, so the changes are those Compute would return over everything
// (tested), in work that grows with what changed rather than with the total.
//
// The desired services must be sorted by (Tenant, Name) with no two alike, as
// model.Build returns them, and must not be modified once planned (the model
// hands out a new object for a changed service). A Planner is not for
// concurrent use; a new observed state needs a new Planner.
type Planner struct {
	opts   Options
	obsSvc map[key]ObservedService
	obsHM  map[key]ObservedMonitor
	// primed is set once a plan has compared everything.
	primed bool
	// prev is the desired services of the last plan, byKey the same by key.
	prev  []*gslb.Service
	byKey map[key]*gslb.Service
	// users are the desired services that own each monitor, unsorted.
	users map[key][]key
	// pendingSvc and pendingHM had changes in the last plan: compared again.
	pendingSvc, pendingHM map[key]bool
}

// NewPlanner returns a planner of changes against observed, with opts's
// comparisons (nil: by JSON form).
func NewPlanner(observed Observed, opts Options) *Planner {
	if opts.ServiceEqual == nil {
		opts.ServiceEqual = EqualJSON
	}
	if opts.MonitorEqual == nil {
		opts.MonitorEqual = func(a, b *gslb.HealthMonitor) bool { return equalJSON(a, b) }
	}
	p := &Planner{opts: opts,
		obsSvc: make(map[key]ObservedService, len(observed.Services)),
		obsHM:  make(map[key]ObservedMonitor, len(observed.Monitors)),
		users:  map[key][]key{}, pendingSvc: map[key]bool{}, pendingHM: map[key]bool{}}
	for _, o := range observed.Services {
		p.obsSvc[key{o.Service.Tenant, o.Service.Name}] = o
	}
	for _, o := range observed.Monitors {
		p.obsHM[key{o.Tenant, o.Monitor.Name}] = o
	}
	return p
}

// ObservedServices is the number of services the observed state holds.
func (p *Planner) ObservedServices() int { return len(p.obsSvc) }

// ObservedTerm is the leadership term recorded on the observed object ch
// updates or deletes, as last observed or written; 0 for none (and for a
// create).
func (p *Planner) ObservedTerm(ch Change) int64 {
	k := key{ch.Tenant, ch.Name}
	switch {
	case ch.Op == Create:
		return 0
	case ch.Kind == KindService:
		return p.obsSvc[k].Term
	case ch.Kind == KindMonitor:
		return p.obsHM[k].Term
	}
	return 0
}

// Plan returns the changes that turn the observed state into desired, in
// Compute's order.
func (p *Planner) Plan(desired []*gslb.Service) []Change {
	svcs, hms := map[key]bool{}, map[key]bool{}
	if !p.primed {
		p.byKey = make(map[key]*gslb.Service, len(desired))
		for _, d := range desired {
			p.add(d, hms)
			svcs[key{d.Tenant, d.Name}] = true
		}
		for k := range p.obsSvc {
			svcs[k] = true
		}
		for k := range p.obsHM {
			hms[k] = true
		}
		p.primed = true
	} else {
		p.diff(desired, svcs, hms)
	}
	for k := range p.pendingSvc {
		svcs[k] = true
		if d := p.byKey[k]; d != nil {
			for i := range d.HealthMonitors {
				hms[key{d.Tenant, d.HealthMonitors[i].Name}] = true
			}
		}
	}
	for k := range p.pendingHM {
		hms[k] = true
	}
	p.prev = slices.Clone(desired)
	return p.compare(svcs, hms)
}

// diff notes the services that differ between the last desired services
// and the new ones, and the monitors they own.
func (p *Planner) diff(desired []*gslb.Service, svcs, hms map[key]bool) {
	Changed(p.prev, desired, func(old, cur *gslb.Service) {
		if old != nil {
			p.remove(old, hms)
			svcs[key{old.Tenant, old.Name}] = true
		}
		if cur != nil {
			p.add(cur, hms)
			svcs[key{cur.Tenant, cur.Name}] = true
		}
	})
}

// Changed calls fn, in (tenant, name) order, for each service of prev or
// next (both sorted by (Tenant, Name), as model.Build returns them) that is
// not the same object in both: with both versions, or nil for the one that
// lacks it. An unchanged service costs a pointer comparison.
func Changed(prev, next []*gslb.Service, fn func(old, cur *gslb.Service)) {
	i, j := 0, 0
	for i < len(prev) || j < len(next) {
		if i < len(prev) && j < len(next) && prev[i] == next[j] {
			i, j = i+1, j+1
			continue
		}
		c := 0
		switch {
		case i == len(prev):
			c = 1
		case j == len(next):
			c = -1
		default:
			c = compareServices(prev[i], next[j])
		}
		var old, cur *gslb.Service
		if c <= 0 { // prev[i] is gone or replaced
			old = prev[i]
			i++
		}
		if c >= 0 { // next[j] is new or replaces
			cur = next[j]
			j++
		}
		fn(old, cur)
	}
}

func compareServices(a, b *gslb.Service) int {
	return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Name, b.Name))
}

// add makes d the desired service of its key, owning its monitors.
func (p *Planner) add(d *gslb.Service, hms map[key]bool) {
	k := key{d.Tenant, d.Name}
	p.byKey[k] = d
	for i := range d.HealthMonitors {
		mk := key{d.Tenant, d.HealthMonitors[i].Name}
		hms[mk] = true
		if !slices.Contains(p.users[mk], k) {
			p.users[mk] = append(p.users[mk], k)
		}
	}
}

// remove forgets d, and its ownership of its monitors.
func (p *Planner) remove(d *gslb.Service, hms map[key]bool) {
	k := key{d.Tenant, d.Name}
	if p.byKey[k] == d {
		delete(p.byKey, k)
	}
	for i := range d.HealthMonitors {
		mk := key{d.Tenant, d.HealthMonitors[i].Name}
		hms[mk] = true
		users := slices.DeleteFunc(p.users[mk], func(u key) bool { return u == k })
		if len(users) == 0 {
			delete(p.users, mk)
		} else {
			p.users[mk] = users
		}
	}
}

// monitor is the desired monitor mk: that of the first service in (tenant,
// name) order that owns it, as Compute plans it; nil when none does.
func (p *Planner) monitor(mk key) *gslb.HealthMonitor {
	users := p.users[mk]
	if len(users) == 0 {
		return nil
	}
	first := slices.MinFunc(users, func(a, b key) int { return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.name, b.name)) })
	d := p.byKey[first]
	for i := range d.HealthMonitors {
		if d.HealthMonitors[i].Name == mk.name {
			return &d.HealthMonitors[i]
		}
	}
	return nil
}

// compare plans the given services and monitors, and keeps those with a
// change pending.
func (p *Planner) compare(svcs, hms map[key]bool) []Change {
	var hmChanges, svcChanges, svcDeletes, hmDeletes []Change
	p.pendingSvc, p.pendingHM = map[key]bool{}, map[key]bool{}
	for mk := range hms {
		m := p.monitor(mk)
		o, ok := p.obsHM[mk]
		switch {
		case m == nil && ok:
			hmDeletes = append(hmDeletes, Change{Op: Delete, Kind: KindMonitor, Tenant: mk.tenant, Name: mk.name, UUID: o.UUID})
		case m == nil:
			continue
		case !ok:
			hmChanges = append(hmChanges, Change{Op: Create, Kind: KindMonitor, Tenant: mk.tenant, Name: m.Name, Monitor: m})
		case !p.opts.MonitorEqual(m, &o.Monitor):
			hmChanges = append(hmChanges, Change{Op: Update, Kind: KindMonitor, Tenant: mk.tenant, Name: m.Name, UUID: o.UUID, Monitor: m})
		default:
			continue
		}
		p.pendingHM[mk] = true
	}
	for k := range svcs {
		d := p.byKey[k]
		o, ok := p.obsSvc[k]
		switch {
		case d == nil && ok:
			svcDeletes = append(svcDeletes, Change{Op: Delete, Kind: KindService, Tenant: k.tenant, Name: k.name, UUID: o.UUID})
		case d == nil:
			continue
		case !ok:
			svcChanges = append(svcChanges, Change{Op: Create, Kind: KindService, Tenant: d.Tenant, Name: d.Name, Service: d})
		case d != o.Service && !p.opts.ServiceEqual(d, o.Service): // a backend that keeps what it was given
			svcChanges = append(svcChanges, Change{Op: Update, Kind: KindService, Tenant: d.Tenant, Name: d.Name, UUID: o.UUID, Service: d})
		default:
			continue
		}
		p.pendingSvc[k] = true
	}
	byName := func(a, b Change) int { return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Name, b.Name)) }
	for _, l := range [][]Change{hmChanges, svcChanges, svcDeletes, hmDeletes} {
		slices.SortFunc(l, byName)
	}
	return slices.Concat(hmChanges, svcChanges, svcDeletes, hmDeletes)
}

// Applied updates the observed state with the successful changes among
// results, as Observed.Apply does, and checks each written object against
// what was desired at once: one found equal is not compared again by the
// next plan, so that a change after a batch of writes (a cold sync's 20,000)
// does not wait for the batch to be compared again. Failed changes, and those
// the deletion guard held (no result), stay to be compared.
func (p *Planner) Applied(results []Result) {
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		k := key{r.Change.Tenant, r.Change.Name}
		switch r.Change.Kind {
		case KindService:
			if r.Service != nil {
				p.obsSvc[k] = *r.Service
			} else {
				delete(p.obsSvc, k)
			}
			if p.pendingSvc[k] && p.serviceAgrees(k) {
				delete(p.pendingSvc, k)
			}
		case KindMonitor:
			if r.Monitor != nil {
				p.obsHM[k] = *r.Monitor
			} else {
				delete(p.obsHM, k)
			}
			if p.pendingHM[k] && p.monitorAgrees(k) {
				delete(p.pendingHM, k)
			}
		}
	}
}

// serviceAgrees reports whether compare would find no change for service k.
func (p *Planner) serviceAgrees(k key) bool {
	d := p.byKey[k]
	o, ok := p.obsSvc[k]
	switch {
	case d == nil:
		return !ok
	case !ok:
		return false
	}
	return d == o.Service || p.opts.ServiceEqual(d, o.Service)
}

// monitorAgrees reports whether compare would find no change for monitor k.
func (p *Planner) monitorAgrees(k key) bool {
	m := p.monitor(k)
	o, ok := p.obsHM[k]
	switch {
	case m == nil:
		return !ok
	case !ok:
		return false
	}
	return p.opts.MonitorEqual(m, &o.Monitor)
}
