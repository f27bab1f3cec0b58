// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package validation_test checks, against a real kube-apiserver, that amko's CRDs
// accept what AMKO users write and refuse bad input at admission with a message
// that names the field and says what is allowed.
package validation_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/amko-project/amko/test/clusters"
)

var set *clusters.Set

func TestMain(m *testing.M) { os.Exit(clusters.Main(m, 1, &set, clusters.Options{})) }

// Every example of amko.md §1, and AMKO's documented GSLBHostRule, is accepted
// unchanged, and every field of it is stored: nothing is pruned.
func TestExamplesAreAccepted(t *testing.T) {
	files, err := filepath.Glob("testdata/examples/*.yaml")
	if err != nil || len(files) < 7 {
		t.Fatalf("want the examples in testdata/examples, got %v (%v)", files, err)
	}
	c := set.Clusters[0].Client
	for _, f := range files {
		for i, obj := range readObjects(t, f) {
			t.Run(fmt.Sprintf("%s#%d/%s", filepath.Base(f), i, obj.GetKind()), func(t *testing.T) {
				ctx := context.Background()
				sent := obj.DeepCopy()
				if err := c.Create(ctx, obj); err != nil {
					t.Fatalf("refused: %v", err)
				}
				t.Cleanup(func() { _ = c.Delete(context.Background(), obj) })
				got := &unstructured.Unstructured{}
				got.SetGroupVersionKind(obj.GroupVersionKind())
				if err := c.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
					t.Fatal(err)
				}
				if path, ok := contains(got.Object["spec"], sent.Object["spec"], ".spec"); !ok {
					t.Errorf("stored spec lost or changed %s: sent %v, stored %v", path, sent.Object["spec"], got.Object["spec"])
				}
			})
		}
	}
}

// Defaults are AMKO's: a GDP's traffic split weighs 1 at priority 10, a
// GSLBHostRule's at priority 1; an explicit priority 0 is kept.
func TestDefaults(t *testing.T) {
	ctx := context.Background()
	c := set.Clusters[0].Client
	for _, tc := range []struct {
		kind, spec   string
		wantPriority []int64
	}{
		{"GlobalDeploymentPolicy", "trafficSplit: [{cluster: a}, {cluster: b, priority: 0}]", []int64{10, 0}},
		{"GSLBHostRule", "fqdn: d.example.com\ntrafficSplit: [{cluster: a}, {cluster: b, priority: 0}]", []int64{1, 0}},
	} {
		obj := object(t, tc.kind, "defaults", tc.spec)
		if err := c.Create(ctx, obj, client.DryRunAll); err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		split, _, _ := unstructured.NestedSlice(obj.Object, "spec", "trafficSplit")
		for i, want := range tc.wantPriority {
			elem := split[i].(map[string]any)
			if elem["weight"] != int64(1) || elem["priority"] != want {
				t.Errorf("%s trafficSplit[%d] = %v, want weight 1 priority %d", tc.kind, i, elem, want)
			}
		}
	}
}

