// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"net/netip"
	"strings"
	"testing"

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
	for i, st := range steps {
		o.memberDownChanges(svc(st.c1, st.c2))
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
