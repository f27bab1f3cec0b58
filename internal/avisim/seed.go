// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Well-known identities of the default seed, so tests can write AKO's annotations
// (ako.vmware.com/controller-cluster-uuid) that name a GSLB site.
const (
	// LeaderClusterUUID is this controller's cluster, the leader site "k8s-site".
	LeaderClusterUUID = "cluster-0a1b2c3d-0000-4000-8000-000000000001"
	// FollowerClusterUUID is the second site, "oshift-site".
	FollowerClusterUUID = "cluster-0a1b2c3d-0000-4000-8000-000000000002"
	// ThirdPartySite is the seeded third-party site's name.
	ThirdPartySite = "test-third-party-member"
)

// seed fills the store: tenant admin always; with full, the objects mirroring
// AMKO's test fixtures (avi-api.md §5.5).
func (s *Server) seed(full bool) error {
	if _, err := s.insert("tenant", "", map[string]any{"uuid": "admin", "name": "admin", "local": true}); err != nil {
		return err
	}
	if _, err := s.insert("cluster", "", map[string]any{
		"uuid": LeaderClusterUUID, "name": "cluster-0-1",
		"nodes": []any{map[string]any{"name": "127.0.0.1", "ip": map[string]any{"addr": "127.0.0.1", "type": "V4"}}},
	}); err != nil {
		return err
	}
	if !full {
		return nil
	}
	var dnsConfigs []any
	for _, d := range s.opts.DNSDomains {
		dnsConfigs = append(dnsConfigs, map[string]any{"domain_name": d})
	}
	site := func(name, uuid, ip, dnsVS string) map[string]any {
		return map[string]any{
			"name": name, "cluster_uuid": uuid, "username": "admin", "password": "avi123",
			"ip_addresses": []any{map[string]any{"addr": ip, "type": "V4"}},
			"member_type":  "GSLB_ACTIVE_MEMBER", "enabled": true,
			"dns_vses": []any{map[string]any{"dns_vs_uuid": dnsVS}},
		}
	}
	seeds := []SeedObject{
		{Kind: "cloud", Data: map[string]any{"name": "Default-Cloud", "vtype": "CLOUD_NONE"}},
		{Kind: "gslb", Data: map[string]any{
			"name": "Default", "leader_cluster_uuid": LeaderClusterUUID,
			"dns_configs": dnsConfigs,
			"sites": []any{
				site("k8s-site", LeaderClusterUUID, "127.0.0.1", "virtualservice-0a1b2c3d-0000-4000-8000-0000000000d1"),
				site("oshift-site", FollowerClusterUUID, "127.0.0.2", "virtualservice-0a1b2c3d-0000-4000-8000-0000000000d2"),
			},
			"third_party_sites": []any{map[string]any{"name": ThirdPartySite}},
		}},
	}
	for _, hm := range []struct {
		name, typ string
		federated bool
		port      int
	}{
		{"System-Ping", "HEALTH_MONITOR_PING", false, 0},
		{"System-TCP", "HEALTH_MONITOR_TCP", false, 0},
		{"System-UDP", "HEALTH_MONITOR_UDP", false, 0},
		{"System-HTTP", "HEALTH_MONITOR_HTTP", false, 0},
		{"System-HTTPS", "HEALTH_MONITOR_HTTPS", false, 0},
		{"System-GSLB-Ping", "HEALTH_MONITOR_PING", true, 0},
		{"System-GSLB-TCP", "HEALTH_MONITOR_TCP", true, 80},
		{"System-GSLB-UDP", "HEALTH_MONITOR_UDP", true, 0},
		{"System-GSLB-HTTP", "HEALTH_MONITOR_HTTP", true, 80},
		{"System-GSLB-HTTPS", "HEALTH_MONITOR_HTTPS", true, 443},
	} {
		data := map[string]any{"name": hm.name, "type": hm.typ, "is_federated": hm.federated}
		if hm.port != 0 {
			data["monitor_port"] = hm.port
		}
		switch hm.typ {
		case "HEALTH_MONITOR_HTTP":
			data["http_monitor"] = map[string]any{"http_request": "GET / HTTP/1.0", "http_response_code": []any{"HTTP_2XX", "HTTP_3XX"}}
		case "HEALTH_MONITOR_HTTPS":
			data["https_monitor"] = map[string]any{"http_request": "GET / HTTP/1.0", "http_response_code": []any{"HTTP_2XX", "HTTP_3XX"}}
		case "HEALTH_MONITOR_TCP":
			data["tcp_monitor"] = map[string]any{"tcp_half_open": false}
		case "HEALTH_MONITOR_UDP":
			data["udp_monitor"] = map[string]any{}
		}
		seeds = append(seeds, SeedObject{Kind: "healthmonitor", Data: data})
	}
	for _, app := range []map[string]any{
		{"name": "System-Persistence-Client-IP", "persistence_type": "PERSISTENCE_TYPE_CLIENT_IP_ADDRESS"},
		{"name": "System-Persistence-Http-Cookie", "persistence_type": "PERSISTENCE_TYPE_HTTP_COOKIE"},
		{"name": "gap-1", "persistence_type": "PERSISTENCE_TYPE_GSLB_SITE", "is_federated": true},
	} {
		seeds = append(seeds, SeedObject{Kind: "applicationpersistenceprofile", Data: app})
	}
	seeds = append(seeds, SeedObject{Kind: "pkiprofile", Data: map[string]any{"name": "pki", "is_federated": true}})

	for _, sd := range seeds {
		if _, err := s.insert(sd.Kind, "admin", sd.Data); err != nil {
			return err
		}
	}
	return nil
}

