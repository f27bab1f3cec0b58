// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/sources"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

// The e2e clusters start without the Gateway API (main_test.go): the Gateway
// tests install it, the standard channel in cluster1 and the experimental one
// in cluster2, once. cluster3, the OpenShift one, never gets it.
var installGatewayAPI = sync.OnceValue(func() error {
	if err := set.Clusters[0].InstallGatewayAPI(clusters.GatewayStandard); err != nil {
		return err
	}
	return set.Clusters[1].InstallGatewayAPI(clusters.GatewayExperimental)
})

func withGatewayAPI(t *testing.T) {
	t.Helper()
	if err := installGatewayAPI(); err != nil {
		t.Fatal(err)
	}
}

func gwListener(name string, proto gatewayv1.ProtocolType, port int32) gatewayv1.Listener {
	l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Protocol: proto, Port: gatewayv1.PortNumber(port)}
	switch proto {
	case gatewayv1.HTTPSProtocolType:
		l.TLS = &gatewayv1.ListenerTLSConfig{Mode: ptr(gatewayv1.TLSModeTerminate),
			CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "edge-tls"}}}
	case gatewayv1.TLSProtocolType:
		l.TLS = &gatewayv1.ListenerTLSConfig{Mode: ptr(gatewayv1.TLSModePassthrough)}
	}
	return l
}

func (s *scenario) gateway(cl *clusters.Cluster, in clusters.Gateway) {
	s.t.Helper()
	gw, err := cl.CreateGateway(s.ctx, in)
	if err != nil {
		s.t.Fatal(err)
	}
	s.cleanup(cl, gw)
}

func (s *scenario) gatewayRoute(cl *clusters.Cluster, route client.Object, parents ...clusters.RouteParent) {
	s.t.Helper()
	if err := cl.CreateGatewayRoute(s.ctx, route, parents...); err != nil {
		s.t.Fatal(err)
	}
	s.cleanup(cl, route)
}

func backendRefs(port int32) []gatewayv1.BackendRef {
	return []gatewayv1.BackendRef{{BackendObjectReference: gatewayv1.BackendObjectReference{
		Name: "app", Port: ptr(gatewayv1.PortNumber(port))}}}
}

func httpRoute(name string, labels map[string]string, hosts []string, paths ...string) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: labels}}
	for _, h := range hosts {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	rule := gatewayv1.HTTPRouteRule{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: backendRefs(8080)[0]}}}
	for _, p := range paths {
		rule.Matches = append(rule.Matches, gatewayv1.HTTPRouteMatch{Path: &gatewayv1.HTTPPathMatch{
			Type: ptr(gatewayv1.PathMatchPathPrefix), Value: ptr(p)}})
	}
	r.Spec.Rules = []gatewayv1.HTTPRouteRule{rule}
	return r
}

func tcpRoute(name string, labels map[string]string, host string, port int32) *gatewayv1.TCPRoute {
	return &gatewayv1.TCPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: labels,
			Annotations: map[string]string{sources.AnnotationHostname: host}},
		Spec: gatewayv1.TCPRouteSpec{Rules: []gatewayv1.TCPRouteRule{{BackendRefs: backendRefs(port)}}},
	}
}

