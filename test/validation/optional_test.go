// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package validation_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amko-project/amko/config/crd"
)

// fullSpecs set every field of each kind's spec, with valid values. A
// GSLBConfig cannot have both a DNS backend and a controller address, so it
// has two. TestOptionalFieldsAbsent fails when a field of a CRD is set by none
// of them: add it here.
var fullSpecs = []struct{ kind, spec string }{
	{"GSLBConfig", `
gslbLeader: {credentials: gslb-avi-secret, controllerVersion: 31.1.1, controllerIP: 10.10.10.10, tenant: admin,
  caBundle: {kind: ConfigMap, name: controller-ca, key: ca.crt}, alternateControllers: [10.10.20.10, 'avi.site3.example.com:8443'],
  alternateAfter: 45s}
memberClusters: [{clusterContext: cluster1-admin}, {clusterContext: cluster2-admin}]
refreshInterval: 1800
logLevel: INFO
useCustomGlobalFqdn: false
memberClusterLoss: {disableMembersAfter: 5m}`},
	{"GSLBConfig", `
gslbLeader: {credentials: gslb-avi-secret, tenant: admin}
memberClusters: [{clusterContext: cluster1-admin}]
dns:
  listen: ':53'
  ttl: 30
  zones: [{name: gslb.example.com, nameservers: [ns1.gslb.example.com], hostmaster: hostmaster.example.com, negativeTTL: 60}]
  geo:
    sites: [{name: cluster1-admin, location: {latitude: '48.85', longitude: '2.35'}}]
    clients: [{prefix: 198.51.100.0/24, location: {latitude: '40.7', longitude: '-74'}}]
    database: /var/lib/geo/city.mmdb
  rateLimit: {responsesPerSecond: 20, slip: 2, ipv4PrefixLength: 24, ipv6PrefixLength: 56}
  tcp: {maxConnections: 100, maxQueriesPerConnection: 10, idleTimeoutSeconds: 5}
  compareWith: 10.0.0.53:53`},
	{"GlobalDeploymentPolicy", `
matchRules: {appSelector: {label: {app: gslb}}, namespaceSelector: {label: {ns: gslb}}}
matchClusters: [{cluster: cluster1-admin, syncVipOnly: true}]
trafficSplit: [{cluster: cluster1-admin, weight: 8, priority: 2}]
healthMonitorRefs: [hm1]
healthMonitorTemplate: tpl
ttl: 10
sitePersistenceRef: gap-1
pkiProfileRef: pki-1
poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, hashMask: 24, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH, hashMask: 24}}
downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP, fallbackIP: 10.1.1.1}
controlPlaneHmOnly: false
defaultDomain: avi.internal
endpointHealth: {enabled: true, holdDown: 10s}`},
	{"GSLBHostRule", `
fqdn: foo.avi.internal
ttl: 30
sitePersistence: {enabled: true, profileRef: gap-1, pkiProfileRef: pki-1}
thirdPartyMembers: [{site: non-avi-site, vip: 10.10.10.10, publicIP: 122.162.150.96}]
healthMonitorRefs: [hm1]
healthMonitorTemplate: tpl
trafficSplit: [{cluster: k8s, weight: 15, priority: 10}]
publicIP: [{cluster: k8s, ip: 160.10.1.1}]
poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH, hashMask: 24, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN, hashMask: 8}}
downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP, fallbackIP: 10.1.1.1}
controlPlaneHmOnly: true
endpointHealth: {enabled: true}`},
	{"AMKOCluster", `
clusterContext: cluster1-admin
isLeader: true
clusters: [cluster1-admin, cluster2-admin]
version: 2.2.1
failover: Automatic`},
}