// Each invalid object is refused at admission; the message names the field and
// says what is allowed.
func TestInvalidObjectsAreRefused(t *testing.T) {
	const gdp, ghr, gc, ac = "GlobalDeploymentPolicy", "GSLBHostRule", "GSLBConfig", "AMKOCluster"
	// Specs of GSLBHostRule need a fqdn; fq prepends it.
	fq := func(s string) string { return "fqdn: a.example.com\n" + s }
	cases := []struct {
		name, kind, spec string
		want             []string
	}{
		// Ranges.
		{"weight below 1", gdp, "trafficSplit: [{cluster: a, weight: 0}]",
			[]string{"spec.trafficSplit[0].weight", "greater than or equal to 1"}},
		{"weight above 20", gdp, "trafficSplit: [{cluster: a, weight: 21}]",
			[]string{"spec.trafficSplit[0].weight", "less than or equal to 20"}},
		{"priority above 100", gdp, "trafficSplit: [{cluster: a, priority: 101}]",
			[]string{"spec.trafficSplit[0].priority", "less than or equal to 100"}},
		{"negative priority", gdp, "trafficSplit: [{cluster: a, priority: -1}]",
			[]string{"spec.trafficSplit[0].priority", "greater than or equal to 0"}},
		{"ttl below 0", gdp, "ttl: -1", []string{"spec.ttl", "greater than or equal to 0"}},
		{"ttl above 86400", gdp, "ttl: 86401", []string{"spec.ttl", "less than or equal to 86400"}},
		{"hashMask 0", gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH, hashMask: 0}",
			[]string{"spec.poolAlgorithmSettings.hashMask", "greater than or equal to 1"}},
		{"hashMask 32", gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH, hashMask: 32}",
			[]string{"spec.poolAlgorithmSettings.hashMask", "less than or equal to 31"}},
		{"fallback hashMask 32", gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH, hashMask: 32}}",
			[]string{"spec.poolAlgorithmSettings.geoFallback.hashMask", "less than or equal to 31"}},
		{"GSLBHostRule weight above 20", ghr, fq("trafficSplit: [{cluster: a, weight: 21}]"),
			[]string{"spec.trafficSplit[0].weight", "less than or equal to 20"}},
		{"GSLBHostRule ttl above 86400", ghr, fq("ttl: 86401"), []string{"spec.ttl", "less than or equal to 86400"}},

		// Enums.
		{"unknown algorithm", gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_RANDOM}",
			[]string{"spec.poolAlgorithmSettings.lbAlgorithm", `Unsupported value: "GSLB_ALGORITHM_RANDOM"`, "GSLB_ALGORITHM_ROUND_ROBIN"}},
		{"unknown fallback algorithm", gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_GEO}}",
			[]string{"spec.poolAlgorithmSettings.geoFallback.lbAlgorithm", "Unsupported value", "GSLB_ALGORITHM_CONSISTENT_HASH"}},
		{"unknown down response", gdp, "downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_TEAPOT}",
			[]string{"spec.downResponse.type", "Unsupported value", "GSLB_SERVICE_DOWN_RESPONSE_EMPTY"}},
		{"down response without type", ghr, fq("downResponse: {}"), []string{"spec.downResponse.type", "Required value"}},
		{"public IP without cluster", ghr, fq("publicIP: [{ip: 10.1.1.1}]"), []string{"spec.publicIP[0].cluster", "Required value"}},
		{"public IP without ip", ghr, fq("publicIP: [{cluster: a}]"), []string{"spec.publicIP[0].ip", "Required value"}},
		{"unknown log level", gc, "logLevel: TRACE", []string{"spec.logLevel", "Unsupported value", "DEBUG"}},

		// The one refusal beyond AMKO's CRD: a value AMKO's Go type, like amko's,
		// cannot hold. The message says AMKO cannot read it either.
		{"GSLBHostRule priority above uint32", ghr, fq("trafficSplit: [{cluster: a, priority: 4294967296}]"),
			[]string{"spec.trafficSplit[0].priority", "priority must be at most 4294967295", "AMKO's CRD accepts it, AMKO's code cannot"}},

		// amko's own fields, which AMKO's CRD does not have.
		{"DNS without zones", gc, "dns: {listen: ':53'}", []string{"spec.dns.zones", "Required value"}},
		{"endpointHealth holdDown", gdp, "endpointHealth: {holdDown: ten}", []string{"spec.endpointHealth.holdDown", "should match"}},
		{"memberClusterLoss duration", gc, "memberClusterLoss: {disableMembersAfter: '5'}", []string{"spec.memberClusterLoss.disableMembersAfter", "should match"}},
		{"alternateAfter duration", gc, "gslbLeader: {controllerIP: 10.1.1.1, alternateAfter: soon}", []string{"spec.gslbLeader.alternateAfter", "should match"}},
		{"empty alternate controller", gc, "gslbLeader: {controllerIP: 10.1.1.1, alternateControllers: ['']}", []string{"spec.gslbLeader.alternateControllers[0]", "at least 1 chars"}},
		{"alternate controller twice", gc, "gslbLeader: {controllerIP: 10.1.1.1, alternateControllers: [10.1.1.2, 10.1.1.2]}", []string{"spec.gslbLeader.alternateControllers[1]", "Duplicate value"}},
		{"unknown failover mode", ac, "failover: Sometimes", []string{"spec.failover", "Unsupported value", `"Automatic"`}},
		{"DNS compareWith", gc, "dns: {zones: [{name: example.com}], compareWith: 'avi-dns'}", []string{"spec.dns.compareWith", "compareWith must be host:port"}},
		{"DNS listen", gc, "dns: {listen: '53', zones: [{name: example.com}]}", []string{"spec.dns.listen", "listen must be host:port"}},
		{"DNS zone name", gc, "dns: {zones: [{name: 'Example .com'}]}", []string{"spec.dns.zones[0].name", "should match"}},
		{"DNS zone twice", gc, "dns: {zones: [{name: example.com}, {name: example.com}]}", []string{"spec.dns.zones", "each zone may appear only once"}},
		{"geo latitude", gc, "dns: {zones: [{name: example.com}], geo: {sites: [{name: c1, location: {latitude: '91', longitude: '0'}}]}}",
			[]string{"spec.dns.geo.sites[0].location.latitude", "latitude must be a decimal number of degrees from -90 to 90"}},
		{"geo longitude", gc, "dns: {zones: [{name: example.com}], geo: {sites: [{name: c1, location: {latitude: '1', longitude: 'east'}}]}}",
			[]string{"spec.dns.geo.sites[0].location.longitude", "longitude must be a decimal number"}},
		{"geo client prefix", gc, "dns: {zones: [{name: example.com}], geo: {clients: [{prefix: 198.51.100.7, location: {latitude: '1', longitude: '2'}}]}}",
			[]string{"spec.dns.geo.clients[0].prefix", "prefix must be an IPv4 or IPv6 prefix"}},
	}
	c := set.Clusters[0].Client
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Create(context.Background(), object(t, tc.kind, "invalid", tc.spec), client.DryRunAll)
			if err == nil {
				t.Fatalf("accepted, want refused with %q", tc.want)
			}
			t.Logf("refused: %v", err)
			if !apierrors.IsInvalid(err) {
				t.Fatalf("refused with %v, want an Invalid error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not contain %q", err.Error(), w)
				}
			}
		})
	}

	// The rules refuse only what is wrong: their valid neighbours pass.
	valid := []struct{ kind, spec string }{
		{gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH, hashMask: 31}"},
		{gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN}}"},
		{gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_TOPOLOGY}"},
		{gdp, "poolAlgorithmSettings: {}"},
		{gdp, "downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP, fallbackIP: 'fd00::1'}"},
		{gdp, "downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_EMPTY}"},
		{gdp, "healthMonitorRefs: []\nhealthMonitorTemplate: tpl"},
		{gdp, "trafficSplit: [{cluster: a, weight: 20, priority: 100}, {cluster: b, weight: 1, priority: 0}]\nttl: 0"},
		{ghr, fq("sitePersistence: {enabled: false}\npublicIP: [{cluster: a, ip: 10.1.1.1}, {cluster: b, ip: '2001:db8::1'}]")},
		{ghr, fq("ttl: 86400\ntrafficSplit: [{cluster: third-party-site, weight: 20}]")},
		{gc, "memberClusters: [{clusterContext: c1}, {clusterContext: c2}]\nlogLevel: WARN"},
		{gdp, "endpointHealth: {enabled: false, holdDown: 1m30s}"},
		{gdp, "endpointHealth: {holdDown: 0s}"},
		{gc, "memberClusterLoss: {disableMembersAfter: 2.5m}"},
		{gc, "dns: {listen: '127.0.0.1:5353', ttl: 10, zones: [{name: global.example.com, nameservers: [ns1.site-a.example.com], negativeTTL: 60}, {name: 'example.org.'}]}"},
		{gc, "dns: {listen: '[::1]:53', zones: [{name: example.com}]}\ngslbLeader: {credentials: x}"},
		{gc, "dns: {zones: [{name: example.com}], compareWith: '[fd00::53]:53'}\ngslbLeader: {controllerIP: 10.1.1.1, credentials: x}"},
		{gc, "dns: {zones: [{name: example.com}], geo: {sites: [{name: c1, location: {latitude: '-33.87', longitude: '151.21'}}], clients: [{prefix: '2001:db8::/32', location: {latitude: '0', longitude: '-180'}}]}}"},
	}
	for _, v := range valid {
		if err := c.Create(context.Background(), object(t, v.kind, "valid", v.spec), client.DryRunAll); err != nil {
			t.Errorf("%s with %q refused: %v", v.kind, v.spec, err)
		}
	}
}

