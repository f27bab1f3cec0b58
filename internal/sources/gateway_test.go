// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package sources

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
)

func ptrTo[T any](v T) *T { return &v }

func listener(name string, proto gatewayv1.ProtocolType, port int32, host string) gatewayv1.Listener {
	l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Protocol: proto, Port: gatewayv1.PortNumber(port)}
	if host != "" {
		l.Hostname = ptrTo(gatewayv1.Hostname(host))
	}
	// The routes below live in "apps", the Gateways in "infra".
	l.AllowedRoutes = &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptrTo(gatewayv1.NamespacesFromAll)}}
	return l
}

func gateway(name string, addrs []string, listeners ...gatewayv1.Listener) *gatewayv1.Gateway {
	gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: name},
		Spec: gatewayv1.GatewaySpec{GatewayClassName: "avi-lb", Listeners: listeners}}
	for _, a := range addrs {
		typ := gatewayv1.IPAddressType
		if _, err := netip.ParseAddr(a); err != nil {
			typ = gatewayv1.HostnameAddressType
		}
		gw.Status.Addresses = append(gw.Status.Addresses, gatewayv1.GatewayStatusAddress{Type: &typ, Value: a})
	}
	return gw
}

func lookup(gws ...*gatewayv1.Gateway) GatewayLookup {
	return func(ns, name string) *gatewayv1.Gateway {
		for _, gw := range gws {
			if gw.Namespace == ns && gw.Name == name {
				return gw
			}
		}
		return nil
	}
}

// parent is a parentRef to a Gateway in "infra", with its status: accepted or not.
type parent struct {
	gateway, section string
	port             int32
	accepted         *bool // nil: no status entry
}

func refOf(p parent) gatewayv1.ParentReference {
	ref := gatewayv1.ParentReference{Namespace: ptrTo(gatewayv1.Namespace("infra")), Name: gatewayv1.ObjectName(p.gateway)}
	if p.section != "" {
		ref.SectionName = ptrTo(gatewayv1.SectionName(p.section))
	}
	if p.port != 0 {
		ref.Port = ptrTo(gatewayv1.PortNumber(p.port))
	}
	return ref
}

func routeStatus(parents []parent) (refs []gatewayv1.ParentReference, st gatewayv1.RouteStatus) {
	for _, p := range parents {
		ref := refOf(p)
		refs = append(refs, ref)
		if p.accepted == nil {
			continue
		}
		status := metav1.ConditionFalse
		if *p.accepted {
			status = metav1.ConditionTrue
		}
		// Written back as the API server would have defaulted it.
		ref.Group, ref.Kind = ptrTo(gatewayv1.Group(gatewayv1.GroupName)), ptrTo(gatewayv1.Kind("Gateway"))
		st.Parents = append(st.Parents, gatewayv1.RouteParentStatus{ParentRef: ref, ControllerName: "ako.vmware.com/avi-lb",
			Conditions: []metav1.Condition{{Type: "Accepted", Status: status, Reason: "Accepted"}}})
	}
	return refs, st
}

var (
	yes  = ptrTo(true)
	no   = ptrTo(false)
	meta = metav1.ObjectMeta{Namespace: "apps", Name: "shop", Labels: map[string]string{"app": "gslb"}}
)

func httpRoute(hosts []string, paths []string, parents ...parent) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{ObjectMeta: *meta.DeepCopy()}
	for _, h := range hosts {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	var matches []gatewayv1.HTTPRouteMatch
	for _, p := range paths {
		typ := gatewayv1.PathMatchPathPrefix
		if strings.HasPrefix(p, "~") {
			typ, p = gatewayv1.PathMatchRegularExpression, p[1:]
		}
		matches = append(matches, gatewayv1.HTTPRouteMatch{Path: &gatewayv1.HTTPPathMatch{Type: &typ, Value: ptrTo(p)}})
	}
	r.Spec.Rules = []gatewayv1.HTTPRouteRule{{Matches: matches}}
	r.Spec.ParentRefs, r.Status.RouteStatus = routeStatus(parents)
	return r
}

