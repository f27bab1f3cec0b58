// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// Each scenario below uses its own namespaces, host names and addresses
// (10.<scenario>.<cluster>.<n>), so that what one leaves behind cannot satisfy
// another's checks.

// allClusters matches the three member clusters.
func allClusters() []amkov1alpha2.ClusterProperty {
	return []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}, {Cluster: "cluster3-admin"}}
}

// appGDP selects the applications labelled app=<app> in every cluster.
func appGDP(app string) amkov1alpha2.GDPSpec {
	return amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": app}}},
		MatchClusters: allClusters(),
	}
}

func tcpPort(name string, port int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(port)}
}

// descriptionSet returns a GSLB service's description entries, sorted (AMKO
// writes them in event order).
func descriptionSet(gs map[string]any) string {
	parts := strings.Split(text(gs, "description"), ",")
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// memberAt returns the member of a GSLB service with address ip, and its pool.
func memberAt(gs map[string]any, ip string) (member, pool map[string]any) {
	groups, _ := gs["groups"].([]any)
	for _, g := range groups {
		p, _ := g.(map[string]any)
		ms, _ := p["members"].([]any)
		for _, m := range ms {
			mm, _ := m.(map[string]any)
			if text(mm, "ip.addr") == ip {
				return mm, p
			}
		}
	}
	return nil, nil
}

// Services of type LoadBalancer become GSLB services with AMKO's non-path monitor:
// TCP (or UDP) on the lowest port among the members, named after the service.
func TestLoadBalancerServices(t *testing.T) {
	c1, c2 := set.Clusters[0], set.Clusters[1]
	s := begin(t, appGDP("lb-e2e"))
	ns := "e2e-lb"
	s.namespace(ns, nil, nil, c1, c2)
	labels := map[string]string{"app": "lb-e2e"}
	tcpHost, udpHost := "db.lb.example.com", "dns.lb.example.com"
	s.track(tcpHost, udpHost)

	s.lbService(c1, clusters.LoadBalancerService{Namespace: ns, Name: "db", Labels: labels,
		Ports:    []corev1.ServicePort{tcpPort("metrics", 9187), tcpPort("pg", 5432)},
		Hostname: tcpHost, IP: "10.1.1.1", AKO: ako(tcpHost, "virtualservice-lb-1")})
	s.lbService(c2, clusters.LoadBalancerService{Namespace: ns, Name: "db", Labels: labels,
		Ports:    []corev1.ServicePort{tcpPort("pg", 6432)},
		Hostname: tcpHost, IP: "10.1.2.1", AKO: ako(tcpHost, "virtualservice-lb-2")})

	tcpHM := nonPathMonitor(tcpHost)
	tcpWant := map[string]string{
		"name": tcpHM, "type": "HEALTH_MONITOR_TCP", "monitor_port": "5432", "tcp_monitor.tcp_half_open": "false",
		"description":   "created by: amko, gsname: " + tcpHost,
		"markers.0.key": "created-by", "markers.0.values.0": "amko-" + amkoUUID,
	}
	for k, v := range commonMonitorFields {
		tcpWant[k] = v
	}
	await.Eventually(t, "one GSLB service for the TCP service of two clusters, with its TCP monitor", all(
		wantMembers(tcpHost, "10:10.1.1.1:1", "10:10.1.2.1:1"),
		wantMonitorRefs(tcpHost, tcpHM),
		func() error { return checkFields("monitor", sim.Object("healthmonitor", tcpHM), tcpWant) },
	))
	gs := sim.Object("gslbservice", tcpHost)
	if err := checkFields("GSLB service", gs, map[string]string{
		"created_by": "amko-" + amkoUUID, "domain_names": "[" + tcpHost + "]", "enabled": "true", "is_federated": "true",
		"pool_algorithm": "GSLB_SERVICE_ALGORITHM_PRIORITY", "health_monitor_scope": "GSLB_SERVICE_HEALTH_MONITOR_ALL_MEMBERS",
		"controller_health_status_enabled": "true", "use_edns_client_subnet": "true", "wildcard_match": "false",
		"site_persistence_enabled": "false", "groups.0.name": "amko-gs-group-10", "groups.0.priority": "10",
		"groups.0.algorithm": "GSLB_ALGORITHM_ROUND_ROBIN", "groups.0.min_health_monitors_up": "2",
	}); err != nil {
		t.Error(err)
	}
	if got, want := descriptionSet(gs), "LBSVC/cluster1-admin/e2e-lb/db,LBSVC/cluster2-admin/e2e-lb/db"; got != want {
		t.Errorf("description = %q, want %q", got, want)
	}
	for ip, vs := range map[string]string{"10.1.1.1": "virtualservice-lb-1", "10.1.2.1": "virtualservice-lb-2"} {
		m, _ := memberAt(gs, ip)
		if err := checkFields("member", m, map[string]string{"vs_uuid": vs, "cluster_uuid": avisim.LeaderClusterUUID,
			"ip.type": "V4", "enabled": "true"}); err != nil {
			t.Error(err)
		}
	}

	// The lowest port moves to the other cluster's service: the monitor follows.
	var svc corev1.Service
	if err := c1.Client.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: "db"}, &svc); err != nil {
		t.Fatal(err)
	}
	svc.Spec.Ports = []corev1.ServicePort{tcpPort("pg", 7000)}
	if err := c1.Client.Update(s.ctx, &svc); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "monitor on the new lowest port", func() error {
		return checkFields("monitor", sim.Object("healthmonitor", tcpHM), map[string]string{"monitor_port": "6432"})
	})

	// A UDP service gets a UDP monitor.
	s.lbService(c1, clusters.LoadBalancerService{Namespace: ns, Name: "dns", Labels: labels,
		Ports:    []corev1.ServicePort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)}},
		Hostname: udpHost, IP: "10.1.1.53", AKO: ako(udpHost, "virtualservice-lb-3")})
	udpHM := nonPathMonitor(udpHost)
	udpWant := map[string]string{
		"name": udpHM, "type": "HEALTH_MONITOR_UDP", "monitor_port": "53",
		"udp_monitor.udp_request": "created_by: amko, request string not required",
		"description":             "created by: amko, gsname: " + udpHost,
	}
	for k, v := range commonMonitorFields {
		udpWant[k] = v
	}
	await.Eventually(t, "UDP service with a UDP monitor", all(
		wantMembers(udpHost, "10:10.1.1.53:1"),
		wantMonitorRefs(udpHost, udpHM),
		func() error { return checkFields("monitor", sim.Object("healthmonitor", udpHM), udpWant) },
	))

	s.quiet(c2, marker{service: tcpHost, ip: "10.1.2.1", move: func(ip string) { setServiceIP(t, c2, ns, "db", ip) }})
}

