// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package policy_test

import (
	"context"
	"testing"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/provider/avi"
)

// controller is avisim behind the real Avi backend, with a template monitor and
// a non-federated monitor seeded.
func controller(t *testing.T) policy.Controller {
	t.Helper()
	sim, srv, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for _, hm := range []map[string]any{
		{"name": "tpl", "type": "HEALTH_MONITOR_HTTP", "is_federated": true,
			"http_monitor": map[string]any{"http_request": "GET /healthz HTTP/1.1", "http_response_code": []any{"HTTP_2XX"}}},
		{"name": "tpl-bad", "type": "HEALTH_MONITOR_HTTP", "is_federated": true,
			"http_monitor": map[string]any{"http_request": "GET /healthz", "http_response_code": []any{"HTTP_2XX"}}},
		{"name": "local", "type": "HEALTH_MONITOR_PING"},
	} {
		if _, err := sim.Seed("healthmonitor", "", hm); err != nil {
			t.Fatal(err)
		}
	}
	p, err := avi.New(avi.Config{Host: avisim.Host(srv), Username: "admin", Password: "avi123", Version: "31.1.1", CreatedBy: "amko-x"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ptr[T any](v T) *T { return &v }

var clusters = []string{"cluster1-admin", "cluster2-admin"}

func TestValidateGDP(t *testing.T) {
	ctrl := controller(t)
	ok := func() *amkov1alpha2.GDPSpec {
		return &amkov1alpha2.GDPSpec{
			MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}},
			TrafficSplit:  []amkov1alpha2.TrafficSplitElem{{Cluster: "cluster2-admin", Weight: 5, Priority: ptr(uint32(10))}},
		}
	}
	cases := []struct {
		name   string
		change func(*amkov1alpha2.GDPSpec)
		want   string
	}{
		{"valid", func(*amkov1alpha2.GDPSpec) {}, ""},
		{"unknown match cluster", func(s *amkov1alpha2.GDPSpec) { s.MatchClusters[0].Cluster = "c9" }, "cluster context c9 not present in GSLBConfig"},
		{"unknown split cluster", func(s *amkov1alpha2.GDPSpec) { s.TrafficSplit[0].Cluster = "c9" }, "cluster c9 in traffic policy not present in GSLBConfig"},
		{"weight", func(s *amkov1alpha2.GDPSpec) { s.TrafficSplit[0].Weight = 21 }, "traffic weight 21 must be between 1 and 20"},
		{"priority", func(s *amkov1alpha2.GDPSpec) { s.TrafficSplit[0].Priority = ptr(uint32(101)) }, "priority 101 must be between 1 and 100"},
		{"refs and template", func(s *amkov1alpha2.GDPSpec) {
			s.HealthMonitorRefs, s.HealthMonitorTemplate = []string{"tpl"}, ptr("tpl")
		},
			"health monitor reference and template cannot be specified together"},
		{"missing ref", func(s *amkov1alpha2.GDPSpec) { s.HealthMonitorRefs = []string{"nope"} }, "health monitor ref nope is invalid"},
		{"non-federated ref", func(s *amkov1alpha2.GDPSpec) { s.HealthMonitorRefs = []string{"local"} }, "health monitor ref local is invalid"},
		{"federated ref", func(s *amkov1alpha2.GDPSpec) { s.HealthMonitorRefs = []string{"System-GSLB-TCP"} }, ""},
		{"missing template", func(s *amkov1alpha2.GDPSpec) { s.HealthMonitorTemplate = ptr("nope") }, "health monitor template nope not found"},
		{"non-federated template", func(s *amkov1alpha2.GDPSpec) { s.HealthMonitorTemplate = ptr("local") }, "health monitor template local not federated"},
		{"TCP template", func(s *amkov1alpha2.GDPSpec) { s.HealthMonitorTemplate = ptr("System-GSLB-TCP") }, "health monitor template is not supported for non-path based health monitors"},
		{"template request", func(s *amkov1alpha2.GDPSpec) { s.HealthMonitorTemplate = ptr("tpl-bad") }, "client request header in health monitor template tpl-bad is invalid"},
		{"pool algorithm", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmConsistentHash}
		}, "invalid pool algorithm: hashMask is required for ConsistentHash"},
		{"geo without fallback", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmGeo}
		}, "invalid pool algorithm: geoFallback has to be set for Geo, available choices: RoundRobin, ConsistentHash"},
		{"empty site persistence", func(s *amkov1alpha2.GDPSpec) { s.SitePersistenceRef = ptr("") }, "empty string as site persistence reference not supported"},
		{"missing site persistence", func(s *amkov1alpha2.GDPSpec) { s.SitePersistenceRef = ptr("gap-9") }, "site persistence ref gap-9 not present"},
		{"site persistence", func(s *amkov1alpha2.GDPSpec) { s.SitePersistenceRef, s.PKIProfileRef = ptr("gap-1"), ptr("pki") }, ""},
		{"empty PKI", func(s *amkov1alpha2.GDPSpec) { s.PKIProfileRef = ptr("") }, "empty string as pki profile reference not supported"},
		{"missing PKI", func(s *amkov1alpha2.GDPSpec) { s.PKIProfileRef = ptr("pki-9") }, "pki profile ref pki-9 not present"},
		{"fallback IP", func(s *amkov1alpha2.GDPSpec) {
			s.DownResponse = &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseFallbackIP}
		}, "invalid down response configuration: Fallback IP is required for GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP"},
		{"fallback IP not allowed", func(s *amkov1alpha2.GDPSpec) {
			s.DownResponse = &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseNone, FallbackIP: "10.0.0.1"}
		}, "invalid down response configuration: Fallback IP is not allowed for GSLB_SERVICE_DOWN_RESPONSE_NONE"},
		{"fallback IP not an IP", func(s *amkov1alpha2.GDPSpec) {
			s.DownResponse = &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseFallbackIP, FallbackIP: "10.1.1"}
		}, "invalid down response configuration: Fallback IP 10.1.1 is not valid"},
		{"fallback IP with a zone", func(s *amkov1alpha2.GDPSpec) {
			s.DownResponse = &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseFallbackIP, FallbackIP: "fe80::1%eth0"}
		}, "invalid down response configuration: Fallback IP fe80::1%eth0 is not valid"},
		{"IPv6 fallback IP", func(s *amkov1alpha2.GDPSpec) {
			s.DownResponse = &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseFallbackIP, FallbackIP: "2001:db8::1"}
		}, ""},

		// AMKO's label texts swap key and value (validLabel), and the
		// namespaceSelector one has no space before "for".
		{"empty app label value", func(s *amkov1alpha2.GDPSpec) { s.MatchRules.AppSelector.Label = map[string]string{"app": ""} },
			"label key is missing for value  for appSelector"},
		{"empty app label key", func(s *amkov1alpha2.GDPSpec) { s.MatchRules.AppSelector.Label = map[string]string{"": "gslb"} },
			"label value is missing for key  for appSelector"},
		{"empty namespace label value", func(s *amkov1alpha2.GDPSpec) { s.MatchRules.NamespaceSelector.Label = map[string]string{"ns": ""} },
			"label key is missing for value for namespaceSelector"},
		{"empty namespace label key", func(s *amkov1alpha2.GDPSpec) { s.MatchRules.NamespaceSelector.Label = map[string]string{"": "gslb"} },
			"label value is missing for key for namespaceSelector"},
		{"labels", func(s *amkov1alpha2.GDPSpec) {
			s.MatchRules.AppSelector.Label, s.MatchRules.NamespaceSelector.Label = map[string]string{"app": "gslb"}, map[string]string{"ns": "gslb"}
		}, ""},

		// isGslbPoolAlgorithmValid, every branch.
		{"no algorithm", func(s *amkov1alpha2.GDPSpec) { s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{} },
			"invalid pool algorithm: unsupported lbAlgorithm "},
		{"round robin with hashMask", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmRoundRobin, HashMask: ptr(8)}
		}, "invalid pool algorithm: hashMask not allowed for GSLB_ALGORITHM_ROUND_ROBIN"},
		{"topology with geoFallback", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmTopology,
				FallbackAlgorithm: &amkov1alpha1.GeoFallback{LBAlgorithm: "GSLB_ALGORITHM_ROUND_ROBIN"}}
		}, "invalid pool algorithm: geoFallback not allowed for GSLB_ALGORITHM_TOPOLOGY"},
		{"consistent hash with geoFallback", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmConsistentHash, HashMask: ptr(8),
				FallbackAlgorithm: &amkov1alpha1.GeoFallback{LBAlgorithm: "GSLB_ALGORITHM_ROUND_ROBIN"}}
		}, "invalid pool algorithm: geoFallback is not allowed with ConsistentHash"},
		{"geoFallback without algorithm", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmGeo, FallbackAlgorithm: &amkov1alpha1.GeoFallback{HashMask: ptr(8)}}
		}, "invalid pool algorithm: unsupported algorithm  for geoFallback"},
		{"round robin fallback with hashMask", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmGeo,
				FallbackAlgorithm: &amkov1alpha1.GeoFallback{LBAlgorithm: "GSLB_ALGORITHM_ROUND_ROBIN", HashMask: ptr(8)}}
		}, "invalid pool algorithm: hashMask is not allowed with GSLB_ALGORITHM_ROUND_ROBIN as geoFallback algorithm"},
		{"consistent hash fallback without hashMask", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmGeo,
				FallbackAlgorithm: &amkov1alpha1.GeoFallback{LBAlgorithm: "GSLB_ALGORITHM_CONSISTENT_HASH"}}
		}, "invalid pool algorithm: hashMask is required for GSLB_ALGORITHM_CONSISTENT_HASH as the geoFallback algorithm"},
		// AMKO does not check a top-level hashMask with GEO.
		{"geo with hashMask", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmGeo, HashMask: ptr(8),
				FallbackAlgorithm: &amkov1alpha1.GeoFallback{LBAlgorithm: "GSLB_ALGORITHM_CONSISTENT_HASH", HashMask: ptr(16)}}
		}, ""},
		{"consistent hash", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmConsistentHash, HashMask: ptr(31)}
		}, ""},

		// AMKO takes a cluster named twice (the first entry counts).
		{"duplicate clusters", func(s *amkov1alpha2.GDPSpec) {
			s.MatchClusters = append(s.MatchClusters, s.MatchClusters[0])
			s.TrafficSplit = append(s.TrafficSplit, s.TrafficSplit[0])
		}, ""},
		// AMKO's order: the first fault it meets is the one reported.
		{"order: traffic split before monitors", func(s *amkov1alpha2.GDPSpec) {
			s.TrafficSplit[0].Weight = 0
			s.HealthMonitorRefs, s.HealthMonitorTemplate = []string{"tpl"}, ptr("tpl")
		}, "traffic weight 0 must be between 1 and 20"},
		{"order: pool algorithm before down response", func(s *amkov1alpha2.GDPSpec) {
			s.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmGeo}
			s.DownResponse = &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseFallbackIP}
		}, "invalid pool algorithm: geoFallback has to be set for Geo, available choices: RoundRobin, ConsistentHash"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := ok()
			tc.change(spec)
			_, err := policy.ValidateGDP(context.Background(), spec, clusters, "admin", ctrl)
			check(t, err, tc.want)
		})
	}
	templates, err := policy.ValidateGDP(context.Background(), &amkov1alpha2.GDPSpec{HealthMonitorTemplate: ptr("tpl")}, clusters, "admin", ctrl)
	if err != nil || templates["tpl"].Request != "GET /healthz HTTP/1.1" || templates["tpl"].ResponseCodes[0] != "HTTP_2XX" {
		t.Errorf("template resolved to %+v, %v", templates, err)
	}
}

