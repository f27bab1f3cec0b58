// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dnscompare_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/dnscompare"
)

// service is a GSLB service of one round-robin pool, members "ip:ratio".
func service(name string, ttl int, members ...string) map[string]any {
	var ms []any
	for _, m := range members {
		var ip string
		var ratio int
		if _, err := fmt.Sscanf(strings.Replace(m, ":", " ", 1), "%s %d", &ip, &ratio); err != nil {
			panic(err)
		}
		ms = append(ms, map[string]any{"enabled": true, "ratio": ratio, "ip": map[string]any{"addr": ip, "type": "V4"}})
	}
	return map[string]any{
		"name": name, "domain_names": []any{name}, "ttl": ttl,
		"created_by": "amko-1234", "tenant_ref": "https:///api/tenant/?name=admin",
		"enabled": true, "is_federated": true, "controller_health_status_enabled": true,
		"health_monitor_scope": "GSLB_SERVICE_HEALTH_MONITOR_ALL_MEMBERS", "health_monitor_refs": []any{},
		"min_members": 0, "pool_algorithm": "GSLB_SERVICE_ALGORITHM_PRIORITY", "use_edns_client_subnet": true,
		"groups": []any{map[string]any{"name": "amko-gs-group-10", "priority": 10, "enabled": true,
			"algorithm": "GSLB_ALGORITHM_ROUND_ROBIN", "members": ms}},
	}
}

// dnsOf runs an emulated Avi Controller holding services and its DNS listener,
// as the Avi DNS service answers.
func dnsOf(t *testing.T, services ...map[string]any) string {
	t.Helper()
	sim, srv, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for _, s := range services {
		if _, err := sim.Seed("gslbservice", "admin", s); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d, err := sim.ServeDNS(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return d.Addr
}

// The same services answer alike, a weight-1 member among weight 20 included;
// a changed member, a missing service and a changed TTL are each reported once,
// with what differs; a name neither serves is no difference.
func TestCompare(t *testing.T) {
	left := dnsOf(t,
		service("same.example.com", 30, "10.0.0.1:1", "10.0.0.2:1"),
		service("rare.example.com", 30, "10.0.1.1:20", "10.0.1.2:1"),
		service("moved.example.com", 30, "10.0.2.1:1", "10.0.2.2:1"),
		service("gone.example.com", 30, "10.0.3.1:1"),
		service("ttl.example.com", 30, "10.0.4.1:1"),
	)
	right := dnsOf(t,
		service("same.example.com", 30, "10.0.0.2:1", "10.0.0.1:1"),
		service("rare.example.com", 30, "10.0.1.1:20", "10.0.1.2:1"),
		service("moved.example.com", 30, "10.0.2.1:1", "10.0.2.9:1"),
		service("ttl.example.com", 60, "10.0.4.1:1"),
	)
	names := []string{"same.example.com", "rare.example.com", "moved.example.com", "gone.example.com", "ttl.example.com", "nowhere.example.com"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	diffs, err := dnscompare.Compare(ctx, left, right, names, dnscompare.Options{Timeout: 200 * time.Millisecond, Types: []uint16{1}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range diffs {
		got = append(got, fmt.Sprintf("%s %s %v %v", d.Name, d.What, d.Left.Addresses, d.Right.Addresses))
	}
	want := []string{
		"gone.example.com. resolution [10.0.3.1] []",
		"moved.example.com. addresses [10.0.2.1 10.0.2.2] [10.0.2.1 10.0.2.9]",
		"ttl.example.com. ttl [10.0.4.1] [10.0.4.1]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, d := range diffs {
		if d.Name == "gone.example.com." && d.Right.Rcode != dnscompare.NoAnswer {
			t.Errorf("a name the Avi DNS service drops: rcode %q, want %q", d.Right.Rcode, dnscompare.NoAnswer)
		}
	}
}

// A cancelled comparison says so.
func TestCompareCancelled(t *testing.T) {
	addr := dnsOf(t, service("a.example.com", 30, "10.0.0.1:1"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := dnscompare.Compare(ctx, addr, addr, []string{"a.example.com"}, dnscompare.Options{}); err == nil {
		t.Error("no error from a cancelled comparison")
	}
}