// The GDP's appSelector and namespaceSelector, alone and together; relabelling
// objects and namespaces, and dropping a cluster from matchClusters.
func TestSelection(t *testing.T) {
	c1, c2, c3 := set.Clusters[0], set.Clusters[1], set.Clusters[2]
	app := map[string]string{"app": "sel-e2e"}
	team := map[string]string{"team": "sel-e2e"}
	s := begin(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: app}},
		MatchClusters: allClusters(),
	})
	ns := "e2e-sel"
	s.namespace(ns, nil, nil, c1, c2, c3)
	host := "sel.example.com"
	s.track(host)
	for i, cl := range []*clusters.Cluster{c1, c2} {
		s.ingress(cl, clusters.Ingress{Namespace: ns, Name: "in", Labels: app,
			Rules: []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.2.%d.1", i+1)}},
			AKO:   ako(host, fmt.Sprintf("virtualservice-sel-%d", i+1))})
	}
	// Unlabelled: selected by the namespace selector only.
	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "out",
		Rules: []clusters.IngressRule{{Host: host, IP: "10.2.1.9"}}, AKO: ako(host, "virtualservice-sel-9")})
	s.route(c3, clusters.Route{Namespace: ns, Name: "rt", Labels: app, Host: host, Path: "/", IP: "10.2.3.1",
		AKO: ako(host, "virtualservice-sel-3")})

	// appSelector only: the labelled objects of every cluster, in any namespace.
	await.Eventually(t, "appSelector selects the labelled objects", wantMembers(host, "10:10.2.1.1:1", "10:10.2.2.1:1", "10:10.2.3.1:1"))
	if got, want := descriptionSet(sim.Object("gslbservice", host)),
		"INGRESS/cluster1-admin/e2e-sel/in/sel.example.com,INGRESS/cluster2-admin/e2e-sel/in/sel.example.com,ROUTE/cluster3-admin/e2e-sel/rt"; got != want {
		t.Errorf("description = %q, want %q", got, want)
	}
	s.setIngressLabels(c2, ns, "in", map[string]string{"app": "other"})
	await.Eventually(t, "a relabelled Ingress leaves", wantMembers(host, "10:10.2.1.1:1", "10:10.2.3.1:1"))
	s.setIngressLabels(c2, ns, "in", app)
	await.Eventually(t, "and comes back", wantMembers(host, "10:10.2.1.1:1", "10:10.2.2.1:1", "10:10.2.3.1:1"))

	// namespaceSelector only: every object of the selected namespaces, labelled or not.
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{NamespaceSelector: amkov1alpha2.NamespaceSelector{Label: team}},
		MatchClusters: allClusters(),
	})
	await.Eventually(t, "no namespace labelled: nothing selected", noService(host))
	s.labelNamespace(c1, ns, team)
	await.Eventually(t, "the labelled namespace's objects", wantMembers(host, "10:10.2.1.1:1", "10:10.2.1.9:1"))
	s.labelNamespace(c3, ns, team)
	await.Eventually(t, "a namespace labelled in another cluster adds its objects",
		wantMembers(host, "10:10.2.1.1:1", "10:10.2.1.9:1", "10:10.2.3.1:1"))
	s.labelNamespace(c1, ns, nil)
	await.Eventually(t, "a namespace unlabelled removes its objects", wantMembers(host, "10:10.2.3.1:1"))

	// Both: labelled objects in selected namespaces.
	s.labelNamespace(c1, ns, team)
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules: amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: app},
			NamespaceSelector: amkov1alpha2.NamespaceSelector{Label: team}},
		MatchClusters: allClusters(),
	})
	await.Eventually(t, "both selectors: labelled objects of labelled namespaces", wantMembers(host, "10:10.2.1.1:1", "10:10.2.3.1:1"))

	// A cluster dropped from matchClusters takes its members along.
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules: amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: app},
			NamespaceSelector: amkov1alpha2.NamespaceSelector{Label: team}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
	})
	await.Eventually(t, "cluster3 dropped", wantMembers(host, "10:10.2.1.1:1"))

	s.quiet(c1, ingressMarker(t, c1, ns, "in", host, "10.2.1.1"))

	// syncVipOnly: AKO's identifiers are not needed, and members are addresses only.
	vip := "vip.sel.example.com"
	s.track(vip)
	s.lbService(c2, clusters.LoadBalancerService{Namespace: ns, Name: "vip", Labels: app, Hostname: vip, IP: "10.2.2.7"})
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: app}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin", SyncVipOnly: true}},
	})
	await.Eventually(t, "syncVipOnly: address-only members", all(
		wantMembers(host, "10:10.2.1.1:1", "10:10.2.2.1:1"),
		wantMembers(vip, "10:10.2.2.7:1"),
		func() error {
			gs := sim.Object("gslbservice", host)
			m1, _ := memberAt(gs, "10.2.1.1")
			m2, _ := memberAt(gs, "10.2.2.1")
			if text(m1, "vs_uuid") != "virtualservice-sel-1" || text(m2, "vs_uuid") != "" || text(m2, "cluster_uuid") != "" {
				return fmt.Errorf("members %v and %v: want AKO's identifiers on cluster1's only", m1, m2)
			}
			return nil
		}))
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: app}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
	})
	await.Eventually(t, "without syncVipOnly, an object without AKO's identifiers is refused", all(
		noService(vip), hasMember(host, "10.2.2.1")))

	// Deleting the GDP, AMKO's documented way to clean up, removes every service.
	if err := leader().Client.Delete(s.ctx, &amkov1alpha2.GlobalDeploymentPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "global-gdp"}}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "no GDP: no service", noService(host))
}

