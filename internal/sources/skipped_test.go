// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package sources

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	routev1 "github.com/amko-project/amko/api/route/v1"
)

func TestSkipped(t *testing.T) {
	lbIngress := func(host, ip string) []networkingv1.IngressLoadBalancerIngress {
		return []networkingv1.IngressLoadBalancerIngress{{Hostname: host, IP: ip}}
	}
	ing := func(host string, lb []networkingv1.IngressLoadBalancerIngress) *networkingv1.Ingress {
		i := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"}}
		if host != "" {
			i.Spec.Rules = []networkingv1.IngressRule{{Host: host}}
		}
		i.Status.LoadBalancer.Ingress = lb
		return i
	}
	svc := func(typ corev1.ServiceType, ports bool, lb ...corev1.LoadBalancerIngress) *corev1.Service {
		s := &corev1.Service{Spec: corev1.ServiceSpec{Type: typ}}
		if ports {
			s.Spec.Ports = []corev1.ServicePort{{Port: 80}}
		}
		s.Status.LoadBalancer.Ingress = lb
		return s
	}
	route := func(host, router, msg string) *routev1.Route {
		r := &routev1.Route{Spec: routev1.RouteSpec{Host: host}}
		if router != "" {
			r.Status.Ingress = []routev1.RouteIngress{{Host: host, RouterName: router,
				Conditions: []routev1.RouteIngressCondition{{Type: "Admitted", Status: "True", Message: msg}}}}
		}
		return r
	}
	for _, tc := range []struct {
		name string
		obj  any
		want string
	}{
		{"ingress with a record", ing("a.example.com", lbIngress("a.example.com", "10.0.0.1")), ""},
		{"ingress without hosts", ing("", lbIngress("a.example.com", "10.0.0.1")), SkipNoHost},
		{"ingress without status", ing("a.example.com", nil), SkipNoAddress},
		{"ingress whose status names another host", ing("a.example.com", lbIngress("b.example.com", "10.0.0.1")), SkipNoHostAddress},
		{"ingress whose status has no IP", ing("a.example.com", lbIngress("a.example.com", "")), SkipNoHostAddress},
		{"service with a record", svc(corev1.ServiceTypeLoadBalancer, true, corev1.LoadBalancerIngress{Hostname: "s.example.com", IP: "10.0.0.2"}), ""},
		{"ClusterIP service: no candidate", svc(corev1.ServiceTypeClusterIP, true), ""},
		{"service without ports", svc(corev1.ServiceTypeLoadBalancer, false, corev1.LoadBalancerIngress{Hostname: "s.example.com", IP: "10.0.0.2"}), SkipNoPorts},
		{"service without status", svc(corev1.ServiceTypeLoadBalancer, true), SkipNoAddress},
		{"service without hostname", svc(corev1.ServiceTypeLoadBalancer, true, corev1.LoadBalancerIngress{IP: "10.0.0.2"}), SkipNoServiceAddress},
		{"route with a record", route("r.example.com", "ako-router", "10.0.0.3"), ""},
		{"route without host", route("", "", ""), SkipNoRouteHost},
		{"route admitted by another router", route("r.example.com", "default", "10.0.0.3"), SkipNotAdmittedByAKO},
		{"route not admitted", route("r.example.com", "", ""), SkipNotAdmittedByAKO},
		{"route admitted without address", route("r.example.com", "ako-router", "pending"), SkipNoAdmittedAddress},
		{"another kind", &corev1.Namespace{}, ""},
	} {
		if got := Skipped(tc.obj, ""); got != tc.want {
			t.Errorf("%s: Skipped = %q, want %q", tc.name, got, tc.want)
		}
	}
	// A subdomain completed by the default domain is a host.
	r := &routev1.Route{Spec: routev1.RouteSpec{Subdomain: "shop"}}
	if got := Skipped(r, "apps.example.com"); got != SkipNotAdmittedByAKO {
		t.Errorf("route with a subdomain: %q", got)
	}
}
