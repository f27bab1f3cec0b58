// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"reflect"
	"testing"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

func TestDomainNames(t *testing.T) {
	custom := func(p *policy.Policy) { p.CustomGlobalFQDN = true }
	hr := func(cluster, fqdn, global string, include bool, aliases ...string) sources.HostRule {
		return sources.HostRule{Cluster: cluster, Namespace: "default", Name: "hr-" + fqdn + "-" + cluster,
			FQDN: fqdn, GlobalFQDN: global, IncludeAliases: include, Aliases: aliases}
	}
	tests := []struct {
		name      string
		policy    *policy.Policy
		records   []sources.Record
		hostRules []sources.HostRule
		want      map[string][]string // "<tenant>/<name>" → domain names
	}{
		{name: "name only", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			want:    map[string][]string{"admin/a.com": {"a.com"}}},
		{name: "same host in two clusters is one service", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1"), route("c2", "a.com", "10.0.0.2")},
			want:    map[string][]string{"admin/a.com": {"a.com"}}},
		{name: "same host in two tenants is two services", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1", tenant("t1")), ingress("c2", "a.com", "10.0.0.2", tenant("t2"))},
			want:    map[string][]string{"t1/a.com": {"a.com"}, "t2/a.com": {"a.com"}}},
		{name: "default mode adds aliases, sorted", policy: basePolicy(),
			records:   []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			hostRules: []sources.HostRule{hr("c1", "a.com", "", false, "y.com", "x.com")},
			want:      map[string][]string{"admin/a.com": {"a.com", "x.com", "y.com"}}},
		{name: "default mode adds aliases of any cluster", policy: basePolicy(),
			records:   []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			hostRules: []sources.HostRule{hr("c2", "a.com", "", false, "x.com"), hr("c3", "a.com", "", false, "w.com")},
			want:      map[string][]string{"admin/a.com": {"a.com", "w.com", "x.com"}}},
		{name: "aliases de-duplicated, own name dropped", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			hostRules: []sources.HostRule{hr("c1", "a.com", "", false, "x.com", "a.com", ""),
				hr("c2", "a.com", "", false, "x.com")},
			want: map[string][]string{"admin/a.com": {"a.com", "x.com"}}},
		{name: "aliases of other hosts ignored", policy: basePolicy(),
			records:   []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			hostRules: []sources.HostRule{hr("c1", "b.com", "", false, "x.com")},
			want:      map[string][]string{"admin/a.com": {"a.com"}}},
		{name: "duplicate alias: first service keeps it", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "b.com", "10.0.0.2"), ingress("c1", "a.com", "10.0.0.1")},
			hostRules: []sources.HostRule{hr("c1", "b.com", "", false, "z.com", "b-only.com"),
				hr("c1", "a.com", "", false, "z.com")},
			want: map[string][]string{"admin/a.com": {"a.com", "z.com"}, "admin/b.com": {"b.com", "b-only.com"}}},
		{name: "duplicate alias across tenants: tenant order decides", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1", tenant("t1")), ingress("c1", "b.com", "10.0.0.2", tenant("t0"))},
			hostRules: []sources.HostRule{hr("c1", "a.com", "", false, "z.com"),
				hr("c1", "b.com", "", false, "z.com")},
			want: map[string][]string{"t1/a.com": {"a.com"}, "t0/b.com": {"b.com", "z.com"}}},
		{name: "alias that is another service's name dropped", policy: basePolicy(),
			records:   []sources.Record{ingress("c1", "a.com", "10.0.0.1"), ingress("c1", "b.com", "10.0.0.2")},
			hostRules: []sources.HostRule{hr("c1", "b.com", "", false, "a.com", "x.com")},
			want:      map[string][]string{"admin/a.com": {"a.com"}, "admin/b.com": {"b.com", "x.com"}}},
		{name: "custom mode names the service after the global FQDN", policy: basePolicy(custom),
			records: []sources.Record{ingress("c1", "a.c1.local", "10.0.0.1"), ingress("c2", "a.c2.local", "10.0.0.2")},
			hostRules: []sources.HostRule{hr("c1", "a.c1.local", "a.global", false),
				hr("c2", "a.c2.local", "a.global", false)},
			want: map[string][]string{"admin/a.global": {"a.global"}}},
		{name: "custom mode without includeAliases", policy: basePolicy(custom),
			records:   []sources.Record{ingress("c1", "a.local", "10.0.0.1")},
			hostRules: []sources.HostRule{hr("c1", "a.local", "a.global", false, "x.com")},
			want:      map[string][]string{"admin/a.global": {"a.global"}}},
		{name: "custom mode with includeAliases", policy: basePolicy(custom),
			records: []sources.Record{ingress("c1", "a.local", "10.0.0.1"), ingress("c2", "a.local2", "10.0.0.2")},
			hostRules: []sources.HostRule{hr("c1", "a.local", "a.global", true, "x.com"),
				hr("c2", "a.local2", "a.global", false, "y.com")},
			want: map[string][]string{"admin/a.global": {"a.global", "x.com"}}},
		{name: "custom mode, first HostRule in order maps a host", policy: basePolicy(custom),
			records: []sources.Record{ingress("c1", "a.local", "10.0.0.1")},
			hostRules: []sources.HostRule{{Cluster: "c1", Namespace: "ns-b", Name: "hr", FQDN: "a.local", GlobalFQDN: "b.global"},
				{Cluster: "c1", Namespace: "ns-a", Name: "hr", FQDN: "a.local", GlobalFQDN: "a.global"}},
			want: map[string][]string{"admin/a.global": {"a.global"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string][]string{}
			for k, s := range byName(t, Input{Policy: tc.policy, Records: tc.records, HostRules: tc.hostRules}) {
				got[k] = s.DomainNames
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("domain names = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTTL(t *testing.T) {
	ghrTTL := withGHR("a.com", func(s *amkov1alpha1.GSLBHostRuleSpec) { s.TTL = ptr(5) })
	gdpTTL := withGDP(func(g *amkov1alpha2.GDPSpec) { g.TTL = ptr(20) })
	otherGHR := withGHR("b.com", func(s *amkov1alpha1.GSLBHostRuleSpec) { s.TTL = ptr(7) })
	tests := []struct {
		name   string
		policy *policy.Policy
		want   *uint32
	}{
		{"none", basePolicy(), nil},
		{"GDP", basePolicy(gdpTTL), ptr[uint32](20)},
		{"GSLBHostRule over GDP", basePolicy(gdpTTL, ghrTTL), ptr[uint32](5)},
		{"GSLBHostRule without TTL falls back to GDP", basePolicy(gdpTTL,
			withGHR("a.com", func(s *amkov1alpha1.GSLBHostRuleSpec) {})), ptr[uint32](20)},
		{"GSLBHostRule of another FQDN", basePolicy(otherGHR), nil},
		{"zero is a TTL", basePolicy(withGDP(func(g *amkov1alpha2.GDPSpec) { g.TTL = ptr(0) })), ptr[uint32](0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := only(t, Input{Policy: tc.policy, Records: []sources.Record{ingress("c1", "a.com", "10.0.0.1")}})
			if !reflect.DeepEqual(s.TTL, tc.want) {
				t.Errorf("TTL = %v, want %v", deref(s.TTL, 999), deref(tc.want, 999))
			}
		})
	}
}

func TestSitePersistence(t *testing.T) {
	gdpSP := withGDP(func(g *amkov1alpha2.GDPSpec) { g.SitePersistenceRef = ptr("gap-gdp") })
	gdpPKI := withGDP(func(g *amkov1alpha2.GDPSpec) { g.PKIProfileRef = ptr("pki-gdp") })
	defPKI := func(p *policy.Policy) { p.DefaultPKIProfile = "pki-default" }
	ghrSP := func(enabled bool, profile string, pki *string) func(*policy.Policy) {
		return withGHR("a.com", func(s *amkov1alpha1.GSLBHostRuleSpec) {
			s.SitePersistence = &amkov1alpha1.SitePersistence{Enabled: enabled, ProfileRef: profile, PKIProfileRef: pki}
		})
	}
	tlsHostRule := []sources.HostRule{{Cluster: "c1", Namespace: "default", Name: "hr", FQDN: "a.com", TLS: true}}
	tlsRecord := []sources.Record{ingress("c1", "a.com", "10.0.0.1", tls())}
	plainRecord := []sources.Record{ingress("c1", "a.com", "10.0.0.1")}

	tests := []struct {
		name      string
		policy    *policy.Policy
		records   []sources.Record
		hostRules []sources.HostRule
		want      *gslb.SitePersistence
	}{
		{name: "TLS, nothing configured", policy: basePolicy(defPKI), records: tlsRecord},
		{name: "not TLS: no persistence", policy: basePolicy(gdpSP, gdpPKI), records: plainRecord},
		{name: "GDP ref, GDP PKI", policy: basePolicy(gdpSP, gdpPKI, defPKI), records: tlsRecord,
			want: &gslb.SitePersistence{ProfileRef: "gap-gdp", PKIProfileRef: "pki-gdp"}},
		{name: "GDP ref, default PKI", policy: basePolicy(gdpSP, defPKI), records: tlsRecord,
			want: &gslb.SitePersistence{ProfileRef: "gap-gdp", PKIProfileRef: "pki-default"}},
		{name: "GSLBHostRule enabled over GDP", policy: basePolicy(gdpSP, gdpPKI, ghrSP(true, "gap-ghr", ptr("pki-ghr"))),
			records: tlsRecord, want: &gslb.SitePersistence{ProfileRef: "gap-ghr", PKIProfileRef: "pki-ghr"}},
		{name: "GSLBHostRule enabled without PKI takes GDP's", policy: basePolicy(gdpSP, gdpPKI, ghrSP(true, "gap-ghr", nil)),
			records: tlsRecord, want: &gslb.SitePersistence{ProfileRef: "gap-ghr", PKIProfileRef: "pki-gdp"}},
		{name: "GSLBHostRule enabled without any PKI takes the default", policy: basePolicy(defPKI, ghrSP(true, "gap-ghr", nil)),
			records: tlsRecord, want: &gslb.SitePersistence{ProfileRef: "gap-ghr", PKIProfileRef: "pki-default"}},
		{name: "GSLBHostRule disabled overrides GDP", policy: basePolicy(gdpSP, gdpPKI, ghrSP(false, "", nil)),
			records: tlsRecord},
		{name: "GSLBHostRule without sitePersistence inherits GDP",
			policy:  basePolicy(gdpSP, gdpPKI, withGHR("a.com", func(s *amkov1alpha1.GSLBHostRuleSpec) { s.TTL = ptr(1) })),
			records: tlsRecord, want: &gslb.SitePersistence{ProfileRef: "gap-gdp", PKIProfileRef: "pki-gdp"}},
		{name: "HostRule TLS makes the service TLS", policy: basePolicy(gdpSP, gdpPKI), records: plainRecord,
			hostRules: tlsHostRule, want: &gslb.SitePersistence{ProfileRef: "gap-gdp", PKIProfileRef: "pki-gdp"}},
		{name: "HostRule TLS of another cluster does not", policy: basePolicy(gdpSP, gdpPKI), records: plainRecord,
			hostRules: []sources.HostRule{{Cluster: "c2", Name: "hr", FQDN: "a.com", TLS: true}}},
		{name: "any TLS member makes the service TLS", policy: basePolicy(gdpSP, gdpPKI),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1"), ingress("c2", "a.com", "10.0.0.2", tls())},
			want:    &gslb.SitePersistence{ProfileRef: "gap-gdp", PKIProfileRef: "pki-gdp"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := only(t, Input{Policy: tc.policy, Records: tc.records, HostRules: tc.hostRules})
			if !reflect.DeepEqual(s.SitePersistence, tc.want) {
				t.Errorf("site persistence = %+v, want %+v", s.SitePersistence, tc.want)
			}
		})
	}
}

func TestDownResponse(t *testing.T) {
	dr := func(typ amkov1alpha1.DownResponseType, ip string) *amkov1alpha1.DownResponse {
		return &amkov1alpha1.DownResponse{Type: typ, FallbackIP: ip}
	}
	gdp := func(d *amkov1alpha1.DownResponse) func(*policy.Policy) {
		return withGDP(func(g *amkov1alpha2.GDPSpec) { g.DownResponse = d })
	}
	ghr := func(d *amkov1alpha1.DownResponse) func(*policy.Policy) {
		return withGHR("a.com", func(s *amkov1alpha1.GSLBHostRuleSpec) { s.DownResponse = d })
	}
	tests := []struct {
		name   string
		policy *policy.Policy
		want   gslb.DownResponse
	}{
		{"none", basePolicy(), gslb.DownResponse{}},
		{"GDP all records", basePolicy(gdp(dr(amkov1alpha1.DownResponseAllRecords, ""))),
			gslb.DownResponse{Type: gslb.DownAllRecords}},
		{"GDP fallback IPv4", basePolicy(gdp(dr(amkov1alpha1.DownResponseFallbackIP, "192.0.2.9"))),
			gslb.DownResponse{Type: gslb.DownFallbackIP, FallbackIP: addr("192.0.2.9")}},
		{"GDP fallback IPv6", basePolicy(gdp(dr(amkov1alpha1.DownResponseFallbackIP, "2001:db8::9"))),
			gslb.DownResponse{Type: gslb.DownFallbackIP, FallbackIP6: addr("2001:db8::9")}},
		{"GSLBHostRule over GDP", basePolicy(gdp(dr(amkov1alpha1.DownResponseFallbackIP, "192.0.2.9")),
			ghr(dr(amkov1alpha1.DownResponseEmpty, ""))), gslb.DownResponse{Type: gslb.DownEmpty}},
		{"GSLBHostRule NONE over GDP", basePolicy(gdp(dr(amkov1alpha1.DownResponseEmpty, "")),
			ghr(dr(amkov1alpha1.DownResponseNone, ""))), gslb.DownResponse{Type: gslb.DownNone}},
		{"GSLBHostRule without one inherits GDP", basePolicy(gdp(dr(amkov1alpha1.DownResponseEmpty, "")), ghr(nil)),
			gslb.DownResponse{Type: gslb.DownEmpty}},
		{"address ignored for other types", basePolicy(gdp(dr(amkov1alpha1.DownResponseAllRecords, "192.0.2.9"))),
			gslb.DownResponse{Type: gslb.DownAllRecords}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := only(t, Input{Policy: tc.policy, Records: []sources.Record{ingress("c1", "a.com", "10.0.0.1")}})
			if s.Down != tc.want {
				t.Errorf("down response = %+v, want %+v", s.Down, tc.want)
			}
		})
	}
}

func TestDescription(t *testing.T) {
	tests := []struct {
		name    string
		records []sources.Record
		want    string
	}{
		{"ingress names carry the host", []sources.Record{ingress("c1", "a.com", "10.0.0.1", named("web"), inNS("shop"))},
			"INGRESS/c1/shop/web/a.com"},
		{"every kind, sorted", []sources.Record{
			route("c2", "a.com", "10.0.0.3", named("r1")),
			lbsvc("c1", "a.com", "10.0.0.2", 80, "TCP", named("s1")),
			ingress("c1", "a.com", "10.0.0.1", named("i1")),
		}, "INGRESS/c1/default/i1/a.com,LBSVC/c1/default/s1,ROUTE/c2/default/r1"},
		{"members sharing an address are all described", []sources.Record{
			ingress("c1", "a.com", "10.0.0.1", named("i1")),
			ingress("c2", "a.com", "10.0.0.1", named("i2")),
		}, "INGRESS/c1/default/i1/a.com,INGRESS/c2/default/i2/a.com"},
		{"rejected objects are not described", []sources.Record{
			ingress("c1", "a.com", "10.0.0.1", named("i1")),
			ingress("c3", "a.com", "10.0.0.2", named("i3")),
			ingress("c2", "a.com", "10.0.0.3", named("i2"), noUUIDs()),
		}, "INGRESS/c1/default/i1/a.com"},
		{"third-party members are not described", []sources.Record{ingress("c1", "tp.com", "10.0.0.1", named("i1"))},
			"INGRESS/c1/default/i1/tp.com"},
	}
	p := basePolicy(withGHR("tp.com", func(s *amkov1alpha1.GSLBHostRuleSpec) {
		s.ThirdPartyMembers = []amkov1alpha1.ThirdPartyMember{{Site: "dc9", VIP: "198.51.100.1"}}
	}))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := only(t, Input{Policy: p, Records: tc.records})
			if s.Description != tc.want {
				t.Errorf("description = %q, want %q", s.Description, tc.want)
			}
		})
	}
}