func TestFromGatewayRouteHTTP(t *testing.T) {
	web := gateway("web", []string{"10.0.0.1", "lb.example.com", "fd00::1"},
		listener("http", gatewayv1.HTTPProtocolType, 80, ""),
		listener("https", gatewayv1.HTTPSProtocolType, 443, "*.example.com"),
		listener("tls", gatewayv1.TLSProtocolType, 8443, ""))
	other := gateway("other", []string{"10.0.0.2"}, listener("http", gatewayv1.HTTPProtocolType, 8080, "shop.example.com"))
	gws := lookup(web, other)
	rec := func(host, ip string, tls bool, port int32, paths ...string) Record {
		return Record{Cluster: "c1", Kind: KindHTTPRoute, Namespace: "apps", Name: "shop", Labels: meta.Labels,
			Host: host, IP: netip.MustParseAddr(ip), Paths: paths, TLS: tls, Port: port}
	}
	cases := []struct {
		name  string
		route *gatewayv1.HTTPRoute
		want  []Record
		skip  string
	}{{
		name:  "all listeners of the Gateway: HTTPS wins, each IP address a record, the wildcard narrows nothing",
		route: httpRoute([]string{"shop.example.com"}, []string{"/", "/cart"}, parent{gateway: "web", accepted: yes}),
		want: []Record{rec("shop.example.com", "10.0.0.1", true, 443, "/", "/cart"),
			rec("shop.example.com", "fd00::1", true, 443, "/", "/cart")},
	}, {
		name:  "sectionName picks the HTTP listener",
		route: httpRoute([]string{"shop.example.com"}, nil, parent{gateway: "web", section: "http", accepted: yes}),
		want: []Record{rec("shop.example.com", "10.0.0.1", false, 80, "/"),
			rec("shop.example.com", "fd00::1", false, 80, "/")},
	}, {
		name:  "port picks the HTTPS listener, whose hostname excludes a host of another domain",
		route: httpRoute([]string{"shop.example.com", "shop.example.org"}, []string{"/x", "~/re.*"}, parent{gateway: "web", port: 443, accepted: yes}),
		want: []Record{rec("shop.example.com", "10.0.0.1", true, 443, "/x"),
			rec("shop.example.com", "fd00::1", true, 443, "/x")},
	}, {
		name:  "no route hostnames: the listener's; regular expressions only: /",
		route: httpRoute(nil, []string{"~/re.*"}, parent{gateway: "other", accepted: yes}),
		want:  []Record{rec("shop.example.com", "10.0.0.2", false, 8080, "/")},
	}, {
		name:  "a wildcard route hostname takes the listener's concrete one",
		route: httpRoute([]string{"*.example.com"}, nil, parent{gateway: "other", accepted: yes}),
		want:  []Record{rec("shop.example.com", "10.0.0.2", false, 8080, "/")},
	}, {
		name: "two Gateways, one not accepting: the accepting one only",
		route: httpRoute([]string{"shop.example.com"}, nil, parent{gateway: "web", section: "http", accepted: no},
			parent{gateway: "other", accepted: yes}),
		want: []Record{rec("shop.example.com", "10.0.0.2", false, 8080, "/")},
	}, {
		name: "two Gateways accepting: both",
		route: httpRoute([]string{"shop.example.com"}, nil, parent{gateway: "web", section: "http", accepted: yes},
			parent{gateway: "other", accepted: yes}),
		want: []Record{rec("shop.example.com", "10.0.0.1", false, 80, "/"), rec("shop.example.com", "10.0.0.2", false, 8080, "/"),
			rec("shop.example.com", "fd00::1", false, 80, "/")},
	}, {
		name:  "not accepted",
		route: httpRoute([]string{"shop.example.com"}, nil, parent{gateway: "web", accepted: no}),
		skip:  fmt.Sprintf(SkipParentNotAccepted, "infra/web"),
	}, {
		name:  "no status yet",
		route: httpRoute([]string{"shop.example.com"}, nil, parent{gateway: "web"}),
		skip:  fmt.Sprintf(SkipParentNotAccepted, "infra/web"),
	}, {
		name:  "Gateway missing",
		route: httpRoute([]string{"shop.example.com"}, nil, parent{gateway: "gone", accepted: yes}),
		skip:  fmt.Sprintf(SkipGatewayNotFound, "infra/gone"),
	}, {
		name:  "the named listener is TLS: nothing for an HTTPRoute",
		route: httpRoute([]string{"shop.example.com"}, nil, parent{gateway: "web", section: "tls", accepted: yes}),
		skip:  fmt.Sprintf(SkipNoListener, "infra/web"),
	}, {
		name:  "no host matches the listener",
		route: httpRoute([]string{"shop.example.org"}, nil, parent{gateway: "other", accepted: yes}),
		skip:  fmt.Sprintf(SkipNoListenerHost, "infra/other"),
	}, {
		name: "reasons per parent",
		route: httpRoute([]string{"shop.example.com"}, nil, parent{gateway: "web", accepted: no},
			parent{gateway: "gone", accepted: yes}),
		skip: fmt.Sprintf(SkipParentNotAccepted, "infra/web") + "; " + fmt.Sprintf(SkipGatewayNotFound, "infra/gone"),
	}, {
		name:  "no parentRefs",
		route: httpRoute([]string{"shop.example.com"}, nil),
		skip:  SkipNoParentRefs,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := FromGatewayRoute("c1", tc.route, gws)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("records:\n got %+v\nwant %+v", got, tc.want)
			}
			if skip := GatewayRouteSkipped(tc.route, gws); skip != tc.skip {
				t.Errorf("skipped = %q, want %q", skip, tc.skip)
			}
		})
	}
}