func TestValidateHostRule(t *testing.T) {
	ctrl := controller(t)
	cases := []struct {
		name string
		spec amkov1alpha1.GSLBHostRuleSpec
		want string
	}{
		{"valid", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a.example.com",
			ThirdPartyMembers: []amkov1alpha1.ThirdPartyMember{{Site: avisim.ThirdPartySite, VIP: "10.0.0.1"}},
			PublicIP:          []amkov1alpha1.PublicIPElem{{Cluster: "cluster1-admin", IP: "203.0.113.1"}}}, ""},
		{"no fqdn", amkov1alpha1.GSLBHostRuleSpec{}, "GSFqdn missing for ghr GSLBHostRule"},
		{"unknown third-party site", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", ThirdPartyMembers: []amkov1alpha1.ThirdPartyMember{{Site: "nowhere", VIP: "10.0.0.1"}}},
			"ThirdPartyMember site nowhere does not exist for ghr GSLBHostRule"},
		{"third-party VIP", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", ThirdPartyMembers: []amkov1alpha1.ThirdPartyMember{{Site: "s", VIP: "x"}}},
			"Invalid VIP for thirdPartyMember site s,ghr GSLBHostRule (expecting IP address)"},
		{"site persistence profile", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", SitePersistence: &amkov1alpha1.SitePersistence{Enabled: true, ProfileRef: "gap-9"}},
			"SitePersistence Profile gap-9 error for ghr GSLBHostRule"},
		{"PKI profile", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", SitePersistence: &amkov1alpha1.SitePersistence{Enabled: true, ProfileRef: "gap-1", PKIProfileRef: ptr("pki-9")}},
			"PKI Profile pki-9 error for ghr GSLBHostRule"},
		{"disabled site persistence is not checked", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", SitePersistence: &amkov1alpha1.SitePersistence{ProfileRef: "gap-9"}}, ""},
		{"HM ref", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", HealthMonitorRefs: []string{"local"}}, "Health Monitor Ref local error for ghr GSLBHostRule"},
		{"refs and template", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", HealthMonitorRefs: []string{"tpl"}, HealthMonitorTemplate: ptr("tpl")},
			"health monitor reference and template cannot be specified together for ghr GSLBHostRule"},
		{"public IP cluster", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", PublicIP: []amkov1alpha1.PublicIPElem{{Cluster: "c9", IP: "10.0.0.1"}}},
			"cluster c9 in Public IP  not present in GSLBConfig"},
		{"public IP", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", PublicIP: []amkov1alpha1.PublicIPElem{{Cluster: "cluster1-admin", IP: "x"}}},
			"Invalid IP for site cluster1-admin,ghr GSLBHostRule (expecting IP address)"},
		{"pool algorithm", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", PoolAlgorithmSettings: &amkov1alpha1.PoolAlgorithmSettings{HashMask: ptr(8)}},
			"Invalid Pool Algorithm: unsupported lbAlgorithm "},
		{"geo without fallback", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", PoolAlgorithmSettings: &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmGeo}},
			"Invalid Pool Algorithm: geoFallback has to be set for Geo, available choices: RoundRobin, ConsistentHash"},
		{"fallback IP missing", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", DownResponse: &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseFallbackIP}},
			"Fallback IP is required for GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP"},
		{"fallback IP not allowed", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", DownResponse: &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseEmpty, FallbackIP: "10.0.0.1"}},
			"Fallback IP is not allowed for GSLB_SERVICE_DOWN_RESPONSE_EMPTY"},

		// Site persistence: every field optional at admission; AMKO's
		// runtime texts for what is wrong.
		{"empty site persistence", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", SitePersistence: &amkov1alpha1.SitePersistence{}}, ""},
		{"enabled without profile", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", SitePersistence: &amkov1alpha1.SitePersistence{Enabled: true}},
			"SitePersistence Profile  error for ghr GSLBHostRule"},
		{"enabled with profile", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", SitePersistence: &amkov1alpha1.SitePersistence{Enabled: true, ProfileRef: "gap-1"}}, ""},
		{"PKI profile checked while disabled", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", SitePersistence: &amkov1alpha1.SitePersistence{PKIProfileRef: ptr("pki-9")}},
			"PKI Profile pki-9 error for ghr GSLBHostRule"},
		{"empty PKI profile", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", SitePersistence: &amkov1alpha1.SitePersistence{PKIProfileRef: ptr("")}},
			"PKI Profile  error for ghr GSLBHostRule"},

		// Third-party members: no field is required at admission.
		{"third-party member without VIP", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", ThirdPartyMembers: []amkov1alpha1.ThirdPartyMember{{Site: avisim.ThirdPartySite}}},
			"Invalid VIP for thirdPartyMember site " + avisim.ThirdPartySite + ",ghr GSLBHostRule (expecting IP address)"},
		{"third-party member without site", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", ThirdPartyMembers: []amkov1alpha1.ThirdPartyMember{{VIP: "10.0.0.1"}}},
			"ThirdPartyMember site  does not exist for ghr GSLBHostRule"},
		{"third-party public IP", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", ThirdPartyMembers: []amkov1alpha1.ThirdPartyMember{{Site: avisim.ThirdPartySite, VIP: "10.0.0.1", PublicIP: "x"}}},
			"Invalid public IP for thirdPartyMember site " + avisim.ThirdPartySite + ",ghr GSLBHostRule (expecting IP address)"},
		{"public IP with a zone", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", PublicIP: []amkov1alpha1.PublicIPElem{{Cluster: "cluster1-admin", IP: "fe80::1%eth0"}}},
			"Invalid IP for site cluster1-admin,ghr GSLBHostRule (expecting IP address)"},
		// AMKO's CRD sets no maximum priority here; the controller's pools take 0-100.
		{"priority above 100", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", TrafficSplit: []amkov1alpha1.TrafficSplitElem{{Cluster: "cluster1-admin", Priority: ptr(uint32(101))}}},
			"priority 101 for cluster1-admin must be between 0 and 100 for ghr GSLBHostRule"},
		{"priority 100 and duplicates", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", TrafficSplit: []amkov1alpha1.TrafficSplitElem{
			{Cluster: "cluster1-admin", Priority: ptr(uint32(100))}, {Cluster: "cluster1-admin", Priority: ptr(uint32(0))}},
			PublicIP: []amkov1alpha1.PublicIPElem{{Cluster: "cluster1-admin", IP: "10.0.0.1"}, {Cluster: "cluster1-admin", IP: "10.0.0.2"}}}, ""},

		// AMKO's order: site persistence, pool algorithm, third-party
		// members, public IPs, monitors, down response; amko's own last.
		{"order: pool algorithm before third-party members", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a",
			PoolAlgorithmSettings: &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmConsistentHash},
			ThirdPartyMembers:     []amkov1alpha1.ThirdPartyMember{{Site: "s", VIP: "x"}}},
			"Invalid Pool Algorithm: hashMask is required for ConsistentHash"},
		{"order: public IP before monitors", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a",
			PublicIP:          []amkov1alpha1.PublicIPElem{{Cluster: "c9", IP: "10.0.0.1"}},
			HealthMonitorRefs: []string{"tpl"}, HealthMonitorTemplate: ptr("tpl")},
			"cluster c9 in Public IP  not present in GSLBConfig"},
		{"order: AMKO's checks before amko's", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a",
			TrafficSplit: []amkov1alpha1.TrafficSplitElem{{Cluster: "cluster1-admin", Priority: ptr(uint32(101))}},
			DownResponse: &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseFallbackIP}},
			"Fallback IP is required for GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP"},
		{"down response", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", DownResponse: &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseFallbackIP, FallbackIP: "x"}},
			"Fallback IP x is not valid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.ValidateHostRule(context.Background(), "ghr", &tc.spec, clusters, "admin", ctrl)
			check(t, err, tc.want)
		})
	}
	// Without a controller (the DNS backend) references are not checked.
	spec := amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", HealthMonitorRefs: []string{"anything"},
		ThirdPartyMembers: []amkov1alpha1.ThirdPartyMember{{Site: "anywhere", VIP: "10.0.0.1"}}}
	if _, err := policy.ValidateHostRule(context.Background(), "ghr", &spec, clusters, "admin", nil); err != nil {
		t.Errorf("without a controller: %v", err)
	}
	// An empty name names nothing, with or without a controller.
	for _, tc := range []struct {
		spec amkov1alpha1.GSLBHostRuleSpec
		want string
	}{
		{amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", ThirdPartyMembers: []amkov1alpha1.ThirdPartyMember{{VIP: "10.0.0.1"}}},
			"ThirdPartyMember site  does not exist for ghr GSLBHostRule"},
		{amkov1alpha1.GSLBHostRuleSpec{Fqdn: "a", SitePersistence: &amkov1alpha1.SitePersistence{Enabled: true}},
			"SitePersistence Profile  error for ghr GSLBHostRule"},
	} {
		_, err := policy.ValidateHostRule(context.Background(), "ghr", &tc.spec, clusters, "admin", nil)
		check(t, err, tc.want)
	}
}

func check(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	if err == nil || !policy.IsInvalid(err) || err.Error() != want {
		t.Fatalf("got %v, want Invalid %q", err, want)
	}
}
