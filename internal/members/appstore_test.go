// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package members

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/amko-project/amko/internal/sources"
)

func ingress(uid, rv, host, ip string) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-" + uid, UID: types.UID(uid), ResourceVersion: rv},
		Spec:       networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: host}}},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{
			Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: ip, Hostname: host}}}},
	}
}

// The store follows its informer's events, including deletions the informer
// only learnt of after a relist (tombstones), and each event asks for a pass
// after the store has changed.
func TestAppStoreFollowsEvents(t *testing.T) {
	s := newAppStore("c1", nil)
	var seenAtPoke []int
	h := s.handler(func() { seenAtPoke = append(seenAtPoke, len(s.records("", nil))) })
	addrs := func() string {
		var out []string
		for _, r := range s.records("", nil) {
			out = append(out, r.Host+"="+r.IP.String())
		}
		if len(out) == 2 && out[0] > out[1] {
			out[0], out[1] = out[1], out[0]
		}
		return fmt.Sprint(out)
	}

	h.OnAdd(ingress("a", "1", "a.example.com", "10.0.0.1"), false)
	h.OnAdd(ingress("b", "1", "b.example.com", "10.0.0.2"), false)
	h.OnAdd(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cluster-ip", UID: "s"}}, false)
	if got := addrs(); got != "[a.example.com=10.0.0.1 b.example.com=10.0.0.2]" {
		t.Fatalf("after adds: %s", got)
	}
	h.OnUpdate(ingress("a", "1", "a.example.com", "10.0.0.1"), ingress("a", "2", "a.example.com", "10.0.0.9"))
	if got := addrs(); got != "[a.example.com=10.0.0.9 b.example.com=10.0.0.2]" {
		t.Fatalf("after an update: %s", got)
	}
	h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "default/web-b", Obj: ingress("b", "1", "b.example.com", "10.0.0.2")})
	h.OnDelete(ingress("a", "2", "a.example.com", "10.0.0.9"))
	if got := addrs(); got != "[]" {
		t.Fatalf("after deletes: %s", got)
	}
	if want := "[1 2 2 2 1 0]"; fmt.Sprint(seenAtPoke) != want {
		t.Errorf("records seen by each pass asked for: %v, want %s", seenAtPoke, want)
	}
}

// An application object that gives no record for want of AKO's status is
// logged once per version, also when a replacement cache relists it.
func TestSkippedObjectsLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	skips := newSkipLog(slog.New(slog.NewTextHandler(&logs, nil)))
	pending := ingress("a", "1", "a.example.com", "")
	pending.Status.LoadBalancer.Ingress = nil
	lb := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "lb", UID: "s", ResourceVersion: "1"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 80}}}}
	clusterIP := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cluster-ip", UID: "c", ResourceVersion: "1"}}
	count := func() int { return strings.Count(logs.String(), "skipping object") }

	s := newAppStore("c1", skips)
	h := s.handler(func() {})
	for _, o := range []client.Object{pending, lb, clusterIP} {
		h.OnAdd(o, false)
	}
	s.records("", nil)
	s.records("", nil)
	if n := count(); n != 2 {
		t.Fatalf("%d lines, want one per skipped object (a ClusterIP Service is no candidate):\n%s", n, logs.String())
	}
	for _, want := range []string{"kind=Ingress", "name=web-a", sources.SkipNoAddress, "kind=Service", "cluster=c1"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}

	// A replacement cache of the same cluster relists: nothing new to say.
	again := newAppStore("c1", skips)
	h2 := again.handler(func() {})
	h2.OnAdd(pending, true)
	again.records("", nil)
	if n := count(); n != 2 {
		t.Errorf("a relist logged again: %d lines", n)
	}
	// A new version is logged; one that gives a record is not.
	newer := pending.DeepCopy()
	newer.ResourceVersion = "2"
	h2.OnUpdate(pending, newer)
	again.records("", nil)
	placed := ingress("a", "3", "a.example.com", "10.0.0.1")
	h2.OnUpdate(newer, placed)
	again.records("", nil)
	if n := count(); n != 3 {
		t.Errorf("%d lines after a new skipped version and a placed one, want 3", n)
	}
}

func gatewayObj(ip string) *gatewayv1.Gateway {
	typ := gatewayv1.IPAddressType
	gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "edge", UID: "gw", ResourceVersion: ip},
		Spec: gatewayv1.GatewaySpec{Listeners: []gatewayv1.Listener{{Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80}}}}
	if ip != "" {
		gw.Status.Addresses = []gatewayv1.GatewayStatusAddress{{Type: &typ, Value: ip}}
	}
	return gw
}