func TestFromGatewayRouteStaleAndForeignParents(t *testing.T) {
	gws := lookup(gateway("web", []string{"10.0.0.1"}, listener("http", gatewayv1.HTTPProtocolType, 80, "")))
	r := httpRoute([]string{"shop.example.com"}, nil, parent{gateway: "web", accepted: yes})
	// The parentRef removed from the spec, its status entry left behind.
	stale := r.DeepCopy()
	stale.Spec.ParentRefs = []gatewayv1.ParentReference{{Name: "web", Namespace: ptrTo(gatewayv1.Namespace("infra")),
		SectionName: ptrTo(gatewayv1.SectionName("http"))}}
	if got := FromGatewayRoute("c1", stale, gws); got != nil {
		t.Errorf("a parent accepted only under another parentRef gives %v, want nothing", got)
	}
	foreign := r.DeepCopy()
	foreign.Spec.ParentRefs[0].Kind = ptrTo(gatewayv1.Kind("ListenerSet"))
	if want := fmt.Sprintf(SkipParentNotGateway, "infra/web"); GatewayRouteSkipped(foreign, gws) != want {
		t.Errorf("a ListenerSet parent: %q, want %q", GatewayRouteSkipped(foreign, gws), want)
	}
	// Same-namespace listeners (the default) refuse a route of another namespace.
	same := gateway("web", []string{"10.0.0.1"}, gatewayv1.Listener{Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80})
	if got := FromGatewayRoute("c1", r, lookup(same)); got != nil {
		t.Errorf("a route of another namespace through a Same listener gives %v", got)
	}
	// allowedRoutes.kinds without HTTPRoute.
	kinds := gateway("web", []string{"10.0.0.1"}, listener("http", gatewayv1.HTTPProtocolType, 80, ""))
	kinds.Spec.Listeners[0].AllowedRoutes.Kinds = []gatewayv1.RouteGroupKind{{Kind: "GRPCRoute"}}
	if got := FromGatewayRoute("c1", r, lookup(kinds)); got != nil {
		t.Errorf("a route of a kind the listener does not allow gives %v", got)
	}
	if got := GatewayRouteParents(r); !reflect.DeepEqual(got, []types.NamespacedName{{Namespace: "infra", Name: "web"}}) {
		t.Errorf("parents = %v", got)
	}
	if got := FromGatewayRoute("c1", &gatewayv1.Gateway{}, gws); got != nil || GatewayRouteParents(&gatewayv1.Gateway{}) != nil {
		t.Errorf("a Gateway is no route: %v", got)
	}
}

