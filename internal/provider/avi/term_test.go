// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider/avi"
)

// apply writes changes under term, failing the test on any error.
func applyUnder(t *testing.T, p *avi.Provider, term int64, changes []plan.Change) []plan.Result {
	t.Helper()
	for i := range changes {
		changes[i].Term = term
	}
	res := p.Apply(context.Background(), changes)
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("%s %s %s: %v", r.Change.Op, r.Change.Kind, r.Change.Name, r.Err)
		}
	}
	return res
}

// markersOf is an object's markers as key=values strings, in order.
func markersOf(o map[string]any) []string {
	var out []string
	ms, _ := o["markers"].([]any)
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		b, _ := json.Marshal(mm["values"])
		out = append(out, mm["key"].(string)+"="+string(b))
	}
	return out
}

// Written under a term (failover Automatic), the service and its monitor
// carry the term marker on the controller, the monitor's after AMKO's
// created-by; Observe and the write results read it back; and a leader of
// a later term plans nothing for objects that differ only by it.
func TestTermMarker(t *testing.T) {
	ctx := context.Background()
	sim, p := newProvider(t)
	desired := []*gslb.Service{service("t.example.com", 2)}
	res := applyUnder(t, p, 3, plan.Compute(desired, plan.Observed{}, opts()))
	for _, r := range res {
		var term int64
		switch {
		case r.Service != nil:
			term = r.Service.Term
		case r.Monitor != nil:
			term = r.Monitor.Term
		}
		if term != 3 {
			t.Errorf("result of %s %s: term %d, want 3", r.Change.Op, r.Change.Name, term)
		}
	}
	gs, hm := sim.Object("gslbservice", "t.example.com"), sim.Object("healthmonitor", "amko--t.example.com")
	if got := strings.Join(markersOf(gs), " "); got != `amko-leader-term=["3"]` {
		t.Errorf("service markers %s", got)
	}
	if got := strings.Join(markersOf(hm), " "); got != `created-by=["`+createdBy+`"] amko-leader-term=["3"]` {
		t.Errorf("monitor markers %s", got)
	}

	obs, err := p.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Services) != 1 || obs.Services[0].Term != 3 || len(obs.Monitors) != 1 || obs.Monitors[0].Term != 3 {
		t.Fatalf("observed %+v", obs)
	}
	// The leader of term 4 observes: nothing to write, the marker is no difference.
	if changes := plan.Compute(desired, obs, opts()); len(changes) != 0 {
		t.Fatalf("term 4's first plan: %+v, want none", changes)
	}
	planner := plan.NewPlanner(obs, opts())
	if changes := planner.Plan(desired); len(changes) != 0 {
		t.Fatalf("term 4's first planner pass: %+v, want none", changes)
	}
	// A real change is written with the new term, on the service only.
	changed := []*gslb.Service{service("t.example.com", 5)}
	changes := planner.Plan(changed)
	if len(changes) != 1 || changes[0].Kind != plan.KindService || planner.ObservedTerm(changes[0]) != 3 {
		t.Fatalf("term 4's plan of a ratio change: %+v", changes)
	}
	planner.Applied(applyUnder(t, p, 4, changes))
	if got := strings.Join(markersOf(sim.Object("gslbservice", "t.example.com")), " "); got != `amko-leader-term=["4"]` {
		t.Errorf("service markers after term 4's update: %s", got)
	}
	if got := strings.Join(markersOf(sim.Object("healthmonitor", "amko--t.example.com")), " "); !strings.HasSuffix(got, `amko-leader-term=["3"]`) {
		t.Errorf("unchanged monitor rewritten: markers %s", got)
	}
}

// Without a term (failover Manual) the bodies are AMKO's: no markers on the
// service, only created-by on the monitor; and an object a term wrote stays
// equal for a Manual writer too.
func TestNoTermWritesAMKOBodies(t *testing.T) {
	ctx := context.Background()
	sim, p := newProvider(t)
	sim.ClearJournal()
	desired := []*gslb.Service{service("m.example.com", 2)}
	applyUnder(t, p, 0, plan.Compute(desired, plan.Observed{}, opts()))
	for _, w := range sim.Writes() {
		if strings.Contains(w.Body, avi.TermMarkerKey) {
			t.Errorf("%s %s carries the term marker: %s", w.Method, w.Path, w.Body)
		}
		if strings.Contains(w.Path, "gslbservice") && strings.Contains(w.Body, `"markers"`) {
			t.Errorf("service body carries markers: %s", w.Body)
		}
	}
	if got := strings.Join(markersOf(sim.Object("healthmonitor", "amko--m.example.com")), " "); got != `created-by=["`+createdBy+`"]` {
		t.Errorf("monitor markers %s", got)
	}
	obs, err := p.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if obs.Services[0].Term != 0 || obs.Monitors[0].Term != 0 {
		t.Errorf("observed terms %d, %d; want none", obs.Services[0].Term, obs.Monitors[0].Term)
	}
}
