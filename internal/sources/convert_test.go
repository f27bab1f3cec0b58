// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package sources

import (
	"net/netip"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	routev1 "github.com/amko-project/amko/api/route/v1"
)

var akoAnnotations = map[string]string{
	akov1beta1.AnnotationVSUUIDMap:             `{"a.example.com":"vs-a","b.example.com":"vs-b","db.example.com":"vs-db"}`,
	akov1beta1.AnnotationControllerClusterUUID: "cluster-1",
	akov1beta1.AnnotationTenant:                "team-a",
}

func ingress(annotations map[string]string, tls []string, rules ...networkingv1.IngressRule) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", Labels: map[string]string{"app": "gslb"}, Annotations: annotations},
		Spec:       networkingv1.IngressSpec{Rules: rules},
	}
	if tls != nil {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: tls}}
	}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{
		{Hostname: "a.example.com", IP: "10.0.0.1"},
		{Hostname: "b.example.com", IP: "fd00::2"},
		{Hostname: "c.example.com", IP: "not-an-ip"},
	}
	return ing
}

func rule(host string, paths ...string) networkingv1.IngressRule {
	r := networkingv1.IngressRule{Host: host}
	if paths != nil {
		r.HTTP = &networkingv1.HTTPIngressRuleValue{}
		for _, p := range paths {
			r.HTTP.Paths = append(r.HTTP.Paths, networkingv1.HTTPIngressPath{Path: p})
		}
	}
	return r
}

func TestFromIngress(t *testing.T) {
	base := Record{Cluster: "c1", Kind: KindIngress, Namespace: "ns", Name: "web", Labels: map[string]string{"app": "gslb"},
		VSUUID: "vs-a", ControllerUUID: "cluster-1", Tenant: "team-a"}
	rec := func(change func(*Record)) Record {
		r := base
		r.Host, r.IP, r.Paths = "a.example.com", netip.MustParseAddr("10.0.0.1"), []string{"/"}
		change(&r)
		return r
	}
	cases := []struct {
		name string
		ing  *networkingv1.Ingress
		want []Record
	}{
		{"host without paths", ingress(akoAnnotations, nil, rule("a.example.com")), []Record{rec(func(*Record) {})}},
		{"paths merged, empty path is /", ingress(akoAnnotations, nil, rule("a.example.com", "/cart", ""), rule("a.example.com", "/cart", "/api")),
			[]Record{rec(func(r *Record) { r.Paths = []string{"/", "/api", "/cart"} })}},
		{"only hosts with a status address", ingress(akoAnnotations, nil, rule("a.example.com"), rule("c.example.com"), rule("d.example.com"), rule("")),
			[]Record{rec(func(*Record) {})}},
		{"IPv6 and a TLS host", ingress(akoAnnotations, []string{"b.example.com"}, rule("a.example.com"), rule("b.example.com", "/")),
			[]Record{rec(func(*Record) {}), rec(func(r *Record) {
				r.Host, r.IP, r.TLS, r.VSUUID = "b.example.com", netip.MustParseAddr("fd00::2"), true, "vs-b"
			})}},
		{"enable-tls makes every host TLS", ingress(merge(akoAnnotations, map[string]string{akov1beta1.AnnotationEnableTLS: ""}), nil, rule("a.example.com")),
			[]Record{rec(func(r *Record) { r.TLS = true })}},
		// Flagged only, with its paths and TLS: AMKO reads the annotation in
		// custom global FQDN mode only, where it refuses the Ingress.
		{"passthrough", ingress(merge(akoAnnotations, map[string]string{akov1beta1.AnnotationPassthrough: "true"}), []string{"a.example.com"}, rule("a.example.com", "/x")),
			[]Record{rec(func(r *Record) { r.Passthrough, r.Paths, r.TLS = true, []string{"/x"}, true })}},
		{"passthrough, any case", ingress(merge(akoAnnotations, map[string]string{akov1beta1.AnnotationPassthrough: "True"}), nil, rule("a.example.com")),
			[]Record{rec(func(r *Record) { r.Passthrough = true })}},
		{"passthrough off", ingress(merge(akoAnnotations, map[string]string{akov1beta1.AnnotationPassthrough: "false"}), nil, rule("a.example.com")),
			[]Record{rec(func(*Record) {})}},
		{"no AKO annotations", ingress(nil, nil, rule("a.example.com")),
			[]Record{rec(func(r *Record) { r.VSUUID, r.ControllerUUID, r.Tenant = "", "", "" })}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromIngress("c1", tc.ing); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestFromService(t *testing.T) {
	svc := func(typ corev1.ServiceType, lb []corev1.LoadBalancerIngress, ports ...corev1.ServicePort) *corev1.Service {
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db", Annotations: akoAnnotations},
			Spec: corev1.ServiceSpec{Type: typ, Ports: ports}}
		s.Status.LoadBalancer.Ingress = lb
		return s
	}
	placed := []corev1.LoadBalancerIngress{{Hostname: "db.example.com", IP: "10.0.0.5"}}
	want := Record{Cluster: "c1", Kind: KindLBSvc, Namespace: "ns", Name: "db", Host: "db.example.com",
		IP: netip.MustParseAddr("10.0.0.5"), Port: 53, Protocol: "UDP", VSUUID: "vs-db", ControllerUUID: "cluster-1", Tenant: "team-a",
		Backends: []ServiceRef{{"ns", "db"}}}
	got := FromService("c1", svc(corev1.ServiceTypeLoadBalancer, placed,
		corev1.ServicePort{Port: 8080, Protocol: corev1.ProtocolTCP}, corev1.ServicePort{Port: 53, Protocol: corev1.ProtocolUDP}))
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	sctp := FromService("c1", svc(corev1.ServiceTypeLoadBalancer, placed, corev1.ServicePort{Port: 9, Protocol: corev1.ProtocolSCTP}))
	if len(sctp) != 1 || sctp[0].Protocol != "TCP" {
		t.Errorf("SCTP port: %+v, want a TCP record", sctp)
	}
	for name, s := range map[string]*corev1.Service{
		"ClusterIP":    svc(corev1.ServiceTypeClusterIP, placed, corev1.ServicePort{Port: 80}),
		"no status":    svc(corev1.ServiceTypeLoadBalancer, nil, corev1.ServicePort{Port: 80}),
		"no host name": svc(corev1.ServiceTypeLoadBalancer, []corev1.LoadBalancerIngress{{IP: "10.0.0.5"}}, corev1.ServicePort{Port: 80}),
		"no ports":     svc(corev1.ServiceTypeLoadBalancer, placed),
	} {
		if got := FromService("c1", s); got != nil {
			t.Errorf("%s: %+v, want no record", name, got)
		}
	}
}

func TestFromRoute(t *testing.T) {
	reason := `{"ako.vmware.com/host-fqdn-vs-uuid-map":"{\"r.example.com\":\"vs-r\"}","ako.vmware.com/controller-cluster-uuid":"cluster-2","ako.vmware.com/tenant-name":"admin"}`
	route := func(host, sub, path string, tls *routev1.TLSConfig, ingress ...routev1.RouteIngress) *routev1.Route {
		return &routev1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "r", Annotations: akoAnnotations},
			Spec:   routev1.RouteSpec{Host: host, Subdomain: sub, Path: path, TLS: tls},
			Status: routev1.RouteStatus{Ingress: ingress}}
	}
	admitted := func(router, host, msg string) routev1.RouteIngress {
		return routev1.RouteIngress{Host: host, RouterName: router, Conditions: []routev1.RouteIngressCondition{
			{Type: "Admitted", Status: corev1.ConditionTrue, Reason: reason, Message: msg}}}
	}
	want := Record{Cluster: "c2", Kind: KindRoute, Namespace: "ns", Name: "r", Host: "r.example.com",
		IP: netip.MustParseAddr("10.0.0.9"), Paths: []string{"/shop"}, TLS: true, VSUUID: "vs-r", ControllerUUID: "cluster-2", Tenant: "admin"}
	got := FromRoute("c2", route("r.example.com", "", "/shop", &routev1.TLSConfig{Termination: "edge"},
		admitted("other-router", "r.example.com", "10.9.9.9"), admitted("ako-c2", "r.example.com", "10.0.0.9")), "")
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("edge route: got %+v\nwant %+v", got, want)
	}
	sub := FromRoute("c2", route("", "r", "", nil, admitted("ako-c2", "r.example.com", "10.0.0.9")), ".example.com")
	if len(sub) != 1 || sub[0].Host != "r.example.com" || sub[0].Paths[0] != "/" || sub[0].TLS {
		t.Errorf("subdomain route: %+v", sub)
	}
	pt := FromRoute("c2", route("r.example.com", "", "/x", &routev1.TLSConfig{Termination: "passthrough"}, admitted("ako-c2", "r.example.com", "10.0.0.9")), "")
	if len(pt) != 1 || !pt[0].Passthrough || pt[0].TLS || pt[0].Paths != nil || pt[0].Port != 443 {
		t.Errorf("passthrough route: %+v", pt)
	}
	for name, r := range map[string]*routev1.Route{
		"not admitted by AKO":  route("r.example.com", "", "", nil, admitted("router", "r.example.com", "10.0.0.9")),
		"no address":           route("r.example.com", "", "", nil, admitted("ako-c2", "r.example.com", "pending")),
		"subdomain, no domain": route("", "r", "", nil, admitted("ako-c2", "r.example.com", "10.0.0.9")),
	} {
		if got := FromRoute("c2", r, ""); got != nil {
			t.Errorf("%s: %+v, want no record", name, got)
		}
	}
}

