// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func load(t *testing.T) *Registry {
	t.Helper()
	r, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return r
}

func kind(t *testing.T, r *Registry, name string) *Kind {
	t.Helper()
	k := r.Kind(name)
	if k == nil {
		t.Fatalf("no kind %s", name)
	}
	return k
}

func mustVersion(t *testing.T, s string) Version {
	t.Helper()
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// decode decodes a body the way the emulator does (UseNumber).
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decoding test body: %v\n%s", err, s)
	}
	return m
}

// gsBody is a GslbService as AMKO sends it (amko.md §3, avi-api.md §2.7, §3.2),
// written with the SDK's nulls for unset required-without-omitempty fields.
const gsBody = `{
  "name": "app.example.com",
  "domain_names": ["app.example.com", "alias1.com"],
  "created_by": "amko-3f0c6a2e-0d6b-4a52-9c55-6c8b0b1c2d3e",
  "description": "INGRESS/c1/ns1/ing1/app.example.com,ROUTE/c2/ns1/route1",
  "tenant_ref": "https:///api/tenant/?name=admin",
  "enabled": true, "is_federated": true, "controller_health_status_enabled": true,
  "health_monitor_scope": "GSLB_SERVICE_HEALTH_MONITOR_ALL_MEMBERS",
  "health_monitor_refs": ["/api/healthmonitor?name=amko--0123456789abcdef0123456789abcdef01234567"],
  "min_members": 0, "pool_algorithm": "GSLB_SERVICE_ALGORITHM_PRIORITY",
  "resolve_cname": false, "use_edns_client_subnet": true, "wildcard_match": false,
  "ttl": 30,
  "site_persistence_enabled": true,
  "application_persistence_profile_ref": "/api/applicationpersistenceprofile?name=gap-1",
  "pki_profile_ref": "/api/pkiprofile?name=pki-1",
  "down_response": {"type": "GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP", "fallback_ip": {"addr": "10.1.1.1", "type": "V4"}},
  "groups": [{
    "name": "amko-gs-group-10", "priority": 10, "enabled": true,
    "algorithm": "GSLB_ALGORITHM_CONSISTENT_HASH", "consistent_hash_mask": 24,
    "fallback_algorithm": null, "min_health_monitors_up": 2,
    "members": [
      {"enabled": true, "ratio": 8, "ip": {"addr": "1.1.1.1", "type": "V4"},
       "cluster_uuid": "cluster-8a3d2b4c-1111-4222-8333-944455556666",
       "vs_uuid": "virtualservice-5b310671-7784-472b-8096-8679d3e1c769",
       "public_ip": {"ip": {"addr": "160.10.1.1", "type": "V4"}}},
      {"enabled": true, "ratio": 2, "ip": {"addr": "2.2.2.2", "type": "V4"}}
    ]
  }, {
    "name": "amko-gs-group-20", "priority": 20, "enabled": true,
    "algorithm": "GSLB_ALGORITHM_GEO", "fallback_algorithm": "GSLB_ALGORITHM_ROUND_ROBIN",
    "min_health_monitors_up": 2,
    "members": [{"enabled": true, "ratio": 1, "ip": {"addr": "3.3.3.3", "type": "V4"},
                 "cluster_uuid": "tp_cluster-0d1e2f30-4152-4637-8899-aabbccddeeff"}]
  }]
}`

// hmBody is a health monitor as AMKO sends it (avi-api.md §2.8, AviGsHmBuild).
const hmBody = `{
  "name": "amko--0123456789abcdef0123456789abcdef01234567",
  "type": "HEALTH_MONITOR_HTTP",
  "is_federated": true,
  "send_interval": 10, "receive_timeout": 4, "successful_checks": 3, "failed_checks": 3,
  "description": "created by: amko, gsname: app.example.com,",
  "tenant_ref": "https:///api/tenant/?name=admin",
  "allow_duplicate_monitors": true,
  "markers": [{"key": "created-by", "values": ["amko-3f0c6a2e-0d6b-4a52-9c55-6c8b0b1c2d3e"]}],
  "monitor_port": 80,
  "http_monitor": {"http_request": "HEAD / HTTP/1.0", "http_response_code": ["HTTP_2XX", "HTTP_3XX"]}
}`

func TestVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
		err  bool
	}{
		{in: "31.1.1", want: Version{31, 1, 1}},
		{in: " 22.1.2 ", want: Version{22, 1, 2}},
		{in: "15.2", want: Version{15, 2, 0}},
		{in: "18.2.10", want: Version{18, 2, 10}},
		{in: "", err: true},
		{in: "31", err: true},
		{in: "31.1.1.1", err: true},
		{in: "31.x.1", err: true},
		{in: "31.-1.1", err: true},
		{in: "31.+1.1", err: true},
		{in: "v31.1.1", err: true},
	} {
		got, err := ParseVersion(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if s := (Version{31, 2, 1}).String(); s != "31.2.1" {
		t.Errorf("String = %q", s)
	}
	for _, tc := range []struct {
		a, b string
		less bool
	}{
		{"22.1.2", "31.1.1", true},
		{"31.1.1", "22.1.2", false},
		{"20.1.1", "20.1.5", true},
		{"18.2.10", "18.2.8", false},
		{"30.1.9", "30.2.1", true},
		{"31.1.1", "31.1.1", false},
	} {
		if got := mustVersion(t, tc.a).Less(mustVersion(t, tc.b)); got != tc.less {
			t.Errorf("%s.Less(%s) = %v", tc.a, tc.b, got)
		}
	}
}

// TestAvailability covers back-port lists such as "Field introduced in 18.2.8, 20.1.1.".
func TestAvailability(t *testing.T) {
	vs := func(ss ...string) []Version {
		var out []Version
		for _, s := range ss {
			out = append(out, mustVersion(t, s))
		}
		return out
	}
	for _, tc := range []struct {
		intro     []Version
		v         string
		available bool
		blocking  string
	}{
		{nil, "17.1.1", true, ""},
		{vs("20.1.5"), "20.1.5", true, ""},
		{vs("20.1.5"), "31.1.1", true, ""},
		{vs("20.1.5"), "20.1.4", false, "20.1.5"},
		{vs("18.2.8", "20.1.1"), "18.2.7", false, "18.2.8"},
		{vs("18.2.8", "20.1.1"), "18.2.9", true, ""},
		{vs("18.2.8", "20.1.1"), "19.1.1", false, "20.1.1"},
		{vs("18.2.8", "20.1.1"), "17.2.1", false, "18.2.8"},
		{vs("18.2.8", "20.1.1"), "22.1.2", true, ""},
		{vs("22.1.5", "30.2.1"), "30.1.3", false, "30.2.1"},
		{vs("21.1.10", "22.1.6", "30.2.1"), "22.1.6", true, ""},
		{vs("21.1.10", "22.1.6", "30.2.1"), "21.1.9", false, "21.1.10"},
	} {
		v := mustVersion(t, tc.v)
		if got := availableIn(tc.intro, v); got != tc.available {
			t.Errorf("availableIn(%v, %s) = %v", tc.intro, tc.v, got)
		}
		if !tc.available {
			if got := blockingVersion(tc.intro, v).String(); got != tc.blocking {
				t.Errorf("blockingVersion(%v, %s) = %s, want %s", tc.intro, tc.v, got, tc.blocking)
			}
		}
	}
}

func TestLoadKinds(t *testing.T) {
	r := load(t)
	want := map[string]string{
		"applicationpersistenceprofile": "ApplicationPersistenceProfile",
		"cloud":                         "Cloud",
		"cluster":                       "Cluster",
		"gslb":                          "Gslb",
		"gslbservice":                   "GslbService",
		"healthmonitor":                 "HealthMonitor",
		"pkiprofile":                    "PKIProfile",
		"tenant":                        "Tenant",
		"virtualservice":                "VirtualService",
	}
	got := map[string]string{}
	var names []string
	for _, k := range r.Kinds() {
		got[k.Name] = k.Definition
		names = append(names, k.Name)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kinds = %v, want %v", got, want)
	}
	if !slices.IsSorted(names) {
		t.Errorf("Kinds() not sorted: %v", names)
	}
	if r.Kind("pool") != nil || r.Kind("GslbService") != nil {
		t.Error("Kind answers an unknown name")
	}
}

// TestParseDescription checks the phrasings found in the survey of all descriptions.
func TestParseDescription(t *testing.T) {
	i64 := func(n int64) *int64 { return &n }
	f64 := func(f float64) *float64 { return &f }
	for _, tc := range []struct {
		desc    string
		integer bool
		want    facts
	}{
		{
			desc:    "Overrides the default ratio of 1.  Reduces the percentage. Range is 1-20. Allowed values are 1-20. Allowed with any value in Enterprise, Essentials, Basic edition.",
			integer: true,
			want:    facts{min: i64(1), max: i64(20), minFloat: f64(1), maxFloat: f64(20)},
		},
		{
			desc:    "Priority of this pool. Allowed values are 0-100. Special values are 0 - Do not choose members from this pool.A priority of 0 is equivalent to disabling the pool.. Allowed with any value in Enterprise edition.",
			integer: true,
			want:    facts{min: i64(0), max: i64(100), minFloat: f64(0), maxFloat: f64(100), special: []int64{0}},
		},
		{
			desc:    "Allowed values are 1-20. Special values are 0- Return all IP addresses. Allowed with any value.",
			integer: true,
			want:    facts{min: i64(1), max: i64(20), minFloat: f64(1), maxFloat: f64(20), special: []int64{0}},
		},
		{
			desc:    "Allowed values are 0-65534. Special values are 65535 - end of string. Allowed with any value.",
			integer: true,
			want:    facts{min: i64(0), max: i64(65534), minFloat: f64(0), maxFloat: f64(65534), special: []int64{65535}},
		},
		{
			desc:    "Special values are 0 - infinite. Unit is MIN.",
			integer: true,
			want:    facts{special: []int64{0}},
		},
		{
			desc:    "Quota limit. Allowed values are -1-+65535. Field introduced in 31.2.1. Allowed with any value.",
			integer: true,
			want:    facts{min: i64(-1), max: i64(65535), minFloat: f64(-1), maxFloat: f64(65535), introduced: []Version{{31, 2, 1}}},
		},
		{
			desc: "Latitude. Allowed values are -90.0-+90.0. Field introduced in 17.1.1. Allowed with any value.",
			want: facts{minFloat: f64(-90), maxFloat: f64(90), introduced: []Version{{17, 1, 1}}},
		},
		{
			desc: "Type. Enum options - V4, DNS, V6. Allowed with any value in Enterprise, Essentials, Basic, Enterprise with Cloud Services edition.",
			want: facts{enum: []string{"V4", "DNS", "V6"}},
		},
		{
			desc: "Enum options - A_B, C_D",
			want: facts{enum: []string{"A_B", "C_D"}},
		},
		{
			desc: "Type. Enum options - HEALTH_MONITOR_PING, HEALTH_MONITOR_TCP. Allowed with any value in Enterprise edition. Allowed in Essentials (Allowed values- HEALTH_MONITOR_PING,HEALTH_MONITOR_TCP), Basic (Allowed values- HEALTH_MONITOR_PING) edition.",
			want: facts{enum: []string{"HEALTH_MONITOR_PING", "HEALTH_MONITOR_TCP"}},
		},
		{
			desc: "Field introduced in 20.1.1, 18.2.8. Allowed with any value.",
			want: facts{introduced: []Version{{18, 2, 8}, {20, 1, 1}}},
		},
		{
			desc: "Field introduced in 21.1.10,22.1.6,30.2.1. Allowed with any value.",
			want: facts{introduced: []Version{{21, 1, 10}, {22, 1, 6}, {30, 2, 1}}},
		},
		{
			desc: "Field introduced in 17.2.14, 18.1.5, 18.2.1",
			want: facts{introduced: []Version{{17, 2, 14}, {18, 1, 5}, {18, 2, 1}}},
		},
		{
			desc: "Health monitors. It is a reference to an object of type HealthMonitor. Maximum of 6 items allowed. Allowed with any value.",
			want: facts{refTarget: "HealthMonitor", maxItems: 6},
		},
		{
			desc:    "HTTP codes. Allowed values are 101-599. Maximum of 4 items allowed.",
			integer: true,
			want:    facts{min: i64(101), max: i64(599), minFloat: f64(101), maxFloat: f64(599), maxItems: 4},
		},
		{
			desc: "Fully qualified domain name. Minimum of 1 items required. Allowed with any value.",
			want: facts{minItems: 1},
		},
		{
			desc: "Ignore. Allowed in Essentials (Allowed values- false), Basic (Allowed values- false) edition. Special default for Essentials edition is true, Basic edition is true, Enterprise edition is False.",
			want: facts{enterpriseDefault: new(bool)},
		},
		{
			desc: "Deprecated thing. Field deprecated in 31.2.1. Unit is SEC.",
			want: facts{},
		},
	} {
		got, err := parseDescription(tc.desc, tc.integer)
		if err != nil {
			t.Errorf("parseDescription(%q): %v", tc.desc, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseDescription(%q)\n got  %s\n want %s", tc.desc, dumpFacts(got), dumpFacts(tc.want))
		}
	}
	if _, err := parseDescription("Allowed values are -90.0-+90.0.", true); err == nil {
		t.Error("a fractional range on an integer field was accepted")
	}
}

func dumpFacts(f facts) string {
	deref := func(p any) any {
		v := reflect.ValueOf(p)
		if v.IsNil() {
			return nil
		}
		return v.Elem().Interface()
	}
	return fmt.Sprintf("min=%v max=%v fmin=%v fmax=%v special=%v enum=%v intro=%v items=%d/%d ref=%q edef=%v",
		deref(f.min), deref(f.max), deref(f.minFloat), deref(f.maxFloat), f.special, f.enum, f.introduced,
		f.minItems, f.maxItems, f.refTarget, deref(f.enterpriseDefault))
}

// TestFieldFacts checks the parsed facts of known fields.
func TestFieldFacts(t *testing.T) {
	r := load(t)
	i64 := func(n int64) *int64 { return &n }
	ver := func(s string) *Version { v := mustVersion(t, s); return &v }
	for _, tc := range []struct {
		kind, path string
		check      func(f *Field) string
	}{
		{"gslbservice", "groups[].members[].ratio", func(f *Field) string {
			return want(f.Type == "integer" && f.Format == "uint32", "type", f.Type+"/"+f.Format) +
				wantRange(f, i64(1), i64(20), nil) + want(f.Default == json.Number("1"), "default", f.Default)
		}},
		{"gslbservice", "groups[0].members[1].ratio", func(f *Field) string {
			return want(f.Path == "groups[].members[].ratio", "path", f.Path)
		}},
		{"gslbservice", "groups[].priority", func(f *Field) string {
			return wantRange(f, i64(0), i64(100), []int64{0}) + want(f.Default == json.Number("10"), "default", f.Default)
		}},
		{"gslbservice", "ttl", func(f *Field) string { return wantRange(f, i64(0), i64(86400), nil) }},
		{"gslbservice", "num_dns_ip", func(f *Field) string { return wantRange(f, i64(1), i64(20), []int64{0}) }},
		{"gslbservice", "min_members", func(f *Field) string {
			return wantRange(f, i64(1), i64(65535), []int64{0}) + want(reflect.DeepEqual(f.Introduced, ver("17.2.4")), "introduced", f.Introduced)
		}},
		{"gslbservice", "health_monitor_refs", func(f *Field) string {
			return want(f.MaxItems == 6, "max items", f.MaxItems) + want(f.RefTarget == "healthmonitor", "ref", f.RefTarget) +
				want(f.Type == "array" && f.ItemType == "string", "type", f.Type+"/"+f.ItemType)
		}},
		{"gslbservice", "domain_names", func(f *Field) string { return want(f.MinItems == 1, "min items", f.MinItems) }},
		{"gslbservice", "groups", func(f *Field) string {
			return want(f.MinItems == 1, "min items", f.MinItems) + want(f.Definition == "GslbPool" && f.ItemType == "object", "items", f.Definition)
		}},
		{"gslbservice", "pki_profile_ref", func(f *Field) string {
			return want(reflect.DeepEqual(f.Introduced, ver("22.1.3")), "introduced", f.Introduced) +
				want(f.RefTarget == "pkiprofile", "ref", f.RefTarget)
		}},
		{"gslbservice", "record_type", func(f *Field) string {
			return want(reflect.DeepEqual(f.Introduced, ver("31.1.1")), "introduced", f.Introduced) +
				want(f.Default == "GSLB_SERVICE_RECORD_TYPE_A_AAAA_CNAME", "default", f.Default)
		}},
		{"gslbservice", "groups[].consistent_hash_mask6", func(f *Field) string {
			return want(reflect.DeepEqual(f.IntroducedIn, []Version{{18, 2, 8}, {20, 1, 1}}), "introduced in", f.IntroducedIn) +
				want(reflect.DeepEqual(f.Introduced, ver("18.2.8")), "introduced", f.Introduced)
		}},
		{"gslbservice", "groups[].algorithm", func(f *Field) string {
			return want(f.Required, "required", f.Required) + want(f.Default == "GSLB_ALGORITHM_ROUND_ROBIN", "default", f.Default) +
				want(slices.Contains(f.Enum, "GSLB_ALGORITHM_PREFERENCE_ORDER") && len(f.Enum) == 5, "enum", f.Enum)
		}},
		{"gslbservice", "groups[].members[].ip.type", func(f *Field) string {
			return want(f.Required && reflect.DeepEqual(f.Enum, []string{"V4", "DNS", "V6"}), "enum", f.Enum)
		}},
		{"gslbservice", "groups[].members[].location.location.latitude", func(f *Field) string {
			return want(f.Type == "number" && f.Min == nil && *f.MinFloat == -90 && *f.MaxFloat == 90, "range", f.MinFloat)
		}},
		{"gslbservice", "name", func(f *Field) string { return want(f.Required && f.Introduced == nil, "required", f.Required) }},
		{"gslbservice", "url", func(f *Field) string { return want(f.ReadOnly, "read-only", f.ReadOnly) }},
		{"gslbservice", "_last_modified", func(f *Field) string { return want(f.ReadOnly, "read-only", f.ReadOnly) }},
		{"gslbservice", "tenant_ref", func(f *Field) string { return want(f.RefTarget == "tenant", "ref", f.RefTarget) }},
		{"healthmonitor", "markers", func(f *Field) string {
			return want(reflect.DeepEqual(f.Introduced, ver("20.1.5")), "introduced", f.Introduced)
		}},
		{"healthmonitor", "send_interval", func(f *Field) string {
			return wantRange(f, i64(1), i64(3600), nil) + want(f.Default == json.Number("10"), "default", f.Default) +
				want(f.Format == "int32", "format", f.Format)
		}},
		{"healthmonitor", "monitor_port", func(f *Field) string { return wantRange(f, i64(1), i64(65535), []int64{0}) }},
		{"healthmonitor", "type", func(f *Field) string {
			return want(f.Required && slices.Contains(f.Enum, "HEALTH_MONITOR_HTTP") && slices.Contains(f.Enum, "HEALTH_MONITOR_HTTP2S"), "enum", f.Enum)
		}},
		{"healthmonitor", "http_monitor.http_response_code", func(f *Field) string {
			return want(f.MinItems == 1 && slices.Contains(f.Enum, "HTTP_2XX"), "enum/items", f.Enum)
		}},
		{"healthmonitor", "http_monitor.maintenance_code", func(f *Field) string {
			return wantRange(f, i64(101), i64(599), nil) + want(f.MaxItems == 4 && f.ItemType == "integer" && f.Format == "uint32", "items", f.MaxItems)
		}},
		{"pkiprofile", "ignore_peer_chain", func(f *Field) string { return want(f.Default == false, "enterprise default", f.Default) }},
		{"tenant", "config_settings.tenant_vrf", func(f *Field) string { return want(f.Type == "boolean", "type", f.Type) }},
		{"applicationpersistenceprofile", "persistence_type", func(f *Field) string {
			return want(f.Required && f.Default == "PERSISTENCE_TYPE_CLIENT_IP_ADDRESS" && slices.Contains(f.Enum, "PERSISTENCE_TYPE_GSLB_SITE"), "persistence_type", f.Enum)
		}},
		{"virtualservice", "services[].enable_http2", func(f *Field) string {
			return want(reflect.DeepEqual(f.Introduced, ver("20.1.1")), "introduced", f.Introduced)
		}},
		{"tenant", "config_settings.license_quota.limit", func(f *Field) string {
			return wantRange(f, i64(-1), i64(65535), nil) + want(f.Format == "int64", "format", f.Format)
		}},
	} {
		t.Run(tc.kind+"/"+tc.path, func(t *testing.T) {
			f := kind(t, r, tc.kind).Field(tc.path)
			if f == nil {
				t.Fatalf("Field(%q) = nil", tc.path)
			}
			if msg := tc.check(f); msg != "" {
				t.Error(msg)
			}
		})
	}
	gs := kind(t, r, "gslbservice")
	for _, p := range []string{"", "nope", "groups[].nope", "name.sub", "name[]", "groups[].members[].ip.addr.x", "down_response[].type"} {
		if f := gs.Field(p); f != nil {
			t.Errorf("Field(%q) = %+v, want nil", p, f)
		}
	}
	if kind(t, r, "tenant").Field("tenant_ref") != nil {
		t.Error("Tenant has no tenant_ref field (avisim uses that to tell global kinds)")
	}
	// Field returns copies: mutating one must not change the registry.
	gs.Field("groups[].algorithm").Enum[0] = "X"
	if gs.Field("groups[].algorithm").Enum[0] == "X" {
		t.Error("Field shares its Enum with the registry")
	}
}

func want(ok bool, what string, got any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf("unexpected %s: %v; ", what, got)
}

func wantRange(f *Field, lo, hi *int64, special []int64) string {
	if !reflect.DeepEqual(f.Min, lo) || !reflect.DeepEqual(f.Max, hi) || !reflect.DeepEqual(f.Special, special) {
		return fmt.Sprintf("range of %s = %v-%v special %v; ", f.Path, ptr(f.Min), ptr(f.Max), f.Special)
	}
	return ""
}

func ptr(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestAllFields sanity-checks every parsed field of every kind.
func TestAllFields(t *testing.T) {
	r := load(t)
	for _, k := range r.Kinds() {
		if k.Field("name") == nil {
			t.Errorf("%s has no name", k.Name)
		}
		for _, f := range k.Fields() {
			if (f.Min == nil) != (f.Max == nil) || (f.Min != nil && *f.Min > *f.Max) {
				t.Errorf("%s.%s: bad range %v-%v", k.Name, f.Path, ptr(f.Min), ptr(f.Max))
			}
			if f.MaxItems > 0 && f.MinItems > f.MaxItems {
				t.Errorf("%s.%s: items %d-%d", k.Name, f.Path, f.MinItems, f.MaxItems)
			}
			if (f.MinItems > 0 || f.MaxItems > 0) && f.Type != "array" {
				t.Errorf("%s.%s: item counts on a %s", k.Name, f.Path, f.Type)
			}
			if f.RefTarget != "" && f.Type != "string" && !(f.Type == "array" && f.ItemType == "string") {
				t.Errorf("%s.%s: reference of type %s", k.Name, f.Path, f.Type)
			}
			if len(f.Enum) > 0 && f.Type != "string" && f.ItemType != "string" {
				t.Errorf("%s.%s: enum on a %s", k.Name, f.Path, f.Type)
			}
			if got := k.Field(f.Path); got == nil || got.Path != f.Path {
				t.Errorf("Field(%q) does not round-trip", f.Path)
			}
		}
	}
}

func TestRefFields(t *testing.T) {
	r := load(t)
	gs := kind(t, r, "gslbservice").RefFields()
	wantGS := []RefField{
		{Path: "application_persistence_profile_ref", Target: "applicationpersistenceprofile"},
		{Path: "health_monitor_refs", Target: "healthmonitor", List: true},
		{Path: "pki_profile_ref", Target: "pkiprofile"},
		{Path: "tenant_ref", Target: "tenant"},
	}
	if !reflect.DeepEqual(gs, wantGS) {
		t.Errorf("gslbservice RefFields = %+v, want %+v", gs, wantGS)
	}
	vs := kind(t, r, "virtualservice").RefFields()
	for _, w := range []RefField{
		{Path: "pool_ref", Target: "pool"},
		{Path: "services[].override_application_profile_ref", Target: "applicationprofile"},
		{Path: "vsvip_ref", Target: "vsvip"},
		{Path: "http_policies[].http_policy_set_ref", Target: "httppolicyset"},
	} {
		if !slices.Contains(vs, w) {
			t.Errorf("virtualservice RefFields lacks %+v", w)
		}
	}
	for _, k := range r.Kinds() {
		refs := k.RefFields()
		if !slices.IsSortedFunc(refs, func(a, b RefField) int { return strings.Compare(a.Path, b.Path) }) {
			t.Errorf("%s RefFields not sorted", k.Name)
		}
		for _, rf := range refs {
			if f := k.Field(rf.Path); f == nil || f.RefTarget != rf.Target || (f.Type == "array") != rf.List {
				t.Errorf("%s: RefField %+v disagrees with Field %+v", k.Name, rf, f)
			}
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	r := load(t)
	for _, tc := range []struct {
		name, kind, body, version string
	}{
		{"AMKO GS", "gslbservice", gsBody, "31.1.1"},
		{"AMKO GS at 22.1.3", "gslbservice", gsBody, "22.1.3"},
		{"AMKO HM", "healthmonitor", hmBody, "31.1.1"},
		{"AMKO HM at 20.1.5", "healthmonitor", hmBody, "20.1.5"},
		{"TCP HM", "healthmonitor", `{"name": "h", "type": "HEALTH_MONITOR_TCP", "tcp_monitor": {"tcp_half_open": false}, "monitor_port": 0}`, "31.1.1"},
		{"UDP HM", "healthmonitor", `{"name": "h", "type": "HEALTH_MONITOR_UDP", "udp_monitor": {"udp_request": "created_by: amko, request string not required"}}`, "31.1.1"},
		{"echoed read-only and identity fields", "gslbservice", `{
			"name": "g", "domain_names": ["g.example.com"], "groups": [{"name": "p", "members": [{"ip": {"addr": "1.1.1.1", "type": "V4"}}]}],
			"url": "https://10.0.0.1/api/gslbservice/gslbservice-1#g", "uuid": "gslbservice-1",
			"_last_modified": "1590393188277010", "tenant_ref": "https://10.0.0.1/api/tenant/admin#admin"}`, "31.1.1"},
		{"tenant with echoed tenant_ref", "tenant", `{"name": "t1", "local": true, "tenant_ref": "https:///api/tenant/?name=admin", "url": "x"}`, "31.1.1"},
		{"SDK nulls for optional fields", "gslbservice", `{
			"name": "g", "domain_names": ["g.example.com"], "ttl": null, "down_response": null,
			"groups": [{"name": "p", "algorithm": null, "members": [{"ip": {"addr": "1.1.1.1", "type": "V4"}, "ratio": null}]}]}`, "31.1.1"},
		{"integral floats and exponents", "gslbservice", `{
			"name": "g", "domain_names": ["g.example.com"], "ttl": 3e1, "num_dns_ip": 0,
			"groups": [{"name": "p", "priority": 0, "members": [{"ip": {"addr": "1.1.1.1", "type": "V4"}, "ratio": 20.0}]}]}`, "31.1.1"},
		{"geo location", "gslbservice", `{
			"name": "g", "domain_names": ["g.example.com"],
			"groups": [{"name": "p", "members": [{"ip": {"addr": "1.1.1.1", "type": "V4"},
				"location": {"source": "GSLB_LOCATION_SRC_USER_CONFIGURED", "location": {"latitude": -33.5, "longitude": 151.25}}}]}]}`, "31.1.1"},
		{"gslb", "gslb", `{
			"name": "Default", "leader_cluster_uuid": "cluster-1", "dns_configs": [{"domain_name": "example.com"}],
			"sites": [{"name": "k8s-site", "cluster_uuid": "cluster-1", "username": "admin", "password": "x",
				"ip_addresses": [{"addr": "10.0.0.1", "type": "V4"}], "member_type": "GSLB_ACTIVE_MEMBER",
				"dns_vses": [{"dns_vs_uuid": "virtualservice-1"}]}],
			"third_party_sites": [{"name": "test-third-party-member", "cluster_uuid": "tp_cluster-1"}]}`, "31.1.1"},
		{"site persistence profile", "applicationpersistenceprofile", `{
			"name": "gap-1", "persistence_type": "PERSISTENCE_TYPE_GSLB_SITE", "is_federated": true,
			"http_cookie_persistence_profile": {"always_send_cookie": false, "timeout": 0}}`, "31.1.1"},
		{"pki profile", "pkiprofile", `{"name": "pki-1", "is_federated": true, "crl_check": false}`, "31.1.1"},
		{"cloud", "cloud", `{"name": "Default-Cloud", "vtype": "CLOUD_NONE"}`, "31.1.1"},
		{"cluster", "cluster", `{"name": "cluster-0-1", "nodes": [{"name": "10.0.0.1", "ip": {"addr": "10.0.0.1", "type": "V4"}}]}`, "31.1.1"},
		{"virtual service", "virtualservice", `{"name": "vs", "services": [{"port": 53, "enable_http2": false}]}`, "31.1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := kind(t, r, tc.kind)
			v := mustVersion(t, tc.version)
			body := decode(t, tc.body)
			if err := k.Validate(body, v, true); err != nil {
				t.Fatalf("Validate before FillDefaults: %v", err)
			}
			k.FillDefaults(body, v)
			if err := k.Validate(body, v, true); err != nil {
				t.Fatalf("Validate after FillDefaults: %v", err)
			}
		})
	}
}

func TestValidateRefuses(t *testing.T) {
	r := load(t)
	type edit func(m map[string]any)
	set := func(path string, val any) edit {
		return func(m map[string]any) { setPath(t, m, path, val) }
	}
	gsGroup0 := "groups.0."
	gsMember0 := gsGroup0 + "members.0."
	for _, tc := range []struct {
		name, kind, base, version string
		edit                      edit
		reason                    Reason
		field, msg                string
	}{
		{name: "unknown top-level field", kind: "gslbservice", base: gsBody, edit: set("foo", json.Number("1")),
			reason: ReasonUnknown, field: "foo", msg: "Unknown field foo in GslbService"},
		{name: "unknown null field", kind: "gslbservice", base: gsBody, edit: set("foo", nil),
			reason: ReasonUnknown, msg: "Unknown field foo in GslbService"},
		{name: "unknown nested field", kind: "gslbservice", base: gsBody, edit: set(gsMember0+"weight", json.Number("1")),
			reason: ReasonUnknown, field: "groups[0].members[0].weight", msg: "Unknown field groups[0].members[0].weight in GslbPoolMember"},
		{name: "unknown field deep", kind: "gslbservice", base: gsBody, edit: set(gsMember0+"public_ip.ip.mask", json.Number("24")),
			reason: ReasonUnknown, msg: "Unknown field groups[0].members[0].public_ip.ip.mask in IpAddr"},
		{name: "unknown HM field", kind: "healthmonitor", base: hmBody, edit: set("http_monitor.http_verb", "GET"),
			reason: ReasonUnknown, msg: "Unknown field http_monitor.http_verb in HealthMonitorHttp"},
		{name: "string for integer", kind: "gslbservice", base: gsBody, edit: set("ttl", "30"),
			reason: ReasonType, field: "ttl", msg: "ttl: expected integer, got string"},
		{name: "fraction for integer", kind: "gslbservice", base: gsBody, edit: set(gsMember0+"ratio", json.Number("1.5")),
			reason: ReasonType, msg: "groups[0].members[0].ratio: expected integer, got number"},
		{name: "string for boolean", kind: "gslbservice", base: gsBody, edit: set("enabled", "true"),
			reason: ReasonType, msg: "enabled: expected boolean, got string"},
		{name: "number for string", kind: "gslbservice", base: gsBody, edit: set("description", json.Number("7")),
			reason: ReasonType, msg: "description: expected string, got number"},
		{name: "string for array", kind: "gslbservice", base: gsBody, edit: set("domain_names", "app.example.com"),
			reason: ReasonType, msg: "domain_names: expected array, got string"},
		{name: "number in string array", kind: "gslbservice", base: gsBody, edit: set("domain_names.1", json.Number("1")),
			reason: ReasonType, msg: "domain_names[1]: expected string, got number"},
		{name: "null array item", kind: "gslbservice", base: gsBody, edit: set("groups.1", nil),
			reason: ReasonType, msg: "groups[1]: expected object, got null"},
		{name: "string for object", kind: "gslbservice", base: gsBody, edit: set(gsMember0+"ip", "1.1.1.1"),
			reason: ReasonType, msg: "groups[0].members[0].ip: expected object, got string"},
		{name: "array for object", kind: "gslbservice", base: gsBody, edit: set("down_response", []any{}),
			reason: ReasonType, msg: "down_response: expected object, got array"},
		{name: "ratio 21", kind: "gslbservice", base: gsBody, edit: set(gsMember0+"ratio", json.Number("21")),
			reason: ReasonRange, field: "groups[0].members[0].ratio", msg: "groups[0].members[0].ratio: Value 21 is out of range (allowed 1-20)"},
		{name: "ratio 0", kind: "gslbservice", base: gsBody, edit: set(gsMember0+"ratio", json.Number("0")),
			reason: ReasonRange, msg: "groups[0].members[0].ratio: Value 0 is out of range (allowed 1-20)"},
		{name: "priority 101", kind: "gslbservice", base: gsBody, edit: set(gsGroup0+"priority", json.Number("101")),
			reason: ReasonRange, msg: "groups[0].priority: Value 101 is out of range (allowed 0-100)"},
		{name: "negative uint32", kind: "gslbservice", base: gsBody, edit: set(gsGroup0+"priority", json.Number("-1")),
			reason: ReasonRange, msg: "groups[0].priority: Value -1 is out of range (allowed 0-4294967295)"},
		{name: "uint32 overflow", kind: "gslbservice", base: gsBody, edit: set("min_members", json.Number("4294967296")),
			reason: ReasonRange, msg: "min_members: Value 4294967296 is out of range (allowed 0-4294967295)"},
		{name: "huge exponent", kind: "gslbservice", base: gsBody, edit: set("ttl", json.Number("1e999999999")),
			reason: ReasonRange, msg: "ttl: Value 1e999999999 is out of range (allowed 0-4294967295)"},
		{name: "ttl 86401", kind: "gslbservice", base: gsBody, edit: set("ttl", json.Number("86401")),
			reason: ReasonRange, msg: "ttl: Value 86401 is out of range (allowed 0-86400)"},
		{name: "num_dns_ip 21", kind: "gslbservice", base: gsBody, edit: set("num_dns_ip", json.Number("21")),
			reason: ReasonRange, msg: "num_dns_ip: Value 21 is out of range (allowed 1-20)"},
		{name: "latitude 91", kind: "gslbservice", base: gsBody,
			edit:   set(gsMember0+"location", map[string]any{"source": "GSLB_LOCATION_SRC_USER_CONFIGURED", "location": map[string]any{"latitude": json.Number("91")}}),
			reason: ReasonRange, msg: "groups[0].members[0].location.location.latitude: Value 91 is out of range (allowed -90-90)"},
		{name: "bad enum", kind: "gslbservice", base: gsBody, edit: set(gsGroup0+"algorithm", "GSLB_ALGORITHM_RANDOM"),
			reason: ReasonEnum, field: "groups[0].algorithm",
			msg: "groups[0].algorithm: Invalid choice GSLB_ALGORITHM_RANDOM. Valid choices are: GSLB_ALGORITHM_ROUND_ROBIN, GSLB_ALGORITHM_CONSISTENT_HASH, GSLB_ALGORITHM_GEO, GSLB_ALGORITHM_TOPOLOGY, GSLB_ALGORITHM_PREFERENCE_ORDER"},
		{name: "bad ip type", kind: "gslbservice", base: gsBody, edit: set(gsMember0+"ip.type", "IPV4"),
			reason: ReasonEnum, msg: "groups[0].members[0].ip.type: Invalid choice IPV4. Valid choices are: V4, DNS, V6"},
		{name: "null required name", kind: "gslbservice", base: gsBody, edit: set("name", nil),
			reason: ReasonRequired, field: "name", msg: "name: This field is required."},
		{name: "absent required pool name", kind: "gslbservice", base: gsBody, edit: del(t, gsGroup0+"name"),
			reason: ReasonRequired, msg: "groups[0].name: This field is required."},
		{name: "null required ip.addr", kind: "gslbservice", base: gsBody, edit: set(gsMember0+"ip.addr", nil),
			reason: ReasonRequired, msg: "groups[0].members[0].ip.addr: This field is required."},
		{name: "7 health monitor refs", kind: "gslbservice", base: gsBody,
			edit: set("health_monitor_refs", []any{"/api/healthmonitor?name=1", "/api/healthmonitor?name=2", "/api/healthmonitor?name=3",
				"/api/healthmonitor?name=4", "/api/healthmonitor?name=5", "/api/healthmonitor?name=6", "/api/healthmonitor?name=7"}),
			reason: ReasonItems, field: "health_monitor_refs", msg: "health_monitor_refs: Maximum of 6 items allowed."},
		{name: "no domain names", kind: "gslbservice", base: gsBody, edit: set("domain_names", []any{}),
			reason: ReasonItems, msg: "domain_names: Minimum of 1 items required."},
		{name: "absent domain names", kind: "gslbservice", base: gsBody, edit: del(t, "domain_names"),
			reason: ReasonItems, msg: "domain_names: Minimum of 1 items required."},
		{name: "no members", kind: "gslbservice", base: gsBody, edit: set(gsGroup0+"members", []any{}),
			reason: ReasonItems, msg: "groups[0].members: Minimum of 1 items required."},
		{name: "HM bad type", kind: "healthmonitor", base: hmBody, edit: set("type", "HEALTH_MONITOR_ICMP"),
			reason: ReasonEnum, field: "type"},
		{name: "HM null type", kind: "healthmonitor", base: hmBody, edit: set("type", nil),
			reason: ReasonRequired, msg: "type: This field is required."},
		{name: "HM send_interval 0", kind: "healthmonitor", base: hmBody, edit: set("send_interval", json.Number("0")),
			reason: ReasonRange, msg: "send_interval: Value 0 is out of range (allowed 1-3600)"},
		{name: "HM monitor_port 65536", kind: "healthmonitor", base: hmBody, edit: set("monitor_port", json.Number("65536")),
			reason: ReasonRange, msg: "monitor_port: Value 65536 is out of range (allowed 1-65535)"},
		{name: "HM bad response code", kind: "healthmonitor", base: hmBody, edit: set("http_monitor.http_response_code.1", "HTTP_6XX"),
			reason: ReasonEnum, field: "http_monitor.http_response_code[1]"},
		{name: "HM no response codes", kind: "healthmonitor", base: hmBody, edit: set("http_monitor.http_response_code", []any{}),
			reason: ReasonItems, msg: "http_monitor.http_response_code: Minimum of 1 items required."},
		{name: "HM maintenance code out of range", kind: "healthmonitor", base: hmBody, edit: set("http_monitor.maintenance_code", []any{json.Number("600")}),
			reason: ReasonRange, msg: "http_monitor.maintenance_code[0]: Value 600 is out of range (allowed 101-599)"},
		{name: "HM marker without key", kind: "healthmonitor", base: hmBody, edit: set("markers.0.key", nil),
			reason: ReasonRequired, msg: "markers[0].key: This field is required."},
		{name: "gated top-level field", kind: "gslbservice", base: gsBody, version: "22.1.2",
			reason: ReasonVersion, field: "pki_profile_ref",
			msg: "Incoming request (v22_1_2) has field (pki_profile_ref) introduced in later versions(v22_1_3)."},
		{name: "gated nested field", kind: "gslbservice", base: gsBody, version: "18.2.8", edit: del(t, "pki_profile_ref"),
			reason: ReasonVersion, field: "groups[0].min_health_monitors_up",
			msg: "Incoming request (v18_2_8) has field (min_health_monitors_up) introduced in later versions(v20_1_1)."},
		{name: "gated HM markers", kind: "healthmonitor", base: hmBody, version: "20.1.1",
			reason: ReasonVersion, msg: "Incoming request (v20_1_1) has field (markers) introduced in later versions(v20_1_5)."},
		{name: "documented example", kind: "virtualservice", base: `{"name": "vs", "services": [{"port": 443, "enable_http2": true}]}`, version: "18.2.8",
			reason: ReasonVersion, msg: "Incoming request (v18_2_8) has field (enable_http2) introduced in later versions(v20_1_1)."},
		{name: "tenant has no markers", kind: "tenant", base: `{"name": "t", "markers": []}`,
			reason: ReasonUnknown, msg: "Unknown field markers in Tenant"},
		{name: "unknown nested read-only sibling", kind: "gslb", base: `{"name": "Default", "leader_cluster_uuid": "c", "sites": [{"name": "s", "cluster_uuid": "c", "username": "u", "password": "p", "bogus": 1}]}`,
			reason: ReasonUnknown, msg: "Unknown field sites[0].bogus in GslbSite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := kind(t, r, tc.kind)
			version := tc.version
			if version == "" {
				version = "31.1.1"
			}
			v := mustVersion(t, version)
			body := decode(t, tc.base)
			if tc.edit != nil {
				tc.edit(body)
			}
			err := k.Validate(body, v, true)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Validate = %v, want a *Error", err)
			}
			if se.Reason != tc.reason || (tc.field != "" && se.Field != tc.field) || (tc.msg != "" && se.Error() != tc.msg) {
				t.Errorf("Validate = %q (reason %s, field %s)\nwant    %q (reason %s, field %s)",
					se.Error(), se.Reason, se.Field, tc.msg, tc.reason, tc.field)
			}
		})
	}
}

// TestValidateGateOff: with gating off, later fields are accepted and still checked.
func TestValidateGateOff(t *testing.T) {
	r := load(t)
	gs, hm := kind(t, r, "gslbservice"), kind(t, r, "healthmonitor")
	v := mustVersion(t, "20.1.1") // AMKO's unit tests configure 20.1.1
	if err := gs.Validate(decode(t, gsBody), v, false); err != nil {
		t.Errorf("GS at 20.1.1 without gating: %v", err)
	}
	if err := hm.Validate(decode(t, hmBody), v, false); err != nil {
		t.Errorf("HM at 20.1.1 without gating: %v", err)
	}
	if err := gs.Validate(decode(t, gsBody), v, true); err == nil {
		t.Error("GS at 20.1.1 with gating accepted pki_profile_ref (22.1.3)")
	}
	body := decode(t, gsBody)
	body["pki_profile_ref"] = json.Number("1")
	if err := gs.Validate(body, v, false); err == nil || !strings.Contains(err.Error(), "pki_profile_ref: expected string") {
		t.Errorf("a gated field is not type-checked with gating off: %v", err)
	}
	// A null later field is absent, so it is not gated.
	body = decode(t, gsBody)
	body["pki_profile_ref"] = nil
	if err := gs.Validate(body, v, true); err != nil {
		t.Errorf("null later field: %v", err)
	}
	// A required field introduced after v is not required at v.
	if err := gs.Validate(decode(t, `{"name": "g", "domain_names": ["a"], "groups": [{"name": "p", "members": [{"ip": {"addr": "1.1.1.1", "type": "V4"}}]}]}`), mustVersion(t, "16.4.1"), true); err != nil {
		t.Errorf("minimal GS at 16.4.1: %v", err)
	}
}

// TestValidateGoValues: bodies built in Go (float64, int) are accepted too.
func TestValidateGoValues(t *testing.T) {
	r := load(t)
	gs := kind(t, r, "gslbservice")
	body := map[string]any{
		"name": "g", "domain_names": []any{"g.example.com"}, "ttl": 30, "num_dns_ip": float64(2),
		"groups": []any{map[string]any{"name": "p", "priority": uint32(10), "members": []any{
			map[string]any{"ip": map[string]any{"addr": "1.1.1.1", "type": "V4"}, "ratio": int64(3)},
		}}},
	}
	if err := gs.Validate(body, mustVersion(t, "31.1.1"), true); err != nil {
		t.Errorf("Go-typed body: %v", err)
	}
	body["domain_names"] = []string{"g.example.com"}
	if err := gs.Validate(body, mustVersion(t, "31.1.1"), true); err == nil || err.Error() != "domain_names: expected array, got []string" {
		t.Errorf("[]string: %v", err)
	}
}

func TestFillDefaults(t *testing.T) {
	r := load(t)
	gs := kind(t, r, "gslbservice")
	const minimal = `{"name": "g", "domain_names": ["g.example.com"], "down_response": {"fallback_ip": {"addr": "1.1.1.1", "type": "V4"}},
		"groups": [{"name": "p", "algorithm": null, "members": [{"ip": {"addr": "1.1.1.1", "type": "V4"}}, {"ratio": 5, "enabled": false, "ip": {"addr": "2.2.2.2", "type": "V4"}}]},
		           {"name": "q", "priority": 20, "members": "not a list"}]}`
	for _, tc := range []struct {
		version string
		path    string
		want    any // nil: absent
	}{
		{"31.1.1", "enabled", true},
		{"31.1.1", "controller_health_status_enabled", true},
		{"31.1.1", "is_federated", true},
		{"31.1.1", "use_edns_client_subnet", true},
		{"31.1.1", "health_monitor_scope", "GSLB_SERVICE_HEALTH_MONITOR_ALL_MEMBERS"},
		{"31.1.1", "pool_algorithm", "GSLB_SERVICE_ALGORITHM_PRIORITY"},
		{"31.1.1", "record_type", "GSLB_SERVICE_RECORD_TYPE_A_AAAA_CNAME"},
		{"31.1.1", "down_response.type", "GSLB_SERVICE_DOWN_RESPONSE_NONE"},
		{"31.1.1", "groups.0.priority", json.Number("10")},
		{"31.1.1", "groups.0.enabled", true},
		{"31.1.1", "groups.0.algorithm", "GSLB_ALGORITHM_ROUND_ROBIN"}, // null counts as absent
		{"31.1.1", "groups.0.members.0.ratio", json.Number("1")},
		{"31.1.1", "groups.0.members.0.enabled", true},
		{"31.1.1", "groups.0.members.0.preference_order", json.Number("1")},
		{"31.1.1", "groups.0.members.1.ratio", json.Number("5")}, // present values are kept
		{"31.1.1", "groups.0.members.1.enabled", false},
		{"31.1.1", "groups.1.priority", json.Number("20")},
		{"31.1.1", "groups.1.members", "not a list"},
		{"31.1.1", "groups.0.gslb_pool_type", nil},     // 31.2.1
		{"31.1.1", "ttl", nil},                         // no default
		{"31.1.1", "site_persistence_enabled", nil},    // no default
		{"31.1.1", "groups.0.members.0.location", nil}, // absent sub-objects are not created
		{"31.2.1", "groups.0.gslb_pool_type", "GSLB_POOL_TYPE_GENERIC"},
		{"22.1.2", "record_type", nil},                                      // 31.1.1
		{"22.1.2", "groups.0.members.0.preference_order", json.Number("1")}, // 22.1.1
		{"20.1.1", "groups.0.members.0.preference_order", nil},
		{"17.1.1", "is_federated", nil}, // 17.1.3
		{"17.1.1", "enabled", true},
	} {
		t.Run(tc.version+"/"+tc.path, func(t *testing.T) {
			body := decode(t, minimal)
			gs.FillDefaults(body, mustVersion(t, tc.version))
			got, ok := getPath(body, tc.path)
			if tc.want == nil {
				if ok {
					t.Errorf("%s = %#v, want absent", tc.path, got)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %#v, want %#v", tc.path, got, tc.want)
			}
		})
	}
	// Filling and then validating AMKO's bodies at every supported version works.
	for _, v := range []string{"22.1.3", "30.1.1", "30.2.1", "31.1.1", "31.2.1"} {
		for name, src := range map[string]string{"gslbservice": gsBody, "healthmonitor": hmBody} {
			k, body := kind(t, r, name), decode(t, src)
			k.FillDefaults(body, mustVersion(t, v))
			if err := k.Validate(body, mustVersion(t, v), true); err != nil {
				t.Errorf("%s at %s after FillDefaults: %v", name, v, err)
			}
		}
	}
	gs.FillDefaults(nil, mustVersion(t, "31.1.1")) // must not panic
	gs.Strip(nil, mustVersion(t, "31.1.1"))
	if err := gs.Validate(nil, mustVersion(t, "31.1.1"), true); err == nil || err.Error() != "domain_names: Minimum of 1 items required." {
		t.Errorf("Validate(nil) = %v", err)
	}
	hm := kind(t, r, "healthmonitor")
	body := decode(t, `{"name": "h", "type": "HEALTH_MONITOR_HTTP", "http_monitor": {"http_response_code": ["HTTP_2XX"]}}`)
	hm.FillDefaults(body, mustVersion(t, "31.1.1"))
	for path, want := range map[string]any{
		"send_interval": json.Number("10"), "receive_timeout": json.Number("4"),
		"successful_checks": json.Number("2"), "failed_checks": json.Number("2"),
		"http_monitor.http_request": "GET / HTTP/1.0",
	} {
		if got, _ := getPath(body, path); !reflect.DeepEqual(got, want) {
			t.Errorf("HM %s = %#v, want %#v", path, got, want)
		}
	}
}

func TestStrip(t *testing.T) {
	r := load(t)
	gs := kind(t, r, "gslbservice")
	stored := func() map[string]any {
		body := decode(t, gsBody)
		body["record_type"] = "GSLB_SERVICE_RECORD_TYPE_A_AAAA_CNAME"
		body["custom"] = "kept"
		setPath(t, body, "groups.0.gslb_pool_type", "GSLB_POOL_TYPE_GENERIC")
		setPath(t, body, "groups.0.members.0.srv_rdata", map[string]any{"port": json.Number("53"), "priority": json.Number("0"), "weight": json.Number("1")})
		setPath(t, body, "groups.0.members.0.preference_order", json.Number("1"))
		return body
	}
	for _, tc := range []struct {
		version string
		gone    []string
		kept    []string
	}{
		{"22.1.2",
			[]string{"record_type", "pki_profile_ref", "groups.0.gslb_pool_type", "groups.0.members.0.srv_rdata"},
			[]string{"custom", "name", "groups.0.members.0.preference_order", "groups.0.min_health_monitors_up", "site_persistence_enabled"}},
		{"22.1.3",
			[]string{"record_type", "groups.0.members.0.srv_rdata"},
			[]string{"pki_profile_ref"}},
		{"31.1.1",
			[]string{"groups.0.gslb_pool_type"},
			[]string{"record_type", "groups.0.members.0.srv_rdata"}},
		{"20.1.1",
			[]string{"groups.0.members.0.preference_order"},
			[]string{"groups.0.min_health_monitors_up", "groups.1.fallback_algorithm"}},
	} {
		t.Run(tc.version, func(t *testing.T) {
			body := stored()
			v := mustVersion(t, tc.version)
			gs.Strip(body, v)
			for _, p := range tc.gone {
				if _, ok := getPath(body, p); ok {
					t.Errorf("%s kept", p)
				}
			}
			for _, p := range tc.kept {
				if _, ok := getPath(body, p); !ok {
					t.Errorf("%s removed", p)
				}
			}
			delete(body, "custom")
			if err := gs.Validate(body, v, true); err != nil {
				t.Errorf("stripped body does not validate at %s: %v", tc.version, err)
			}
		})
	}
}

// TestSwaggerMatchesSDK detects a stale copy: the embedded files must equal the
// swagger folder of the alb-sdk version go.mod pins.
func TestSwaggerMatchesSDK(t *testing.T) {
	// The module is in the cache whenever the avisim tests, which import the SDK, build.
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/vmware/alb-sdk")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m github.com/vmware/alb-sdk: %v\n%s", err, stderr.String())
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatal("github.com/vmware/alb-sdk is not in the module cache: run go mod download")
	}
	files, err := fs.Glob(swaggerFS, "swagger/*.json")
	if err != nil || len(files) != 9 {
		t.Fatalf("embedded files %v, %v", files, err)
	}
	for _, f := range files {
		ours, err := swaggerFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := os.ReadFile(filepath.Join(dir, "swagger", filepath.Base(f)))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("%s differs from %s/swagger: copy it again", f, dir)
		}
	}
}

