// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider/avi"
)

// services are n services, each with its own monitor, as amko makes them for
// n Ingresses.
func services(n int) []*gslb.Service {
	out := make([]*gslb.Service, n)
	for i := range n {
		out[i] = service(fmt.Sprintf("s%03d.example.com", i), 1)
	}
	return out
}

// span is the time a group of journal entries took, from the first arrival to
// the last answer.
type span struct{ first, last time.Time }

// spans groups the journal's writes by what the stage they belong to writes
// ("POST healthmonitor", "DELETE gslbservice", ...), and returns the largest
// number of writes that were in the emulator at once.
func spans(sim *avisim.Server) (map[string]span, int) {
	out := map[string]span{}
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, e := range sim.Writes() {
		kind := strings.Split(strings.TrimPrefix(e.Path, "/api/"), "/")[0]
		op := e.Method
		if op == "PUT" {
			op = "POST" // creates and updates are one stage
		}
		key := op + " " + kind
		end := e.Time.Add(e.Duration)
		s, ok := out[key]
		if !ok || e.Time.Before(s.first) {
			s.first = e.Time
		}
		if end.After(s.last) {
			s.last = end
		}
		out[key] = s
		edges = append(edges, edge{e.Time, 1}, edge{end, -1})
	}
	// The largest overlap: sweep the arrivals and answers in time order.
	for i := range edges {
		for j := i + 1; j < len(edges); j++ {
			if edges[j].at.Before(edges[i].at) || (edges[j].at.Equal(edges[i].at) && edges[j].delta < edges[i].delta) {
				edges[i], edges[j] = edges[j], edges[i]
			}
		}
	}
	most, now := 0, 0
	for _, e := range edges {
		now += e.delta
		most = max(most, now)
	}
	return out, most
}

// before fails the test unless every write of stage a was answered before
// the first write of stage b arrived.
func before(t *testing.T, got map[string]span, a, b string) {
	t.Helper()
	sa, okA := got[a]
	sb, okB := got[b]
	if !okA || !okB {
		t.Fatalf("the journal lacks %q or %q: %v", a, b, got)
	}
	if sa.last.After(sb.first) {
		t.Errorf("%s arrived %v before the last %s was answered", b, sa.last.Sub(sb.first), a)
	}
}

// applyAll applies changes and fails the test on any refusal.
func applyAll(t *testing.T, p *avi.Provider, changes []plan.Change) {
	t.Helper()
	results := p.Apply(context.Background(), changes)
	if len(results) != len(changes) {
		t.Fatalf("%d results for %d changes", len(results), len(changes))
	}
	for i, r := range results {
		if r.Change.Op != changes[i].Op || r.Change.Name != changes[i].Name || r.Change.Kind != changes[i].Kind {
			t.Fatalf("result %d is for %s %s, want the change's own (%s %s)", i, r.Change.Op, r.Change.Name, changes[i].Op, changes[i].Name)
		}
		if r.Err != nil {
			t.Fatalf("%s %s %s: %v", r.Change.Op, r.Change.Kind, r.Change.Name, r.Err)
		}
	}
}

