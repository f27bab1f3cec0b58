// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package compat_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/provider/providers"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// What admission no longer refuses, because AMKO 2.2.1's CRDs accept it, a
// running amko refuses the way AMKO does: in the status, with AMKO's exact
// text (amko.md §1.2, §1.3), the GDP's in status.errorStatus, a
// GSLBHostRule's as status Rejected with the text in status.error. The two
// refusals AMKO does not make (the controller refuses the service later) are
// amko's, last, in AMKO's style. Valid neighbours are accepted.
func TestRuntimeRefusalsWithAMKOText(t *testing.T) {
	ctx := context.Background()
	c := set.Clusters[0].Client
	member := set.Clusters[0].Context
	startAmko(t, member)

	// GDP cases, one after the other on the one GDP AMKO uses; consecutive
	// texts differ, so each wait sees its own verdict.
	for _, tc := range []struct{ spec, want string }{
		{"matchClusters: [{cluster: " + member + "}, {cluster: " + member + ", syncVipOnly: true}]\n" +
			"trafficSplit: [{cluster: " + member + ", weight: 2}, {cluster: " + member + ", weight: 3}]", "success"},
		{"poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH}",
			"invalid pool algorithm: hashMask is required for ConsistentHash"},
		{"poolAlgorithmSettings: {hashMask: 24}", "invalid pool algorithm: unsupported lbAlgorithm "},
		{"poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO}",
			"invalid pool algorithm: geoFallback has to be set for Geo, available choices: RoundRobin, ConsistentHash"},
		{"poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH}}",
			"invalid pool algorithm: hashMask is required for GSLB_ALGORITHM_CONSISTENT_HASH as the geoFallback algorithm"},
		{"poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN, hashMask: 24}}",
			"invalid pool algorithm: hashMask is not allowed with GSLB_ALGORITHM_ROUND_ROBIN as geoFallback algorithm"},
		{"poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, geoFallback: {hashMask: 24}}",
			"invalid pool algorithm: unsupported algorithm  for geoFallback"},
		{"poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN}}",
			"invalid pool algorithm: geoFallback not allowed for GSLB_ALGORITHM_ROUND_ROBIN"},
		{"poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO, hashMask: 24, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN}}", "success"},
		{"downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP}",
			"invalid down response configuration: Fallback IP is required for GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP"},
		{"downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP, fallbackIP: 10.1.1}",
			"invalid down response configuration: Fallback IP 10.1.1 is not valid"},
		{"downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_NONE, fallbackIP: 10.1.1.1}",
			"invalid down response configuration: Fallback IP is not allowed for GSLB_SERVICE_DOWN_RESPONSE_NONE"},
		{"healthMonitorRefs: [hm1]\nhealthMonitorTemplate: tpl", "health monitor reference and template cannot be specified together"},
		{"matchRules: {appSelector: {label: {app: ''}}}", "label key is missing for value  for appSelector"},
		{"matchRules: {namespaceSelector: {label: {'': gslb}}}", "label value is missing for key for namespaceSelector"},
		{"matchClusters: [{syncVipOnly: true}]", "cluster context  not present in GSLBConfig"},
	} {
		obj := amkoObject(t, "GlobalDeploymentPolicy", "global-gdp", tc.spec)
		apply(t, c, obj)
		await.Eventually(t, fmt.Sprintf("GDP %q: errorStatus %q", tc.spec, tc.want), func() error {
			return statusIs(ctx, c, obj, tc.want, "errorStatus")
		})
	}

	// GSLBHostRules, all at once: each is judged on its own.
	type ghrCase struct{ name, spec, status, msg string }
	rejected := func(name, spec, msg string) ghrCase { return ghrCase{name, spec, "Rejected", msg} }
	accepted := func(name, spec string) ghrCase { return ghrCase{name, spec, "Accepted", ""} }
	fq := func(name, s string) string { return "fqdn: " + name + ".gslb.example.com\n" + s }
	cases := []ghrCase{
		rejected("no-fqdn", "ttl: 30", "GSFqdn missing for no-fqdn GSLBHostRule"),
		rejected("empty-fqdn", "fqdn: ''", "GSFqdn missing for empty-fqdn GSLBHostRule"),
		rejected("rr-mask", fq("rr-mask", "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN, hashMask: 24}"),
			"Invalid Pool Algorithm: hashMask not allowed for GSLB_ALGORITHM_ROUND_ROBIN"),
		rejected("ch-fallback", fq("ch-fallback", "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_CONSISTENT_HASH, hashMask: 8, geoFallback: {lbAlgorithm: GSLB_ALGORITHM_ROUND_ROBIN}}"),
			"Invalid Pool Algorithm: geoFallback is not allowed with ConsistentHash"),
		rejected("geo", fq("geo", "poolAlgorithmSettings: {lbAlgorithm: GSLB_ALGORITHM_GEO}"),
			"Invalid Pool Algorithm: geoFallback has to be set for Geo, available choices: RoundRobin, ConsistentHash"),
		rejected("none-ip", fq("none-ip", "downResponse: {type: GSLB_SERVICE_DOWN_RESPONSE_NONE, fallbackIP: 10.1.1.1}"),
			"Fallback IP is not allowed for GSLB_SERVICE_DOWN_RESPONSE_NONE"),
		rejected("refs-template", fq("refs-template", "healthMonitorRefs: [hm1]\nhealthMonitorTemplate: tpl"),
			"health monitor reference and template cannot be specified together for refs-template GSLBHostRule"),
		rejected("public-ip", fq("public-ip", "publicIP: [{cluster: "+member+", ip: 300.1.1.1}]"),
			"Invalid IP for site "+member+",public-ip GSLBHostRule (expecting IP address)"),
		rejected("public-ip-cluster", fq("public-ip-cluster", "publicIP: [{cluster: nowhere, ip: 10.1.1.1}]"),
			"cluster nowhere in Public IP  not present in GSLBConfig"),
		rejected("vip", fq("vip", "thirdPartyMembers: [{site: s, vip: host.example.com}]"),
			"Invalid VIP for thirdPartyMember site s,vip GSLBHostRule (expecting IP address)"),
		rejected("no-site", fq("no-site", "thirdPartyMembers: [{vip: 10.1.1.1}]"),
			"ThirdPartyMember site  does not exist for no-site GSLBHostRule"),
		rejected("persistence", fq("persistence", "sitePersistence: {enabled: true}"),
			"SitePersistence Profile  error for persistence GSLBHostRule"),
		// amko's own, after AMKO's.
		rejected("tp-public-ip", fq("tp-public-ip", "thirdPartyMembers: [{site: s, vip: 10.1.1.1, publicIP: x}]"),
			"Invalid public IP for thirdPartyMember site s,tp-public-ip GSLBHostRule (expecting IP address)"),
		rejected("priority", fq("priority", "trafficSplit: [{cluster: "+member+", priority: 101}]"),
			"priority 101 for "+member+" must be between 0 and 100 for priority GSLBHostRule"),
		// Valid neighbours: what the old admission rules refused wrongly.
		accepted("persistence-empty", fq("persistence-empty", "sitePersistence: {}")),
		accepted("persistence-profile", fq("persistence-profile", "sitePersistence: {profileRef: gap-1}")),
		accepted("duplicates", fq("duplicates", "trafficSplit: [{cluster: "+member+"}, {cluster: "+member+", weight: 3}]\n"+
			"publicIP: [{cluster: "+member+", ip: 10.1.1.1}, {cluster: "+member+", ip: 10.1.1.2}]")),
	}
	objs := make([]*unstructured.Unstructured, len(cases))
	for i, tc := range cases {
		objs[i] = amkoObject(t, "GSLBHostRule", tc.name, tc.spec)
		apply(t, c, objs[i])
	}
	for i, tc := range cases {
		await.Eventually(t, fmt.Sprintf("GSLBHostRule %s: %s %q", tc.name, tc.status, tc.msg), func() error {
			if err := statusIs(ctx, c, objs[i], tc.status, "status"); err != nil {
				return err
			}
			return statusIs(ctx, c, objs[i], tc.msg, "error")
		})
	}
}