// setPath sets a value at a dotted path whose numeric segments index lists.
func setPath(t *testing.T, m map[string]any, path string, val any) {
	t.Helper()
	segs := strings.Split(path, ".")
	var cur any = m
	for i, seg := range segs {
		last := i == len(segs)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[seg] = val
				return
			}
			cur = c[seg]
		case []any:
			var n int
			if _, err := fmt.Sscan(seg, &n); err != nil || n >= len(c) {
				t.Fatalf("setPath %s: bad index %s", path, seg)
			}
			if last {
				c[n] = val
				return
			}
			cur = c[n]
		default:
			t.Fatalf("setPath %s: %s is not a container", path, seg)
		}
	}
}

// del deletes the field at a dotted path.
func del(t *testing.T, path string) func(map[string]any) {
	return func(m map[string]any) {
		t.Helper()
		target, key := m, path
		if i := strings.LastIndex(path, "."); i >= 0 {
			p, _ := getPath(m, path[:i])
			var ok bool
			if target, ok = p.(map[string]any); !ok {
				t.Fatalf("del %s: parent is not an object", path)
			}
			key = path[i+1:]
		}
		delete(target, key)
	}
}

func getPath(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, seg := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			var n int
			if _, err := fmt.Sscan(seg, &n); err != nil || n >= len(c) {
				return nil, false
			}
			cur = c[n]
		default:
			return nil, false
		}
	}
	return cur, true
}