// One HTTP monitor per path; HTTPS on 443 for all paths when any member is TLS;
// a TLS flip turns the monitors back to HTTP and deletes the HTTPS ones.
func TestPathMonitors(t *testing.T) {
	c1, c2 := set.Clusters[0], set.Clusters[1]
	s := begin(t, appGDP("hm-e2e"))
	ns := "e2e-hm"
	s.namespace(ns, nil, nil, c1, c2)
	labels := map[string]string{"app": "hm-e2e"}
	plain, secure, annotated := "paths.hm.example.com", "tls.hm.example.com", "annotated.hm.example.com"
	s.track(plain, secure, annotated)

	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "plain", Labels: labels,
		Rules: []clusters.IngressRule{{Host: plain, IP: "10.3.1.1", Paths: []string{"/", "/api"}}}, AKO: ako(plain, "virtualservice-hm-1")})
	s.ingress(c2, clusters.Ingress{Namespace: ns, Name: "plain", Labels: labels,
		Rules: []clusters.IngressRule{{Host: plain, IP: "10.3.2.1", Paths: []string{"/"}}}, AKO: ako(plain, "virtualservice-hm-2")})

	root, api := pathMonitor("http", plain, "/"), pathMonitor("http", plain, "/api")
	httpWant := func(name, path string) map[string]string {
		w := map[string]string{
			"name": name, "type": "HEALTH_MONITOR_HTTP", "monitor_port": "80",
			"http_monitor.http_request":       "HEAD " + path + " HTTP/1.0",
			"http_monitor.http_response_code": "[HTTP_2XX HTTP_3XX]",
			"description":                     "created by: amko, gsname: " + plain + ", path: " + path + ", protocol: http",
			"markers.0.values.0":              "amko-" + amkoUUID,
		}
		for k, v := range commonMonitorFields {
			w[k] = v
		}
		return w
	}
	await.Eventually(t, "one HTTP monitor per path", all(
		wantMembers(plain, "10:10.3.1.1:1", "10:10.3.2.1:1"),
		wantMonitorRefs(plain, root, api),
		func() error { return checkFields("monitor", sim.Object("healthmonitor", root), httpWant(root, "/")) },
		func() error { return checkFields("monitor", sim.Object("healthmonitor", api), httpWant(api, "/api")) },
	))

	// A path removed: its monitor goes.
	var ing networkingv1.Ingress
	if err := c1.Client.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: "plain"}, &ing); err != nil {
		t.Fatal(err)
	}
	ing.Spec.Rules[0].HTTP.Paths = ing.Spec.Rules[0].HTTP.Paths[:1]
	if err := c1.Client.Update(s.ctx, &ing); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "the removed path's monitor is deleted", all(
		wantMonitorRefs(plain, root),
		func() error {
			if sim.Object("healthmonitor", api) != nil {
				return fmt.Errorf("monitor %s of the removed path still exists", api)
			}
			return nil
		}))

	// TLS in one cluster makes the monitors of every path HTTPS on 443.
	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "secure", Labels: labels, TLSHosts: []string{secure},
		Rules: []clusters.IngressRule{{Host: secure, IP: "10.3.1.2", Paths: []string{"/", "/login"}}}, AKO: ako(secure, "virtualservice-hm-3")})
	s.ingress(c2, clusters.Ingress{Namespace: ns, Name: "secure", Labels: labels,
		Rules: []clusters.IngressRule{{Host: secure, IP: "10.3.2.2", Paths: []string{"/"}}}, AKO: ako(secure, "virtualservice-hm-4")})
	sRoot, sLogin := pathMonitor("https", secure, "/"), pathMonitor("https", secure, "/login")
	httpsWant := func(path string) map[string]string {
		return map[string]string{
			"type": "HEALTH_MONITOR_HTTPS", "monitor_port": "443",
			"https_monitor.http_request":       "HEAD " + path + " HTTP/1.0",
			"https_monitor.http_response_code": "[HTTP_2XX HTTP_3XX]",
			"http_monitor":                     "",
			"description":                      "created by: amko, gsname: " + secure + ", path: " + path + ", protocol: https",
		}
	}
	await.Eventually(t, "HTTPS monitors on 443", all(
		wantMembers(secure, "10:10.3.1.2:1", "10:10.3.2.2:1"),
		wantMonitorRefs(secure, sRoot, sLogin),
		func() error { return checkFields("monitor", sim.Object("healthmonitor", sRoot), httpsWant("/")) },
		func() error { return checkFields("monitor", sim.Object("healthmonitor", sLogin), httpsWant("/login")) },
	))

	// The ako.vmware.com/enable-tls annotation makes every host TLS.
	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "annotated", Labels: labels,
		Annotations: map[string]string{akov1beta1.AnnotationEnableTLS: "true"},
		Rules:       []clusters.IngressRule{{Host: annotated, IP: "10.3.1.3"}}, AKO: ako(annotated, "virtualservice-hm-5")})
	await.Eventually(t, "enable-tls: HTTPS monitor", wantMonitorRefs(annotated, pathMonitor("https", annotated, "/")))

	// TLS removed: back to HTTP, and the HTTPS monitors are deleted.
	if err := c1.Client.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: "secure"}, &ing); err != nil {
		t.Fatal(err)
	}
	ing.Spec.TLS = nil
	if err := c1.Client.Update(s.ctx, &ing); err != nil {
		t.Fatal(err)
	}
	hRoot, hLogin := pathMonitor("http", secure, "/"), pathMonitor("http", secure, "/login")
	await.Eventually(t, "TLS flip: HTTP monitors, HTTPS ones deleted", all(
		wantMonitorRefs(secure, hRoot, hLogin),
		func() error {
			return checkFields("monitor", sim.Object("healthmonitor", hLogin), map[string]string{
				"type": "HEALTH_MONITOR_HTTP", "monitor_port": "80", "http_monitor.http_request": "HEAD /login HTTP/1.0"})
		},
		func() error {
			for _, hm := range []string{sRoot, sLogin} {
				if sim.Object("healthmonitor", hm) != nil {
					return fmt.Errorf("HTTPS monitor %s still exists", hm)
				}
			}
			return nil
		}))

	s.quiet(c1, ingressMarker(t, c1, ns, "plain", plain, "10.3.1.1"))
}

// Passthrough: OpenShift passthrough Routes share one TCP monitor on 443,
// amko--passthrough-hm-tcp-<uuid>. AMKO reads the Ingress passthrough annotation
// only in custom FQDN mode, where it refuses such Ingresses
// (k8sobjects/ingress_object.go): in the default mode an annotated Ingress is an
// ordinary one, monitored per path.
func TestPassthrough(t *testing.T) {
	c1, c3 := set.Clusters[0], set.Clusters[2]
	s := begin(t, appGDP("pt-e2e"))
	ns := "e2e-pt"
	s.namespace(ns, nil, nil, c1, c3)
	labels := map[string]string{"app": "pt-e2e"}
	a, b, annotated := "a.pt.example.com", "b.pt.example.com", "ing.pt.example.com"
	s.track(a, b, annotated)
	s.route(c3, clusters.Route{Namespace: ns, Name: "a", Labels: labels, Host: a, TLSTermination: "passthrough",
		IP: "10.4.3.1", AKO: ako(a, "virtualservice-pt-1")})
	s.route(c3, clusters.Route{Namespace: ns, Name: "b", Labels: labels, Host: b, TLSTermination: "passthrough",
		IP: "10.4.3.2", AKO: ako(b, "virtualservice-pt-2")})

	pt := passthroughMonitor()
	ptWant := map[string]string{"name": pt, "type": "HEALTH_MONITOR_TCP", "monitor_port": "443",
		"tcp_monitor.tcp_half_open": "false", "description": "created by: amko", "markers.0.values.0": "amko-" + amkoUUID}
	for k, v := range commonMonitorFields {
		ptWant[k] = v
	}
	await.Eventually(t, "passthrough routes share the passthrough monitor", all(
		wantMembers(a, "10:10.4.3.1:1"), wantMembers(b, "10:10.4.3.2:1"),
		wantMonitorRefs(a, pt), wantMonitorRefs(b, pt),
		func() error { return checkFields("monitor", sim.Object("healthmonitor", pt), ptWant) },
	))
	n := 0
	for _, hm := range sim.Objects("healthmonitor") {
		if hm["name"] == pt {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d monitors named %s, want one shared", n, pt)
	}
	if got := text(sim.Object("gslbservice", a), "site_persistence_enabled"); got != "false" {
		t.Errorf("passthrough service: site_persistence_enabled = %s, want false (not TLS-terminated)", got)
	}

	// The annotated Ingress, in the default mode: an ordinary Ingress.
	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "ing", Labels: labels,
		Annotations: map[string]string{akov1beta1.AnnotationPassthrough: "true"},
		Rules:       []clusters.IngressRule{{Host: annotated, IP: "10.4.1.1", Paths: []string{"/x"}}}, AKO: ako(annotated, "virtualservice-pt-3")})
	await.Eventually(t, "passthrough-annotated Ingress in default mode: path monitor", all(
		wantMembers(annotated, "10:10.4.1.1:1"),
		wantMonitorRefs(annotated, pathMonitor("http", annotated, "/x"))))

	// One passthrough service gone: the shared monitor stays for the other.
	s.deleteRoute(c3, ns, "a")
	await.Eventually(t, "route a's service deleted", noService(a))
	if sim.Object("healthmonitor", pt) == nil {
		t.Errorf("the shared passthrough monitor was deleted while %s still uses it", b)
	}
	if err := wantMonitorRefs(b, pt)(); err != nil {
		t.Error(err)
	}

	s.quiet(c1, ingressMarker(t, c1, ns, "ing", annotated, "10.4.1.1"))
}

// seedMonitor creates a federated monitor on the controller once.
func seedMonitor(t *testing.T, data map[string]any) {
	t.Helper()
	if sim.Object("healthmonitor", data["name"].(string)) != nil {
		return
	}
	if _, err := sim.Seed("healthmonitor", "", data); err != nil {
		t.Fatal(err)
	}
}

const templateName = "e2e-http-template"

func seedTemplate(t *testing.T) {
	seedMonitor(t, map[string]any{"name": templateName, "type": "HEALTH_MONITOR_HTTP", "is_federated": true,
		"monitor_port": 8080, "http_monitor": map[string]any{
			"http_request": "GET /healthz HTTP/1.1", "http_response_code": []any{"HTTP_2XX", "HTTP_4XX"}}})
}

