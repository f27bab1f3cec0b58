// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"testing"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

// members maps each member's cluster to its Down cause, "up" when enabled.
func memberStates(t *testing.T, svcs []*gslb.Service) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, s := range svcs {
		for _, p := range s.Pools {
			for _, m := range p.Members {
				switch {
				case m.Enabled && m.Down == "":
					out[m.Cluster] = "up"
				case !m.Enabled && m.Down != "":
					out[m.Cluster] = m.Down
				default:
					t.Errorf("member %s: enabled %v with cause %q", m.Cluster, m.Enabled, m.Down)
				}
			}
		}
	}
	return out
}

func TestEndpointHealth(t *testing.T) {
	on, off := true, false
	noEndpoints := func(r *sources.Record) { r.NoEndpoints = "no ready endpoint" }
	lost := func(r *sources.Record) { r.ClusterLost = "cluster lost" }
	records := []sources.Record{
		record(sources.KindIngress, "c1", "web", "a.example.com", "10.0.0.1", noEndpoints),
		record(sources.KindIngress, "c2", "web", "a.example.com", "10.0.0.2", lost),
	}
	dnsBackend := func(p *policy.Policy) { p.AddressOnly = true }
	enabled := func(v *bool) func(*policy.Policy) {
		return withGDP(func(g *amkov1alpha2.GDPSpec) { g.EndpointHealth = &amkov1alpha2.EndpointHealth{Enabled: v} })
	}
	for _, tc := range []struct {
		name string
		pol  *policy.Policy
		c1   string
	}{
		{"Avi backend: off by default, as AMKO", basePolicy(), "up"},
		{"Avi backend: opted in", basePolicy(enabled(&on)), "no ready endpoint"},
		{"DNS backend: on by default", basePolicy(dnsBackend), "no ready endpoint"},
		{"DNS backend: opted out", basePolicy(dnsBackend, enabled(&off)), "up"},
		{"Avi backend: opted in by the GSLBHostRule", basePolicy(withGHR("a.example.com", func(g *amkov1alpha1.GSLBHostRuleSpec) {
			g.EndpointHealth = &amkov1alpha1.HostEndpointHealth{Enabled: true}
		})), "no ready endpoint"},
		{"DNS backend: the GSLBHostRule opts out whatever the GDP says", basePolicy(dnsBackend, enabled(&on),
			withGHR("a.example.com", func(g *amkov1alpha1.GSLBHostRuleSpec) { g.EndpointHealth = &amkov1alpha1.HostEndpointHealth{} })), "up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := memberStates(t, Build(Input{Policy: tc.pol, Records: records}))
			if got["c1"] != tc.c1 {
				t.Errorf("c1: %q, want %q", got["c1"], tc.c1)
			}
			// A lost cluster's members are out whatever endpoint health says:
			// the registry marks them only when the GSLBConfig asks for it.
			if got["c2"] != "cluster lost" {
				t.Errorf("c2: %q, want cluster lost", got["c2"])
			}
		})
	}
}

// Two objects at one address: the address stays in while one of them has
// ready endpoints, whichever comes first.
func TestEndpointHealthSharedAddress(t *testing.T) {
	down := record(sources.KindIngress, "c1", "a", "a.example.com", "10.0.0.1", func(r *sources.Record) { r.NoEndpoints = "none" })
	up := record(sources.KindIngress, "c1", "b", "a.example.com", "10.0.0.1")
	pol := basePolicy(func(p *policy.Policy) { p.AddressOnly = true })
	for _, recs := range [][]sources.Record{{down, up}, {up, down}} {
		if got := memberStates(t, Build(Input{Policy: pol, Records: recs})); got["c1"] != "up" {
			t.Errorf("records %s, %s: c1 %q, want up", recs[0].Name, recs[1].Name, got["c1"])
		}
	}
}
