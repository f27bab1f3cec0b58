// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/client-go/tools/record"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/members"
)

// The members taken out and brought back give one Event and one count each;
// a cause that changes while out, or a pass that changes nothing, gives none.
func TestMemberDownChanges(t *testing.T) {
	rec := record.NewFakeRecorder(20)
	o := &Operator{metrics: NewMetrics(nil), recorder: rec}
	o.state.config = &amkov1alpha1.GSLBConfig{}
	svc := func(c1, c2 string) []*gslb.Service {
		m := func(cluster, ip, down string) gslb.Member {
			return gslb.Member{Cluster: cluster, IP: netip.MustParseAddr(ip), Enabled: down == "", Down: down}
		}
		return []*gslb.Service{{Name: "a.example.com", Pools: []gslb.Pool{{Members: []gslb.Member{
			m("c1", "10.0.0.1", c1), m("c2", "10.0.0.2", c2)}}}}}
	}
	noEps := members.CauseNoEndpoints + " for Service ns/web"
	lost := members.CauseClusterLost + " since 2026-12-01T00:00:00Z (longer than 1m0s)"
	steps := []struct {
		c1, c2 string
		events []string
	}{
		{"", lost, []string{"Warning MemberDown member c2/10.0.0.2 of a.example.com is taken out"}}, // out from the start
		{"", lost, nil},
		{noEps, lost, []string{"Warning MemberDown member c1/10.0.0.1 of a.example.com is taken out (written disabled, left out of DNS answers): " + noEps}},
		{members.CauseHeldDown + " for the hold-down (10s): Service ns/web", lost, nil},
		{"", "", []string{"Normal MemberUp member c1/10.0.0.1", "Normal MemberUp member c2/10.0.0.2 of a.example.com is back (enabled) after " + lost}},
		{"", "", nil},
	}
	var prev []*gslb.Service
	for i, st := range steps {
		cur := svc(st.c1, st.c2)
		o.memberDownChanges(prev, cur)
		prev = cur
		var got []string
		for len(rec.Events) > 0 {
			got = append(got, <-rec.Events)
		}
		if len(got) != len(st.events) {
			t.Fatalf("step %d: events %q, want %d", i, got, len(st.events))
		}
		for j, want := range st.events {
			if !strings.HasPrefix(got[j], want) {
				t.Errorf("step %d: event %q, want %q…", i, got[j], want)
			}
		}
	}
	for _, c := range []struct {
		state, cause string
		want         float64
	}{{"down", causeEndpoints, 1}, {"down", causeClusterLost, 1}, {"up", causeEndpoints, 1}, {"up", causeClusterLost, 1}} {
		var m dto.Metric
		if err := o.metrics.downChanges.WithLabelValues(c.state, c.cause).Write(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.GetCounter().GetValue(); got != c.want {
			t.Errorf("amko_member_down_changes_total{state=%s,cause=%s} = %v, want %v", c.state, c.cause, got, c.want)
		}
	}
}

// The member gauges, counted from the services that changed between builds
// only, equal a count of every service's members, through random builds
// that keep, replace, add and drop services.
func TestServiceMetricsFollowChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	o := &Operator{metrics: NewMetrics(nil)}
	version := func(i int) *gslb.Service {
		s := &gslb.Service{Name: fmt.Sprintf("s%02d.example.com", i), Tenant: "admin"}
		var pool gslb.Pool
		for m := range rng.IntN(3) {
			down := []string{"", "", members.CauseNoEndpoints + " for Service ns/web", members.CauseClusterLost + " since then"}[rng.IntN(4)]
			pool.Members = append(pool.Members, gslb.Member{Cluster: fmt.Sprintf("c%d", rng.IntN(3)),
				IP: netip.AddrFrom4([4]byte{10, 0, byte(i), byte(m + 1)}), Down: down})
		}
		s.Pools = []gslb.Pool{pool}
		return s
	}
	current := map[int]*gslb.Service{}
	var prev []*gslb.Service
	gauge := func(g prometheus.Gauge) float64 {
		var m dto.Metric
		if err := g.Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetGauge().GetValue()
	}
	for step := range 200 {
		for range rng.IntN(4) {
			if i := rng.IntN(20); rng.IntN(3) == 0 {
				delete(current, i)
			} else {
				current[i] = version(i)
			}
		}
		var desired []*gslb.Service
		for _, s := range current {
			desired = append(desired, s)
		}
		slices.SortFunc(desired, func(a, b *gslb.Service) int { return strings.Compare(a.Name, b.Name) })
		o.serviceMetrics(prev, desired)
		prev = desired
		members, disabled := map[string]float64{}, map[string]float64{causeEndpoints: 0, causeClusterLost: 0}
		for _, s := range desired {
			for _, m := range s.Pools[0].Members {
				members[m.Cluster]++
				if m.Down != "" {
					disabled[downCause(m.Down)]++
				}
			}
		}
		for c := range 3 {
			cluster := fmt.Sprintf("c%d", c)
			if got := gauge(o.metrics.members.WithLabelValues(cluster)); got != members[cluster] {
				t.Fatalf("step %d: members of %s %v, want %v", step, cluster, got, members[cluster])
			}
		}
		for cause, want := range disabled {
			if got := gauge(o.metrics.disabled.WithLabelValues(cause)); got != want {
				t.Fatalf("step %d: disabled for %s %v, want %v", step, cause, got, want)
			}
		}
	}
}
