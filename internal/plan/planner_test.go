// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package plan

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/amko-project/amko/internal/gslb"
)

// Through random sequences of desired states, with changes that fail at
// random and deletions held back, a Planner's changes equal Compute's over
// everything against the same observed state, and a pass with nothing
// changed plans nothing.
func TestPlannerEqualsCompute(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { plannerRun(t, seed) })
	}
}

func plannerRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	const names = 30
	// A service's versions: its address and monitors vary; the passthrough
	// monitor is shared by several services, with the same definition.
	version := func(i int) *gslb.Service {
		name := fmt.Sprintf("s%02d.example.com", i)
		s := svc(name, fmt.Sprintf("10.0.%d.%d", rng.IntN(2), i+1))
		s.Tenant = []string{"admin", "t1"}[i%2]
		switch rng.IntN(4) {
		case 0:
			s.HealthMonitors = append(s.HealthMonitors, gslb.HealthMonitor{Name: "hm-" + name, Type: "HEALTH_MONITOR_HTTP", Port: uint32(80 + rng.IntN(2))})
		case 1:
			s.HealthMonitors = append(s.HealthMonitors, gslb.HealthMonitor{Name: "passthrough", Type: "HEALTH_MONITOR_TCP", Port: 443})
		case 2:
			s.HealthMonitors = append(s.HealthMonitors, gslb.HealthMonitor{Name: "hm-" + name, Type: "HEALTH_MONITOR_HTTP", Port: 80},
				gslb.HealthMonitor{Name: "passthrough", Type: "HEALTH_MONITOR_TCP", Port: 443})
		}
		return s
	}
	current := map[int]*gslb.Service{}
	for i := range names {
		if rng.IntN(2) == 0 {
			current[i] = version(i)
		}
	}
	desiredOf := func() []*gslb.Service {
		var out []*gslb.Service
		for _, s := range current {
			out = append(out, s)
		}
		slices.SortFunc(out, compareServices)
		return out
	}
	// The observed state starts with some services of its own (to delete)
	// and some already in sync.
	var observed Observed
	for i := range names {
		if s, ok := current[i]; ok && rng.IntN(2) == 0 {
			observed.Services = append(observed.Services, ObservedService{UUID: "old-" + s.Name, Service: s})
			for _, m := range s.HealthMonitors {
				if !slices.ContainsFunc(observed.Monitors, func(o ObservedMonitor) bool { return o.Monitor.Name == m.Name && o.Tenant == s.Tenant }) {
					observed.Monitors = append(observed.Monitors, ObservedMonitor{UUID: "old-" + m.Name, Tenant: s.Tenant, Monitor: m})
				}
			}
		} else if rng.IntN(4) == 0 {
			o := version(i)
			observed.Services = append(observed.Services, ObservedService{UUID: "stale-" + o.Name, Service: o})
		}
	}
	observed.Monitors = append(observed.Monitors, ObservedMonitor{UUID: "orphan", Tenant: "admin", Monitor: gslb.HealthMonitor{Name: "orphan"}})

	p := NewPlanner(observed, Options{})
	for step := range 150 {
		// Some services change, appear or go; the others keep their object.
		for range rng.IntN(4) {
			i := rng.IntN(names)
			switch rng.IntN(3) {
			case 0:
				delete(current, i)
			default:
				current[i] = version(i)
			}
		}
		desired := desiredOf()
		want := Compute(desired, observed, Options{})
		got := p.Plan(desired)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d: planner\n  %s\nCompute\n  %s", step, summary(got), summary(want))
		}
		// The guard may hold the deletions back; the backend fails some writes.
		if rng.IntN(5) == 0 {
			got = slices.DeleteFunc(got, func(c Change) bool { return c.Op == Delete })
		}
		var results []Result
		for _, c := range got {
			r := Result{Change: c}
			switch {
			case rng.IntN(5) == 0:
				r.Err = errors.New("refused")
			case c.Op == Delete:
			case c.Kind == KindService:
				// As a controller's, the object read back is another one,
				// equal; now and then not (the backend changed it), to be
				// planned again.
				cp := *c.Service
				if rng.IntN(8) == 0 {
					cp.Description = "changed by the backend"
				}
				r.Service = &ObservedService{UUID: "u-" + c.Name, Service: &cp}
			default:
				m := *c.Monitor
				if rng.IntN(8) == 0 {
					m.Port++
				}
				r.Monitor = &ObservedMonitor{UUID: "u-" + c.Name, Tenant: c.Tenant, Monitor: m}
			}
			results = append(results, r)
		}
		observed.Apply(results)
		p.Applied(results)
		if p.ObservedServices() != len(observed.Services) {
			t.Fatalf("step %d: planner observes %d services, Apply %d", step, p.ObservedServices(), len(observed.Services))
		}
	}
	// Once every write succeeds, the plan converges to nothing.
	for range 3 {
		desired := desiredOf()
		var results []Result
		for _, c := range p.Plan(desired) {
			r := Result{Change: c}
			if c.Op != Delete && c.Kind == KindService {
				r.Service = &ObservedService{UUID: "u-" + c.Name, Service: c.Service}
			} else if c.Op != Delete {
				r.Monitor = &ObservedMonitor{UUID: "u-" + c.Name, Tenant: c.Tenant, Monitor: *c.Monitor}
			}
			results = append(results, r)
		}
		p.Applied(results)
	}
	if got := p.Plan(desiredOf()); len(got) != 0 {
		t.Fatalf("in sync, the planner plans %s", summary(got))
	}
}

