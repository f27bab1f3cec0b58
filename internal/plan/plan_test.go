// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package plan

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/amko-project/amko/internal/gslb"
)

func svc(name string, ip string, monitors ...string) *gslb.Service {
	s := &gslb.Service{Name: name, Tenant: "admin", DomainNames: []string{name}, Enabled: true,
		Pools: []gslb.Pool{{Name: "amko-gs-group-10", Priority: 10, Enabled: true,
			Members: []gslb.Member{{IP: netip.MustParseAddr(ip), Ratio: 1, Enabled: true}}}}}
	for _, m := range monitors {
		s.HealthMonitors = append(s.HealthMonitors, gslb.HealthMonitor{Name: m, Type: "HEALTH_MONITOR_HTTP", Port: 80})
	}
	return s
}

func observedOf(services ...*gslb.Service) Observed {
	var o Observed
	seen := map[string]bool{}
	for i, s := range services {
		o.Services = append(o.Services, ObservedService{UUID: fmt.Sprintf("gs-%d", i), Service: s})
		for _, m := range s.HealthMonitors {
			if !seen[m.Name] {
				seen[m.Name] = true
				o.Monitors = append(o.Monitors, ObservedMonitor{UUID: "hm-" + m.Name, Tenant: s.Tenant, Monitor: m})
			}
		}
	}
	return o
}

func summary(changes []Change) string {
	var parts []string
	for _, c := range changes {
		parts = append(parts, fmt.Sprintf("%s %s %s", c.Op, c.Kind, c.Name))
	}
	return strings.Join(parts, "; ")
}

func TestCompute(t *testing.T) {
	cases := []struct {
		name     string
		desired  []*gslb.Service
		observed Observed
		want     string
	}{
		{"nothing", nil, Observed{}, ""},
		{"in sync writes nothing", []*gslb.Service{svc("a", "10.0.0.1", "hm1")}, observedOf(svc("a", "10.0.0.1", "hm1")), ""},
		{"new service: monitor first",
			[]*gslb.Service{svc("b", "10.0.0.2", "hm2"), svc("a", "10.0.0.1", "hm1")}, Observed{},
			"create monitor hm1; create monitor hm2; create service a; create service b"},
		{"shared monitor planned once",
			[]*gslb.Service{svc("a", "10.0.0.1", "shared"), svc("b", "10.0.0.2", "shared")}, Observed{},
			"create monitor shared; create service a; create service b"},
		{"changed member updates the service only",
			[]*gslb.Service{svc("a", "10.0.0.9", "hm1")}, observedOf(svc("a", "10.0.0.1", "hm1")),
			"update service a"},
		{"monitor swap: new monitor, service, then old monitor deleted",
			[]*gslb.Service{svc("a", "10.0.0.1", "hm2")}, observedOf(svc("a", "10.0.0.1", "hm1")),
			"create monitor hm2; update service a; delete monitor hm1"},
		{"stale service: deleted before its monitor",
			nil, observedOf(svc("a", "10.0.0.1", "hm1")),
			"delete service a; delete monitor hm1"},
		{"same name in another tenant is another service",
			[]*gslb.Service{func() *gslb.Service { s := svc("a", "10.0.0.1"); s.Tenant = "team"; return s }()},
			observedOf(svc("a", "10.0.0.1")),
			"create service a; delete service a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Compute(tc.desired, tc.observed, Options{})
			if s := summary(got); s != tc.want {
				t.Errorf("got  %q\nwant %q", s, tc.want)
			}
			for _, c := range got {
				if c.Op != Create && c.UUID == "" {
					t.Errorf("%s %s without the observed uuid", c.Op, c.Name)
				}
			}
		})
	}
}

// A backend's equality decides: fields it does not store are no difference.
func TestComputeUsesBackendEquality(t *testing.T) {
	desired := svc("a", "10.0.0.1")
	desired.Pools[0].Members[0].Cluster = "cluster1-admin" // not stored by the backend
	observed := observedOf(svc("a", "10.0.0.1"))
	if got := Compute([]*gslb.Service{desired}, observed, Options{}); len(got) != 1 {
		t.Fatalf("default equality: %v, want one update", summary(got))
	}
	ignoreCluster := func(d, o *gslb.Service) bool {
		c := *d
		c.Pools = []gslb.Pool{d.Pools[0]}
		c.Pools[0].Members = []gslb.Member{d.Pools[0].Members[0]}
		c.Pools[0].Members[0].Cluster = ""
		return equalJSON(&c, o)
	}
	if got := Compute([]*gslb.Service{desired}, observed, Options{ServiceEqual: ignoreCluster}); len(got) != 0 {
		t.Errorf("backend equality: %v, want no change", summary(got))
	}
}
