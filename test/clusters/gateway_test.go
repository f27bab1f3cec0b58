// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package clusters_test

import (
	"context"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/amko-project/amko/test/clusters"
)

// servedVersions lists the served versions of a CRD, or nil when it is absent.
func servedVersions(t *testing.T, cl *clusters.Cluster, name string) []string {
	t.Helper()
	var got apiextensionsv1.CustomResourceDefinition
	err := cl.Client.Get(context.Background(), client.ObjectKey{Name: name}, &got)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("cluster %s: CRD %s: %v", cl.Context, name, err)
	}
	if !established(&got) {
		t.Errorf("cluster %s: CRD %s is not established", cl.Context, name)
	}
	var out []string
	for _, v := range got.Spec.Versions {
		if v.Served {
			out = append(out, v.Name)
		}
	}
	slices.Sort(out)
	return out
}

// Options.GatewayAPI gives the clusters it names the upstream CRDs of their
// channel, and the others none: the standard channel serves TCPRoute in v1
// only, the experimental one in v1alpha2 too.
func TestGatewayAPIChannels(t *testing.T) {
	const tcp = "tcproutes.gateway.networking.k8s.io"
	if got := servedVersions(t, set.Clusters[0], tcp); !slices.Equal(got, []string{"v1"}) {
		t.Errorf("standard channel: TCPRoute served in %v, want [v1]", got)
	}
	if got := servedVersions(t, set.Clusters[1], tcp); !slices.Equal(got, []string{"v1", "v1alpha2"}) {
		t.Errorf("experimental channel: TCPRoute served in %v, want [v1 v1alpha2]", got)
	}
	for _, name := range []string{"gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes"} {
		name += ".gateway.networking.k8s.io"
		for _, cl := range set.Clusters[:2] {
			if servedVersions(t, cl, name) == nil {
				t.Errorf("cluster %s lacks %s", cl.Context, name)
			}
		}
		if got := servedVersions(t, set.Clusters[2], name); got != nil {
			t.Errorf("cluster %s has %s (%v), want no Gateway API", set.Clusters[2].Context, name, got)
		}
	}
	if _, err := clusters.GatewayAPICRDs("beta"); err == nil {
		t.Error("an unknown channel gives CRDs")
	}
}

// The helpers write a Gateway's addresses and a route's status.parents as
// the Gateway's controller would, and the API server keeps them.
func TestGatewayObjectsWithStatus(t *testing.T) {
	ctx := context.Background()
	cl := set.Clusters[0]
	gw, err := cl.CreateGateway(ctx, clusters.Gateway{Namespace: "default", Name: "edge", Addresses: []string{"10.3.0.1"},
		Listeners: []gatewayv1.Listener{{Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Client.Delete(context.Background(), gw) })
	route := &gatewayv1.TCPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "db"},
		Spec: gatewayv1.TCPRouteSpec{Rules: []gatewayv1.TCPRouteRule{{BackendRefs: []gatewayv1.BackendRef{{
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: "db", Port: ptr(gatewayv1.PortNumber(5432))}}}}}}}
	if err := cl.CreateGatewayRoute(ctx, route, clusters.RouteParent{Gateway: "edge", Accepted: true},
		clusters.RouteParent{Gateway: "other", Section: "tcp"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Client.Delete(context.Background(), route) })

	var gotGW gatewayv1.Gateway
	if err := cl.Client.Get(ctx, client.ObjectKeyFromObject(gw), &gotGW); err != nil {
		t.Fatal(err)
	}
	if len(gotGW.Status.Addresses) != 1 || gotGW.Status.Addresses[0].Value != "10.3.0.1" {
		t.Errorf("Gateway addresses = %+v", gotGW.Status.Addresses)
	}
	var got gatewayv1.TCPRoute
	if err := cl.Client.Get(ctx, client.ObjectKeyFromObject(route), &got); err != nil {
		t.Fatal(err)
	}
	ps := got.Status.Parents
	if len(got.Spec.ParentRefs) != 2 || len(ps) != 2 || ps[0].Conditions[0].Status != metav1.ConditionTrue ||
		ps[1].Conditions[0].Status != metav1.ConditionFalse || string(*ps[1].ParentRef.SectionName) != "tcp" {
		t.Errorf("route parents: spec %+v, status %+v", got.Spec.ParentRefs, ps)
	}
	if err := cl.SetRouteParents(ctx, &got, clusters.RouteParent{Gateway: "edge", NoStatus: true}); err != nil {
		t.Fatal(err)
	}
	if err := cl.Client.Get(ctx, client.ObjectKeyFromObject(route), &got); err != nil || len(got.Status.Parents) != 0 {
		t.Errorf("status.parents after SetRouteParents = %+v (%v), want none", got.Status.Parents, err)
	}
}

func ptr[T any](v T) *T { return &v }