// tcpSite gives cl a TCP backend at ip:port, a Gateway gw at ip with one TCP
// listener on port, and a TCPRoute (backendRefs: Service app) for host that
// the Gateway accepted; all go when the test ends.
func tcpSite(t *testing.T, cl *clusters.Cluster, gw, route string, labels map[string]string, host, ip string, port int32) *gatewayv1.TCPRoute {
	t.Helper()
	ctx := context.Background()
	backend.TCP(t, fmt.Sprintf("%s:%d", ip, port))
	g, err := cl.CreateGateway(ctx, clusters.Gateway{Namespace: "default", Name: gw, Addresses: []string{ip},
		Listeners: []gatewayv1.Listener{gwListener("tcp", gatewayv1.TCPProtocolType, port)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Client.Delete(context.Background(), g) })
	rt := tcpRoute(route, labels, host, port)
	if err := cl.CreateGatewayRoute(ctx, rt, clusters.RouteParent{Gateway: gw, Accepted: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Client.Delete(context.Background(), rt) })
	return rt
}

// memberVS returns the vs_uuid of a GSLB service's member at ip.
func memberVS(gs map[string]any, ip string) (string, bool) {
	groups, _ := gs["groups"].([]any)
	for _, g := range groups {
		ms, _ := g.(map[string]any)["members"].([]any)
		for _, m := range ms {
			mm := m.(map[string]any)
			if text(mm, "ip.addr") == ip {
				return text(mm, "vs_uuid"), true
			}
		}
	}
	return "", false
}

// explains checks that amko explains the object (namespace/name) with a
// reason containing want.
func explains(query, want string) func() error {
	return func() error {
		exps, err := amko.Explain(context.Background(), query)
		if err != nil {
			return err
		}
		for _, e := range exps {
			if strings.Contains(e.Reason, want) {
				return nil
			}
		}
		return fmt.Errorf("explanations of %s %+v, want a reason with %q", query, exps, want)
	}
}

// Every kind of Gateway API route becomes GSLB members on the controller
// through the Gateways that accepted it, with the monitors of its listeners'
// protocols; routes not accepted, and not selected, do not; GSLBHostRules and
// AKO HostRule aliases apply as to Ingresses; a Gateway's address change moves
// its members; cluster3, without the Gateway API, is a member cluster as before.
// The Gateway API is installed while amko runs: the clusters read it without a
// restart.
func TestGatewayAPIAvi(t *testing.T) {
	c1, c2, c3 := set.Clusters[0], set.Clusters[1], set.Clusters[2]
	labels := map[string]string{"app": "gw"}
	s := begin(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: labels}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: c1.Context}, {Cluster: c2.Context}, {Cluster: c3.Context}},
		TrafficSplit:  []amkov1alpha2.TrafficSplitElem{{Cluster: c1.Context, Weight: 3}, {Cluster: c2.Context, Weight: 1}},
	})
	withGatewayAPI(t)

	const (
		shop    = "shop.gw.example.com"
		rpc     = "rpc.gw.example.com"
		secure  = "tls.gw.example.com"
		pg      = "pg.gw.example.com"
		dnsApp  = "dns.gw.example.com"
		refused = "refused.gw.example.com"
		alias   = "shop-alias.gw.example.com"
	)
	s.track(shop, rpc, secure, pg, dnsApp, refused)
	listeners := []gatewayv1.Listener{gwListener("http", gatewayv1.HTTPProtocolType, 80),
		gwListener("https", gatewayv1.HTTPSProtocolType, 443), gwListener("tls", gatewayv1.TLSProtocolType, 8443),
		gwListener("tcp", gatewayv1.TCPProtocolType, 5432), gwListener("udp", gatewayv1.UDPProtocolType, 53)}
	// cluster1's edge Gateway carries AKO's identifiers, as AKO writes them on
	// Ingresses; edge2 and cluster2's do not: their members go by address.
	aviIDs := map[string]string{akov1beta1.AnnotationVSUUIDMap: `{"` + shop + `":"vs-edge-1"}`,
		akov1beta1.AnnotationControllerClusterUUID: avisim.LeaderClusterUUID}
	s.gateway(c1, clusters.Gateway{Namespace: "default", Name: "edge", Annotations: aviIDs, Listeners: listeners, Addresses: []string{"10.40.1.1"}})
	s.gateway(c1, clusters.Gateway{Namespace: "default", Name: "edge2",
		Listeners: []gatewayv1.Listener{gwListener("https", gatewayv1.HTTPSProtocolType, 443)}, Addresses: []string{"10.40.1.2"}})
	s.gateway(c2, clusters.Gateway{Namespace: "default", Name: "edge", Listeners: listeners, Addresses: []string{"10.40.2.1"}})

	accepted := func(gw, section string) clusters.RouteParent {
		return clusters.RouteParent{Gateway: gw, Section: section, Accepted: true}
	}
	// HTTPRoute: two Gateways in cluster1, one in cluster2.
	s.gatewayRoute(c1, httpRoute("shop", labels, []string{shop}, "/", "/cart"), accepted("edge", "https"), accepted("edge2", ""))
	s.gatewayRoute(c2, httpRoute("shop", labels, []string{shop}, "/", "/cart"), accepted("edge", "https"),
		clusters.RouteParent{Gateway: "missing", Accepted: false})
	// GRPCRoute on every listener that takes it: HTTP and HTTPS.
	s.gatewayRoute(c1, &gatewayv1.GRPCRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "rpc", Labels: labels},
		Spec: gatewayv1.GRPCRouteSpec{Hostnames: []gatewayv1.Hostname{rpc},
			Rules: []gatewayv1.GRPCRouteRule{{BackendRefs: []gatewayv1.GRPCBackendRef{{BackendRef: backendRefs(9000)[0]}}}}}},
		accepted("edge", ""))
	// TLSRoute through the passthrough listener.
	s.gatewayRoute(c2, &gatewayv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "secure", Labels: labels},
		Spec: gatewayv1.TLSRouteSpec{Hostnames: []gatewayv1.Hostname{secure},
			Rules: []gatewayv1.TLSRouteRule{{BackendRefs: backendRefs(8443)}}}}, accepted("edge", "tls"))
	// TCPRoute in both clusters, UDPRoute in one: host names from the annotation.
	s.gatewayRoute(c1, tcpRoute("pg", labels, pg, 5432), accepted("edge", "tcp"))
	s.gatewayRoute(c2, tcpRoute("pg", labels, pg, 5432), accepted("edge", "tcp"))
	s.gatewayRoute(c1, &gatewayv1.UDPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "dns", Labels: labels,
		Annotations: map[string]string{sources.AnnotationHostname: dnsApp}},
		Spec: gatewayv1.UDPRouteSpec{Rules: []gatewayv1.UDPRouteRule{{BackendRefs: backendRefs(53)}}}}, accepted("edge", "udp"))
	// Refused by its Gateway; and one the GDP does not select.
	refusedRoute := httpRoute("refused", labels, []string{refused})
	s.gatewayRoute(c1, refusedRoute, clusters.RouteParent{Gateway: "edge", Section: "http", Accepted: false})
	s.gatewayRoute(c1, httpRoute("other", map[string]string{"app": "other"}, []string{"other.gw.example.com"}), accepted("edge", "http"))

	await.Eventually(t, "the routes' services", all(
		wantMembers(shop, "10:10.40.1.1:3", "10:10.40.1.2:3", "10:10.40.2.1:1"),
		wantMonitorRefs(shop, pathMonitor("https", shop, "/"), pathMonitor("https", shop, "/cart")),
		wantMembers(rpc, "10:10.40.1.1:3"),
		wantMonitorRefs(rpc, pathMonitor("https", rpc, "/")),
		wantMembers(secure, "10:10.40.2.1:1"),
		wantMonitorRefs(secure, nonPathMonitor(secure)),
		wantMembers(pg, "10:10.40.1.1:3", "10:10.40.2.1:1"),
		wantMonitorRefs(pg, nonPathMonitor(pg)),
		wantMembers(dnsApp, "10:10.40.1.1:3"),
		wantMonitorRefs(dnsApp, nonPathMonitor(dnsApp)),
	))
	for _, c := range []struct {
		hm   string
		want map[string]string
	}{
		{pathMonitor("https", shop, "/cart"), map[string]string{"type": "HEALTH_MONITOR_HTTPS", "monitor_port": "443",
			"https_monitor.http_request": "HEAD /cart HTTP/1.0"}},
		{nonPathMonitor(secure), map[string]string{"type": "HEALTH_MONITOR_TCP", "monitor_port": "8443"}},
		{nonPathMonitor(pg), map[string]string{"type": "HEALTH_MONITOR_TCP", "monitor_port": "5432"}},
		{nonPathMonitor(dnsApp), map[string]string{"type": "HEALTH_MONITOR_UDP", "monitor_port": "53"}},
	} {
		if err := checkFields("monitor", sim.Object("healthmonitor", c.hm), c.want); err != nil {
			t.Error(err)
		}
	}
	gs := sim.Object("gslbservice", shop)
	for ip, want := range map[string]string{"10.40.1.1": "vs-edge-1", "10.40.1.2": "", "10.40.2.1": ""} {
		if vs, ok := memberVS(gs, ip); !ok || vs != want {
			t.Errorf("member %s of %s: vs_uuid %q (found %v), want %q", ip, shop, vs, ok, want)
		}
	}
	for _, name := range []string{refused, "other.gw.example.com"} {
		if sim.Object("gslbservice", name) != nil {
			t.Errorf("GSLB service %s exists", name)
		}
	}
	await.Eventually(t, "the refused route explained", explains("default/refused", "has not accepted it"))
	await.Eventually(t, "the unselected route explained", explains("other.gw.example.com", "labels do not match"))
	if st := amko.Status(); !strings.Contains(fmt.Sprint(st.Clusters), c3.Context+" Ready") {
		t.Errorf("cluster3, without the Gateway API, is not Ready: %+v", st.Clusters)
	}

	// The Gateway accepts the route: a member now.
	if err := c1.SetRouteParents(s.ctx, refusedRoute, clusters.RouteParent{Gateway: "edge", Section: "http", Accepted: true}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "the route accepted", all(wantMembers(refused, "10:10.40.1.1:3"),
		wantMonitorRefs(refused, pathMonitor("http", refused, "/"))))
	// cluster2's Gateway moves; cluster1's HTTPS listener stops accepting shop
	// (its route now refused by edge, still accepted by edge2).
	if err := c2.SetGatewayAddresses(s.ctx, "default", "edge", "10.40.2.9"); err != nil {
		t.Fatal(err)
	}
	var shop1 gatewayv1.HTTPRoute
	if err := c1.Client.Get(s.ctx, client.ObjectKey{Namespace: "default", Name: "shop"}, &shop1); err != nil {
		t.Fatal(err)
	}
	if err := c1.SetRouteParents(s.ctx, &shop1, clusters.RouteParent{Gateway: "edge", Section: "https"}, accepted("edge2", "")); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "the Gateway's move and the refusal followed", all(
		wantMembers(shop, "10:10.40.1.2:3", "10:10.40.2.9:1"),
		wantMembers(pg, "10:10.40.1.1:3", "10:10.40.2.9:1"),
		wantMembers(secure, "10:10.40.2.9:1")))

	// A GSLBHostRule and an AKO HostRule alias apply to the route's service.
	s.gslbHostRule("gw-shop", amkov1alpha1.GSLBHostRuleSpec{Fqdn: shop, TTL: ptr(42),
		TrafficSplit: []amkov1alpha1.TrafficSplitElem{{Cluster: c2.Context, Weight: 7}}})
	s.hostRule(c1, "default", "shop-alias", akov1beta1.HostRuleVirtualHost{Fqdn: shop, Aliases: []string{alias}}, akov1beta1.HostRuleAccepted)
	await.Eventually(t, "the GSLBHostRule and the alias applied", func() error {
		gs := sim.Object("gslbservice", shop)
		if gs == nil {
			return fmt.Errorf("no GSLB service %s", shop)
		}
		if fmt.Sprint(gs["ttl"]) != "42" || !strings.Contains(fmt.Sprint(gs["domain_names"]), alias) {
			return fmt.Errorf("ttl %v, domain names %v", gs["ttl"], gs["domain_names"])
		}
		return wantMembers(shop, "10:10.40.1.2:3", "1:10.40.2.9:7")()
	})
}