// Issue 13: what AMKO 2.2.1's CRDs accept and AMKO refuses only at runtime,
// amko's CRDs accept too, so that every manifest that applied under AMKO
// applies under amko; amko refuses them at runtime, in the status, with
// AMKO's text (test/compat checks the texts on a running amko). These were
// admission refusals before.
func TestAMKORuntimeChecksAreNotAdmissionChecks(t *testing.T) {
	const gdp, ghr, gc, ac = "GlobalDeploymentPolicy", "GSLBHostRule", "GSLBConfig", "AMKOCluster"
	fq := func(s string) string { return "fqdn: a.example.com\n" + s }
	for _, v := range []struct{ kind, spec string }{
		{gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH}"},
		{ghr, fq("poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN, hashMask: 24}")},
		{gdp, "poolAlgorithmSettings: {hashMask: 24}"},
		{gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO}"},
		{ghr, fq("poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH, hashMask: 8, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN}}")},
		{gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH}}"},
		{gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN, hashMask: 24}}"},
		{gdp, "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, geoFallback: {hashMask: 24}}"},
		{gdp, "downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP}"},
		{ghr, fq("downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_NONE, fallbackIP: 10.1.1.1}")},
		{gdp, "downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP, fallbackIP: 10.1.1}"},
		{gdp, "healthMonitorRefs: [hm1]\nhealthMonitorTemplate: tpl"},
		{ghr, fq("healthMonitorRefs: [hm1]\nhealthMonitorTemplate: tpl")},
		{gdp, "trafficSplit: [{cluster: a, weight: 2}, {cluster: b}, {cluster: a, weight: 3}]"},
		{ghr, fq("trafficSplit: [{cluster: a}, {cluster: a}]")},
		{ghr, fq("trafficSplit: [{cluster: a, priority: 101}]")},
		{ghr, fq("trafficSplit: [{cluster: a, priority: 4294967295}]")}, // a uint32, not an int32
		{ghr, fq("trafficSplit: [{weight: 3}]")},
		{gdp, "matchClusters: [{cluster: a}, {cluster: a, syncVipOnly: true}]"},
		{gdp, "matchClusters: [{syncVipOnly: true}]"},
		{gdp, "matchRules: {appSelector: {label: {app: ''}}}"},
		{gdp, "matchRules: {namespaceSelector: {label: {'': gslb}}}"},
		{ghr, "ttl: 30"},
		{ghr, "fqdn: ''"},
		{ghr, "fqdn: " + strings.Repeat("a", 300)},
		{ghr, fq("publicIP: [{cluster: a, ip: 300.1.1.1}]")},
		{ghr, fq("publicIP: [{cluster: a, ip: 10.1.1.1}, {cluster: a, ip: 10.1.1.2}]")},
		{ghr, fq("thirdPartyMembers: [{site: s, vip: host.example.com}]")},
		{ghr, fq("thirdPartyMembers: [{site: s, vip: 10.1.1.1, publicIP: x}]")},
		{ghr, fq("thirdPartyMembers: [{vip: 10.1.1.1}]")},
		{ghr, fq("thirdPartyMembers: [{}]")},
		{ghr, fq("sitePersistence: {enabled: true}")},
		{ghr, fq("sitePersistence: {}")},
		{ghr, fq("sitePersistence: {profileRef: gap-1}")},
		{ghr, fq("sitePersistence: {pkiProfileRef: pki-1}")},
		{gc, "memberClusters: [{clusterContext: c1}, {clusterContext: c1}]"},
		{gc, "memberClusters: [{}]"},
		{ac, "clusters: [c1, c2, c1]"},
	} {
		if err := set.Clusters[0].Client.Create(context.Background(), object(t, v.kind, "amko-runtime", v.spec), client.DryRunAll); err != nil {
			t.Errorf("%s with %q refused: %v", v.kind, v.spec, err)
		}
	}
}

// object builds an amko object of kind in avi-system with the given YAML spec.
func object(t *testing.T, kind, name, spec string) *unstructured.Unstructured {
	t.Helper()
	version := "v1alpha1"
	if kind == "GlobalDeploymentPolicy" {
		version = "v1alpha2"
	}
	var s map[string]any
	if err := yaml.Unmarshal([]byte(spec), &s); err != nil {
		t.Fatalf("spec %q: %v", spec, err)
	}
	if s == nil {
		s = map[string]any{}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "amko.vmware.com/" + version,
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": clusters.Namespace},
		"spec":       s,
	}}
}

// readObjects decodes every YAML document of a file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
	return objs
}

// contains reports whether got holds every field and value of want, and if not,
// the first path where it does not.
func contains(got, want any, path string) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, false
		}
		for k, v := range w {
			if p, ok := contains(g[k], v, path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path, false
		}
		for i := range w {
			if p, ok := contains(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	default:
		// JSON numbers decode as int64 from the server and float64 or int64 from YAML.
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return "", true
		}
		return path, false
	}
}