// A GDP health monitor template shapes the path monitors; custom monitor refs
// replace amko's own monitors, which are then deleted.
func TestMonitorTemplateAndRefs(t *testing.T) {
	c1, c2 := set.Clusters[0], set.Clusters[1]
	seedTemplate(t)
	spec := appGDP("tmpl-e2e")
	spec.HealthMonitorTemplate = ptr(templateName)
	s := begin(t, spec)
	ns := "e2e-tmpl"
	s.namespace(ns, nil, nil, c1, c2)
	labels := map[string]string{"app": "tmpl-e2e"}
	host := "tmpl.hm.example.com"
	s.track(host)
	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "web", Labels: labels,
		Rules: []clusters.IngressRule{{Host: host, IP: "10.5.1.1", Paths: []string{"/", "/v1/status"}}}, AKO: ako(host, "virtualservice-tmpl-1")})
	s.ingress(c2, clusters.Ingress{Namespace: ns, Name: "web", Labels: labels,
		Rules: []clusters.IngressRule{{Host: host, IP: "10.5.2.1", Paths: []string{"/"}}}, AKO: ako(host, "virtualservice-tmpl-2")})

	root, status := pathMonitor("http", host, "/"), pathMonitor("http", host, "/v1/status")
	tmplWant := func(path string) map[string]string {
		return map[string]string{
			"type": "HEALTH_MONITOR_HTTP", "monitor_port": "80",
			"http_monitor.http_request":       "GET " + path + " HTTP/1.1",
			"http_monitor.http_response_code": "[HTTP_2XX HTTP_4XX]",
			"description":                     "created by: amko, gsname: " + host + ", path: " + path + ", protocol: http, created from: " + templateName,
		}
	}
	await.Eventually(t, "path monitors from the template", all(
		wantMembers(host, "10:10.5.1.1:1", "10:10.5.2.1:1"),
		wantMonitorRefs(host, root, status),
		func() error { return checkFields("monitor", sim.Object("healthmonitor", root), tmplWant("/")) },
		func() error {
			return checkFields("monitor", sim.Object("healthmonitor", status), tmplWant("/v1/status"))
		},
	))

	// A reference to a monitor that is not federated is refused; the last
	// accepted policy stays in effect.
	bad := appGDP("tmpl-e2e")
	bad.HealthMonitorRefs = []string{"System-TCP"}
	gdp(t, bad)
	s.gdpStatus("health monitor ref System-TCP is invalid")
	if err := wantMonitorRefs(host, root, status)(); err != nil {
		t.Errorf("after a refused GDP: %v", err)
	}

	// Custom refs replace amko's monitors, which are deleted.
	refs := appGDP("tmpl-e2e")
	refs.HealthMonitorRefs = []string{"System-GSLB-TCP"}
	gdp(t, refs)
	s.gdpStatus(amkov1alpha2.GDPStatusSuccess)
	await.Eventually(t, "custom monitor refs replace amko's monitors", all(
		wantMonitorRefs(host, "System-GSLB-TCP"),
		func() error {
			return checkFields("GSLB service", sim.Object("gslbservice", host), map[string]string{"groups.0.min_health_monitors_up": "2"})
		},
		func() error {
			if hms := ownMonitors(host); len(hms) > 0 {
				return fmt.Errorf("amko's monitors %v left behind", hms)
			}
			return nil
		}))

	// No refs, no template: AMKO's default monitors again.
	gdp(t, appGDP("tmpl-e2e"))
	await.Eventually(t, "default monitors again", all(
		wantMonitorRefs(host, root, status),
		func() error {
			return checkFields("monitor", sim.Object("healthmonitor", status), map[string]string{
				"http_monitor.http_request": "HEAD /v1/status HTTP/1.0", "http_monitor.http_response_code": "[HTTP_2XX HTTP_3XX]",
				"description": "created by: amko, gsname: " + host + ", path: /v1/status, protocol: http"})
		}))

	s.quiet(c1, ingressMarker(t, c1, ns, "web", host, "10.5.1.1"))
}

// A GSLBHostRule overrides the GDP's TTL, traffic split, pool algorithm, down
// response and adds public IPs; deleting it falls back to the GDP's values.
func TestGSLBHostRuleOverrides(t *testing.T) {
	c1, c2 := set.Clusters[0], set.Clusters[1]
	spec := appGDP("ghr-e2e")
	spec.TTL = ptr(30)
	spec.TrafficSplit = []amkov1alpha2.TrafficSplitElem{
		{Cluster: "cluster1-admin", Weight: 4, Priority: ptr(uint32(10))},
		{Cluster: "cluster2-admin", Weight: 2, Priority: ptr(uint32(10))},
	}
	spec.DownResponse = &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseAllRecords}
	s := begin(t, spec)
	ns := "e2e-ghr"
	s.namespace(ns, nil, nil, c1, c2)
	labels := map[string]string{"app": "ghr-e2e"}
	host := "ghr.example.com"
	s.track(host)
	for i, cl := range []*clusters.Cluster{c1, c2} {
		s.ingress(cl, clusters.Ingress{Namespace: ns, Name: "web", Labels: labels,
			Rules: []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.6.%d.1", i+1)}},
			AKO:   ako(host, fmt.Sprintf("virtualservice-ghr-%d", i+1))})
	}
	gdpValues := all(
		wantMembers(host, "10:10.6.1.1:4", "10:10.6.2.1:2"),
		func() error {
			gs := sim.Object("gslbservice", host)
			if err := checkFields("GSLB service", gs, map[string]string{
				"ttl": "30", "down_response.type": "GSLB_SERVICE_DOWN_RESPONSE_ALL_RECORDS", "down_response.fallback_ip": "",
				"groups.0.algorithm": "GSLB_ALGORITHM_ROUND_ROBIN", "groups.0.consistent_hash_mask": "",
			}); err != nil {
				return err
			}
			if m, _ := memberAt(gs, "10.6.1.1"); m == nil || m["public_ip"] != nil {
				return fmt.Errorf("member 10.6.1.1 = %v, want one without a public IP", m)
			}
			return nil
		})
	await.Eventually(t, "the GDP's values", gdpValues)

	s.gslbHostRule("ghr-e2e", amkov1alpha1.GSLBHostRuleSpec{
		Fqdn: host, TTL: ptr(120),
		TrafficSplit: []amkov1alpha1.TrafficSplitElem{
			{Cluster: "cluster1-admin", Weight: 7, Priority: ptr(uint32(20))},
			{Cluster: "cluster2-admin", Weight: 3}, // a GSLBHostRule's priority defaults to 1
		},
		PoolAlgorithmSettings: &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmConsistentHash, HashMask: ptr(24)},
		DownResponse:          &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseFallbackIP, FallbackIP: "10.99.0.1"},
		PublicIP:              []amkov1alpha1.PublicIPElem{{Cluster: "cluster1-admin", IP: "203.0.113.10"}},
	})
	s.gslbHostRuleStatus("ghr-e2e", amkov1alpha1.GSLBHostRuleAccepted, "")
	await.Eventually(t, "the GSLBHostRule's values", all(
		wantMembers(host, "20:10.6.1.1:7", "1:10.6.2.1:3"),
		func() error {
			gs := sim.Object("gslbservice", host)
			if err := checkFields("GSLB service", gs, map[string]string{
				"ttl": "120", "down_response.type": "GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP",
				"down_response.fallback_ip.addr": "10.99.0.1", "down_response.fallback_ip.type": "V4",
			}); err != nil {
				return err
			}
			for ip, name := range map[string]string{"10.6.1.1": "amko-gs-group-20", "10.6.2.1": "amko-gs-group-1"} {
				_, pool := memberAt(gs, ip)
				if err := checkFields("pool", pool, map[string]string{"name": name,
					"algorithm": "GSLB_ALGORITHM_CONSISTENT_HASH", "consistent_hash_mask": "24"}); err != nil {
					return err
				}
			}
			m1, _ := memberAt(gs, "10.6.1.1")
			m2, _ := memberAt(gs, "10.6.2.1")
			if err := checkFields("member 10.6.1.1", m1, map[string]string{"public_ip.ip.addr": "203.0.113.10", "public_ip.ip.type": "V4"}); err != nil {
				return err
			}
			if m2["public_ip"] != nil {
				return fmt.Errorf("member 10.6.2.1 has public IP %v, want none", m2["public_ip"])
			}
			return nil
		}))

	s.quiet(c1, ingressMarker(t, c1, ns, "web", host, "10.6.1.1"))

	if err := leader().Client.Delete(s.ctx, &amkov1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "ghr-e2e"}}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "back to the GDP's values", gdpValues)

	// Site persistence from a GSLBHostRule, on a TLS service: without a PKI
	// profile named anywhere, AMKO takes the controller's first federated one
	// (gslbutils.GetDefaultPKI), which the controller requires.
	tlsHost := "tls.ghr.example.com"
	s.track(tlsHost)
	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "tls", Labels: labels, TLSHosts: []string{tlsHost},
		Rules: []clusters.IngressRule{{Host: tlsHost, IP: "10.6.1.2"}}, AKO: ako(tlsHost, "virtualservice-ghr-3")})
	await.Eventually(t, "TLS service without site persistence", func() error {
		return checkFields("GSLB service", sim.Object("gslbservice", tlsHost), map[string]string{"site_persistence_enabled": "false"})
	})
	s.gslbHostRule("ghr-e2e-sp", amkov1alpha1.GSLBHostRuleSpec{Fqdn: tlsHost,
		SitePersistence: &amkov1alpha1.SitePersistence{Enabled: true, ProfileRef: "gap-1"}})
	s.gslbHostRuleStatus("ghr-e2e-sp", amkov1alpha1.GSLBHostRuleAccepted, "")
	await.Eventually(t, "site persistence from the GSLBHostRule, with the default PKI profile", func() error {
		gs := sim.Object("gslbservice", tlsHost)
		if err := checkFields("GSLB service", gs, map[string]string{"site_persistence_enabled": "true"}); err != nil {
			return fmt.Errorf("%w (last refusal: %s)", err, lastRefusal())
		}
		if ap, pki := text(gs, "application_persistence_profile_ref"), text(gs, "pki_profile_ref"); !strings.HasSuffix(ap, "#gap-1") || !strings.HasSuffix(pki, "#pki") {
			return fmt.Errorf("profile %q, PKI profile %q; want gap-1 and the controller's first federated PKI profile, pki", ap, pki)
		}
		return nil
	})
}

