// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package clusters_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	routev1 "github.com/amko-project/amko/api/route/v1"
	"github.com/amko-project/amko/config/crd"
	"github.com/amko-project/amko/test/clusters"
)

var set *clusters.Set

func TestMain(m *testing.M) {
	os.Exit(clusters.Main(m, 3, &set, clusters.Options{OpenShift: []int{1},
		GatewayAPI: map[int]string{0: clusters.GatewayStandard, 1: clusters.GatewayExperimental}}))
}

// Each context of the merged kubeconfig must reach its own API server and no other:
// a ConfigMap written through one context is visible through that context only.
func TestKubeconfigContextsReachTheirOwnCluster(t *testing.T) {
	ctx := context.Background()
	want := []string{"cluster1-admin", "cluster2-admin", "cluster3-admin"}
	if got := set.Contexts(); !equal(got, want) {
		t.Fatalf("contexts = %v, want %v", got, want)
	}
	raw, err := clientcmd.Load(set.Kubeconfig)
	if err != nil {
		t.Fatalf("parsing kubeconfig: %v", err)
	}
	if len(raw.Contexts) != 3 {
		t.Fatalf("kubeconfig has %d contexts, want 3", len(raw.Contexts))
	}
	fromFile, err := os.ReadFile(set.KubeconfigPath)
	if err != nil || string(fromFile) != string(set.Kubeconfig) {
		t.Fatalf("kubeconfig file %s does not hold the kubeconfig (err %v)", set.KubeconfigPath, err)
	}

	viaContext := map[string]client.Client{}
	for _, name := range want {
		cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
		if err != nil {
			t.Fatalf("context %s: %v", name, err)
		}
		c, err := client.New(cfg, client.Options{Scheme: set.Scheme})
		if err != nil {
			t.Fatalf("context %s: %v", name, err)
		}
		viaContext[name] = c
		marker := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "marker-" + name}}
		if err := c.Create(ctx, marker); err != nil {
			t.Fatalf("context %s: creating marker: %v", name, err)
		}
		t.Cleanup(func() { _ = c.Delete(context.Background(), marker) })
	}
	for _, cl := range set.Clusters {
		for _, name := range want {
			err := cl.Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: "marker-" + name}, &corev1.ConfigMap{})
			switch {
			case name == cl.Context && err != nil:
				t.Errorf("cluster %s does not hold the marker written through its own context: %v", cl.Context, err)
			case name != cl.Context && !apierrors.IsNotFound(err):
				t.Errorf("cluster %s: marker written through context %s: got err %v, want NotFound", cl.Context, name, err)
			}
		}
	}
}