// Sixteen writes at once keep the plan's order: every monitor exists before
// a service refers to it (the emulator refuses a service naming a monitor it
// does not hold), and a monitor is deleted only after the services that used
// it were updated or deleted (it refuses deleting a monitor in use). The
// journal shows each stage ended before the next began, and that the writes
// of a stage did overlap.
func TestConcurrentApplyKeepsTheOrder(t *testing.T) {
	ctx := context.Background()
	sim, host := start(t)
	// A little latency on every write keeps writes in flight together.
	if _, err := sim.AddFault(avisim.Fault{Name: "slow", Path: "^/api/(gslbservice|healthmonitor)", Latency: 3 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	p := connect(t, avi.Config{Host: host, Concurrency: 16})
	desired := services(60)

	// Cold sync: monitor creates, then service creates.
	sim.ClearJournal()
	applyAll(t, p, plan.Compute(desired, plan.Observed{}, opts()))
	got, most := spans(sim)
	before(t, got, "POST healthmonitor", "POST gslbservice")
	if most < 8 {
		t.Errorf("at most %d writes in flight at once, want up to 16", most)
	}
	if n := sim.Count("gslbservice"); n != 60 {
		t.Fatalf("%d services after the cold sync, want 60", n)
	}

	// Every service moves to a new monitor: creates, updates, then deletes
	// of the monitors no longer used.
	for _, s := range desired {
		s.HealthMonitors[0].Name += "-v2"
	}
	obs, err := p.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sim.ClearJournal()
	applyAll(t, p, plan.Compute(desired, obs, opts()))
	got, _ = spans(sim)
	before(t, got, "POST healthmonitor", "POST gslbservice")
	before(t, got, "POST gslbservice", "DELETE healthmonitor")

	// Everything goes: service deletes, then monitor deletes.
	if obs, err = p.Observe(ctx); err != nil {
		t.Fatal(err)
	}
	sim.ClearJournal()
	applyAll(t, p, plan.Compute(nil, obs, opts()))
	got, _ = spans(sim)
	before(t, got, "DELETE gslbservice", "DELETE healthmonitor")
	if obs, err = p.Observe(ctx); err != nil || len(obs.Services)+len(obs.Monitors) != 0 {
		t.Fatalf("left after deleting everything: %d services, %d monitors (%v)", len(obs.Services), len(obs.Monitors), err)
	}
}

// converge plans and applies until nothing is left to do, as amko's passes
// do, and returns the passes it took.
func converge(t *testing.T, p *avi.Provider, desired []*gslb.Service) int {
	t.Helper()
	ctx := context.Background()
	for pass := 1; pass <= 40; pass++ {
		obs, err := p.Observe(ctx)
		if err != nil {
			continue // a fault on the read: the next pass reads again
		}
		changes := plan.Compute(desired, obs, opts())
		if len(changes) == 0 {
			return pass
		}
		p.Apply(ctx, changes)
	}
	t.Fatal("no convergence in 40 passes")
	return 0
}

// exact fails the test unless the controller holds exactly desired: each
// service and monitor once, equal to what amko wants (a fresh plan is empty).
func exact(t *testing.T, sim *avisim.Server, p *avi.Provider, desired []*gslb.Service) {
	t.Helper()
	obs, err := p.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if changes := plan.Compute(desired, obs, opts()); len(changes) != 0 {
		t.Fatalf("%d changes left, e.g. %s %s", len(changes), changes[0].Op, changes[0].Name)
	}
	if n := sim.Count("gslbservice"); n != len(desired) {
		t.Errorf("%d services on the controller, want %d", n, len(desired))
	}
	monitors := 0
	for _, o := range sim.Objects("healthmonitor") {
		if strings.HasPrefix(o["name"].(string), "amko--") {
			monitors++
		}
	}
	if monitors != len(desired) {
		t.Errorf("%d amko monitors on the controller, want %d", monitors, len(desired))
	}
}

// Under refusals (503), dropped connections and latency, concurrent passes
// end with exactly the desired objects, none twice; so do the updates and
// deletes after them.
func TestConcurrentApplyUnderFaults(t *testing.T) {
	sim, host := startSim(t, avisim.Options{RandSeed: 7, Users: map[string]string{"admin": password}})
	p := connect(t, avi.Config{Host: host, Concurrency: 16})
	for _, f := range []avisim.Fault{
		{Name: "refused", Method: "POST", Status: 503, Probability: 0.15},
		{Name: "dropped", Method: "PUT", Drop: true, Probability: 0.15},
		{Name: "refused delete", Method: "DELETE", Status: 503, Probability: 0.15},
		{Name: "slow", Path: "^/api/(gslbservice|healthmonitor)", Latency: 2 * time.Millisecond},
	} {
		if _, err := sim.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	desired := services(80)
	converge(t, p, desired)
	exact(t, sim, p, desired)

	// A third change their members, a third goes.
	for _, s := range desired[:27] {
		s.Pools[0].Members[0].Ratio = 9
	}
	desired = desired[:54]
	converge(t, p, desired)
	exact(t, sim, p, desired)
	faulted := 0
	for _, e := range sim.Journal() {
		if e.Fault != "" && e.Fault != "slow" {
			faulted++
		}
	}
	if faulted == 0 {
		t.Error("no fault applied: the test tested nothing")
	}
}

// An amko killed in the middle of a concurrent cold sync leaves writes half
// done, some answered after it was gone; the next amko (a new provider) ends
// with exactly the desired objects, none twice.
func TestConcurrentApplyKilled(t *testing.T) {
	sim, host := start(t)
	if _, err := sim.AddFault(avisim.Fault{Name: "slow", Path: "^/api/(gslbservice|healthmonitor)", Latency: 5 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	first := connect(t, avi.Config{Host: host, Concurrency: 16})
	desired := services(100)
	ctx, kill := context.WithCancel(context.Background())
	done := make(chan []plan.Result, 1)
	go func() { done <- first.Apply(ctx, plan.Compute(desired, plan.Observed{}, opts())) }()
	deadline := time.Now().Add(time.Minute)
	for sim.Count("gslbservice") < 10 {
		if time.Now().After(deadline) {
			t.Fatal("no service created within a minute")
		}
		time.Sleep(time.Millisecond)
	}
	kill()
	_ = first.Close()
	failed := 0
	for _, r := range <-done {
		if r.Err != nil {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("the kill came after the sync ended: the test tested nothing")
	}

	next := connect(t, avi.Config{Host: host, Concurrency: 16})
	converge(t, next, desired)
	exact(t, sim, next, desired)
}

// Two services of one stage swap a domain: the one that takes it comes first
// in the plan, and the controller refuses it until the other has given it up.
// The refusal is tried again after the stage, so one Apply does both.
func TestConcurrentApplyDomainMove(t *testing.T) {
	ctx := context.Background()
	_, host := start(t)
	p := connect(t, avi.Config{Host: host, Concurrency: 16})
	taker, giver := service("a.example.com", 1), service("z.example.com", 1)
	desired := []*gslb.Service{taker, giver}
	applyAll(t, p, plan.Compute(desired, plan.Observed{}, opts()))

	giver.DomainNames = []string{"z.example.com"}
	taker.DomainNames = append(taker.DomainNames, "alias-z.example.com")
	obs, err := p.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	changes := plan.Compute(desired, obs, opts())
	if len(changes) != 2 || changes[0].Name != "a.example.com" {
		t.Fatalf("plan %+v, want the taker's update first", changes)
	}
	applyAll(t, p, changes)
}