// A namespace's AKO tenant places the service and its monitors in that tenant;
// an object whose own tenant differs from its namespace's is refused.
func TestTenants(t *testing.T) {
	c1, c2 := set.Clusters[0], set.Clusters[1]
	seedTenants(t)
	s := begin(t, appGDP("tenant-e2e"))
	ns := "e2e-tenant"
	s.namespace(ns, nil, map[string]string{akov1beta1.AnnotationTenant: "team-a"}, c1, c2)
	labels := map[string]string{"app": "tenant-e2e"}
	host, mismatch := "tenant.example.com", "tenant-mismatch.example.com"
	s.track(host, mismatch)
	// Created first, in the same cluster: seen before the others.
	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "mismatch", Labels: labels,
		Rules: []clusters.IngressRule{{Host: mismatch, IP: "10.7.1.9"}}, AKO: akoIn("admin", mismatch, "virtualservice-tenant-9")})
	for i, cl := range []*clusters.Cluster{c1, c2} {
		s.ingress(cl, clusters.Ingress{Namespace: ns, Name: "web", Labels: labels,
			Rules: []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.7.%d.1", i+1)}},
			AKO:   akoIn("team-a", host, fmt.Sprintf("virtualservice-tenant-%d", i+1))})
	}
	hm := pathMonitor("http", host, "/")
	await.Eventually(t, "service in tenant team-a", all(
		wantMembers(host, "10:10.7.1.1:1", "10:10.7.2.1:1"),
		wantMonitorRefs(host, hm),
		func() error {
			for kind, name := range map[string]string{"gslbservice": host, "healthmonitor": hm} {
				obj := sim.Object(kind, name)
				if ref := text(obj, "tenant_ref"); !strings.HasSuffix(ref, "#team-a") {
					return fmt.Errorf("%s %s: tenant_ref %q, want tenant team-a", kind, name, ref)
				}
			}
			return nil
		}))

	s.quiet(c1, ingressMarker(t, c1, ns, "web", host, "10.7.1.1"))
	// Several passes later: the object of another tenant has no service.
	if err := noService(mismatch)(); err != nil {
		t.Errorf("object whose tenant differs from its namespace's: %v", err)
	}

	// The namespace moves to another tenant (and AKO moves its objects): the
	// service and its monitor move, nothing is left in the old tenant.
	for _, cl := range []*clusters.Cluster{c1, c2} {
		var nsObj corev1.Namespace
		if err := cl.Client.Get(s.ctx, client.ObjectKey{Name: ns}, &nsObj); err != nil {
			t.Fatal(err)
		}
		nsObj.Annotations[akov1beta1.AnnotationTenant] = "team-b"
		if err := cl.Client.Update(s.ctx, &nsObj); err != nil {
			t.Fatal(err)
		}
		var ing networkingv1.Ingress
		if err := cl.Client.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &ing); err != nil {
			t.Fatal(err)
		}
		ing.Annotations[akov1beta1.AnnotationTenant] = "team-b"
		if err := cl.Client.Update(s.ctx, &ing); err != nil {
			t.Fatal(err)
		}
	}
	await.Eventually(t, "service moved to tenant team-b", all(
		wantMembers(host, "10:10.7.1.1:1", "10:10.7.2.1:1"),
		wantMonitorRefs(host, hm),
		func() error {
			var where []string
			for kind, name := range map[string]string{"gslbservice": host, "healthmonitor": hm} {
				for _, obj := range sim.Objects(kind) {
					if obj["name"] == name {
						where = append(where, kind+" in "+refName(text(obj, "tenant_ref")))
					}
				}
			}
			sort.Strings(where)
			if want := []string{"gslbservice in team-b", "healthmonitor in team-b"}; !slices.Equal(where, want) {
				return fmt.Errorf("objects: %v, want %v", where, want)
			}
			return nil
		}))
}

// seedTenants creates the tenants team-a and team-b on the controller once.
func seedTenants(t *testing.T) {
	t.Helper()
	for _, name := range []string{"team-a", "team-b"} {
		if sim.Object("tenant", name) != nil {
			continue
		}
		if _, err := sim.Seed("tenant", "", map[string]any{"name": name}); err != nil {
			t.Fatal(err)
		}
	}
}

// setCustomGlobalFQDN sets useCustomGlobalFqdn on the GSLBConfig.
func setCustomGlobalFQDN(t *testing.T, on bool) {
	t.Helper()
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
		gc.Spec.UseCustomGlobalFqdn = nil
		if on {
			gc.Spec.UseCustomGlobalFqdn = ptr(true)
		}
	})
}

