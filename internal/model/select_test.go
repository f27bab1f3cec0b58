// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"testing"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

func TestSelection(t *testing.T) {
	nsSelector := func(kv ...string) func(*policy.Policy) {
		return withGDP(func(g *amkov1alpha2.GDPSpec) { g.MatchRules.NamespaceSelector.Label = labelMap(kv...) })
	}
	appSelector := func(kv ...string) func(*policy.Policy) {
		return withGDP(func(g *amkov1alpha2.GDPSpec) { g.MatchRules.AppSelector.Label = labelMap(kv...) })
	}
	custom := func(p *policy.Policy) { p.CustomGlobalFQDN = true }
	syncVIPOnly := withGDP(func(g *amkov1alpha2.GDPSpec) { g.MatchClusters[1].SyncVipOnly = true })
	gns := []sources.Namespace{namespace("c1", "default", "", "ns", "gslb", "env", "prod")}
	hr := func(cluster, fqdn, global string) sources.HostRule {
		return sources.HostRule{Cluster: cluster, Namespace: "default", Name: "hr-" + fqdn, FQDN: fqdn, GlobalFQDN: global}
	}

	tests := []struct {
		name        string
		policy      *policy.Policy
		namespaces  []sources.Namespace
		hostRules   []sources.HostRule
		record      sources.Record
		wantReason  string // "" when selected
		wantService string
		wantTenant  string
	}{
		{name: "nil policy", record: ingress("c1", "a.com", "10.0.0.1"), wantReason: reasonNoGDP},
		{name: "no GDP", policy: basePolicy(func(p *policy.Policy) { p.GDP = nil }),
			record: ingress("c1", "a.com", "10.0.0.1"), wantReason: reasonNoGDP},
		{name: "GDP without selectors", policy: basePolicy(appSelector()),
			record: ingress("c1", "a.com", "10.0.0.1"), wantReason: reasonNoSelector},

		// appSelector alone.
		{name: "app selector matches", policy: basePolicy(), record: ingress("c1", "a.com", "10.0.0.1"),
			wantService: "a.com", wantTenant: "admin"},
		{name: "app selector value differs", policy: basePolicy(),
			record: ingress("c1", "a.com", "10.0.0.1", labels("app", "other")), wantReason: reasonApp},
		{name: "app selector key missing", policy: basePolicy(),
			record: ingress("c1", "a.com", "10.0.0.1", labels()), wantReason: reasonApp},
		{name: "app selector, extra labels on object", policy: basePolicy(),
			record:      ingress("c1", "a.com", "10.0.0.1", labels("app", "gslb", "tier", "web")),
			wantService: "a.com", wantTenant: "admin"},
		{name: "multi-label app selector, all match", policy: basePolicy(appSelector("app", "gslb", "tier", "web")),
			record:      route("c1", "a.com", "10.0.0.1", labels("app", "gslb", "tier", "web")),
			wantService: "a.com", wantTenant: "admin"},
		{name: "multi-label app selector, one missing", policy: basePolicy(appSelector("app", "gslb", "tier", "web")),
			record: route("c1", "a.com", "10.0.0.1"), wantReason: reasonApp},
		{name: "app selector ignores namespace labels", policy: basePolicy(),
			namespaces: []sources.Namespace{namespace("c1", "default", "")},
			record:     lbsvc("c1", "a.com", "10.0.0.1", 80, "TCP"), wantService: "a.com", wantTenant: "admin"},

		// namespaceSelector alone.
		{name: "namespace selector matches", policy: basePolicy(appSelector(), nsSelector("ns", "gslb")),
			namespaces: gns, record: ingress("c1", "a.com", "10.0.0.1", labels()),
			wantService: "a.com", wantTenant: "admin"},
		{name: "namespace selector does not match", policy: basePolicy(appSelector(), nsSelector("ns", "other")),
			namespaces: gns, record: ingress("c1", "a.com", "10.0.0.1"),
			wantReason: "namespace default does not match the namespaceSelector"},
		{name: "namespace unknown", policy: basePolicy(appSelector(), nsSelector("ns", "gslb")),
			record:     ingress("c1", "a.com", "10.0.0.1"),
			wantReason: "namespace default does not match the namespaceSelector"},
		{name: "namespace of another cluster", policy: basePolicy(appSelector(), nsSelector("ns", "gslb")),
			namespaces: gns, record: ingress("c2", "a.com", "10.0.0.1"),
			wantReason: "namespace default does not match the namespaceSelector"},
		{name: "multi-label namespace selector, all match",
			policy:     basePolicy(appSelector(), nsSelector("ns", "gslb", "env", "prod")),
			namespaces: gns, record: ingress("c1", "a.com", "10.0.0.1"), wantService: "a.com", wantTenant: "admin"},
		{name: "multi-label namespace selector, one differs",
			policy:     basePolicy(appSelector(), nsSelector("ns", "gslb", "env", "dev")),
			namespaces: gns, record: ingress("c1", "a.com", "10.0.0.1"),
			wantReason: "namespace default does not match the namespaceSelector"},

		// Both selectors: AND.
		{name: "both selectors match", policy: basePolicy(nsSelector("ns", "gslb")), namespaces: gns,
			record: ingress("c1", "a.com", "10.0.0.1"), wantService: "a.com", wantTenant: "admin"},
		{name: "both selectors, app does not match", policy: basePolicy(nsSelector("ns", "gslb")), namespaces: gns,
			record: ingress("c1", "a.com", "10.0.0.1", labels("app", "x")), wantReason: reasonApp},
		{name: "both selectors, namespace does not match", policy: basePolicy(nsSelector("ns", "x")), namespaces: gns,
			record:     ingress("c1", "a.com", "10.0.0.1"),
			wantReason: "namespace default does not match the namespaceSelector"},

		// Clusters.
		{name: "cluster not in matchClusters", policy: basePolicy(), record: ingress("c3", "a.com", "10.0.0.1"),
			wantReason: "cluster c3 is not in the GlobalDeploymentPolicy's matchClusters"},
		{name: "cluster not a member cluster",
			policy: basePolicy(withGDP(func(g *amkov1alpha2.GDPSpec) {
				g.MatchClusters = append(g.MatchClusters, amkov1alpha2.ClusterProperty{Cluster: "c9"})
			})),
			record: ingress("c9", "a.com", "10.0.0.1"), wantReason: "cluster c9 is not a member cluster of the GSLBConfig"},
		{name: "empty matchClusters", policy: basePolicy(withGDP(func(g *amkov1alpha2.GDPSpec) { g.MatchClusters = nil })),
			record: ingress("c1", "a.com", "10.0.0.1"), wantReason: "cluster c1 is not in the GlobalDeploymentPolicy's matchClusters"},

		// Address and AKO identifiers.
		{name: "no host", policy: basePolicy(), record: ingress("c1", "", "10.0.0.1"), wantReason: reasonNoHost},
		{name: "no IP", policy: basePolicy(), record: ingress("c1", "a.com", ""), wantReason: reasonNoIP},
		{name: "no VS UUID", policy: basePolicy(),
			record: ingress("c1", "a.com", "10.0.0.1", uuids("ctrl", "")), wantReason: reasonMissingUUIDs},
		{name: "no controller UUID", policy: basePolicy(),
			record: ingress("c1", "a.com", "10.0.0.1", uuids("", "vs")), wantReason: reasonMissingUUIDs},
		{name: "syncVipOnly needs no UUIDs", policy: basePolicy(syncVIPOnly),
			record: lbsvc("c2", "a.com", "10.0.0.1", 80, "TCP", noUUIDs()), wantService: "a.com", wantTenant: "admin"},
		{name: "syncVipOnly is per cluster", policy: basePolicy(syncVIPOnly),
			record: lbsvc("c1", "a.com", "10.0.0.1", 80, "TCP", noUUIDs()), wantReason: reasonMissingUUIDs},
		{name: "address-only policy (DNS backend) needs no UUIDs", policy: func() *policy.Policy { p := basePolicy(); p.AddressOnly = true; return p }(),
			record: ingress("c1", "a.com", "10.0.0.1", noUUIDs()), wantService: "a.com", wantTenant: "admin"},

		// Tenants.
		{name: "namespace tenant differs from object's", policy: basePolicy(),
			namespaces: []sources.Namespace{namespace("c1", "default", "t1")},
			record:     ingress("c1", "a.com", "10.0.0.1", tenant("t2")),
			wantReason: "tenant t2 of the object differs from tenant t1 of namespace default"},
		{name: "namespace tenant equals object's", policy: basePolicy(),
			namespaces: []sources.Namespace{namespace("c1", "default", "t1")},
			record:     ingress("c1", "a.com", "10.0.0.1", tenant("t1")), wantService: "a.com", wantTenant: "t1"},
		{name: "namespace tenant, object without", policy: basePolicy(),
			namespaces: []sources.Namespace{namespace("c1", "default", "t1")},
			record:     ingress("c1", "a.com", "10.0.0.1"), wantService: "a.com", wantTenant: "t1"},
		{name: "object tenant, namespace without", policy: basePolicy(),
			namespaces: []sources.Namespace{namespace("c1", "default", "")},
			record:     ingress("c1", "a.com", "10.0.0.1", tenant("t2")), wantService: "a.com", wantTenant: "t2"},
		{name: "GSLBConfig tenant", policy: basePolicy(func(p *policy.Policy) { p.Tenant = "gc" }),
			record: ingress("c1", "a.com", "10.0.0.1"), wantService: "a.com", wantTenant: "gc"},
		{name: "default tenant", policy: basePolicy(func(p *policy.Policy) { p.Tenant = "" }),
			record: ingress("c1", "a.com", "10.0.0.1"), wantService: "a.com", wantTenant: "admin"},

		// Custom global FQDN mode.
		{name: "custom FQDN mapped", policy: basePolicy(custom),
			hostRules: []sources.HostRule{hr("c1", "a.local", "a.global")},
			record:    ingress("c1", "a.local", "10.0.0.1"), wantService: "a.global", wantTenant: "admin"},
		{name: "custom FQDN without HostRule", policy: basePolicy(custom),
			record: ingress("c1", "a.local", "10.0.0.1"), wantReason: "no HostRule in cluster c1 maps a.local to a global FQDN"},
		{name: "custom FQDN, HostRule of another cluster", policy: basePolicy(custom),
			hostRules: []sources.HostRule{hr("c2", "a.local", "a.global")},
			record:    ingress("c1", "a.local", "10.0.0.1"), wantReason: "no HostRule in cluster c1 maps a.local to a global FQDN"},
		{name: "custom FQDN, HostRule without global FQDN", policy: basePolicy(custom),
			hostRules: []sources.HostRule{hr("c1", "a.local", "")},
			record:    ingress("c1", "a.local", "10.0.0.1"), wantReason: "no HostRule in cluster c1 maps a.local to a global FQDN"},
		{name: "custom FQDN rejects passthrough", policy: basePolicy(custom),
			hostRules: []sources.HostRule{hr("c1", "a.local", "a.global")},
			record:    passthrough("c1", "a.local", "10.0.0.1"), wantReason: reasonPassthrough},
		{name: "custom FQDN rejects a passthrough Ingress", policy: basePolicy(custom),
			hostRules: []sources.HostRule{hr("c1", "a.local", "a.global")},
			record:    ingress("c1", "a.local", "10.0.0.1", passthroughAnnotated()), wantReason: reasonPassthrough},
		{name: "default mode accepts a passthrough Ingress", policy: basePolicy(),
			record: ingress("c1", "a.local", "10.0.0.1", passthroughAnnotated()), wantService: "a.local", wantTenant: "admin"},
		{name: "default mode accepts passthrough", policy: basePolicy(),
			record: passthrough("c1", "a.local", "10.0.0.1"), wantService: "a.local", wantTenant: "admin"},
		{name: "default mode ignores global FQDNs", policy: basePolicy(),
			hostRules: []sources.HostRule{hr("c1", "a.local", "a.global")},
			record:    ingress("c1", "a.local", "10.0.0.1"), wantService: "a.local", wantTenant: "admin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Policy: tc.policy, Records: []sources.Record{tc.record}, Namespaces: tc.namespaces, HostRules: tc.hostRules}
			ds := Explain(in)
			if len(ds) != 1 {
				t.Fatalf("got %d decisions, want 1", len(ds))
			}
			d := ds[0]
			if d.Reason != tc.wantReason || d.Selected != (tc.wantReason == "") || d.Service != tc.wantService {
				t.Fatalf("decision = {Selected: %v, Reason: %q, Service: %q}, want {Selected: %v, Reason: %q, Service: %q}",
					d.Selected, d.Reason, d.Service, tc.wantReason == "", tc.wantReason, tc.wantService)
			}
			svcs := Build(in)
			if tc.wantReason != "" {
				if len(svcs) != 0 {
					t.Fatalf("rejected record built services %v", names(svcs))
				}
				return
			}
			s := only(t, in)
			if s.Name != tc.wantService || s.Tenant != tc.wantTenant {
				t.Errorf("service = %s/%s, want %s/%s", s.Tenant, s.Name, tc.wantTenant, tc.wantService)
			}
		})
	}
}

// TestSyncVIPOnlyMembers checks that a syncVipOnly cluster's members carry no
// AKO identifiers even when the object has them.
func TestSyncVIPOnlyMembers(t *testing.T) {
	p := basePolicy(withGDP(func(g *amkov1alpha2.GDPSpec) { g.MatchClusters[1].SyncVipOnly = true }))
	s := only(t, Input{Policy: p, Records: []sources.Record{
		ingress("c1", "a.com", "10.0.0.1", uuids("ctrl-1", "vs-1")),
		ingress("c2", "a.com", "10.0.0.2", uuids("ctrl-2", "vs-2")),
	}})
	ms := s.Pools[0].Members
	if len(ms) != 2 {
		t.Fatalf("members = %v", members(s))
	}
	if m := ms[0]; m.ClusterUUID != "ctrl-1" || m.VSUUID != "vs-1" || m.ID != "ctrl-1/vs-1" {
		t.Errorf("c1 member = %+v, want ctrl-1/vs-1", m)
	}
	if m := ms[1]; m.ClusterUUID != "" || m.VSUUID != "" || m.ID != "10.0.0.2" {
		t.Errorf("syncVipOnly member = %+v, want no uuids and ID 10.0.0.2", m)
	}
}