// startAmko runs amko with its built-in DNS backend for the first cluster,
// whose only member is context member, until the test ends.
func startAmko(t *testing.T, member string) {
	t.Helper()
	ctx := context.Background()
	c := set.Clusters[0].Client
	for _, obj := range []client.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.MembersSecret},
			Data: map[string][]byte{clusters.MembersKey: set.Kubeconfig}},
		&amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName},
			Spec: amkov1alpha1.GSLBConfigSpec{MemberClusters: []amkov1alpha1.MemberCluster{{ClusterContext: member}},
				DNS: &amkov1alpha1.DNSConfig{Listen: "127.0.0.1:0", Zones: []amkov1alpha1.DNSZone{{Name: "gslb.example.com"}}}}},
	} {
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	op, err := operator.New(operator.Options{Config: set.Clusters[0].Config, Scheme: set.Scheme, PendingGrace: time.Second,
		Providers: providers.Build, DeletionWindow: -1, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- op.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("amko: %v", err)
		}
	})
}

// amkoObject builds an object of one of amko's kinds in avi-system from a YAML spec.
func amkoObject(t *testing.T, kind, name, spec string) *unstructured.Unstructured {
	t.Helper()
	var s map[string]any
	if err := yaml.Unmarshal([]byte(spec), &s); err != nil {
		t.Fatal(err)
	}
	version := "v1alpha1"
	if kind == "GlobalDeploymentPolicy" {
		version = "v1alpha2"
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"spec": s}}
	obj.SetAPIVersion("amko.vmware.com/" + version)
	obj.SetKind(kind)
	obj.SetNamespace(clusters.Namespace)
	obj.SetName(name)
	return obj
}

// apply creates obj, or replaces the spec of the one that exists.
func apply(t *testing.T, c client.Client, obj *unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	err := c.Create(ctx, obj.DeepCopy())
	if apierrors.IsAlreadyExists(err) {
		// amko writes the object's status meanwhile: retry on a conflict.
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur := obj.DeepCopy()
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), cur); err != nil {
				return err
			}
			cur.Object["spec"] = obj.Object["spec"]
			return c.Update(ctx, cur)
		})
	}
	if err != nil {
		t.Fatalf("applying %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), obj.DeepCopy()) })
}

// statusIs reports whether status.<field> of obj is want.
func statusIs(ctx context.Context, c client.Client, obj *unstructured.Unstructured, want, field string) error {
	got := obj.DeepCopy()
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
		return err
	}
	v, _, _ := unstructured.NestedString(got.Object, "status", field)
	if v != want {
		return fmt.Errorf("status.%s is %q", field, v)
	}
	return nil
}
