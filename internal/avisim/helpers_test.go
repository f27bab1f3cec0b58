// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vmware/alb-sdk/go/clients"
	"github.com/vmware/alb-sdk/go/session"

	"github.com/amko-project/amko/internal/avisim"
)

// start serves a fresh emulator for one test and returns it with its host:port.
func start(t *testing.T, opts avisim.Options) (*avisim.Server, string) {
	t.Helper()
	sim, srv, err := avisim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return sim, avisim.Host(srv)
}

// amkoClient logs in as AMKO's client pool does (avi-api.md §3): the SDK's default
// version at login, then the configured controller version, no controller status
// check, AMKO's user agent, the given tenant.
func amkoClient(t *testing.T, host, tenant string, extra ...func(*session.AviSession) error) *clients.AviClient {
	t.Helper()
	opts := []func(*session.AviSession) error{
		session.SetPassword("avi123"),
		session.SetTenant(tenant),
		session.SetInsecure,
		session.SetTimeout(10 * time.Second),
		session.DisableControllerStatusCheckOnFailure(true),
		session.SetUserHeader(map[string]string{"X-Avi-UserAgent": "AMKO"}),
	}
	c, err := clients.NewAviClient(host, "admin", append(opts, extra...)...)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := session.SetVersion("31.1.1")(c.AviSession); err != nil {
		t.Fatal(err)
	}
	return c
}

// hmBody is a health monitor as AMKO sends it (avi-api.md §2.8, §3.2).
func hmBody(name string) map[string]any {
	return map[string]any{
		"name": name, "type": "HEALTH_MONITOR_HTTP", "is_federated": true,
		"send_interval": 10, "receive_timeout": 4, "successful_checks": 3, "failed_checks": 3,
		"allow_duplicate_monitors": true, "monitor_port": 80,
		"description":  "created by: amko, gsname: app.example.com, path: /, protocol: http",
		"tenant_ref":   "https:///api/tenant/?name=admin",
		"markers":      []any{map[string]any{"key": "created-by", "values": []any{"amko-1234"}}},
		"http_monitor": map[string]any{"http_request": "HEAD / HTTP/1.0", "http_response_code": []any{"HTTP_2XX", "HTTP_3XX"}},
	}
}

// gsBody is a GSLB service as AMKO sends it (amko.md §3), with one pool per
// priority and the given members.
func gsBody(name string, hms []string, pools ...map[string]any) map[string]any {
	refs := []any{}
	for _, hm := range hms {
		refs = append(refs, "/api/healthmonitor?name="+hm)
	}
	groups := []any{}
	for _, p := range pools {
		groups = append(groups, p)
	}
	return map[string]any{
		"name": name, "domain_names": []any{name},
		"created_by": "amko-1234", "description": "INGRESS/cluster1-admin/default/app/" + name,
		"tenant_ref": "https:///api/tenant/?name=admin",
		"enabled":    true, "is_federated": true, "controller_health_status_enabled": true,
		"health_monitor_scope": "GSLB_SERVICE_HEALTH_MONITOR_ALL_MEMBERS",
		"health_monitor_refs":  refs,
		"min_members":          0, "pool_algorithm": "GSLB_SERVICE_ALGORITHM_PRIORITY",
		"resolve_cname": false, "use_edns_client_subnet": true, "wildcard_match": false,
		"site_persistence_enabled": false,
		"groups":                   groups,
	}
}

// pool is an AMKO pool of round-robin members, each "ip:ratio" on the leader site.
func pool(priority int, members ...member) map[string]any {
	ms := []any{}
	for _, m := range members {
		mm := map[string]any{"enabled": true, "ratio": m.ratio, "ip": map[string]any{"addr": m.ip, "type": "V4"}}
		if m.vs != "" {
			mm["cluster_uuid"] = avisim.LeaderClusterUUID
			mm["vs_uuid"] = m.vs
		}
		ms = append(ms, mm)
	}
	return map[string]any{
		"name": fmt.Sprintf("amko-gs-group-%d", priority), "priority": priority, "enabled": true,
		"algorithm": "GSLB_ALGORITHM_ROUND_ROBIN", "min_health_monitors_up": 2, "members": ms,
	}
}

type member struct {
	ip    string
	ratio int
	vs    string
}

// aviError returns the status and message of an SDK error, failing if it is none.
func aviError(t *testing.T, err error) (int, string) {
	t.Helper()
	var ae session.AviError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v (%T), want an AviError", err, err)
	}
	msg := ""
	if ae.Message != nil {
		msg = *ae.Message
	}
	return ae.HttpStatusCode, msg
}

// wantError asserts an SDK error's status and message substring.
func wantError(t *testing.T, err error, status int, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("succeeded, want %d %q", status, substr)
	}
	got, msg := aviError(t, err)
	if got != status || !strings.Contains(msg, substr) {
		t.Fatalf("got %d %q, want %d containing %q", got, msg, status, substr)
	}
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// sessionTenant sets the tenant of one SDK call.
func sessionTenant(tenant string) session.ApiOptionsParams { return session.SetOptTenant(tenant) }