func TestFromGatewayRouteKinds(t *testing.T) {
	gw := gateway("edge", []string{"10.0.0.1"},
		listener("https", gatewayv1.HTTPSProtocolType, 443, ""),
		listener("tls-pass", gatewayv1.TLSProtocolType, 8443, ""),
		listener("tls-term", gatewayv1.TLSProtocolType, 9443, ""),
		listener("tcp", gatewayv1.TCPProtocolType, 5432, ""),
		listener("tcp2", gatewayv1.TCPProtocolType, 6432, ""),
		listener("udp", gatewayv1.UDPProtocolType, 53, ""))
	gw.Spec.Listeners[1].TLS = &gatewayv1.ListenerTLSConfig{Mode: ptrTo(gatewayv1.TLSModePassthrough)}
	gw.Spec.Listeners[2].TLS = &gatewayv1.ListenerTLSConfig{Mode: ptrTo(gatewayv1.TLSModeTerminate)}
	gw.Annotations = map[string]string{
		akov1beta1.AnnotationVSUUIDMap:             `{"grpc.example.com":"vs-gw"}`,
		akov1beta1.AnnotationControllerClusterUUID: "cluster-1",
		akov1beta1.AnnotationTenant:                "infra-tenant",
	}
	gws := lookup(gw)
	refs, st := routeStatus([]parent{{gateway: "edge", accepted: yes}})
	ip := netip.MustParseAddr("10.0.0.1")
	base := Record{Cluster: "c1", Namespace: "apps", Name: "shop", Labels: meta.Labels, IP: ip, ControllerUUID: "cluster-1", Tenant: "infra-tenant"}
	rec := func(change func(*Record)) Record {
		r := base
		change(&r)
		return r
	}

	grpc := &gatewayv1.GRPCRoute{ObjectMeta: *meta.DeepCopy(), Spec: gatewayv1.GRPCRouteSpec{
		CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: refs}, Hostnames: []gatewayv1.Hostname{"grpc.example.com"}},
		Status: gatewayv1.GRPCRouteStatus{RouteStatus: st}}
	tlsRoute := &gatewayv1.TLSRoute{ObjectMeta: *meta.DeepCopy(), Spec: gatewayv1.TLSRouteSpec{
		CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: refs}, Hostnames: []gatewayv1.Hostname{"db.example.com"}},
		Status: gatewayv1.TLSRouteStatus{RouteStatus: st}}
	// The route's own AKO annotations win over the Gateway's.
	tlsRoute.Annotations = map[string]string{akov1beta1.AnnotationTenant: "apps-tenant"}
	tcp := &gatewayv1.TCPRoute{ObjectMeta: *meta.DeepCopy(), Spec: gatewayv1.TCPRouteSpec{
		CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: refs}}, Status: gatewayv1.TCPRouteStatus{RouteStatus: st}}
	tcp.Annotations = map[string]string{AnnotationHostname: " pg.example.com., *.wild.example.com,PG2.example.com"}
	udp := &gatewayv1.UDPRoute{ObjectMeta: *meta.DeepCopy(), Spec: gatewayv1.UDPRouteSpec{
		CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: refs}}, Status: gatewayv1.UDPRouteStatus{RouteStatus: st}}
	udp.Annotations = map[string]string{AnnotationHostname: "dns.example.com"}
	udpBare := udp.DeepCopy()
	udpBare.Annotations = nil

	cases := []struct {
		name  string
		route any
		want  []Record
		skip  string
	}{
		{"GRPCRoute: HTTPS listener, monitored at /, VS uuid from the Gateway", grpc, []Record{rec(func(r *Record) {
			r.Kind, r.Host, r.Paths, r.TLS, r.Port, r.VSUUID = KindGRPCRoute, "grpc.example.com", []string{"/"}, true, 443, "vs-gw"
		})}, ""},
		{"TLSRoute: both TLS listeners, the lowest port, passthrough noted", tlsRoute, []Record{rec(func(r *Record) {
			r.Kind, r.Host, r.Port, r.Protocol, r.Passthrough, r.Tenant = KindTLSRoute, "db.example.com", 8443, "TCP", true, "apps-tenant"
		})}, ""},
		{"TCPRoute: hosts from the annotation, the lowest TCP port", tcp, []Record{
			rec(func(r *Record) { r.Kind, r.Host, r.Port, r.Protocol = KindTCPRoute, "pg.example.com", 5432, "TCP" }),
			rec(func(r *Record) { r.Kind, r.Host, r.Port, r.Protocol = KindTCPRoute, "pg2.example.com", 5432, "TCP" }),
		}, ""},
		{"UDPRoute", udp, []Record{
			rec(func(r *Record) { r.Kind, r.Host, r.Port, r.Protocol = KindUDPRoute, "dns.example.com", 53, "UDP" }),
		}, ""},
		{"UDPRoute without the annotation", udpBare, nil, fmt.Sprintf(SkipNoAnnotatedHost, "UDPRoute")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := FromGatewayRoute("c1", tc.route, gws)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("records:\n got %+v\nwant %+v", got, tc.want)
			}
			if skip := GatewayRouteSkipped(tc.route, gws); skip != tc.skip {
				t.Errorf("skipped = %q, want %q", skip, tc.skip)
			}
			for _, r := range got {
				if !r.Kind.IsGatewayAPI() || r.L4() != (r.Kind != KindGRPCRoute) {
					t.Errorf("%s: IsGatewayAPI %v, L4 %v", r.Kind, r.Kind.IsGatewayAPI(), r.L4())
				}
			}
		})
	}
	noAddr := gateway("edge", nil, gw.Spec.Listeners...)
	if want := fmt.Sprintf(SkipNoGatewayAddress, "infra/edge"); GatewayRouteSkipped(tcp, lookup(noAddr)) != want {
		t.Errorf("a Gateway without addresses: %q, want %q", GatewayRouteSkipped(tcp, lookup(noAddr)), want)
	}
}

func TestListenerHosts(t *testing.T) {
	cases := []struct {
		route    []gatewayv1.Hostname
		listener string
		want     []string
	}{
		{nil, "", nil},
		{nil, "*.example.com", nil},
		{[]gatewayv1.Hostname{"A.example.com", "*.example.com"}, "", []string{"a.example.com"}},
		{[]gatewayv1.Hostname{"a.b.example.com", "example.com"}, "*.example.com", []string{"a.b.example.com"}},
		{[]gatewayv1.Hostname{"*.example.com"}, "*.example.com", nil},
		{[]gatewayv1.Hostname{"*.example.com"}, "example.com", nil},
		{[]gatewayv1.Hostname{"*.example.com", "x.example.com"}, "x.example.com", []string{"x.example.com"}},
	}
	for _, tc := range cases {
		var l *gatewayv1.Hostname
		if tc.listener != "" {
			l = ptrTo(gatewayv1.Hostname(tc.listener))
		}
		if got := listenerHosts(tc.route, l); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("listenerHosts(%v, %q) = %v, want %v", tc.route, tc.listener, got, tc.want)
		}
	}
}
