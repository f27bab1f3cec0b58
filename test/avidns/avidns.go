// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package avidns runs an emulated Avi DNS service (avisim's DNS listener)
// holding given GSLB services, for tests that compare DNS answers with it.
// It is apart from test/backend, which the DNS server's own tests import and
// which avisim, built on that server, must not be imported from.
package avidns

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/amko-project/amko/internal/avisim"
)

// Service is a GSLB service as the Avi Controller stores it: one
// round-robin pool of members, each "ip" or "ip:ratio", answered with ttl.
func Service(name string, ttl int, members ...string) map[string]any {
	var ms []any
	for _, m := range members {
		ip, ratio := m, 1
		if i := strings.LastIndex(m, ":"); i > 0 && !strings.Contains(m[:i], ":") {
			ip = m[:i]
			if r, err := strconv.Atoi(m[i+1:]); err == nil {
				ratio = r
			}
		}
		ms = append(ms, map[string]any{"enabled": true, "ratio": ratio, "ip": map[string]any{"addr": ip, "type": "V4"}})
	}
	return map[string]any{
		"name": name, "domain_names": []any{name}, "ttl": ttl, "created_by": "amko-1234",
		"tenant_ref": "https:///api/tenant/?name=admin", "enabled": true, "health_monitor_refs": []any{},
		"groups": []any{map[string]any{"name": "amko-gs-group-10", "priority": 10, "enabled": true,
			"algorithm": "GSLB_ALGORITHM_ROUND_ROBIN", "members": ms}},
	}
}

// Start runs an emulated Avi Controller holding services, with its DNS
// listener answering them as the Avi DNS service would, until the test ends;
// it returns the listener's address.
func Start(t *testing.T, services ...map[string]any) string {
	t.Helper()
	sim, srv, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for _, s := range services {
		if _, err := sim.Seed("gslbservice", "admin", s); err != nil {
			t.Fatal(fmt.Errorf("seeding %v: %w", s["name"], err))
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