// wantDomains checks a service's domain names: its name first, then the
// aliases in any order.
func wantDomains(name string, aliases ...string) func() error {
	return func() error {
		gs := sim.Object("gslbservice", name)
		if gs == nil {
			return fmt.Errorf("no GSLB service %s", name)
		}
		got, _ := gs["domain_names"].([]any)
		var rest []string
		for _, d := range got[min(1, len(got)):] {
			rest = append(rest, fmt.Sprint(d))
		}
		sort.Strings(rest)
		if len(got) == 0 || fmt.Sprint(got[0]) != name || !slices.Equal(rest, sortedStrings(aliases...)) {
			return fmt.Errorf("domain_names of %s = %v, want %s and the aliases %v", name, got, name, aliases)
		}
		return nil
	}
}

// AKO HostRules: accepted aliases become domain names; in custom global FQDN
// mode services are named after gslb.fqdn, take aliases only with
// includeAliases, and refuse objects without a global FQDN and passthrough ones.
func TestHostRuleAliasesAndCustomFQDN(t *testing.T) {
	c1, c3 := set.Clusters[0], set.Clusters[2]
	s := begin(t, appGDP("hr-e2e"))
	ns := "e2e-hr"
	s.namespace(ns, nil, nil, c1, c3)
	labels := map[string]string{"app": "hr-e2e"}
	web, web3, noGlobal, pt := "web.hr.example.com", "web3.hr.example.com", "noglobal.hr.example.com", "pt.hr.example.com"
	global, globalPT := "global-web.example.com", "global-pt.example.com"
	alias1, alias2, alias3 := "web-alias1.example.org", "web-alias2.example.org", "web-alias3.example.org"
	s.track(web, web3, noGlobal, pt, global, globalPT)

	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "web", Labels: labels,
		Rules: []clusters.IngressRule{{Host: web, IP: "10.8.1.1"}}, AKO: ako(web, "virtualservice-hr-1")})
	s.hostRule(c1, ns, "web", akov1beta1.HostRuleVirtualHost{Fqdn: web, Aliases: []string{alias2, alias1}}, akov1beta1.HostRuleAccepted)
	await.Eventually(t, "aliases become domain names", wantDomains(web, alias2, alias1))
	s.updateHostRule(c1, ns, "web", func(hr *akov1beta1.HostRule) { hr.Spec.VirtualHost.Aliases = []string{alias3} })
	await.Eventually(t, "aliases replaced", wantDomains(web, alias3))
	s.updateHostRule(c1, ns, "web", func(hr *akov1beta1.HostRule) { hr.Status.Status = "Rejected" })
	await.Eventually(t, "a rejected HostRule's aliases are dropped", wantDomains(web))

	// Custom global FQDN mode, which AMKO reads at start.
	t.Cleanup(func() { setCustomGlobalFQDN(t, false) })
	setCustomGlobalFQDN(t, true)
	s.restart()
	s.updateHostRule(c1, ns, "web", func(hr *akov1beta1.HostRule) {
		hr.Spec.VirtualHost.Aliases = []string{alias1, alias2}
		hr.Spec.VirtualHost.Gslb = &akov1beta1.HostRuleGSLB{Fqdn: global, IncludeAliases: true}
		hr.Status.Status = akov1beta1.HostRuleAccepted
	})
	s.route(c3, clusters.Route{Namespace: ns, Name: "web3", Labels: labels, Host: web3, Path: "/", IP: "10.8.3.1",
		AKO: ako(web3, "virtualservice-hr-3")})
	s.hostRule(c3, ns, "web3", akov1beta1.HostRuleVirtualHost{Fqdn: web3,
		Gslb: &akov1beta1.HostRuleGSLB{Fqdn: global}}, akov1beta1.HostRuleAccepted)
	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "noglobal", Labels: labels,
		Rules: []clusters.IngressRule{{Host: noGlobal, IP: "10.8.1.2"}}, AKO: ako(noGlobal, "virtualservice-hr-4")})
	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "pt", Labels: labels,
		Annotations: map[string]string{akov1beta1.AnnotationPassthrough: "true"},
		Rules:       []clusters.IngressRule{{Host: pt, IP: "10.8.1.3"}}, AKO: ako(pt, "virtualservice-hr-5")})
	s.hostRule(c1, ns, "pt", akov1beta1.HostRuleVirtualHost{Fqdn: pt,
		Gslb: &akov1beta1.HostRuleGSLB{Fqdn: globalPT}}, akov1beta1.HostRuleAccepted)

	await.Eventually(t, "one service named after the global FQDN", all(
		wantMembers(global, "10:10.8.1.1:1", "10:10.8.3.1:1"),
		wantDomains(global, alias1, alias2),
		wantMonitorRefs(global, pathMonitor("http", global, "/")),
		noService(web)))
	s.updateHostRule(c1, ns, "web", func(hr *akov1beta1.HostRule) { hr.Spec.VirtualHost.Gslb.IncludeAliases = false })
	await.Eventually(t, "includeAliases off", wantDomains(global))
	// A HostRule's certificate makes its host TLS: HTTPS monitors.
	s.updateHostRule(c1, ns, "web", func(hr *akov1beta1.HostRule) {
		hr.Spec.VirtualHost.TLS = &akov1beta1.HostRuleTLS{SSLKeyCertificate: akov1beta1.HostRuleSSLKeyCertificate{Name: "web-cert", Type: "secret"}}
	})
	await.Eventually(t, "HostRule TLS: HTTPS monitor", wantMonitorRefs(global, pathMonitor("https", global, "/")))

	s.quiet(c1, marker{service: global, ip: "10.8.1.1", move: func(ip string) { setIngressIP(t, c1, ns, "web", web, ip) }})
	for _, name := range []string{noGlobal, pt, globalPT, web3} {
		if err := noService(name)(); err != nil {
			t.Errorf("custom FQDN mode: %v", err)
		}
	}

	// Back to the default mode: services named after the local FQDNs again.
	setCustomGlobalFQDN(t, false)
	s.restart()
	await.Eventually(t, "default mode again", all(
		noService(global),
		wantDomains(web, alias2, alias1),
		wantMembers(web3, "10:10.8.3.1:1"),
		wantMembers(noGlobal, "10:10.8.1.2:1"),
		wantMembers(pt, "10:10.8.1.3:1"),
	))
}

