// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim_test

import (
	"testing"

	"github.com/amko-project/amko/internal/avisim"
)

// Each of the controller's rules refuses a GSLB service or health monitor with
// its status and message, and the valid body next to it passes.
func TestRulesRefuseWithMessage(t *testing.T) {
	gs := func(change func(map[string]any)) map[string]any {
		b := gsBody("rule.example.com", nil, pool(10, member{"10.0.0.1", 1, "virtualservice-1"}))
		change(b)
		return b
	}
	firstPool := func(b map[string]any) map[string]any { return b["groups"].([]any)[0].(map[string]any) }
	firstMember := func(b map[string]any) map[string]any {
		return firstPool(b)["members"].([]any)[0].(map[string]any)
	}
	hm := func(change func(map[string]any)) map[string]any {
		b := hmBody("amko--rule")
		change(b)
		return b
	}
	cases := []struct {
		name, kind string
		body       map[string]any
		status     int
		want       string
	}{
		// Schema: required, types, ranges, enums, items, unknown fields.
		{"name null", "gslbservice", gs(func(b map[string]any) { b["name"] = nil }), 400, "name: This field is required."},
		{"unknown field", "gslbservice", gs(func(b map[string]any) { b["colour"] = "blue" }), 400, "Unknown field colour in GslbService"},
		{"unknown nested field", "gslbservice", gs(func(b map[string]any) { firstMember(b)["weight"] = 3 }), 400, "Unknown field groups[0].members[0].weight in GslbPoolMember"},
		{"wrong type", "gslbservice", gs(func(b map[string]any) { b["ttl"] = "30" }), 400, "ttl: expected integer"},
		{"ratio 21", "gslbservice", gs(func(b map[string]any) { firstMember(b)["ratio"] = 21 }), 400, "groups[0].members[0].ratio: Value 21 is out of range (allowed 1-20)"},
		{"ratio 0", "gslbservice", gs(func(b map[string]any) { firstMember(b)["ratio"] = 0 }), 400, "groups[0].members[0].ratio: Value 0 is out of range"},
		{"priority 101", "gslbservice", gs(func(b map[string]any) { firstPool(b)["priority"] = 101 }), 400, "groups[0].priority: Value 101 is out of range (allowed 0-100)"},
		{"ttl 86401", "gslbservice", gs(func(b map[string]any) { b["ttl"] = 86401 }), 400, "ttl: Value 86401 is out of range (allowed 0-86400)"},
		{"bad algorithm", "gslbservice", gs(func(b map[string]any) { firstPool(b)["algorithm"] = "GSLB_ALGORITHM_RANDOM" }), 400, "groups[0].algorithm: Invalid choice GSLB_ALGORITHM_RANDOM"},
		{"no domain names", "gslbservice", gs(func(b map[string]any) { b["domain_names"] = []any{} }), 400, "domain_names: Minimum of 1 items required."},
		{"seven health monitors", "gslbservice", gs(func(b map[string]any) {
			b["health_monitor_refs"] = []any{"a", "b", "c", "d", "e", "f", "g"}
		}), 400, "health_monitor_refs: Maximum of 6 items allowed."},
		{"member ip null", "gslbservice", gs(func(b map[string]any) { firstMember(b)["ip"].(map[string]any)["addr"] = nil }), 400, "groups[0].members[0].ip.addr: This field is required."},

		// References.
		{"unknown HM ref", "gslbservice", gs(func(b map[string]any) { b["health_monitor_refs"] = []any{"/api/healthmonitor?name=nope"} }), 400, "Cannot find object of type healthmonitor with name nope"},
		{"non-federated HM ref", "gslbservice", gs(func(b map[string]any) { b["health_monitor_refs"] = []any{"/api/healthmonitor?name=System-HTTP"} }), 400, "Health monitor System-HTTP is not federated"},
		{"ref of another type", "gslbservice", gs(func(b map[string]any) { b["health_monitor_refs"] = []any{"/api/pkiprofile?name=pki"} }), 400, "is not of type healthmonitor"},

		// GSLB service rules.
		{"domain outside dns_configs", "gslbservice", gs(func(b map[string]any) { b["domain_names"] = []any{"app.unknown.test"} }), 400, "not under any GSLB DNS subdomain"},
		{"member site unknown", "gslbservice", gs(func(b map[string]any) { firstMember(b)["cluster_uuid"] = "cluster-nowhere" }), 400, "cluster-nowhere is not a site of the GSLB configuration"},
		{"vs_uuid without cluster", "gslbservice", gs(func(b map[string]any) { delete(firstMember(b), "cluster_uuid") }), 400, "cluster_uuid: required with vs_uuid"},
		{"V4 member with V6 address", "gslbservice", gs(func(b map[string]any) { firstMember(b)["ip"].(map[string]any)["addr"] = "fd00::1" }), 400, `"fd00::1" is not a valid V4 address`},
		{"consistent hash without mask", "gslbservice", gs(func(b map[string]any) { firstPool(b)["algorithm"] = "GSLB_ALGORITHM_CONSISTENT_HASH" }), 400, "consistent_hash_mask: required when algorithm is GSLB_ALGORITHM_CONSISTENT_HASH"},
		{"fallback IP missing", "gslbservice", gs(func(b map[string]any) {
			b["down_response"] = map[string]any{"type": "GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP"}
		}), 400, "down_response.fallback_ip: required"},
		{"duplicate pool names", "gslbservice", gs(func(b map[string]any) {
			b["groups"] = append(b["groups"].([]any), pool(10, member{"10.0.0.2", 1, ""}))
		}), 400, "pool name amko-gs-group-10 is used twice"},
		{"empty pool", "gslbservice", gs(func(b map[string]any) { firstPool(b)["members"] = []any{} }), 400, "groups[0].members: Minimum of 1 items required."},
		{"site persistence without profile", "gslbservice", gs(func(b map[string]any) { b["site_persistence_enabled"] = true }), 400, "application_persistence_profile_ref: required when site_persistence_enabled"},
		{"site persistence with a non-GSLB profile", "gslbservice", gs(func(b map[string]any) {
			b["site_persistence_enabled"] = true
			b["application_persistence_profile_ref"] = "/api/applicationpersistenceprofile?name=System-Persistence-Client-IP"
		}), 400, "is not federated"},
		{"site persistence without PKI from 22.1.3", "gslbservice", gs(func(b map[string]any) {
			b["site_persistence_enabled"] = true
			b["application_persistence_profile_ref"] = "/api/applicationpersistenceprofile?name=gap-1"
		}), 400, "pki_profile_ref: required when site_persistence_enabled"},

		// Health monitor rules.
		{"HM type enum", "healthmonitor", hm(func(b map[string]any) { b["type"] = "HEALTH_MONITOR_TELNET" }), 400, "type: Invalid choice HEALTH_MONITOR_TELNET"},
		{"HM receive timeout", "healthmonitor", hm(func(b map[string]any) { b["receive_timeout"] = 10 }), 400, "receive_timeout: 10 must be less than send_interval 10"},
		{"HM sub-object of another type", "healthmonitor", hm(func(b map[string]any) { b["tcp_monitor"] = map[string]any{} }), 400, "tcp_monitor: not allowed for a health monitor of type HEALTH_MONITOR_HTTP"},
		{"HM send interval range", "healthmonitor", hm(func(b map[string]any) { b["send_interval"] = 3601 }), 400, "send_interval: Value 3601 is out of range (allowed 1-3600)"},
	}
	_, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out map[string]any
			wantError(t, c.AviSession.Post("/api/"+tc.kind+"/", tc.body, &out), tc.status, tc.want)
		})
	}

	// The valid neighbours pass.
	var out map[string]any
	valid := gs(func(b map[string]any) {
		b["site_persistence_enabled"] = true
		b["application_persistence_profile_ref"] = "/api/applicationpersistenceprofile?name=gap-1"
		b["pki_profile_ref"] = "/api/pkiprofile?name=pki"
		b["down_response"] = map[string]any{"type": "GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP", "fallback_ip": map[string]any{"addr": "10.9.9.9", "type": "V4"}}
		firstPool(b)["algorithm"] = "GSLB_ALGORITHM_CONSISTENT_HASH"
		firstPool(b)["consistent_hash_mask"] = 24
		b["health_monitor_refs"] = []any{"/api/healthmonitor?name=System-GSLB-HTTP"}
	})
	if err := c.AviSession.Post("/api/gslbservice/", valid, &out); err != nil {
		t.Fatalf("valid GS refused: %v", err)
	}
}

