// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package sources

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	routev1 "github.com/amko-project/amko/api/route/v1"
)

func TestIngressBackends(t *testing.T) {
	svc := func(name string) networkingv1.IngressBackend {
		return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name}}
	}
	paths := func(backends ...networkingv1.IngressBackend) *networkingv1.HTTPIngressRuleValue {
		v := &networkingv1.HTTPIngressRuleValue{}
		for _, b := range backends {
			v.Paths = append(v.Paths, networkingv1.HTTPIngressPath{Path: "/", Backend: b})
		}
		return v
	}
	resource := networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "Bucket", Name: "b"}}
	def := svc("default")
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"},
		Spec: networkingv1.IngressSpec{DefaultBackend: &def, Rules: []networkingv1.IngressRule{
			{Host: "a.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: paths(svc("b"), svc("a"), svc("a"), resource)}},
			{Host: "b.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: paths(svc("other"))}},
			{Host: "a.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: paths(svc("c"))}},
		}}}
	want := []ServiceRef{{"ns", "a"}, {"ns", "b"}, {"ns", "c"}, {"ns", "default"}}
	if got := ingressBackends(ing, "a.example.com"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestRouteBackends(t *testing.T) {
	r := &routev1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "r"}, Spec: routev1.RouteSpec{
		To:                routev1.RouteTargetRef{Kind: "Service", Name: "web"},
		AlternateBackends: []routev1.RouteTargetRef{{Kind: "Service", Name: "canary"}, {Kind: "Other", Name: "x"}},
	}}
	want := []ServiceRef{{"ns", "canary"}, {"ns", "web"}}
	if got := routeBackends(r); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestGatewayBackends(t *testing.T) {
	other := gatewayv1.Namespace("other")
	kindSvc := gatewayv1.Kind("Service")
	kindBucket := gatewayv1.Kind("Bucket")
	group := gatewayv1.Group("example.com")
	ref := func(name string, mod func(*gatewayv1.BackendObjectReference)) gatewayv1.BackendRef {
		r := gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name)}}
		mod(&r.BackendObjectReference)
		return r
	}
	none := func(*gatewayv1.BackendObjectReference) {}
	http := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, Spec: gatewayv1.HTTPRouteSpec{
		Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{
			{BackendRef: ref("web", none)},
			{BackendRef: ref("api", func(r *gatewayv1.BackendObjectReference) { r.Namespace, r.Kind = &other, &kindSvc })},
			{BackendRef: ref("b", func(r *gatewayv1.BackendObjectReference) { r.Kind = &kindBucket })},
			{BackendRef: ref("g", func(r *gatewayv1.BackendObjectReference) { r.Group = &group })},
		}}}}}
	if got, want := gatewayBackends(http), []ServiceRef{{"ns", "web"}, {"other", "api"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("HTTPRoute: got %v, want %v", got, want)
	}
	tcp := &gatewayv1.TCPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, Spec: gatewayv1.TCPRouteSpec{
		Rules: []gatewayv1.TCPRouteRule{{BackendRefs: []gatewayv1.BackendRef{ref("db", none)}}}}}
	if got, want := gatewayBackends(tcp), []ServiceRef{{"ns", "db"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("TCPRoute: got %v, want %v", got, want)
	}
}