// With the built-in DNS backend, a TCPRoute's Gateways' addresses are the
// answers, probed over TCP on the listener's port; a Gateway that stops
// accepting the route takes its address out.
func TestGatewayAPIDNSBackend(t *testing.T) {
	withGatewayAPI(t)
	ctx := context.Background()
	stop := startAmko(t)
	defer stop()
	useDNSBackend(t)
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gwdns"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
	})

	const name = "pg.gslb.example.com"
	const port = 18091
	routes := map[*clusters.Cluster]*gatewayv1.TCPRoute{}
	for i, cl := range set.Clusters[:2] {
		routes[cl] = tcpSite(t, cl, "dns-edge", "pg-dns", map[string]string{"app": "gwdns"}, name, fmt.Sprintf("127.0.0.%d", 41+i), port)
	}
	want := func(w map[string]int) func() error { return wantAnswers(name, w) }
	await.Eventually(t, "both Gateways answer", want(map[string]int{"127.0.0.41": 1, "127.0.0.42": 1}))
	cl2 := set.Clusters[1]
	if err := cl2.SetRouteParents(ctx, routes[cl2], clusters.RouteParent{Gateway: "dns-edge", Accepted: false}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "the refusing Gateway's address leaves", want(map[string]int{"127.0.0.41": 2}))
}