// The controller fails: 503 on the first service creations, a 401 that ends the
// session, 300 ms of latency, an expired session and maintenance mode. amko ends
// with exactly the desired objects, after retrying what failed.
func TestControllerFaults(t *testing.T) {
	c1, c2 := set.Clusters[0], set.Clusters[1]
	s := begin(t, appGDP("flt-e2e"))
	t.Cleanup(sim.ClearFaults)
	t.Cleanup(func() { _ = sim.SetMaintenance(false) })
	ns := "e2e-flt"
	s.namespace(ns, nil, nil, c1, c2)
	labels := map[string]string{"app": "flt-e2e"}
	host := "flt.example.com"
	s.track(host)

	for _, f := range []avisim.Fault{
		{Name: "expired", Method: "POST", Path: "^/api/healthmonitor$", Count: 1, Status: 401},
		{Name: "unavailable", Method: "POST", Path: "^/api/gslbservice$", Count: 2, Status: 503},
		{Name: "slow", Path: "^/api/(gslbservice|healthmonitor)", Latency: 300 * time.Millisecond},
	} {
		if _, err := sim.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	sim.ClearJournal()
	for i, cl := range []*clusters.Cluster{c1, c2} {
		s.ingress(cl, clusters.Ingress{Namespace: ns, Name: "web", Labels: labels,
			Rules: []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.9.%d.1", i+1), Paths: []string{"/", "/a"}}},
			AKO:   ako(host, fmt.Sprintf("virtualservice-flt-%d", i+1))})
	}
	root, pathA := pathMonitor("http", host, "/"), pathMonitor("http", host, "/a")
	await.Eventually(t, "desired state despite the faults", all(
		wantMembers(host, "10:10.9.1.1:1", "10:10.9.2.1:1"),
		wantMonitorRefs(host, root, pathA)))

	// Exactly the desired objects: one service, its two monitors, once each.
	var services []string
	for _, gs := range sim.Objects("gslbservice") {
		if gs["name"] == host {
			services = append(services, text(gs, "uuid"))
		}
	}
	if len(services) != 1 {
		t.Errorf("%d GSLB services named %s, want 1", len(services), host)
	}
	if got := ownMonitors(host); !slices.Equal(got, sortedStrings(root, pathA)) {
		t.Errorf("monitors of %s = %v, want %v", host, got, sortedStrings(root, pathA))
	}

	// The journal: the refused attempts, then their successful retries.
	journal := sim.Journal()
	var gsPosts []string
	for _, e := range journal {
		if e.Method == "POST" && e.Path == "/api/gslbservice" {
			gsPosts = append(gsPosts, fmt.Sprintf("%d/%s", e.Status, e.Fault))
		}
	}
	if want := []string{"503/unavailable", "503/unavailable", "201/slow"}; !slices.Equal(gsPosts, want) {
		t.Errorf("service creations: %v, want %v", gsPosts, want)
	}
	expired := slices.IndexFunc(journal, func(e avisim.JournalEntry) bool { return e.Fault == "expired" })
	if expired < 0 {
		t.Fatal("no request met the 401 fault")
	}
	if e := journal[expired]; e.Status != 401 || e.Method != "POST" {
		t.Errorf("401 fault: %+v", e)
	}
	rest := journal[expired+1:]
	login := slices.IndexFunc(rest, func(e avisim.JournalEntry) bool { return e.Path == "/login" && e.Status == 200 })
	retry := slices.IndexFunc(rest, func(e avisim.JournalEntry) bool {
		return e.Method == "POST" && e.Path == "/api/healthmonitor" && e.Status == 201 &&
			journalBodyName(e) == journalBodyName(journal[expired])
	})
	if login < 0 || retry < 0 || retry < login {
		t.Errorf("after the 401 on %s: login at %d, successful retry at %d; want a login, then the retry",
			journalBodyName(journal[expired]), login, retry)
	}
	for _, e := range journal {
		if e.Fault == "slow" && e.Duration < 300*time.Millisecond {
			t.Errorf("%s %s took %v under 300 ms of latency", e.Method, e.Path, e.Duration)
		}
	}
	sim.ClearFaults()

	// Expired sessions: the next request is refused, amko logs in again and
	// retries what failed.
	sim.ClearJournal()
	if n := sim.ExpireSessions(); n == 0 {
		t.Error("no session to expire")
	}
	setIngressIP(t, c2, ns, "web", host, "10.9.2.2")
	await.Eventually(t, "update after the session expired", wantMembers(host, "10:10.9.1.1:1", "10:10.9.2.2:1"))
	journal = sim.Journal()
	refused := slices.IndexFunc(journal, func(e avisim.JournalEntry) bool { return e.Status == 401 })
	update := slices.IndexFunc(journal, func(e avisim.JournalEntry) bool {
		return e.Method == "PUT" && strings.HasPrefix(e.Path, "/api/gslbservice/") && e.Status == 200
	})
	if refused < 0 || update < refused ||
		!slices.ContainsFunc(journal[refused:update], func(e avisim.JournalEntry) bool { return e.Path == "/login" && e.Status == 200 }) {
		t.Errorf("after the sessions expired: first refusal at %d, update at %d; want a 401, a login, then the update", refused, update)
	}

	// Maintenance mode refuses writes; they succeed once it ends.
	sim.ClearJournal()
	if err := sim.SetMaintenance(true); err != nil {
		t.Fatal(err)
	}
	setIngressIP(t, c2, ns, "web", host, "10.9.2.3")
	await.Eventually(t, "a write refused in maintenance mode", func() error {
		for _, e := range sim.Writes() {
			if e.Status == 400 && strings.Contains(e.Path, "/api/gslbservice/") {
				return nil
			}
		}
		return fmt.Errorf("no refused write yet")
	})
	if err := sim.SetMaintenance(false); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "update after maintenance", wantMembers(host, "10:10.9.1.1:1", "10:10.9.2.3:1"))

	s.quiet(c1, ingressMarker(t, c1, ns, "web", host, "10.9.1.1"))
}