// insert stores an object built by the emulator itself (seeds, control methods):
// defaults filled and the schema checked as for a request, without version gating,
// references resolved in tenant. Global kinds ignore tenant.
func (s *Server) insert(kind, tenant string, data map[string]any) (*object, error) {
	k := s.registry.Kind(kind)
	if k == nil {
		return nil, fmt.Errorf("unknown object type %q", kind)
	}
	// Round-trip through JSON so numbers are json.Number, as in requests.
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	data, err = decode(raw)
	if err != nil {
		return nil, err
	}
	dropNulls(data)
	o := &object{Kind: kind, UUID: str(data["uuid"])}
	if o.UUID == "" {
		o.UUID = s.store.newUUID(kind)
	}
	if scoped(k) {
		if tenant == "" {
			tenant = "admin"
		}
		t := s.store.byName("tenant", "", tenant)
		if t == nil {
			return nil, fmt.Errorf("%s %s: tenant %q does not exist", kind, str(data["name"]), tenant)
		}
		o.Tenant = t.UUID
	}
	for _, f := range identityFields {
		delete(data, f)
	}
	fillDefaults(k, data, s.version)
	if err := k.Validate(data, s.version, false); err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, str(data["name"]), err)
	}
	for _, rf := range s.refFields(k) {
		err := visit(data, rf.Path, rf.List, func(v any) (any, error) {
			target, err := s.resolve(rf.Target, str(v), o.Tenant)
			if err != nil {
				return nil, err
			}
			return refPath(target.Kind, target.UUID), nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kind, str(data["name"]), err)
		}
	}
	o.Data = data
	if kind == "gslb" {
		if err := s.gslbRules(o); err != nil {
			return nil, err
		}
	}
	if dup := s.store.byName(kind, o.Tenant, o.name()); dup != nil && dup.UUID != o.UUID {
		return nil, fmt.Errorf("%s %s already exists", kind, o.name())
	}
	s.store.put(o, s.opts.Now())
	return o, nil
}

// SeedFile is the format of cmd/avisim's seed file: objects created in file order,
// as the emulator creates its own seeds, in tenant admin unless "tenant" names another.
type SeedFile struct {
	Objects []SeedObject `json:"objects"`
}

// SeedObject is one object of a seed file.
type SeedObject struct {
	Kind   string         `json:"kind"`
	Tenant string         `json:"tenant,omitempty"`
	Data   map[string]any `json:"data"`
}

// LoadSeed adds the objects of a seed file (JSON) to the store.
func (s *Server) LoadSeed(data []byte) error {
	var f SeedFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("avisim: seed file: %w", err)
	}
	for i, so := range f.Objects {
		if _, err := s.Seed(so.Kind, so.Tenant, so.Data); err != nil {
			return fmt.Errorf("avisim: seed file object %d: %w", i, err)
		}
	}
	return nil
}
