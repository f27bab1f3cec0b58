// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"reflect"
	"testing"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/sources"
)

func gwRoute(kind sources.Kind, cluster, host, ip string, port int32, mods ...recordMod) sources.Record {
	mods = append([]recordMod{func(r *sources.Record) {
		r.Port = port
		switch kind {
		case sources.KindTLSRoute, sources.KindTCPRoute:
			r.Paths, r.Protocol = nil, "TCP"
		case sources.KindUDPRoute:
			r.Paths, r.Protocol = nil, "UDP"
		}
	}}, mods...)
	return record(kind, cluster, "gw", host, ip, mods...)
}

// Gateway API routes are monitored as their listeners serve them: HTTP(S) per
// path on the listener's port, TCP or UDP on the lowest L4 port.
func TestGatewayRouteMonitors(t *testing.T) {
	withPort := func(hm gslb.HealthMonitor, port uint32) gslb.HealthMonitor { hm.Port = port; return hm }
	cases := []struct {
		name    string
		records []sources.Record
		want    []gslb.HealthMonitor
	}{
		{"HTTPRoute on 8080: path monitors on the listener's port",
			[]sources.Record{gwRoute(sources.KindHTTPRoute, "c1", "a.com", "10.0.0.1", 8080, paths("/", "/cart")),
				gwRoute(sources.KindHTTPRoute, "c2", "a.com", "10.0.0.2", 8080, paths("/"))},
			[]gslb.HealthMonitor{withPort(pathHM("http", "a.com", "/"), 8080), withPort(pathHM("http", "a.com", "/cart"), 8080)}},
		{"HTTPRoute through HTTPS on 443, GRPCRoute likewise",
			[]sources.Record{gwRoute(sources.KindHTTPRoute, "c1", "a.com", "10.0.0.1", 443, tls()),
				gwRoute(sources.KindGRPCRoute, "c2", "a.com", "10.0.0.2", 443, tls())},
			[]gslb.HealthMonitor{pathHM("https", "a.com", "/")}},
		{"ports that disagree (a route on 8080, an Ingress): AMKO's default",
			[]sources.Record{gwRoute(sources.KindHTTPRoute, "c1", "a.com", "10.0.0.1", 8080), ingress("c2", "a.com", "10.0.0.2")},
			[]gslb.HealthMonitor{pathHM("http", "a.com", "/")}},
		{"TCPRoute: TCP on the lowest port",
			[]sources.Record{gwRoute(sources.KindTCPRoute, "c1", "a.com", "10.0.0.1", 5432),
				gwRoute(sources.KindTCPRoute, "c2", "a.com", "10.0.0.2", 6432)},
			[]gslb.HealthMonitor{tcpHM("a.com", 5432)}},
		{"UDPRoute: UDP",
			[]sources.Record{gwRoute(sources.KindUDPRoute, "c1", "a.com", "10.0.0.1", 53)},
			[]gslb.HealthMonitor{udpHM("a.com", 53)}},
		{"passthrough TLSRoute: TCP on its listener's port, not the shared monitor",
			[]sources.Record{gwRoute(sources.KindTLSRoute, "c1", "a.com", "10.0.0.1", 8443, passthroughAnnotated())},
			[]gslb.HealthMonitor{tcpHM("a.com", 8443)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := only(t, Input{Policy: basePolicy(), Records: tc.records})
			if !reflect.DeepEqual(svc.HealthMonitors, tc.want) {
				t.Errorf("monitors:\n got %+v\nwant %+v", svc.HealthMonitors, tc.want)
			}
		})
	}
}

// AKO's Gateway API implementation writes no VS uuids: such routes are placed
// by address where an Ingress without them is refused; with uuids, they are
// written as for an Ingress.
func TestGatewayRouteAddressOnly(t *testing.T) {
	in := Input{Policy: basePolicy(), Records: []sources.Record{
		gwRoute(sources.KindHTTPRoute, "c1", "a.com", "10.0.0.1", 80, noUUIDs()),
		gwRoute(sources.KindTCPRoute, "c2", "a.com", "10.0.0.2", 80),
		ingress("c2", "a.com", "10.0.0.3", noUUIDs()),
	}}
	svc := only(t, in)
	var got []gslb.Member
	for _, p := range svc.Pools {
		got = append(got, p.Members...)
	}
	if len(got) != 2 || got[0].IP != addr("10.0.0.1") || got[0].VSUUID != "" || got[0].ClusterUUID != "" ||
		got[1].IP != addr("10.0.0.2") || got[1].VSUUID != "vs-c2-gw" || got[1].ClusterUUID != "ctrl-c2" {
		t.Errorf("members = %+v, want 10.0.0.1 by address and 10.0.0.2 with its uuids", got)
	}
	for _, d := range Explain(in) {
		wantSelected := d.Record.Kind != sources.KindIngress
		if d.Selected != wantSelected {
			t.Errorf("%s %s selected %v (%s), want %v", d.Record.Kind, d.Record.IP, d.Selected, d.Reason, wantSelected)
		}
	}
}