// A pass after one service changed compares that service only.
func TestPlannerComparesWhatChanged(t *testing.T) {
	a, b := svc("a", "10.0.0.1", "hm-a"), svc("b", "10.0.0.2", "hm-b")
	compared := map[string]int{}
	opts := Options{ServiceEqual: func(d, o *gslb.Service) bool { compared[d.Name]++; return EqualJSON(d, o) }}
	p := NewPlanner(observedOf(a, b), opts)
	if got := p.Plan([]*gslb.Service{a, b}); len(got) != 0 {
		t.Fatalf("in sync: %s", summary(got))
	}
	b2 := svc("b", "10.0.0.3", "hm-b")
	clear(compared)
	got := p.Plan([]*gslb.Service{a, b2})
	if summary(got) != "update service b" || !reflect.DeepEqual(compared, map[string]int{"b": 1}) {
		t.Fatalf("after b changed: %s, compared %v", summary(got), compared)
	}
	back := svc("b", "10.0.0.3", "hm-b") // as the backend reads it back: equal, another object
	back.Pools[0].Members[0].IP = netip.MustParseAddr("10.0.0.3")
	clear(compared)
	// The written service is checked against the backend's answer when the
	// result comes, once, not by the next plan.
	p.Applied([]Result{{Change: got[0], Service: &ObservedService{UUID: "gs-1", Service: back}}})
	if !reflect.DeepEqual(compared, map[string]int{"b": 1}) {
		t.Fatalf("applying the update compared %v", compared)
	}
	clear(compared)
	if got := p.Plan([]*gslb.Service{a, b2}); len(got) != 0 || len(compared) != 0 {
		t.Fatalf("after the update: %s, compared %v", summary(got), compared)
	}
	clear(compared)
	if got := p.Plan([]*gslb.Service{a, b2}); len(got) != 0 || len(compared) != 0 {
		t.Fatalf("nothing changed: %s, compared %v", summary(got), compared)
	}
}

// ObservedTerm is the term on the object a change updates or deletes, as
// observed and then as written; none for a create.
func TestPlannerObservedTerm(t *testing.T) {
	hm := gslb.HealthMonitor{Name: "amko--m"}
	obs := Observed{
		Services: []ObservedService{{UUID: "s", Service: &gslb.Service{Tenant: "t", Name: "a", HealthMonitors: []gslb.HealthMonitor{hm}}, Term: 3}},
		Monitors: []ObservedMonitor{{UUID: "m", Tenant: "t", Monitor: hm, Term: 2}},
	}
	p := NewPlanner(obs, Options{})
	changed := &gslb.Service{Tenant: "t", Name: "a", Enabled: true, HealthMonitors: []gslb.HealthMonitor{{Name: "amko--m", Port: 80}}}
	changes := p.Plan([]*gslb.Service{changed, {Tenant: "t", Name: "b"}})
	terms := map[string]int64{}
	for _, ch := range changes {
		terms[string(ch.Op)+" "+ch.Name] = p.ObservedTerm(ch)
	}
	if want := map[string]int64{"update amko--m": 2, "update a": 3, "create b": 0}; !maps.Equal(terms, want) {
		t.Fatalf("terms %v, want %v", terms, want)
	}
	p.Applied([]Result{{Change: changes[1], Service: &ObservedService{UUID: "s", Service: changed, Term: 4}}})
	if got := p.ObservedTerm(Change{Op: Delete, Kind: KindService, Tenant: "t", Name: "a"}); got != 4 {
		t.Errorf("after a write under term 4: %d", got)
	}
}
