// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package plan_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
)

// Apply leaves exactly what the controller holds after the changes:
// updates replace, deletes remove, creates add, and failed changes leave the
// observed object as it was.
func TestObservedApply(t *testing.T) {
	svc := func(name, uuid string) plan.ObservedService {
		return plan.ObservedService{UUID: uuid, Service: &gslb.Service{Tenant: "admin", Name: name}}
	}
	hm := func(name, uuid string) plan.ObservedMonitor {
		return plan.ObservedMonitor{UUID: uuid, Tenant: "admin", Monitor: gslb.HealthMonitor{Name: name}}
	}
	obs := plan.Observed{
		Services: []plan.ObservedService{svc("a", "gs-a"), svc("b", "gs-b"), svc("c", "gs-c")},
		Monitors: []plan.ObservedMonitor{hm("m1", "hm-1"), hm("m2", "hm-2")},
	}
	ch := func(op plan.Op, kind plan.Kind, name string) plan.Change {
		return plan.Change{Op: op, Kind: kind, Tenant: "admin", Name: name}
	}
	updated, created, newHM := svc("a", "gs-a2"), svc("d", "gs-d"), hm("m3", "hm-3")
	obs.Apply([]plan.Result{
		{Change: ch(plan.Create, plan.KindMonitor, "m3"), Monitor: &newHM},
		{Change: ch(plan.Update, plan.KindService, "a"), Service: &updated},
		{Change: ch(plan.Update, plan.KindService, "c"), Err: errors.New("503")},
		{Change: ch(plan.Create, plan.KindService, "d"), Service: &created},
		{Change: ch(plan.Delete, plan.KindService, "b")},
		{Change: ch(plan.Delete, plan.KindMonitor, "m1")},
	})
	var got []string
	for _, s := range obs.Services {
		got = append(got, s.Service.Name+"="+s.UUID)
	}
	for _, m := range obs.Monitors {
		got = append(got, m.Monitor.Name+"="+m.UUID)
	}
	if want := "[c=gs-c a=gs-a2 d=gs-d m2=hm-2 m3=hm-3]"; fmt.Sprint(got) != want {
		t.Errorf("observed after the results: %v, want %s", got, want)
	}
}