func sortedStrings(s ...string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// Once a rich state has settled (tenants, TLS with site persistence, template
// monitors, GSLBHostRule with every override and a third-party member, UDP and
// passthrough services), events that change nothing write nothing, and a member
// change writes its one service only.
func TestNoRedundantWrites(t *testing.T) {
	c1, c2, c3 := set.Clusters[0], set.Clusters[1], set.Clusters[2]
	seedTemplate(t)
	seedTenants(t)
	spec := appGDP("rich-e2e")
	spec.TTL = ptr(45)
	spec.SitePersistenceRef = ptr("gap-1")
	spec.HealthMonitorTemplate = ptr(templateName)
	spec.TrafficSplit = []amkov1alpha2.TrafficSplitElem{{Cluster: "cluster1-admin", Weight: 3, Priority: ptr(uint32(10))}}
	spec.PoolAlgorithmSettings = &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmGeo,
		FallbackAlgorithm: &amkov1alpha1.GeoFallback{LBAlgorithm: "GSLB_ALGORITHM_CONSISTENT_HASH", HashMask: ptr(16)}}
	s := begin(t, spec)
	ns, tenantNS := "e2e-rich", "e2e-rich-tenant"
	s.namespace(ns, nil, nil, c1, c2, c3)
	s.namespace(tenantNS, nil, map[string]string{akov1beta1.AnnotationTenant: "team-a"}, c1)
	labels := map[string]string{"app": "rich-e2e"}
	tlsHost, ghrHost, udpHost, ptHost, tenantHost := "tls.rich.example.com", "ghr.rich.example.com",
		"udp.rich.example.com", "pt.rich.example.com", "tenant.rich.example.com"
	s.track(tlsHost, ghrHost, udpHost, ptHost, tenantHost)

	s.ingress(c1, clusters.Ingress{Namespace: ns, Name: "tls", Labels: labels, TLSHosts: []string{tlsHost},
		Rules: []clusters.IngressRule{{Host: tlsHost, IP: "10.10.1.1", Paths: []string{"/", "/b"}}}, AKO: ako(tlsHost, "virtualservice-rich-1")})
	s.route(c3, clusters.Route{Namespace: ns, Name: "tls", Labels: labels, Host: tlsHost, Path: "/", TLSTermination: "edge",
		IP: "10.10.3.1", AKO: ako(tlsHost, "virtualservice-rich-2")})
	s.ingress(c2, clusters.Ingress{Namespace: ns, Name: "ghr", Labels: labels,
		Rules: []clusters.IngressRule{{Host: ghrHost, IP: "10.10.2.1"}}, AKO: ako(ghrHost, "virtualservice-rich-3")})
	s.gslbHostRule("rich-e2e", amkov1alpha1.GSLBHostRuleSpec{
		Fqdn: ghrHost, TTL: ptr(5),
		PoolAlgorithmSettings: &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmConsistentHash, HashMask: ptr(20)},
		DownResponse:          &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseFallbackIP, FallbackIP: "10.99.0.2"},
		PublicIP:              []amkov1alpha1.PublicIPElem{{Cluster: "cluster2-admin", IP: "203.0.113.20"}},
		ThirdPartyMembers:     []amkov1alpha1.ThirdPartyMember{{Site: avisim.ThirdPartySite, VIP: "10.10.9.9", PublicIP: "203.0.113.99"}},
		TrafficSplit:          []amkov1alpha1.TrafficSplitElem{{Cluster: avisim.ThirdPartySite, Weight: 2, Priority: ptr(uint32(5))}},
	})
	s.lbService(c2, clusters.LoadBalancerService{Namespace: ns, Name: "udp", Labels: labels,
		Ports:    []corev1.ServicePort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)}},
		Hostname: udpHost, IP: "10.10.2.53", AKO: ako(udpHost, "virtualservice-rich-4")})
	s.route(c3, clusters.Route{Namespace: ns, Name: "pt", Labels: labels, Host: ptHost, TLSTermination: "passthrough",
		IP: "10.10.3.2", AKO: ako(ptHost, "virtualservice-rich-5")})
	s.ingress(c1, clusters.Ingress{Namespace: tenantNS, Name: "web", Labels: labels,
		Rules: []clusters.IngressRule{{Host: tenantHost, IP: "10.10.1.7"}}, AKO: akoIn("team-a", tenantHost, "virtualservice-rich-6")})

	await.Eventually(t, "the rich state", all(
		wantMembers(tlsHost, "10:10.10.1.1:3", "10:10.10.3.1:1"),
		wantMonitorRefs(tlsHost, pathMonitor("https", tlsHost, "/"), pathMonitor("https", tlsHost, "/b")),
		func() error {
			return checkFields("GSLB service", sim.Object("gslbservice", tlsHost), map[string]string{
				"site_persistence_enabled": "true", "ttl": "45",
				"groups.0.algorithm": "GSLB_ALGORITHM_GEO", "groups.0.fallback_algorithm": "GSLB_ALGORITHM_CONSISTENT_HASH",
				"groups.0.consistent_hash_mask": "16"})
		},
		func() error {
			return checkFields("monitor", sim.Object("healthmonitor", pathMonitor("https", tlsHost, "/b")), map[string]string{
				"https_monitor.http_request": "GET /b HTTP/1.1", "monitor_port": "443"})
		},
		wantMembers(ghrHost, "10:10.10.2.1:1", "5:10.10.9.9:2"),
		wantMembers(udpHost, "10:10.10.2.53:1"),
		wantMonitorRefs(ptHost, passthroughMonitor()),
		wantMembers(tenantHost, "10:10.10.1.7:3"),
	))
	gs := sim.Object("gslbservice", tlsHost)
	if ap, pki := text(gs, "application_persistence_profile_ref"), text(gs, "pki_profile_ref"); !strings.HasSuffix(ap, "#gap-1") || !strings.HasSuffix(pki, "#pki") {
		t.Errorf("site persistence of the TLS service: profile %q, PKI profile %q; want gap-1 and the default pki", ap, pki)
	}

	s.quiet(c1, ingressMarker(t, c1, ns, "tls", tlsHost, "10.10.1.1"))

	// A restart in sync writes nothing either; and amko runs a pass per event
	// at most: the quiet check's 7 events take a few passes, each reading little
	// from the controller (the policy's lookups, a leadership check every 30 s).
	sim.ClearJournal()
	reg := s.restartWithMetrics()
	await.Eventually(t, "amko read the controller after the restart", func() error {
		for _, e := range sim.Journal() {
			if e.Method == "GET" && e.Path == "/api/gslbservice" {
				return nil
			}
		}
		return fmt.Errorf("no list of GSLB services yet")
	})
	// The next event's write is seen once that first pass has ended.
	setServiceIP(t, c2, ns, "udp", "10.10.2.54")
	await.Eventually(t, "first change after the restart", func() error {
		if err := hasMember(udpHost, "10.10.2.54")(); err != nil {
			return err
		}
		if len(sim.Writes()) == 0 {
			return fmt.Errorf("its write is not journalled yet")
		}
		return nil
	})
	udpUUID := text(sim.Object("gslbservice", udpHost), "uuid")
	if w := sim.Writes(); len(w) != 1 || w[0].Method != "PUT" || w[0].Path != "/api/gslbservice/"+udpUUID {
		t.Errorf("restart in sync, then one change: writes %+v, want the change's PUT only", w)
	}
	before := passes(t, reg)
	n := s.quiet(c2, marker{service: udpHost, ip: "10.10.2.53", move: func(ip string) { setServiceIP(t, c2, ns, "udp", ip) }})
	if ran := passes(t, reg) - before; ran > maxQuietPasses {
		t.Errorf("amko ran %d passes for the quiet check's 7 events, want at most %d", ran, maxQuietPasses)
	}
	if n > maxQuietRequests {
		reads := map[string]int{}
		for _, e := range sim.Journal() {
			reads[e.Method+" "+e.Path]++
		}
		t.Errorf("%d requests to the controller for the quiet check's 7 events, want at most %d: %v", n, maxQuietRequests, reads)
	}
}

// maxQuietPasses bounds the passes of the quiet check's 7 events, leaving room
// for a periodic check or two.
const maxQuietPasses = 20

// A standby replica (leader election) follows everything but writes nothing:
// no controller writes, no statuses; made active, it writes at once, without a
// restart or a resync of the member clusters.
func TestStandbyReplica(t *testing.T) {
	s := begin(t, appGDP("stb-e2e"))
	s.stop()
	var op *operator.Operator
	op, s.stop = runAmko(t, operator.Options{Standby: true})

	host := "stb.example.com"
	s.track(host)
	sim.ClearJournal()
	s.ingress(set.Clusters[0], clusters.Ingress{Namespace: "default", Name: "stb", Labels: map[string]string{"app": "stb-e2e"},
		Rules: []clusters.IngressRule{{Host: host, IP: "10.72.0.1"}}, AKO: ako(host, "virtualservice-stb")})
	// A second GDP gets a refusal status from an active amko; the standby leaves it.
	second := &amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "stb-gdp"}, Spec: appGDP("stb-e2e")}
	if err := leader().Client.Create(s.ctx, second); err != nil {
		t.Fatal(err)
	}
	s.cleanup(leader(), second)
	await.Eventually(t, "the standby sees the Ingress", func() error {
		for _, svc := range op.Status().Services {
			if svc.Name == host {
				return nil
			}
		}
		return fmt.Errorf("not in its view yet")
	})
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if w := sim.Writes(); len(w) != 0 {
			t.Fatalf("the standby wrote to the controller: %+v", w)
		}
		var g amkov1alpha2.GlobalDeploymentPolicy
		if err := leader().Client.Get(s.ctx, client.ObjectKeyFromObject(second), &g); err != nil {
			t.Fatal(err)
		}
		if g.Status.ErrorStatus != "" {
			t.Fatalf("the standby wrote a status: %q", g.Status.ErrorStatus)
		}
	}
	if op.Status().Active {
		t.Error("/status says active")
	}

	start := time.Now()
	op.SetActive(true)
	await.Eventually(t, "the active replica writes", wantMembers(host, "10:10.72.0.1:1"))
	t.Logf("the service reached the controller %v after the standby was made active", time.Since(start).Round(time.Millisecond))
	await.Eventually(t, "the second GDP refused", func() error {
		var g amkov1alpha2.GlobalDeploymentPolicy
		if err := leader().Client.Get(s.ctx, client.ObjectKeyFromObject(second), &g); err != nil {
			return err
		}
		if g.Status.ErrorStatus != "a GDP object already exists, can't add another" {
			return fmt.Errorf("status %q", g.Status.ErrorStatus)
		}
		return nil
	})
}