// Names are unique per tenant (409 with the controller's Django text, which AMKO
// matches), domain names across every GSLB service (400 with the text AMKO matches).
func TestUniqueness(t *testing.T) {
	_, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	var out map[string]any
	if err := c.AviSession.Post("/api/healthmonitor/", hmBody("amko--dup"), &out); err != nil {
		t.Fatal(err)
	}
	wantError(t, c.AviSession.Post("/api/healthmonitor/", hmBody("amko--dup"), &out), 409,
		"Health monitor with this Name and Tenant ref already exists.")

	if err := c.AviSession.Post("/api/gslbservice/", gsBody("a.example.com", nil, pool(10, member{"10.0.0.1", 1, ""})), &out); err != nil {
		t.Fatal(err)
	}
	wantError(t, c.AviSession.Post("/api/gslbservice/", gsBody("a.example.com", nil, pool(10, member{"10.0.0.1", 1, ""})), &out), 409,
		"Gslb service with this Name and Tenant ref already exists.")
	other := gsBody("b.example.com", nil, pool(10, member{"10.0.0.2", 1, ""}))
	other["domain_names"] = []any{"b.example.com", "A.example.com"}
	wantError(t, c.AviSession.Post("/api/gslbservice/", other, &out), 400,
		"domain name conflicting with existing domain name a.example.com of Gslb service a.example.com")
}