// Issue 13: a rule that reads an absent field (self.enabled without
// has(self.enabled)) fails with "no such key" and refuses a valid object. So
// each kind is applied with each optional field of its spec absent, with each
// object that has no required field empty ({}), and with each list empty,
// starting from an object that sets every field; the API server must accept
// every one. This is what a Go client writes too: amko's types omit false,
// zero and empty values.
func TestOptionalFieldsAbsent(t *testing.T) {
	schemas := specSchemas(t)
	covered := map[string]map[string]bool{}
	c := set.Clusters[0].Client
	tried := 0
	for i, full := range fullSpecs {
		schema := schemas[full.kind]
		if schema == nil {
			t.Fatalf("no CRD for kind %s", full.kind)
		}
		base := object(t, full.kind, "optional", full.spec)
		if covered[full.kind] == nil {
			covered[full.kind] = map[string]bool{}
		}
		spec := base.Object["spec"].(map[string]any)
		if err := c.Create(context.Background(), base.DeepCopy(), client.DryRunAll); err != nil {
			t.Fatalf("%s #%d, every field set: refused: %v", full.kind, i, err)
		}
		for _, v := range variants(".spec", spec, schema, covered[full.kind]) {
			tried++
			obj := base.DeepCopy()
			obj.Object["spec"] = v.spec
			if err := c.Create(context.Background(), obj, client.DryRunAll); err != nil {
				t.Errorf("%s with %s: refused: %v", full.kind, v.what, err)
			}
		}
	}
	// Every field of every CRD was set, so was taken away.
	for kind, schema := range schemas {
		var missing []string
		walkSchema(".spec", schema, func(path string) {
			if !covered[kind][path] {
				missing = append(missing, path)
			}
		})
		if len(missing) > 0 {
			t.Errorf("%s: fields set by no full spec (add them to fullSpecs): %v", kind, missing)
		}
	}
	if tried < 100 {
		t.Errorf("tried only %d variants", tried)
	}
	t.Logf("%d variants accepted", tried)
}

// variant is a spec with one change, and what the change is.
type variant struct {
	what string
	spec map[string]any
}

// variants returns, for the object obj at path (a spec or part of one) with
// schema s, every copy of the whole spec with one optional field removed, one
// object emptied or one list emptied, recording the schema paths it visits.
// The copies are of obj; callers above splice them in.
func variants(path string, obj map[string]any, s *apiextensionsv1.JSONSchemaProps, covered map[string]bool) []variant {
	var out []variant
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		child, ok := s.Properties[k]
		if !ok {
			continue // an additionalProperties map: its keys are data
		}
		p := path + "." + k
		covered[p] = true
		if !slices.Contains(s.Required, k) {
			c := copyMap(obj)
			delete(c, k)
			out = append(out, variant{p + " absent", c})
		}
		for _, v := range childVariants(p, obj[k], &child, covered) {
			c := copyMap(obj)
			c[k] = v.value
			out = append(out, variant{v.what, c})
		}
	}
	return out
}

type valueVariant struct {
	what  string
	value any
}

// childVariants are the changed copies of the value v at path, of schema s.
func childVariants(path string, v any, s *apiextensionsv1.JSONSchemaProps, covered map[string]bool) []valueVariant {
	var out []valueVariant
	switch val := v.(type) {
	case map[string]any:
		if len(s.Required) == 0 && len(val) > 0 {
			out = append(out, valueVariant{path + " empty ({})", map[string]any{}})
		}
		if len(s.Properties) == 0 {
			return out // a map of labels
		}
		for _, cv := range variants(path, val, s, covered) {
			out = append(out, valueVariant{cv.what, cv.spec})
		}
	case []any:
		if len(val) > 0 && (s.MinItems == nil || *s.MinItems == 0) {
			out = append(out, valueVariant{path + " empty ([])", []any{}})
		}
		if s.Items == nil || s.Items.Schema == nil {
			return out
		}
		for i, item := range val {
			for _, iv := range childVariants(fmt.Sprintf("%s[]", path), item, s.Items.Schema, covered) {
				c := slices.Clone(val)
				c[i] = iv.value
				out = append(out, valueVariant{strings.Replace(iv.what, path+"[]", fmt.Sprintf("%s[%d]", path, i), 1), c})
			}
		}
	}
	return out
}

// walkSchema calls visit with the path of every property under s.
func walkSchema(path string, s *apiextensionsv1.JSONSchemaProps, visit func(string)) {
	for name, child := range s.Properties {
		p := path + "." + name
		visit(p)
		walkSchema(p, &child, visit)
	}
	if s.Items != nil && s.Items.Schema != nil {
		walkSchema(path+"[]", s.Items.Schema, visit)
	}
}

// specSchemas returns the spec schema of each of amko's kinds, from its CRD's
// storage version.
func specSchemas(t *testing.T) map[string]*apiextensionsv1.JSONSchemaProps {
	t.Helper()
	crds, err := crd.AMKO()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*apiextensionsv1.JSONSchemaProps{}
	for _, c := range crds {
		for _, v := range c.Spec.Versions {
			if v.Storage {
				spec := v.Schema.OpenAPIV3Schema.Properties["spec"]
				out[c.Spec.Names.Kind] = &spec
			}
		}
	}
	return out
}

func copyMap(m map[string]any) map[string]any {
	return runtime.DeepCopyJSONValue(m).(map[string]any)
}
