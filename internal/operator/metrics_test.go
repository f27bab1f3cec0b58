// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	dnsprovider "github.com/amko-project/amko/internal/provider/dns"
)

// The Grafana dashboard queries only metrics amko exports.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	// The DNS backend's own metrics are on the dashboard too (a test-only
	// import: the operator itself knows no backend).
	if _, err := dnsprovider.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	// Touch the vectors so that gathering lists them.
	m.changes.WithLabelValues("create", "service", "ok")
	m.requests.WithLabelValues("observe", "200")
	m.members.WithLabelValues("c1")
	m.clusterUp.WithLabelValues("c1")
	m.probeChanges.WithLabelValues("down")
	m.passDuration.Observe(0.01)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
		if !strings.HasPrefix(f.GetName(), "amko_") {
			t.Errorf("metric %s does not follow the amko_ prefix", f.GetName())
		}
	}
	data, err := os.ReadFile("../../config/grafana/amko-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	metric := regexp.MustCompile(`amko_[a-z_]+`)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			for _, name := range metric.FindAllString(target.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
				used[base] = true
				if !exported[base] {
					t.Errorf("panel %q queries %s, which amko does not export", p.Title, name)
				}
			}
		}
	}
	for name := range exported {
		if !used[name] {
			t.Errorf("metric %s has no panel on the dashboard", name)
		}
	}
}