// Writes to federated objects are refused on a follower site and in maintenance
// mode with the texts AMKO matches; non-federated objects stay writable.
func TestLeaderAndMaintenance(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	var out map[string]any
	if err := sim.SetLeader(false); err != nil {
		t.Fatal(err)
	}
	wantError(t, c.AviSession.Post("/api/healthmonitor/", hmBody("amko--f"), &out), 400, "Config Operations can be done ONLY on leader")
	wantError(t, c.AviSession.Post("/api/gslbservice/", gsBody("f.example.com", nil, pool(10, member{"10.0.0.1", 1, ""})), &out), 400,
		"Config Operations can be done ONLY on leader")
	local := hmBody("local-hm")
	local["is_federated"] = false
	if err := c.AviSession.Post("/api/healthmonitor/", local, &out); err != nil {
		t.Errorf("non-federated HM on a follower: %v", err)
	}
	if err := sim.SetLeader(true); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetMaintenance(true); err != nil {
		t.Fatal(err)
	}
	wantError(t, c.AviSession.Post("/api/gslbservice/", gsBody("m.example.com", nil, pool(10, member{"10.0.0.1", 1, ""})), &out), 400,
		"GSLB system is in maintenance mode.")
	if err := sim.SetMaintenance(false); err != nil {
		t.Fatal(err)
	}
	if err := c.AviSession.Post("/api/gslbservice/", gsBody("m.example.com", nil, pool(10, member{"10.0.0.1", 1, ""})), &out); err != nil {
		t.Errorf("after maintenance: %v", err)
	}
	// System defaults cannot be deleted.
	hm := sim.Object("healthmonitor", "System-HTTP")
	wantError(t, c.AviSession.Delete("/api/healthmonitor/"+hm["uuid"].(string)), 403, "Cannot delete system default object System-HTTP")
}
