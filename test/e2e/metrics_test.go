// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// metricValue is the value of the series of name whose labels include want;
// found is false when there is none.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) (v float64, found bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue series
				}
			}
			return value(m), true
		}
	}
	return 0, false
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

// The metrics count what amko did: writes by result, controller answers by
// status, desired services and members, member clusters up, passes.
func TestMetrics(t *testing.T) {
	s := begin(t, appGDP("met-e2e"))
	t.Cleanup(sim.ClearFaults)
	reg := s.restartWithMetrics()
	if _, err := sim.AddFault(avisim.Fault{Name: "refused", Method: "POST", Path: "^/api/gslbservice$", Count: 1, Status: 503}); err != nil {
		t.Fatal(err)
	}
	host := "met.example.com"
	s.track(host)
	for i, cl := range set.Clusters[:2] {
		s.ingress(cl, clusters.Ingress{Namespace: "default", Name: "met", Labels: map[string]string{"app": "met-e2e"},
			Rules: []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.71.0.%d", i+1)}}, AKO: ako(host, fmt.Sprintf("virtualservice-met-%d", i+1))})
	}
	await.Eventually(t, "service with both members", wantMembers(host, "10:10.71.0.1:1", "10:10.71.0.2:1"))

	want := func(name string, labels map[string]string, check func(float64) bool, what string) {
		t.Helper()
		await.Eventually(t, fmt.Sprintf("%s%v %s", name, labels, what), func() error {
			v, ok := metricValue(t, reg, name, labels)
			if !ok || !check(v) {
				return fmt.Errorf("value %v (present %v)", v, ok)
			}
			return nil
		})
	}
	eq := func(n float64) func(float64) bool { return func(v float64) bool { return v == n } }
	atLeast := func(n float64) func(float64) bool { return func(v float64) bool { return v >= n } }
	want("amko_backend_changes_total", map[string]string{"op": "create", "kind": "service", "result": "error"}, eq(1), "= 1")
	want("amko_backend_changes_total", map[string]string{"op": "create", "kind": "service", "result": "ok"}, atLeast(1), ">= 1")
	want("amko_controller_requests_total", map[string]string{"op": "create service", "code": "503"}, eq(1), "= 1")
	want("amko_controller_requests_total", map[string]string{"op": "observe", "code": "200"}, atLeast(1), ">= 1")
	want("amko_gslb_services", nil, atLeast(1), ">= 1")
	want("amko_gslb_members", map[string]string{"cluster": "cluster1-admin"}, atLeast(1), ">= 1")
	want("amko_gslb_members", map[string]string{"cluster": "cluster2-admin"}, atLeast(1), ">= 1")
	for _, c := range set.Contexts() {
		want("amko_member_cluster_up", map[string]string{"cluster": c}, eq(1), "= 1")
	}
	want("amko_reconcile_duration_seconds", nil, atLeast(1), "observed")

	// A member cluster cut off reads as down.
	cut := time.Now()
	set.Clusters[2].SetReachable(false)
	defer set.Clusters[2].SetReachable(true)
	want("amko_member_cluster_up", map[string]string{"cluster": set.Clusters[2].Context}, eq(0), "= 0 while cut off")
	t.Logf("cluster cut off: seen %v later", time.Since(cut).Round(time.Millisecond))
	restored := time.Now()
	set.Clusters[2].SetReachable(true)
	want("amko_member_cluster_up", map[string]string{"cluster": set.Clusters[2].Context}, eq(1), "= 1 again")
	t.Logf("cluster restored: seen %v later", time.Since(restored).Round(time.Millisecond))
}
