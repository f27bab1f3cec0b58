// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Every metric of the DNS server has a panel on the Grafana dashboard.
func TestDashboardShowsDNSMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.udp.Observe(0.001)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../../config/grafana/amko-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			for _, name := range regexp.MustCompile(`amko_[a-z_]+`).FindAllString(target.Expr, -1) {
				used[strings.TrimSuffix(name, "_bucket")] = true
			}
		}
	}
	if len(families) != 6 {
		t.Errorf("%d metrics gathered, want 6", len(families))
	}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "amko_dns_") {
			t.Errorf("metric %s lacks the amko_dns_ prefix", f.GetName())
		}
		if !used[f.GetName()] {
			t.Errorf("metric %s has no panel on the dashboard", f.GetName())
		}
	}
}
