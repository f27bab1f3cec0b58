// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/amko-project/amko/internal/gslb"
)

// bodiesEqual is the definition ServiceEqual and MonitorEqual implement without
// allocating: the controller holds the same object when amko writes the same body.
func bodiesEqual(a, b map[string]any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func baseService() *gslb.Service {
	ttl := uint32(30)
	return &gslb.Service{Name: "a", DomainNames: []string{"a", "b"}, Enabled: true, UseECS: true, Tenant: "admin", TTL: &ttl,
		Description: "d", HealthMonitors: []gslb.HealthMonitor{{Name: "amko--1"}}, HealthMonitorRefs: []string{"x"},
		SitePersistence: &gslb.SitePersistence{ProfileRef: "gap", PKIProfileRef: "pki"},
		Down:            gslb.DownResponse{Type: gslb.DownFallbackIP, FallbackIP: netip.MustParseAddr("192.0.2.1")},
		Pools: []gslb.Pool{{Name: "p", Priority: 10, Enabled: true, Algorithm: gslb.Geo, Fallback: gslb.ConsistentHash,
			FallbackHashMask: 24, MinHealthMonitorsUp: 2,
			Members: []gslb.Member{{IP: netip.MustParseAddr("10.0.0.1"), Ratio: 2, Enabled: true, ClusterUUID: "c", VSUUID: "v",
				PublicIP: netip.MustParseAddr("203.0.113.1"), Cluster: "ctx"}}}}}
}

// Every mutation changes ServiceEqual exactly when it changes the written body.
func TestServiceEqualMatchesBodies(t *testing.T) {
	mutations := map[string]func(*gslb.Service){
		"nothing":             func(*gslb.Service) {},
		"name":                func(s *gslb.Service) { s.Name = "z" },
		"tenant":              func(s *gslb.Service) { s.Tenant = "t" },
		"description":         func(s *gslb.Service) { s.Description = "e" },
		"enabled":             func(s *gslb.Service) { s.Enabled = false },
		"ecs":                 func(s *gslb.Service) { s.UseECS = false },
		"wildcard":            func(s *gslb.Service) { s.WildcardMatch = true },
		"min members":         func(s *gslb.Service) { s.MinMembers = 2 },
		"ttl value":           func(s *gslb.Service) { v := uint32(31); s.TTL = &v },
		"ttl unset":           func(s *gslb.Service) { s.TTL = nil },
		"num ips":             func(s *gslb.Service) { v := uint32(0); s.NumIPs = &v },
		"domain order":        func(s *gslb.Service) { s.DomainNames = []string{"b", "a"} },
		"monitor moved":       func(s *gslb.Service) { s.HealthMonitors, s.HealthMonitorRefs = nil, []string{"amko--1", "x"} },
		"monitor renamed":     func(s *gslb.Service) { s.HealthMonitors = []gslb.HealthMonitor{{Name: "amko--2"}} },
		"ref dropped":         func(s *gslb.Service) { s.HealthMonitorRefs = nil },
		"persistence off":     func(s *gslb.Service) { s.SitePersistence = nil },
		"pki":                 func(s *gslb.Service) { s.SitePersistence = &gslb.SitePersistence{ProfileRef: "gap"} },
		"down type":           func(s *gslb.Service) { s.Down.Type = gslb.DownEmpty },
		"down ip":             func(s *gslb.Service) { s.Down.FallbackIP = netip.MustParseAddr("192.0.2.2") },
		"down off, ip kept":   func(s *gslb.Service) { s.Down.Type = "" },
		"pool name":           func(s *gslb.Service) { s.Pools[0].Name = "q" },
		"priority":            func(s *gslb.Service) { s.Pools[0].Priority = 5 },
		"pool enabled":        func(s *gslb.Service) { s.Pools[0].Enabled = false },
		"algorithm":           func(s *gslb.Service) { s.Pools[0].Algorithm = gslb.RoundRobin },
		"unused hash mask":    func(s *gslb.Service) { s.Pools[0].HashMask = 16 },
		"fallback mask":       func(s *gslb.Service) { s.Pools[0].FallbackHashMask = 16 },
		"fallback":            func(s *gslb.Service) { s.Pools[0].Fallback = gslb.RoundRobin },
		"min monitors":        func(s *gslb.Service) { s.Pools[0].MinHealthMonitorsUp = 1 },
		"member ip":           func(s *gslb.Service) { s.Pools[0].Members[0].IP = netip.MustParseAddr("10.0.0.2") },
		"member mapped ip":    func(s *gslb.Service) { s.Pools[0].Members[0].IP = netip.MustParseAddr("::ffff:10.0.0.1") },
		"member ratio":        func(s *gslb.Service) { s.Pools[0].Members[0].Ratio = 3 },
		"member disabled":     func(s *gslb.Service) { s.Pools[0].Members[0].Enabled = false },
		"member uuids":        func(s *gslb.Service) { s.Pools[0].Members[0].VSUUID = "w" },
		"member public ip":    func(s *gslb.Service) { s.Pools[0].Members[0].PublicIP = netip.Addr{} },
		"member context only": func(s *gslb.Service) { s.Pools[0].Members[0].Cluster = "other" },
		"member location":     func(s *gslb.Service) { s.Pools[0].Members[0].Location = &gslb.Location{} },
		"pool added":          func(s *gslb.Service) { s.Pools = append(s.Pools, s.Pools[0]) },
	}
	for name, mutate := range mutations {
		a, b := baseService(), baseService()
		mutate(b)
		want := bodiesEqual(serviceBody(a, "amko-x", 0), serviceBody(b, "amko-x", 0))
		if got := ServiceEqual(a, b); got != want {
			t.Errorf("%s: ServiceEqual = %v, written bodies equal = %v", name, got, want)
		}
		if got := ServiceEqual(b, a); got != want {
			t.Errorf("%s (swapped): ServiceEqual = %v, written bodies equal = %v", name, got, want)
		}
	}
}

func TestMonitorEqualMatchesBodies(t *testing.T) {
	base := func() *gslb.HealthMonitor {
		return &gslb.HealthMonitor{Name: "amko--1", Type: "HEALTH_MONITOR_HTTPS", Port: 443, HTTPRequest: "HEAD / HTTP/1.0",
			HTTPResponseCodes: []string{"HTTP_2XX"}, Description: "d", Interval: 10, Timeout: 4, SuccessfulChecks: 3, FailedChecks: 3}
	}
	mutations := map[string]func(*gslb.HealthMonitor){
		"nothing":   func(*gslb.HealthMonitor) {},
		"type":      func(m *gslb.HealthMonitor) { m.Type = "HEALTH_MONITOR_HTTP" },
		"port":      func(m *gslb.HealthMonitor) { m.Port = 80 },
		"request":   func(m *gslb.HealthMonitor) { m.HTTPRequest = "GET / HTTP/1.0" },
		"codes":     func(m *gslb.HealthMonitor) { m.HTTPResponseCodes = nil },
		"udp only":  func(m *gslb.HealthMonitor) { m.UDPRequest = "x" },
		"interval":  func(m *gslb.HealthMonitor) { m.Interval = 5 },
		"shared":    func(m *gslb.HealthMonitor) { m.Shared = true },
		"describe":  func(m *gslb.HealthMonitor) { m.Description = "e" },
		"to tcp":    func(m *gslb.HealthMonitor) { m.Type, m.HTTPRequest = "HEALTH_MONITOR_TCP", "" },
		"failed":    func(m *gslb.HealthMonitor) { m.FailedChecks = 2 },
		"succeeded": func(m *gslb.HealthMonitor) { m.SuccessfulChecks = 2 },
		"timeout":   func(m *gslb.HealthMonitor) { m.Timeout = 2 },
	}
	for name, mutate := range mutations {
		a, b := base(), base()
		mutate(b)
		want := bodiesEqual(monitorBody(a, "admin", "amko-x", 0), monitorBody(b, "admin", "amko-x", 0))
		if got := MonitorEqual(a, b); got != want {
			t.Errorf("%s: MonitorEqual = %v, written bodies equal = %v", name, got, want)
		}
	}
}

// The term marker is read back from what the controller returns; anything
// else (no marker, an unreadable or non-positive value) is no term.
func TestTermOf(t *testing.T) {
	for _, c := range []struct {
		markers string
		want    int64
	}{
		{`null`, 0},
		{`[]`, 0},
		{`[{"key":"created-by","values":["amko-x"]}]`, 0},
		{`[{"key":"created-by","values":["amko-x"]},{"key":"amko-leader-term","values":["12"]}]`, 12},
		{`[{"key":"amko-leader-term","values":["7","9"]}]`, 7},
		{`[{"key":"amko-leader-term"}]`, 0},
		{`[{"key":"amko-leader-term","values":["x"]}]`, 0},
		{`[{"key":"amko-leader-term","values":["-2"]}]`, 0},
		{`[{"key":"amko-leader-term","values":["0"]}]`, 0},
	} {
		var o map[string]any
		if err := json.Unmarshal([]byte(`{"markers":`+c.markers+`}`), &o); err != nil {
			t.Fatal(err)
		}
		if got := termOf(o); got != c.want {
			t.Errorf("markers %s: term %d, want %d", c.markers, got, c.want)
		}
	}
}

// The term changes the written body by the marker only, and never what
// ServiceEqual and MonitorEqual compare.
func TestTermOnlyInMarkers(t *testing.T) {
	s := baseService()
	without, with := serviceBody(s, "amko-x", 0), serviceBody(s, "amko-x", 4)
	if _, ok := without["markers"]; ok {
		t.Errorf("service body without a term has markers: %v", without["markers"])
	}
	delete(with, "markers")
	if !bodiesEqual(without, with) {
		t.Error("the term changed more than the service's markers")
	}
	m := &gslb.HealthMonitor{Name: "amko--1", Type: "HEALTH_MONITOR_TCP", Interval: 10}
	hmWithout, hmWith := monitorBody(m, "admin", "amko-x", 0), monitorBody(m, "admin", "amko-x", 4)
	if got := len(hmWith["markers"].([]any)); got != 2 {
		t.Errorf("monitor markers with a term: %v", hmWith["markers"])
	}
	if got := hmWith["markers"].([]any)[0]; !bodiesEqual(got.(map[string]any), hmWithout["markers"].([]any)[0].(map[string]any)) {
		t.Errorf("created-by is not the first marker: %v", hmWith["markers"])
	}
	hmWith["markers"] = hmWithout["markers"]
	if !bodiesEqual(hmWithout, hmWith) {
		t.Error("the term changed more than the monitor's markers")
	}
	if termOf(roundTrip(t, serviceBody(s, "amko-x", 4))) != 4 || termOf(roundTrip(t, monitorBody(m, "admin", "amko-x", 4))) != 4 {
		t.Error("the written term does not parse back")
	}
}

func roundTrip(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return o
}