// A cluster cut off is unreachable through its kubeconfig context, and reachable
// again once restored; its direct client keeps working throughout.
func TestSetReachable(t *testing.T) {
	ctx := context.Background()
	raw, err := clientcmd.Load(set.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, "cluster3-admin", &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 2 * time.Second
	viaContext, err := client.New(cfg, client.Options{Scheme: set.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	cl := set.Cluster("cluster3-admin")
	key := client.ObjectKey{Name: clusters.Namespace}
	cl.SetReachable(false)
	if err := viaContext.Get(ctx, key, &corev1.Namespace{}); err == nil {
		t.Error("reached a cut-off cluster through its context")
	}
	if err := cl.Client.Get(ctx, key, &corev1.Namespace{}); err != nil {
		t.Errorf("direct client of a cut-off cluster: %v", err)
	}
	cl.SetReachable(true)
	if err := viaContext.Get(ctx, key, &corev1.Namespace{}); err != nil {
		t.Errorf("restored cluster: %v", err)
	}
}

// Every cluster has avi-system and every CRD established, including AKO's; the
// OpenShift cluster also serves Routes, the others do not.
func TestClustersHaveNamespaceAndCRDs(t *testing.T) {
	ctx := context.Background()
	want, err := crd.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 9 {
		t.Fatalf("config/crd holds %d CRDs, want 9 (four amko, four AKO, Route)", len(want))
	}
	for _, cl := range set.Clusters {
		if err := cl.Client.Get(ctx, client.ObjectKey{Name: clusters.Namespace}, &corev1.Namespace{}); err != nil {
			t.Errorf("cluster %s: namespace %s: %v", cl.Context, clusters.Namespace, err)
		}
		for _, w := range want {
			var got apiextensionsv1.CustomResourceDefinition
			err := cl.Client.Get(ctx, client.ObjectKey{Name: w.Name}, &got)
			if w.Spec.Group == crd.RouteGroup && cl != set.Clusters[1] {
				if !apierrors.IsNotFound(err) {
					t.Errorf("cluster %s serves Routes (%v), want only the OpenShift cluster", cl.Context, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("cluster %s: CRD %s: %v", cl.Context, w.Name, err)
				continue
			}
			if !established(&got) {
				t.Errorf("cluster %s: CRD %s is not established", cl.Context, w.Name)
			}
		}
	}
}

// The helpers write status as AKO would, and the API server keeps it.
func TestObjectsWithStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := set.Clusters[1]
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "objects-"}}
	if err := cl.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Client.Delete(context.Background(), ns) })
	ako := clusters.AKO{
		VSUUIDs:        map[string]string{"shop.example.com": "virtualservice-1"},
		ControllerUUID: "cluster-0a1b",
		Tenant:         "admin",
	}

	_, err := cl.CreateIngress(ctx, clusters.Ingress{
		Namespace: ns.Name, Name: "shop", Labels: map[string]string{"app": "gslb"},
		Rules: []clusters.IngressRule{
			{Host: "shop.example.com", IP: "10.1.0.10", Paths: []string{"/", "/cart"}},
			{Host: "pending.example.com"},
		},
		TLSHosts: []string{"shop.example.com"},
		AKO:      ako,
	})
	if err != nil {
		t.Fatal(err)
	}
	var ing networkingv1.Ingress
	if err := cl.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "shop"}, &ing); err != nil {
		t.Fatal(err)
	}
	if got := ing.Status.LoadBalancer.Ingress; len(got) != 1 || got[0].IP != "10.1.0.10" || got[0].Hostname != "shop.example.com" {
		t.Errorf("ingress status = %+v, want one entry 10.1.0.10 for shop.example.com", got)
	}
	if len(ing.Spec.Rules) != 2 || len(ing.Spec.Rules[0].HTTP.Paths) != 2 || len(ing.Spec.TLS) != 1 {
		t.Errorf("ingress spec = %+v, want two rules, two paths on the first, one TLS entry", ing.Spec)
	}
	checkAKOAnnotations(t, ing.Annotations, ako)

	_, err = cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{
		Namespace: ns.Name, Name: "db", Hostname: "db.example.com", IP: "10.1.0.11",
		Ports: []corev1.ServicePort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP}},
		AKO:   ako,
	})
	if err != nil {
		t.Fatal(err)
	}
	var svc corev1.Service
	if err := cl.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "db"}, &svc); err != nil {
		t.Fatal(err)
	}
	if got := svc.Status.LoadBalancer.Ingress; len(got) != 1 || got[0].IP != "10.1.0.11" || got[0].Hostname != "db.example.com" {
		t.Errorf("service status = %+v, want 10.1.0.11 db.example.com", got)
	}
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || svc.Spec.Ports[0].Port != 5432 {
		t.Errorf("service spec = %+v, want a LoadBalancer on port 5432", svc.Spec)
	}
	checkAKOAnnotations(t, svc.Annotations, ako)

	_, err = cl.CreateRoute(ctx, clusters.Route{
		Namespace: ns.Name, Name: "web", Host: "shop.example.com", Path: "/web",
		TLSTermination: routev1.TLSTerminationEdge, IP: "10.1.0.12", AKO: ako,
	})
	if err != nil {
		t.Fatal(err)
	}
	var route routev1.Route
	if err := cl.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "web"}, &route); err != nil {
		t.Fatal(err)
	}
	if len(route.Status.Ingress) != 1 || len(route.Status.Ingress[0].Conditions) != 1 {
		t.Fatalf("route status = %+v, want one admitted ingress", route.Status)
	}
	ri := route.Status.Ingress[0]
	if ri.RouterName != "ako-"+cl.Context || ri.Host != "shop.example.com" || ri.Conditions[0].Message != "10.1.0.12" {
		t.Errorf("route ingress = %+v, want router ako-%s, host shop.example.com, message 10.1.0.12", ri, cl.Context)
	}
	var reason map[string]string
	if err := json.Unmarshal([]byte(ri.Conditions[0].Reason), &reason); err != nil {
		t.Fatalf("route condition reason %q is not AKO's JSON: %v", ri.Conditions[0].Reason, err)
	}
	checkAKOAnnotations(t, reason, ako)
	if route.Spec.TLS == nil || route.Spec.TLS.Termination != routev1.TLSTerminationEdge {
		t.Errorf("route TLS = %+v, want edge", route.Spec.TLS)
	}

	// HostRules keep fields amko does not read, since AKO owns the API.
	hr := &akov1beta1.HostRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "shop"},
		Spec: akov1beta1.HostRuleSpec{VirtualHost: akov1beta1.HostRuleVirtualHost{
			Fqdn: "shop.example.com", Aliases: []string{"store.example.com"},
			Gslb: &akov1beta1.HostRuleGSLB{Fqdn: "shop.global.example.com", IncludeAliases: true},
		}},
	}
	if err := cl.Client.Create(ctx, hr); err != nil {
		t.Fatal(err)
	}
	hr.Status.Status = akov1beta1.HostRuleAccepted
	if err := cl.Client.Status().Update(ctx, hr); err != nil {
		t.Fatal(err)
	}
	var got akov1beta1.HostRule
	if err := cl.Client.Get(ctx, client.ObjectKeyFromObject(hr), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status.Status != akov1beta1.HostRuleAccepted || got.Spec.VirtualHost.FqdnType != "Exact" || got.Spec.VirtualHost.Gslb.Fqdn != "shop.global.example.com" {
		t.Errorf("HostRule = %+v, want Accepted, fqdnType defaulted to Exact, gslb fqdn kept", got)
	}
}

func checkAKOAnnotations(t *testing.T, got map[string]string, ako clusters.AKO) {
	t.Helper()
	var uuids map[string]string
	if err := json.Unmarshal([]byte(got[akov1beta1.AnnotationVSUUIDMap]), &uuids); err != nil {
		t.Errorf("%s = %q: %v", akov1beta1.AnnotationVSUUIDMap, got[akov1beta1.AnnotationVSUUIDMap], err)
	}
	for host, uuid := range ako.VSUUIDs {
		if uuids[host] != uuid {
			t.Errorf("VS uuid of %s = %q, want %q", host, uuids[host], uuid)
		}
	}
	if got[akov1beta1.AnnotationControllerClusterUUID] != ako.ControllerUUID || got[akov1beta1.AnnotationTenant] != ako.Tenant {
		t.Errorf("AKO annotations = %v, want controller %s tenant %s", got, ako.ControllerUUID, ako.Tenant)
	}
}

func established(c *apiextensionsv1.CustomResourceDefinition) bool {
	for _, cond := range c.Status.Conditions {
		if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
