// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

func TestMonitorNames(t *testing.T) {
	tests := []struct{ name, got, want string }{
		// SHA-1 test vector (FIPS 180-2): sha1("abc").
		{"non-path, known vector", NonPathMonitorName("abc"), "amko--a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"non-path", NonPathMonitorName("db.example.com"), sha1Name("db.example.com")},
		{"path http", PathMonitorName("http", "a.com", "/"), sha1Name("http--a.com--/")},
		{"path https", PathMonitorName("https", "a.com", "/cart"), sha1Name("https--a.com--/cart")},
		{"passthrough", PassthroughMonitorName(testUUID), "amko--passthrough-hm-tcp-" + testUUID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

// Expected monitors, built from the strings of amko.md §2.7.

func paced(hm gslb.HealthMonitor) gslb.HealthMonitor {
	hm.Interval, hm.Timeout, hm.SuccessfulChecks, hm.FailedChecks = 10, 4, 3, 3
	return hm
}

func pathHM(protocol, gs, path string) gslb.HealthMonitor {
	hm := gslb.HealthMonitor{
		Name:              sha1Name(protocol + "--" + gs + "--" + path),
		Type:              "HEALTH_MONITOR_" + strings.ToUpper(protocol),
		Port:              80,
		HTTPRequest:       "HEAD " + path + " HTTP/1.0",
		HTTPResponseCodes: []string{"HTTP_2XX", "HTTP_3XX"},
		Description:       "created by: amko, gsname: " + gs + ", path: " + path + ", protocol: " + protocol,
	}
	if protocol == "https" {
		hm.Port = 443
	}
	return paced(hm)
}

func templateHM(protocol, gs, path, template, request string, codes ...string) gslb.HealthMonitor {
	hm := pathHM(protocol, gs, path)
	hm.HTTPRequest = request
	hm.HTTPResponseCodes = codes
	hm.Description += ", created from: " + template
	return hm
}

func tcpHM(gs string, port uint32) gslb.HealthMonitor {
	return paced(gslb.HealthMonitor{Name: sha1Name(gs), Type: "HEALTH_MONITOR_TCP", Port: port,
		Description: "created by: amko, gsname: " + gs})
}

func udpHM(gs string, port uint32) gslb.HealthMonitor {
	return paced(gslb.HealthMonitor{Name: sha1Name(gs), Type: "HEALTH_MONITOR_UDP", Port: port,
		UDPRequest: "created_by: amko, request string not required", Description: "created by: amko, gsname: " + gs})
}

func passthroughHM() gslb.HealthMonitor {
	return paced(gslb.HealthMonitor{Name: "amko--passthrough-hm-tcp-" + testUUID, Type: "HEALTH_MONITOR_TCP", Port: 443,
		Description: "created by: amko", Shared: true})
}

func TestHealthMonitors(t *testing.T) {
	templates := func(p *policy.Policy) {
		p.Templates = map[string]policy.Template{
			"tmpl-gdp":  {Request: "GET /healthz HTTP/1.1", ResponseCodes: []string{"HTTP_2XX"}},
			"tmpl-ghr":  {Request: "HEAD /ready HTTP/1.0", ResponseCodes: []string{"HTTP_2XX", "HTTP_4XX"}},
			"tmpl-odd":  {Request: "GET /x", ResponseCodes: []string{"HTTP_ANY"}},
			"tmpl-none": {},
		}
	}
	gdpTemplate := func(name string) func(*policy.Policy) {
		return withGDP(func(g *amkov1alpha2.GDPSpec) { g.HealthMonitorTemplate = ptr(name) })
	}
	gdpRefs := func(refs ...string) func(*policy.Policy) {
		return withGDP(func(g *amkov1alpha2.GDPSpec) { g.HealthMonitorRefs = refs })
	}
	gdpCP := func(v bool) func(*policy.Policy) {
		return withGDP(func(g *amkov1alpha2.GDPSpec) { g.ControlPlaneHmOnly = ptr(v) })
	}
	ghr := func(mod func(*amkov1alpha1.GSLBHostRuleSpec)) func(*policy.Policy) { return withGHR("a.com", mod) }
	ghrTemplate := ghr(func(s *amkov1alpha1.GSLBHostRuleSpec) { s.HealthMonitorTemplate = ptr("tmpl-ghr") })
	ghrRefs := ghr(func(s *amkov1alpha1.GSLBHostRuleSpec) { s.HealthMonitorRefs = []string{"ghr-hm"} })

	tests := []struct {
		name      string
		policy    *policy.Policy
		records   []sources.Record
		hostRules []sources.HostRule
		want      []gslb.HealthMonitor
		wantRefs  []string
		wantMinUp uint32
	}{
		{name: "ingress, one path", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			want:    []gslb.HealthMonitor{pathHM("http", "a.com", "/")}, wantMinUp: 2},
		{name: "one monitor per distinct path across members", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1", paths("/cart", "/")),
				route("c2", "a.com", "10.0.0.2", paths("/cart", "/pay")), ingress("c2", "a.com", "10.0.0.2", paths("/pay"))},
			want: []gslb.HealthMonitor{pathHM("http", "a.com", "/"), pathHM("http", "a.com", "/cart"),
				pathHM("http", "a.com", "/pay")}, wantMinUp: 2},
		{name: "no or empty path means /", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1", paths()), route("c2", "a.com", "10.0.0.2", paths(""))},
			want:    []gslb.HealthMonitor{pathHM("http", "a.com", "/")}, wantMinUp: 2},
		{name: "any TLS member makes every path monitor HTTPS", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1", paths("/a")), route("c2", "a.com", "10.0.0.2", paths("/b"), tls())},
			want:    []gslb.HealthMonitor{pathHM("https", "a.com", "/a"), pathHM("https", "a.com", "/b")}, wantMinUp: 2},
		{name: "a TLS HostRule makes the host TLS", policy: basePolicy(),
			records:   []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			hostRules: []sources.HostRule{{Cluster: "c1", Namespace: "other", Name: "hr", FQDN: "a.com", TLS: true}},
			want:      []gslb.HealthMonitor{pathHM("https", "a.com", "/")}, wantMinUp: 2},
		{name: "LoadBalancer TCP", policy: basePolicy(),
			records: []sources.Record{lbsvc("c1", "a.com", "10.0.0.1", 8080, "TCP")},
			want:    []gslb.HealthMonitor{tcpHM("a.com", 8080)}, wantMinUp: 2},
		{name: "LoadBalancer, lowest port and its protocol", policy: basePolicy(),
			records: []sources.Record{lbsvc("c1", "a.com", "10.0.0.1", 8080, "TCP"), lbsvc("c2", "a.com", "10.0.0.2", 53, "UDP")},
			want:    []gslb.HealthMonitor{udpHM("a.com", 53)}, wantMinUp: 2},
		{name: "LoadBalancer, other protocols monitored over TCP", policy: basePolicy(),
			records: []sources.Record{lbsvc("c1", "a.com", "10.0.0.1", 3868, "SCTP")},
			want:    []gslb.HealthMonitor{tcpHM("a.com", 3868)}, wantMinUp: 2},
		{name: "passthrough, shared monitor", policy: basePolicy(),
			records: []sources.Record{passthrough("c1", "a.com", "10.0.0.1"), passthrough("c2", "a.com", "10.0.0.2")},
			want:    []gslb.HealthMonitor{passthroughHM()}, wantMinUp: 2},
		{name: "passthrough-annotated Ingress: an ordinary Ingress in the default mode", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1", paths("/x"), tls(), passthroughAnnotated()),
				passthrough("c2", "a.com", "10.0.0.2")},
			want: []gslb.HealthMonitor{pathHM("https", "a.com", "/x"), passthroughHM()}, wantMinUp: 2},
		{name: "mixed members: each kind brings its monitor, sorted by name", policy: basePolicy(),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1"), lbsvc("c2", "a.com", "10.0.0.2", 443, "TCP"),
				passthrough("c2", "a.com", "10.0.0.3")},
			want: []gslb.HealthMonitor{pathHM("http", "a.com", "/"), tcpHM("a.com", 443), passthroughHM()}, wantMinUp: 2},

		// Templates.
		{name: "GDP template", policy: basePolicy(templates, gdpTemplate("tmpl-gdp")),
			records:   []sources.Record{ingress("c1", "a.com", "10.0.0.1", paths("/cart"), tls())},
			want:      []gslb.HealthMonitor{templateHM("https", "a.com", "/cart", "tmpl-gdp", "GET /cart HTTP/1.1", "HTTP_2XX")},
			wantMinUp: 2},
		{name: "GSLBHostRule template over GDP template", policy: basePolicy(templates, gdpTemplate("tmpl-gdp"), ghrTemplate),
			records:   []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			want:      []gslb.HealthMonitor{templateHM("http", "a.com", "/", "tmpl-ghr", "HEAD / HTTP/1.0", "HTTP_2XX", "HTTP_4XX")},
			wantMinUp: 2},
		{name: "GSLBHostRule template over GDP refs", policy: basePolicy(templates, gdpRefs("gdp-hm"), ghrTemplate),
			records:   []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			want:      []gslb.HealthMonitor{templateHM("http", "a.com", "/", "tmpl-ghr", "HEAD / HTTP/1.0", "HTTP_2XX", "HTTP_4XX")},
			wantMinUp: 2},
		{name: "template does not apply to LoadBalancer services", policy: basePolicy(templates, gdpTemplate("tmpl-gdp")),
			records: []sources.Record{lbsvc("c1", "a.com", "10.0.0.1", 80, "TCP")},
			want:    []gslb.HealthMonitor{tcpHM("a.com", 80)}, wantMinUp: 2},
		{name: "template applies only to the path monitors of a mixed service",
			policy:  basePolicy(templates, gdpTemplate("tmpl-gdp")),
			records: []sources.Record{route("c1", "a.com", "10.0.0.1"), lbsvc("c2", "a.com", "10.0.0.2", 80, "TCP")},
			want: []gslb.HealthMonitor{templateHM("http", "a.com", "/", "tmpl-gdp", "GET / HTTP/1.1", "HTTP_2XX"),
				tcpHM("a.com", 80)}, wantMinUp: 2},
		{name: "unknown template: defaults", policy: basePolicy(templates, gdpTemplate("tmpl-missing")),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			want:    []gslb.HealthMonitor{pathHM("http", "a.com", "/")}, wantMinUp: 2},
		{name: "template request of another shape kept as is", policy: basePolicy(templates, gdpTemplate("tmpl-odd")),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			want:    []gslb.HealthMonitor{templateHM("http", "a.com", "/", "tmpl-odd", "GET /x", "HTTP_ANY")}, wantMinUp: 2},

		// Custom refs and control plane only.
		{name: "GDP refs", policy: basePolicy(gdpRefs("hm1", "hm2")),
			records:  []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			wantRefs: []string{"hm1", "hm2"}, wantMinUp: 3},
		{name: "GSLBHostRule refs over GDP refs", policy: basePolicy(gdpRefs("hm1", "hm2"), ghrRefs),
			records:  []sources.Record{lbsvc("c1", "a.com", "10.0.0.1", 80, "TCP")},
			wantRefs: []string{"ghr-hm"}, wantMinUp: 2},
		{name: "GSLBHostRule refs over GDP template", policy: basePolicy(templates, gdpTemplate("tmpl-gdp"), ghrRefs),
			records:  []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			wantRefs: []string{"ghr-hm"}, wantMinUp: 2},
		{name: "GDP refs over GDP template", policy: basePolicy(templates, gdpTemplate("tmpl-gdp"), gdpRefs("hm1")),
			records:  []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			wantRefs: []string{"hm1"}, wantMinUp: 2},
		{name: "GDP controlPlaneHmOnly", policy: basePolicy(gdpCP(true), gdpRefs("hm1")),
			records:   []sources.Record{ingress("c1", "a.com", "10.0.0.1"), passthrough("c2", "a.com", "10.0.0.2")},
			wantMinUp: 1},
		{name: "GSLBHostRule controlPlaneHmOnly", policy: basePolicy(ghr(func(s *amkov1alpha1.GSLBHostRuleSpec) {
			s.ControlPlaneHmOnly = ptr(true)
			s.HealthMonitorRefs = []string{"ghr-hm"}
		})),
			records:   []sources.Record{lbsvc("c1", "a.com", "10.0.0.1", 80, "UDP")},
			wantMinUp: 1},
		{name: "GSLBHostRule controlPlaneHmOnly false over GDP true",
			policy:  basePolicy(gdpCP(true), ghr(func(s *amkov1alpha1.GSLBHostRuleSpec) { s.ControlPlaneHmOnly = ptr(false) })),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			want:    []gslb.HealthMonitor{pathHM("http", "a.com", "/")}, wantMinUp: 2},
		{name: "GDP controlPlaneHmOnly false", policy: basePolicy(gdpCP(false)),
			records: []sources.Record{ingress("c1", "a.com", "10.0.0.1")},
			want:    []gslb.HealthMonitor{pathHM("http", "a.com", "/")}, wantMinUp: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			// Two priorities, so that every pool's min_health_monitors_up is checked.
			p.GDP.TrafficSplit = []amkov1alpha2.TrafficSplitElem{{Cluster: "c2", Weight: 1, Priority: ptr[uint32](5)}}
			s := only(t, Input{Policy: p, Records: tc.records, HostRules: tc.hostRules})
			want := sortedHMs(slices.Clone(tc.want)...) // amko orders monitors by name
			if !reflect.DeepEqual(s.HealthMonitors, want) {
				t.Errorf("monitors =\n%s\nwant\n%s", dump(s.HealthMonitors), dump(want))
			}
			if !reflect.DeepEqual(s.HealthMonitorRefs, tc.wantRefs) {
				t.Errorf("refs = %q, want %q", s.HealthMonitorRefs, tc.wantRefs)
			}
			for _, pool := range s.Pools {
				if pool.MinHealthMonitorsUp != tc.wantMinUp {
					t.Errorf("pool %s MinHealthMonitorsUp = %d, want %d", pool.Name, pool.MinHealthMonitorsUp, tc.wantMinUp)
				}
			}
		})
	}
}

func sortedHMs(hms ...gslb.HealthMonitor) []gslb.HealthMonitor {
	slices.SortFunc(hms, func(a, b gslb.HealthMonitor) int { return strings.Compare(a.Name, b.Name) })
	return hms
}