// With the built-in DNS backend, every kind of Gateway API route answers with
// its Gateways' addresses, each probed as its listener's protocol says: an
// HTTPRoute over HTTP and a GRPCRoute over HTTPS (a member answering 503 on an
// open port leaves, which no TCP probe could see), a TLS passthrough route and
// a TCPRoute over TCP, a UDPRoute over UDP (its port has no TCP listener, so
// only a UDP probe finds it up).
func TestGatewayAPIDNSEveryKind(t *testing.T) {
	withGatewayAPI(t)
	ctx := context.Background()
	stop := startAmko(t)
	defer stop()
	useDNSBackend(t)
	labels := map[string]string{"app": "gwkinds"}
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: labels}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
	})
	const (
		web, rpc, secure, db, udp                      = "web.gslb.example.com", "rpc.gslb.example.com", "tls.gslb.example.com", "db.gslb.example.com", "udp.gslb.example.com"
		httpPort, httpsPort, tlsPort, tcpPort, udpPort = 18101, 18102, 18103, 18104, 18105
		ip1, ip2                                       = "127.0.0.71", "127.0.0.72"
	)
	type site struct {
		http, https *backend.HTTP
		tls, tcp    net.Listener
		udp         net.PacketConn
	}
	sites := map[string]*site{}
	for i, cl := range set.Clusters[:2] {
		ip := []string{ip1, ip2}[i]
		at := func(port int) string { return net.JoinHostPort(ip, fmt.Sprint(port)) }
		sites[ip] = &site{http: backend.NewHTTP(t, at(httpPort), false), https: backend.NewHTTP(t, at(httpsPort), true),
			tls: backend.TCP(t, at(tlsPort)), tcp: backend.TCP(t, at(tcpPort)), udp: backend.UDP(t, at(udpPort))}
		gw, err := cl.CreateGateway(ctx, clusters.Gateway{Namespace: "default", Name: "kinds-edge", Addresses: []string{ip},
			Listeners: []gatewayv1.Listener{gwListener("http", gatewayv1.HTTPProtocolType, httpPort),
				gwListener("https", gatewayv1.HTTPSProtocolType, httpsPort), gwListener("tls", gatewayv1.TLSProtocolType, tlsPort),
				gwListener("tcp", gatewayv1.TCPProtocolType, tcpPort), gwListener("udp", gatewayv1.UDPProtocolType, udpPort)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cl.Client.Delete(context.Background(), gw) })
		on := func(section string) clusters.RouteParent {
			return clusters.RouteParent{Gateway: "kinds-edge", Section: section, Accepted: true}
		}
		for _, r := range []struct {
			route   client.Object
			section string
		}{
			{httpRoute("kinds-web", labels, []string{web}, "/"), "http"},
			{&gatewayv1.GRPCRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "kinds-rpc", Labels: labels},
				Spec: gatewayv1.GRPCRouteSpec{Hostnames: []gatewayv1.Hostname{rpc},
					Rules: []gatewayv1.GRPCRouteRule{{BackendRefs: []gatewayv1.GRPCBackendRef{{BackendRef: backendRefs(9000)[0]}}}}}}, "https"},
			{&gatewayv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "kinds-tls", Labels: labels},
				Spec: gatewayv1.TLSRouteSpec{Hostnames: []gatewayv1.Hostname{secure},
					Rules: []gatewayv1.TLSRouteRule{{BackendRefs: backendRefs(8443)}}}}, "tls"},
			{tcpRoute("kinds-db", labels, db, 5432), "tcp"},
			{&gatewayv1.UDPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "kinds-udp", Labels: labels,
				Annotations: map[string]string{sources.AnnotationHostname: udp}},
				Spec: gatewayv1.UDPRouteSpec{Rules: []gatewayv1.UDPRouteRule{{BackendRefs: backendRefs(53)}}}}, "udp"},
		} {
			if err := cl.CreateGatewayRoute(ctx, r.route, on(r.section)); err != nil {
				t.Fatal(err)
			}
			route := r.route
			t.Cleanup(func() { _ = cl.Client.Delete(context.Background(), route) })
		}
	}
	both := map[string]int{ip1: 1, ip2: 1}
	first := map[string]int{ip1: 2}
	checks := func(w map[string]map[string]int) func() error {
		var cs []func() error
		for name, want := range w {
			cs = append(cs, wantAnswers(name, want))
		}
		return all(cs...)
	}
	await.Eventually(t, "every kind answers both Gateways", checks(map[string]map[string]int{
		web: both, rpc: both, secure: both, db: both, udp: both}))

	// Site 2 fails one listener at a time: only that route's answers change.
	s2 := sites[ip2]
	s2.http.SetStatus(503)
	await.Eventually(t, "HTTP 503 takes the HTTPRoute's member out", checks(map[string]map[string]int{web: first, rpc: both, udp: both}))
	s2.https.SetStatus(503)
	await.Eventually(t, "HTTPS 503 takes the GRPCRoute's member out", checks(map[string]map[string]int{rpc: first, secure: both}))
	_ = s2.tls.Close()
	await.Eventually(t, "the TLS passthrough port closed takes the TLSRoute's member out", checks(map[string]map[string]int{secure: first, db: both}))
	_ = s2.tcp.Close()
	await.Eventually(t, "the TCP port closed takes the TCPRoute's member out", checks(map[string]map[string]int{db: first, udp: both}))
	_ = s2.udp.Close()
	await.Eventually(t, "the UDP port closed takes the UDPRoute's member out", checks(map[string]map[string]int{udp: first}))

	s2.http.SetStatus(200)
	s2.https.SetStatus(200)
	await.Eventually(t, "HTTP and HTTPS recovered", checks(map[string]map[string]int{web: both, rpc: both, secure: first}))
}