func TestFromHostRuleAndNamespace(t *testing.T) {
	hr := &akov1beta1.HostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "h"},
		Spec: akov1beta1.HostRuleSpec{VirtualHost: akov1beta1.HostRuleVirtualHost{Fqdn: "a.example.com", Aliases: []string{"x.com"},
			TLS:  &akov1beta1.HostRuleTLS{SSLKeyCertificate: akov1beta1.HostRuleSSLKeyCertificate{Name: "cert"}},
			Gslb: &akov1beta1.HostRuleGSLB{Fqdn: "g.example.com", IncludeAliases: true}}},
		Status: akov1beta1.HostRuleStatus{Status: "Accepted"}}
	got, ok := FromHostRule("c1", hr)
	want := HostRule{Cluster: "c1", Namespace: "ns", Name: "h", FQDN: "a.example.com", Aliases: []string{"x.com"},
		GlobalFQDN: "g.example.com", IncludeAliases: true, TLS: true}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v %v, want %+v", got, ok, want)
	}
	hr.Status.Status = "Rejected"
	if _, ok := FromHostRule("c1", hr); ok {
		t.Error("a rejected HostRule was used")
	}
	ns := FromNamespace("c1", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns", Labels: map[string]string{"ns": "gslb"},
		Annotations: map[string]string{akov1beta1.AnnotationTenant: "team-a"}}})
	if ns.Tenant != "team-a" || ns.Labels["ns"] != "gslb" || ns.Cluster != "c1" {
		t.Errorf("namespace = %+v", ns)
	}
}
