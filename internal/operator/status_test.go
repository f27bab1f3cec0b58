// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/members"
)

func statusService(tenant, name string, ips ...string) *gslb.Service {
	svc := &gslb.Service{Name: name, Tenant: tenant, DomainNames: []string{name},
		HealthMonitors: []gslb.HealthMonitor{{Name: "hm-a"}, {Name: "hm-b"}}}
	p := gslb.Pool{Name: "amko-gs-group-10", Priority: 10, Algorithm: gslb.RoundRobin}
	for _, ip := range ips {
		p.Members = append(p.Members, gslb.Member{Cluster: "c1", ID: "id-" + ip, IP: netip.MustParseAddr(ip), Ratio: 2, Enabled: true})
	}
	svc.Pools = []gslb.Pool{p}
	return svc
}

// healthByIP is a backend's health report: by member address, else unknown.
type healthByIP map[string]string

func (h healthByIP) MemberHealth(_ *gslb.Service, m gslb.Member) string {
	if v, ok := h[m.IP.String()]; ok {
		return v
	}
	return HealthUnknown
}

// Health follows the DNS backend's rule (any monitor down: down; none probed:
// unknown), services come sorted by tenant and name, and Avi mode reports no
// health but says the controller decides it.
func TestBuildStatus(t *testing.T) {
	b := statusService("admin", "b.example.com", "10.0.0.1", "10.0.0.2", "10.0.0.3")
	a := statusService("admin", "a.example.com", "10.0.0.9")
	z := statusService("aaa", "z.example.com", "10.0.0.8")
	health := healthByIP{"10.0.0.1": HealthUp, "10.0.0.2": HealthDown}
	v := statusView{config: &StatusConfig{Name: "gc-1", State: "success: gslb config accepted"}, backend: "dns",
		synced: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), services: []*gslb.Service{b, a, z}, health: health}
	st := buildStatus(v, true, RoleStandalone, true, true, "127.0.0.1:5353",
		[]members.Status{{Cluster: "c1", State: members.Ready}})

	var names []string
	for _, s := range st.Services {
		names = append(names, s.Tenant+"/"+s.Name)
	}
	if got := strings.Join(names, " "); got != "aaa/z.example.com admin/a.example.com admin/b.example.com" {
		t.Errorf("services %s", got)
	}
	var got []string
	for _, m := range st.Services[2].Pools[0].Members {
		got = append(got, m.IP+"="+m.Health)
	}
	if s := strings.Join(got, " "); s != "10.0.0.1=up 10.0.0.2=down 10.0.0.3=unknown" {
		t.Errorf("health %s", s)
	}
	if st.HealthSource != "probes" || st.Backend.Kind != "dns" || st.Backend.DNSAddr != "127.0.0.1:5353" || !st.Ready ||
		st.Role != "standalone" || st.LastSynced.Format(time.RFC3339) != "2026-01-02T03:04:05Z" {
		t.Errorf("status %+v", st)
	}

	v = statusView{config: &StatusConfig{Name: "gc-1"}, backend: "avi", controller: "10.1.1.1",
		synced: time.Now(), services: []*gslb.Service{a}}
	st = buildStatus(v, true, RoleLeader, true, true, "", nil)
	if st.HealthSource != "controller" || st.Services[0].Pools[0].Members[0].Health != "" || st.Backend.Controller != "10.1.1.1" {
		t.Errorf("avi status %+v", st)
	}
	out, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), `"health"`) {
		t.Errorf("avi status reports health: %s", out)
	}

	// Nothing recorded yet: empty lists, not null, and the reason it is not ready.
	st = buildStatus(statusView{}, false, RoleUnknown, false, false, "", nil)
	out, _ = json.Marshal(st)
	if want := `{"active":false,"role":"unknown","ready":false,"notReady":"no accepted GSLBConfig","clusters":[],"services":[]}`; string(out) != want {
		t.Errorf("empty status %s, want %s", out, want)
	}
}

// A switch of backend drops the other backend's services; losing the config
// keeps them (the DNS backend goes on serving them).
func TestRecordConfig(t *testing.T) {
	o := &Operator{}
	dns := &amkov1alpha1.GSLBConfig{Spec: amkov1alpha1.GSLBConfigSpec{DNS: &amkov1alpha1.DNSConfig{}}}
	dns.Name = "gc-1"
	o.recordConfig(dns)
	o.recordServices([]*gslb.Service{statusService("admin", "a.example.com", "10.0.0.1")})
	o.recordConfig(nil)
	if len(o.view.services) != 1 || o.view.config != nil || o.view.backend != "dns" {
		t.Errorf("without a config: %+v", o.view)
	}
	avi := &amkov1alpha1.GSLBConfig{Spec: amkov1alpha1.GSLBConfigSpec{GSLBLeader: amkov1alpha1.GSLBLeader{ControllerIP: "10.1.1.1", Credentials: "secret"}}}
	o.recordConfig(avi)
	if o.view.services != nil || !o.view.synced.IsZero() || o.view.backend != "avi" || o.view.controller != "10.1.1.1" {
		t.Errorf("after switching to avi: %+v", o.view)
	}
}
