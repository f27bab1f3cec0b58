// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package bench

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/model"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/provider/avi"
	"github.com/amko-project/amko/internal/sources"
)

// BenchmarkModelAndPlan measures one pass's pure work with n selected records:
// building the desired services, and planning them against an observed state
// that is already in sync (the common case after a change to one object).
func BenchmarkModelAndPlan(b *testing.B) {
	// applied are a backend's results of changes that all succeed.
	applied := func(changes []plan.Change) []plan.Result {
		results := make([]plan.Result, len(changes))
		for i, c := range changes {
			results[i] = plan.Result{Change: c}
			if c.Service != nil {
				cp := *c.Service // read back: equal, another object
				results[i].Service = &plan.ObservedService{UUID: c.Name, Service: &cp}
			}
		}
		return results
	}
	for _, n := range []int{1000, 10000} {
		pol := &policy.Policy{UUID: "u", Tenant: "admin", Clusters: []string{"c0", "c1", "c2"},
			GDP: &amkov1alpha2.GDPSpec{
				MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}},
				MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "c0"}, {Cluster: "c1"}, {Cluster: "c2"}},
			}}
		var records []sources.Record
		for i := range n {
			host := fmt.Sprintf("app-%d.example.com", i)
			records = append(records, sources.Record{Cluster: fmt.Sprintf("c%d", i%3), Kind: sources.KindIngress,
				Namespace: "default", Name: fmt.Sprintf("app-%d", i), Host: host,
				IP: netip.AddrFrom4([4]byte{10, byte(i % 3), byte(i / 250), byte(i%250 + 1)}), Labels: map[string]string{"app": "gslb"},
				Paths: []string{"/"}, VSUUID: "vs-" + host, ControllerUUID: "cluster-1", Tenant: "admin"})
		}
		in := model.Input{Policy: pol, Records: records}
		desired := model.Build(in)
		var obs plan.Observed
		for i, s := range desired {
			obs.Services = append(obs.Services, plan.ObservedService{UUID: strconv.Itoa(i), Service: s})
			for _, m := range s.HealthMonitors {
				obs.Monitors = append(obs.Monitors, plan.ObservedMonitor{UUID: m.Name, Tenant: s.Tenant, Monitor: m})
			}
		}
		opts := plan.Options{ServiceEqual: avi.ServiceEqual, MonitorEqual: avi.MonitorEqual}
		b.Run("build/"+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				model.Build(in)
			}
		})
		b.Run("rebuild-one-changed/"+strconv.Itoa(n), func(b *testing.B) {
			// As in a pass after one change: the records in the informers'
			// (random) order, one record's address moved, the memo of the last
			// build at hand.
			shuffled := slices.Clone(records)
			rand.New(rand.NewPCG(1, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			var memo model.Memo
			model.BuildWith(model.Input{Policy: pol, Records: shuffled}, &memo)
			i := 0
			for b.Loop() {
				i++
				shuffled[i%n].IP = netip.AddrFrom4([4]byte{10, 99, byte(i / 250 % 250), byte(i%250 + 1)})
				model.BuildWith(model.Input{Policy: pol, Records: shuffled}, &memo)
			}
		})
		// A whole pass's pure work after one object changed, as the operator
		// did it before passes followed the change (every record selected and
		// grouped, every service compared: the anchor), and as it does now
		// (records by object, a Planner kept with the observed state).
		moved := func(r sources.Record, i int) []sources.Record {
			r.IP = netip.AddrFrom4([4]byte{10, 99, byte(i / 250 % 250), byte(i%250 + 1)})
			return []sources.Record{r}
		}
		b.Run("pass-one-changed-all/"+strconv.Itoa(n), func(b *testing.B) {
			flat := slices.Clone(records)
			var memo model.Memo
			observed := obs
			observed.Services = slices.Clone(obs.Services)
			known := map[*gslb.Service]*gslb.Service{}
			i := 0
			for b.Loop() {
				i++
				flat[i%n] = moved(flat[i%n], i)[0]
				desired := model.BuildWith(model.Input{Policy: pol, Records: flat}, &memo)
				next := map[*gslb.Service]*gslb.Service{}
				eq := opts
				eq.ServiceEqual = func(d, o *gslb.Service) bool {
					if known[o] == d || avi.ServiceEqual(d, o) {
						next[o] = d
						return true
					}
					return false
				}
				changes := plan.Compute(desired, observed, eq)
				known = next
				observed.Apply(applied(changes))
			}
		})
		b.Run("pass-one-changed/"+strconv.Itoa(n), func(b *testing.B) {
			groups := make([][]sources.Record, n)
			for i := range records {
				groups[i] = records[i : i+1 : i+1]
			}
			var memo model.Memo
			planner := plan.NewPlanner(obs, opts)
			planner.Plan(model.BuildWith(model.Input{Policy: pol, Groups: groups}, &memo))
			i := 0
			for b.Loop() {
				i++
				groups[i%n] = moved(groups[i%n][0], i)
				desired := model.BuildWith(model.Input{Policy: pol, Groups: groups}, &memo)
				planner.Applied(applied(planner.Plan(desired)))
			}
		})
		b.Run("plan/"+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if len(plan.Compute(desired, obs, opts)) != 0 {
					b.Fatal("plan not empty")
				}
			}
		})
	}
}
