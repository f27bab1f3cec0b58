// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"net/netip"
	"testing"

	"github.com/amko-project/amko/internal/gslb"
)

func TestKeepControllerAddresses(t *testing.T) {
	member := func(cluster, vs, ip string) gslb.Member {
		return gslb.Member{Cluster: cluster, VSUUID: vs, IP: netip.MustParseAddr(ip), Ratio: 1, Enabled: true}
	}
	svc := func(name string, ms ...gslb.Member) *gslb.Service {
		return &gslb.Service{Name: name, Tenant: "admin", Pools: []gslb.Pool{{Name: "p", Priority: 10, Members: ms}}}
	}
	desired := []*gslb.Service{
		svc("a", member("c1", "vs-a1", "10.0.1.1"), member("c2", "vs-a2", "10.0.2.1"), member("c1", "", "10.0.1.2")),
		svc("b", member("c2", "vs-b2", "10.0.2.2")),
		svc("c", member("c1", "vs-c1", "10.0.1.3")),
	}
	held := map[string]*gslb.Service{
		// c1's members moved while this amko could not see c1.
		"a": svc("a", member("", "vs-a1", "10.9.1.1"), member("", "vs-a2", "10.9.2.1"), member("", "", "10.9.1.2")),
		"b": svc("b", member("", "vs-b2", "10.9.2.2")),
		// c: the controller holds another member only.
		"c": svc("c", member("", "vs-other", "10.9.1.3")),
	}
	observed := func(tenant, name string) (*gslb.Service, bool) { s, ok := held[name]; return s, ok }

	out, kept := keepControllerAddresses(desired, map[string]bool{"c1": true}, observed)
	if kept != 1 {
		t.Errorf("kept %d addresses, want 1 (vs-a1's)", kept)
	}
	if got := out[0].Pools[0].Members[0].IP.String(); got != "10.9.1.1" {
		t.Errorf("unreachable c1's member vs-a1 = %s, want the controller's 10.9.1.1", got)
	}
	if got := out[0].Pools[0].Members[1].IP.String(); got != "10.0.2.1" {
		t.Errorf("reachable c2's member = %s, want the cache's 10.0.2.1", got)
	}
	if got := out[0].Pools[0].Members[2].IP.String(); got != "10.0.1.2" {
		t.Errorf("a member without a virtual service = %s, want the cache's 10.0.1.2 (nothing to match it by)", got)
	}
	if out[1] != desired[1] || out[2] != desired[2] {
		t.Error("services with nothing to keep were copied")
	}
	if got := desired[0].Pools[0].Members[0].IP.String(); got != "10.0.1.1" {
		t.Errorf("desired was modified: %s", got)
	}
	if same, n := keepControllerAddresses(desired, nil, observed); n != 0 || &same[0] != &desired[0] {
		t.Error("with every cluster reachable, desired must come back as it is")
	}
}