// TestFullService checks one service field by field, including the fixed ones.
func TestFullService(t *testing.T) {
	p := basePolicy(
		withGDP(func(g *amkov1alpha2.GDPSpec) {
			g.TrafficSplit = []amkov1alpha2.TrafficSplitElem{{Cluster: "c1", Weight: 8, Priority: ptr[uint32](2)}}
			g.TTL = ptr(10)
		}),
	)
	in := Input{
		Policy: p,
		Records: []sources.Record{
			ingress("c1", "shop.example.com", "10.0.0.1", named("web"), paths("/cart")),
			ingress("c2", "shop.example.com", "2001:db8::1", named("web")),
		},
		HostRules: []sources.HostRule{{Cluster: "c2", Namespace: "default", Name: "hr", FQDN: "shop.example.com",
			Aliases: []string{"shop.example.org"}}},
	}
	hm := func(path string) gslb.HealthMonitor {
		return gslb.HealthMonitor{
			Name:              sha1Name("http--shop.example.com--" + path),
			Type:              "HEALTH_MONITOR_HTTP",
			Port:              80,
			HTTPRequest:       "HEAD " + path + " HTTP/1.0",
			HTTPResponseCodes: []string{"HTTP_2XX", "HTTP_3XX"},
			Description:       "created by: amko, gsname: shop.example.com, path: " + path + ", protocol: http",
			Interval:          10, Timeout: 4, SuccessfulChecks: 3, FailedChecks: 3,
		}
	}
	hms := []gslb.HealthMonitor{hm("/cart"), hm("/")}
	if hms[0].Name > hms[1].Name {
		hms[0], hms[1] = hms[1], hms[0]
	}
	want := []*gslb.Service{{
		Name:          "shop.example.com",
		DomainNames:   []string{"shop.example.com", "shop.example.org"},
		Enabled:       true,
		TTL:           ptr[uint32](10),
		UseECS:        true,
		WildcardMatch: false,
		MinMembers:    0,
		Pools: []gslb.Pool{
			{Name: "amko-gs-group-10", Priority: 10, Enabled: true, Algorithm: gslb.RoundRobin, MinHealthMonitorsUp: 2,
				Members: []gslb.Member{{ID: "ctrl-c2/vs-c2-ing", IP: addr("2001:db8::1"), Ratio: 1, Enabled: true,
					Cluster: "c2", ClusterUUID: "ctrl-c2", VSUUID: "vs-c2-ing"}}},
			{Name: "amko-gs-group-2", Priority: 2, Enabled: true, Algorithm: gslb.RoundRobin, MinHealthMonitorsUp: 2,
				Members: []gslb.Member{{ID: "ctrl-c1/vs-c1-ing", IP: addr("10.0.0.1"), Ratio: 8, Enabled: true,
					Cluster: "c1", ClusterUUID: "ctrl-c1", VSUUID: "vs-c1-ing"}}},
		},
		Tenant:         "admin",
		Description:    "INGRESS/c1/default/web/shop.example.com,INGRESS/c2/default/web/shop.example.com",
		HealthMonitors: hms,
	}}
	if got := Build(in); !reflect.DeepEqual(got, want) {
		t.Errorf("Build =\n%s\nwant\n%s", dump(got), dump(want))
	}
}
