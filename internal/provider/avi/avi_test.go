// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider/avi"
)

const createdBy = "amko-0b2b4e5a-8c1d-4a55-9f3e-0a1b2c3d4e5f"

func newProvider(t *testing.T) (*avisim.Server, *avi.Provider) {
	t.Helper()
	sim, host := startSim(t, avisim.Options{})
	return sim, connect(t, avi.Config{Host: host, Password: "avi123"})
}

func service(name string, ratio uint32) *gslb.Service {
	ttl := uint32(30)
	return &gslb.Service{
		Name: name, DomainNames: []string{name, "alias-" + name}, Enabled: true, UseECS: true, Tenant: "admin",
		TTL: &ttl, Description: "INGRESS/cluster1-admin/default/web/" + name,
		HealthMonitors: []gslb.HealthMonitor{{Name: "amko--" + name, Type: "HEALTH_MONITOR_HTTP", Port: 80,
			HTTPRequest: "HEAD / HTTP/1.0", HTTPResponseCodes: []string{"HTTP_2XX", "HTTP_3XX"},
			Description: "created by: amko, gsname: " + name + ", path: /, protocol: http",
			Interval:    10, Timeout: 4, SuccessfulChecks: 3, FailedChecks: 3}},
		HealthMonitorRefs: []string{"System-GSLB-TCP"},
		SitePersistence:   &gslb.SitePersistence{ProfileRef: "gap-1", PKIProfileRef: "pki"},
		Down:              gslb.DownResponse{Type: gslb.DownFallbackIP, FallbackIP: netip.MustParseAddr("192.0.2.1")},
		Pools: []gslb.Pool{{Name: "amko-gs-group-10", Priority: 10, Enabled: true, Algorithm: gslb.ConsistentHash, HashMask: 24,
			MinHealthMonitorsUp: 3,
			Members: []gslb.Member{
				{IP: netip.MustParseAddr("10.0.0.1"), Ratio: ratio, Enabled: true, Cluster: "cluster1-admin",
					ClusterUUID: avisim.LeaderClusterUUID, VSUUID: "virtualservice-1", PublicIP: netip.MustParseAddr("203.0.113.1")},
				{IP: netip.MustParseAddr("fd00::2"), Ratio: 1, Enabled: true, Cluster: "cluster2-admin"},
			}}},
	}
}

func opts() plan.Options {
	return plan.Options{ServiceEqual: avi.ServiceEqual, MonitorEqual: avi.MonitorEqual}
}

// What amko writes, it reads back as equal: a second plan is empty.
func TestRoundTripPlansNothing(t *testing.T) {
	ctx := context.Background()
	sim, p := newProvider(t)
	desired := []*gslb.Service{service("a.example.com", 4), service("b.example.com", 2)}
	obs, err := p.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	changes := plan.Compute(desired, obs, opts())
	if len(changes) != 4 {
		t.Fatalf("first plan: %d changes, want 4 (2 monitors, 2 services)", len(changes))
	}
	for _, r := range p.Apply(ctx, changes) {
		if r.Err != nil {
			t.Fatalf("apply %s %s: %v", r.Change.Op, r.Change.Name, r.Err)
		}
	}
	gs := sim.Object("gslbservice", "a.example.com")
	member := gs["groups"].([]any)[0].(map[string]any)["members"].([]any)[1].(map[string]any)
	if member["ip"].(map[string]any)["type"] != "V6" {
		t.Errorf("IPv6 member written as %v, want V6", member["ip"])
	}
	obs, err = p.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Services) != 2 || len(obs.Monitors) != 2 {
		t.Fatalf("observed %d services, %d monitors; want 2 and 2", len(obs.Services), len(obs.Monitors))
	}
	if again := plan.Compute(desired, obs, opts()); len(again) != 0 {
		t.Fatalf("second plan is not empty: %+v", again)
	}

	// A hand edit on the controller is drift: the plan puts it back.
	c := sim.Object("gslbservice", "b.example.com")
	if _, err := sim.Seed("gslbservice", "", map[string]any{"name": "other.example.com", "domain_names": []any{"other.example.com"},
		"created_by": "someone-else", "groups": c["groups"]}); err != nil {
		t.Fatal(err)
	}
	desired[1].Pools[0].Members[0].Ratio = 7
	obs, _ = p.Observe(ctx)
	changes = plan.Compute(desired, obs, opts())
	if len(changes) != 1 || changes[0].Op != plan.Update || changes[0].Name != "b.example.com" {
		t.Fatalf("after a ratio change: %+v, want one update of b", changes)
	}

	// Deleting: another creator's service is never observed, so never touched.
	for _, r := range p.Apply(ctx, plan.Compute(nil, obs, opts())) {
		if r.Err != nil {
			t.Fatalf("delete %s: %v", r.Change.Name, r.Err)
		}
	}
	if sim.Object("gslbservice", "other.example.com") == nil {
		t.Error("another creator's service was deleted")
	}
	if sim.Object("gslbservice", "a.example.com") != nil || sim.Object("healthmonitor", "amko--a.example.com") != nil {
		t.Error("own objects survived the delete plan")
	}
}

// Refusals carry the controller's status and message; leadership and lookups work.
func TestErrorsAndLookups(t *testing.T) {
	ctx := context.Background()
	sim, p := newProvider(t)
	if leader, err := p.IsLeader(ctx); err != nil || !leader {
		t.Fatalf("IsLeader = %v, %v", leader, err)
	}
	if err := sim.SetLeader(false); err != nil {
		t.Fatal(err)
	}
	if leader, _ := p.IsLeader(ctx); leader {
		t.Error("follower reported as leader")
	}
	res := p.Apply(ctx, plan.Compute([]*gslb.Service{service("f.example.com", 1)}, plan.Observed{}, opts()))
	var aerr *avi.Error
	if res[0].Err == nil || !errors.As(res[0].Err, &aerr) || !aerr.NotLeader() || avi.StatusOf(res[0].Err) != 400 {
		t.Fatalf("write on a follower: %v", res[0].Err)
	}
	sites, err := p.ThirdPartySites(ctx)
	if err != nil || len(sites) != 1 || sites[0] != avisim.ThirdPartySite {
		t.Errorf("third-party sites %v %v", sites, err)
	}
	hm, found, err := p.Lookup(ctx, "healthmonitor", "admin", "System-GSLB-HTTP")
	if err != nil || !found || !hm.Federated || hm.HTTPRequest != "GET / HTTP/1.0" {
		t.Errorf("lookup System-GSLB-HTTP: %+v %v %v", hm, found, err)
	}
	if _, found, err := p.Lookup(ctx, "pkiprofile", "admin", "none"); found || err != nil {
		t.Errorf("lookup of a missing profile: %v %v", found, err)
	}
	if pki, err := p.DefaultPKIProfile(ctx, "admin"); err != nil || pki != "pki" {
		t.Errorf("default PKI %q %v", pki, err)
	}
}

// The SDK's glog output does not go to files (third_party/glog): none pile up
// in $TMPDIR, and a read-only root file system does not make glog exit amko.
func TestSDKWritesNoLogFiles(t *testing.T) {
	ctx := context.Background()
	_, p := newProvider(t)
	if _, err := p.IsLeader(ctx); err != nil {
		t.Fatal(err)
	}
	// glog names its files <program>.<host>.<user>.log.<SEVERITY>.<time>.<pid>.
	files, err := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("*.log.*.%d", os.Getpid())))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) > 0 {
		t.Errorf("the SDK wrote log files: %v", files)
	}
}