// A route's records follow its parent Gateway's changes, which arrive
// through another informer: the route is converted again, and a route
// without its Gateway is skipped with the reason.
func TestAppStoreFollowsGateways(t *testing.T) {
	var logs bytes.Buffer
	s := newAppStore("c1", newSkipLog(slog.New(slog.NewTextHandler(&logs, nil))))
	routes, gateways := s.handler(func() {}), s.gatewayHandler(func() {})
	rt := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "shop", UID: "rt", ResourceVersion: "1"},
		Spec: gatewayv1.HTTPRouteSpec{Hostnames: []gatewayv1.Hostname{"shop.example.com"},
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "edge"}}}},
		Status: gatewayv1.HTTPRouteStatus{RouteStatus: gatewayv1.RouteStatus{Parents: []gatewayv1.RouteParentStatus{{
			ParentRef:  gatewayv1.ParentReference{Name: "edge"},
			Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue}}}}}}}
	// An unrelated route, which must not be converted again for edge's changes.
	other := rt.DeepCopy()
	other.UID, other.Name, other.Spec.ParentRefs = "other", "other", []gatewayv1.ParentReference{{Name: "elsewhere"}}
	addrs := func() string {
		var out []string
		for _, r := range s.records("", nil) {
			out = append(out, r.Host+"="+r.IP.String())
		}
		return fmt.Sprint(out)
	}

	routes.OnAdd(rt, false)
	routes.OnAdd(other, false)
	if got := addrs(); got != "[]" {
		t.Fatalf("without its Gateway: %s", got)
	}
	if !strings.Contains(logs.String(), "kind=HTTPRoute") || !strings.Contains(logs.String(), "Gateway default/edge does not exist") {
		t.Errorf("the skipped route is not logged with its reason:\n%s", logs.String())
	}
	otherEntry := s.objs["other"]
	gateways.OnAdd(gatewayObj("10.0.0.1"), false)
	if got := addrs(); got != "[shop.example.com=10.0.0.1]" {
		t.Fatalf("after the Gateway's add: %s", got)
	}
	gateways.OnUpdate(gatewayObj("10.0.0.1"), gatewayObj("10.0.0.2"))
	// Before the next pass: only edge's route is to be converted again.
	if s.objs["rt"].converted || !otherEntry.converted {
		t.Errorf("after edge's update: its route converted %v, the other route %v; want false, true",
			s.objs["rt"].converted, otherEntry.converted)
	}
	if got := addrs(); got != "[shop.example.com=10.0.0.2]" {
		t.Fatalf("after the Gateway's update: %s", got)
	}
	gateways.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "default/edge", Obj: gatewayObj("10.0.0.2")})
	if got := addrs(); got != "[]" {
		t.Fatalf("after the Gateway's deletion: %s", got)
	}
	skipped := skipsOf(s)
	if len(skipped) != 2 || skipped[0].Kind != "HTTPRoute" {
		t.Errorf("skipped = %+v, want both routes", skipped)
	}
}

func skipsOf(s *appStore) []Skipped {
	out := s.skips.list()
	slices.SortFunc(out, func(a, b Skipped) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// The store hands out an object's records as the same slice from pass to
// pass while neither the object nor its health changes, and a new slice (the
// old one untouched) when either does; it counts the namespaces of the
// records' Services as objects come and go.
func TestAppStoreGroups(t *testing.T) {
	s := newAppStore("c1", nil)
	h := s.handler(func() {})
	withBackend := func(ing *networkingv1.Ingress, ns string) *networkingv1.Ingress {
		ing.Namespace = ns
		ing.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web"}}
		return ing
	}
	h.OnAdd(withBackend(ingress("a", "1", "a.example.com", "10.0.0.1"), "ns-a"), false)
	h.OnAdd(withBackend(ingress("b", "1", "b.example.com", "10.0.0.2"), "ns-b"), false)
	down := map[string]string{} // host → NoEndpoints
	health := func(r *sources.Record) (string, string) { return down[r.Host], "" }
	byHost := func() (map[string][]sources.Record, map[string]bool) {
		groups, namespaces := s.groups("", health, nil)
		out := map[string][]sources.Record{}
		for _, g := range groups {
			out[g[0].Host] = g
		}
		return out, namespaces
	}
	first, namespaces := byHost()
	if len(first) != 2 || !namespaces["ns-a"] || !namespaces["ns-b"] || len(namespaces) != 2 {
		t.Fatalf("groups %v, namespaces %v", first, namespaces)
	}
	same := func(a, b []sources.Record) bool { return &a[0] == &b[0] }
	second, _ := byHost()
	if !same(first["a.example.com"], second["a.example.com"]) || !same(first["b.example.com"], second["b.example.com"]) {
		t.Fatal("nothing changed, yet a group is a new slice")
	}
	down["a.example.com"] = "no ready endpoint for Service ns-a/web"
	third, _ := byHost()
	if same(second["a.example.com"], third["a.example.com"]) || !same(second["b.example.com"], third["b.example.com"]) {
		t.Fatal("a's health changed: a new slice for a only")
	}
	if second["a.example.com"][0].NoEndpoints != "" || third["a.example.com"][0].NoEndpoints != down["a.example.com"] {
		t.Fatalf("NoEndpoints: the old slice %q (must stay empty), the new %q",
			second["a.example.com"][0].NoEndpoints, third["a.example.com"][0].NoEndpoints)
	}
	h.OnUpdate(nil, withBackend(ingress("b", "2", "b.example.com", "10.0.0.9"), "ns-b"))
	fourth, _ := byHost()
	if same(third["b.example.com"], fourth["b.example.com"]) || !same(third["a.example.com"], fourth["a.example.com"]) ||
		fourth["b.example.com"][0].IP.String() != "10.0.0.9" {
		t.Fatal("b changed: a new slice for b only, with its new address")
	}
	h.OnDelete(withBackend(ingress("a", "1", "a.example.com", "10.0.0.1"), "ns-a"))
	fifth, namespaces := byHost()
	if len(fifth) != 1 || len(namespaces) != 1 || !namespaces["ns-b"] {
		t.Fatalf("after a's deletion: groups %v, namespaces %v", fifth, namespaces)
	}
}
