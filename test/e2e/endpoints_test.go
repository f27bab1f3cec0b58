// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

// flapEvery is the period of the readiness flaps the hold-down must absorb.
const flapEvery = 200 * time.Millisecond

// setEndpoints writes a Service's EndpointSlice in cl, failing the test on error.
func setEndpoints(t *testing.T, cl *clusters.Cluster, service string, ready ...bool) {
	t.Helper()
	if err := cl.SetEndpoints(context.Background(), "default", service, ready...); err != nil {
		t.Fatal(err)
	}
}

// memberEnabled checks that the controller's service name has a member at ip
// whose enabled flag is want.
func memberEnabled(name, ip string, want bool) func() error {
	return func() error {
		gs := sim.Object("gslbservice", name)
		if gs == nil {
			return fmt.Errorf("no GSLB service %s", name)
		}
		groups, _ := gs["groups"].([]any)
		for _, g := range groups {
			ms, _ := g.(map[string]any)["members"].([]any)
			for _, m := range ms {
				mm := m.(map[string]any)
				if mm["ip"].(map[string]any)["addr"] != ip {
					continue
				}
				if got := mm["enabled"] != false; got != want {
					return fmt.Errorf("member %s of %s: enabled %v, want %v", ip, name, got, want)
				}
				return nil
			}
		}
		return fmt.Errorf("no member %s in %s", ip, name)
	}
}

// gslbEvent checks for an Event of reason on the GSLBConfig whose message
// holds every part.
func gslbEvent(reason string, parts ...string) func() error {
	return func() error {
		var events corev1.EventList
		if err := leader().Client.List(context.Background(), &events, client.InNamespace(clusters.Namespace)); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason != reason || e.InvolvedObject.Kind != "GSLBConfig" {
				continue
			}
			if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(e.Message, p) }) {
				return nil
			}
		}
		return fmt.Errorf("no %s event with %q among %d", reason, parts, len(events.Items))
	}
}

// serviceWrites counts the controller's writes to GSLB services.
func serviceWrites() int {
	n := 0
	for _, w := range sim.Writes() {
		if strings.HasPrefix(w.Path, "/api/gslbservice") {
			n++
		}
	}
	return n
}

// With the built-in DNS backend, endpoint health is on: a member whose
// Service loses its last ready endpoint leaves the answers at once (probes
// still pass), with a MemberDown Event and its cause in /status; a readiness
// flapping every 200 ms keeps it out; ready for the hold-down, it is back.
func TestEndpointHealthDNS(t *testing.T) {
	ctx := context.Background()
	stop := startAmko(t)
	defer stop()
	useDNSBackend(t)
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:     amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "eph-dns"}}},
		MatchClusters:  []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
		EndpointHealth: &amkov1alpha2.EndpointHealth{HoldDown: &metav1.Duration{Duration: time.Second}},
	})
	name := "eph.gslb.example.com"
	var listeners []net.Listener
	for i, cl := range set.Clusters[:2] {
		ip := fmt.Sprintf("127.0.0.%d", 31+i)
		listeners = append(listeners, backend.TCP(t, ip+":18082"))
		setEndpoints(t, cl, "eph-dns", true)
		if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "eph-dns",
			Labels: map[string]string{"app": "eph-dns"}, Hostname: name, IP: ip,
			Ports: []corev1.ServicePort{{Name: "tcp", Port: 18082, Protocol: corev1.ProtocolTCP}}}); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
		for _, cl := range set.Clusters[:2] {
			_ = cl.Client.Delete(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "eph-dns"}})
			_ = cl.DeleteEndpoints(ctx, "default", "eph-dns")
		}
	}()
	answered := func(want ...string) func() error {
		return func() error {
			addr := amko.DNSAddr()
			if addr == "" {
				return fmt.Errorf("not serving DNS yet")
			}
			got, err := answers(addr, name+".", 4)
			if err != nil {
				return err
			}
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range got {
					if !yield(k) {
						return
					}
				}
			})
			if !slices.Equal(keys, want) {
				return fmt.Errorf("answered %v, want %v", keys, want)
			}
			return nil
		}
	}
	await.Eventually(t, "both members answered", answered("127.0.0.31", "127.0.0.32"))

	setEndpoints(t, set.Clusters[1], "eph-dns", false, false)
	await.Eventually(t, "the member without ready endpoints leaves the answers", answered("127.0.0.31"))
	await.Eventually(t, "a MemberDown Event with the cause", gslbEvent("MemberDown", "127.0.0.32", "no ready endpoint for Service default/eph-dns"))
	await.Eventually(t, "the cause in /status", func() error {
		for _, s := range amko.Status().Services {
			for _, p := range s.Pools {
				for _, m := range p.Members {
					if m.IP == "127.0.0.32" && !m.Enabled && strings.HasPrefix(m.Down, "no ready endpoint") && m.Health == "up" {
						return nil
					}
				}
			}
		}
		return fmt.Errorf("no disabled member 127.0.0.32 with its cause and its probe up in /status")
	})

	// Flapping: never back in the answers while it flaps.
	tick := time.NewTicker(flapEvery)
	defer tick.Stop()
	for i := range 10 {
		setEndpoints(t, set.Clusters[1], "eph-dns", i%2 == 0)
		if err := answered("127.0.0.31")(); err != nil {
			t.Fatalf("flap %d: %v", i, err)
		}
		<-tick.C
	}
	setEndpoints(t, set.Clusters[1], "eph-dns", true)
	if err := answered("127.0.0.31")(); err != nil {
		t.Fatalf("at once after the flaps: %v", err)
	}
	await.Eventually(t, "back after the hold-down", answered("127.0.0.31", "127.0.0.32"))
	await.Eventually(t, "a MemberUp Event", gslbEvent("MemberUp", "127.0.0.32"))
}

// With an Avi Controller, endpoint health is AMKO's way by default (the
// controller's monitors decide); opted into on the GDP, a member without
// ready endpoints is written enabled: false, a readiness flapping every
// 200 ms writes nothing more, and it is enabled again after the hold-down.
func TestEndpointHealthAvi(t *testing.T) {
	selector := amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "eph-avi"}}}
	matchClusters := []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}}
	s := begin(t, amkov1alpha2.GDPSpec{MatchRules: selector, MatchClusters: matchClusters})
	host := "eph-avi.example.com"
	for i, cl := range set.Clusters[:2] {
		s.ingress(cl, clusters.Ingress{Namespace: "default", Name: "eph-avi", Labels: map[string]string{"app": "eph-avi"},
			Rules: []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.60.%d.1", i+1)}},
			AKO:   ako(host, fmt.Sprintf("virtualservice-eph%d", i+1))})
		setEndpoints(t, cl, "eph-avi", true)
		t.Cleanup(func() { _ = cl.DeleteEndpoints(context.Background(), "default", "eph-avi") })
	}
	s.track(host)
	await.Eventually(t, "both members", wantMembers(host, "10:10.60.1.1:1", "10:10.60.2.1:1"))

	// Off by default: a pass after the endpoints went (a later change is
	// applied) leaves the member enabled.
	setEndpoints(t, set.Clusters[1], "eph-avi", false)
	setIngressIP(t, set.Clusters[0], "default", "eph-avi", host, "10.60.1.9")
	await.Eventually(t, "a later change applied", wantMembers(host, "10:10.60.1.9:1", "10:10.60.2.1:1"))
	if err := memberEnabled(host, "10.60.2.1", true)(); err != nil {
		t.Fatalf("without the extension: %v", err)
	}

	gdp(t, amkov1alpha2.GDPSpec{MatchRules: selector, MatchClusters: matchClusters,
		EndpointHealth: &amkov1alpha2.EndpointHealth{Enabled: new(true), HoldDown: &metav1.Duration{Duration: time.Second}}})
	await.Eventually(t, "opted in: written disabled", memberEnabled(host, "10.60.2.1", false))
	await.Eventually(t, "a MemberDown Event with the cause", gslbEvent("MemberDown", "10.60.2.1", "no ready endpoint"))

	before := serviceWrites()
	tick := time.NewTicker(flapEvery)
	defer tick.Stop()
	for i := range 10 {
		setEndpoints(t, set.Clusters[1], "eph-avi", i%2 == 0)
		<-tick.C
	}
	setEndpoints(t, set.Clusters[1], "eph-avi", true)
	await.Eventually(t, "enabled after the hold-down", memberEnabled(host, "10.60.2.1", true))
	if n := serviceWrites() - before; n != 1 {
		t.Errorf("%d writes of the service over the flaps and the recovery, want 1 (the enable)", n)
	}
	await.Eventually(t, "a MemberUp Event", gslbEvent("MemberUp", "10.60.2.1"))
}

// setClusterLoss sets gc-1's spec.memberClusterLoss.disableMembersAfter (nil:
// unset), and unsets it when the test ends.
func setClusterLoss(t *testing.T, after *metav1.Duration) {
	t.Helper()
	ctx := context.Background()
	c := leader().Client
	key := client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}
	// amko writes the GSLBConfig's status and annotations meanwhile: retry on
	// a conflict.
	update := func(after *metav1.Duration) error {
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			var gc amkov1alpha1.GSLBConfig
			if err := c.Get(ctx, key, &gc); err != nil {
				return err
			}
			gc.Spec.MemberClusterLoss = nil
			if after != nil {
				gc.Spec.MemberClusterLoss = &amkov1alpha1.MemberClusterLoss{DisableMembersAfter: after}
			}
			return c.Update(ctx, &gc)
		})
	}
	if err := update(after); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := update(nil); err != nil {
			t.Errorf("cleanup: unsetting memberClusterLoss: %v", err)
		}
	})
}

// A member cluster whose API server is lost keeps its members by default (as
// AMKO), probes or the controller's monitors deciding; with
// spec.memberClusterLoss.disableMembersAfter they are written disabled once
// it has been unreachable that long, and enabled again when it answers.
func TestMemberClusterLost(t *testing.T) {
	s := begin(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "lost"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
	})
	host := "lost.example.com"
	for i, cl := range set.Clusters[:2] {
		s.ingress(cl, clusters.Ingress{Namespace: "default", Name: "lost", Labels: map[string]string{"app": "lost"},
			Rules: []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.70.%d.1", i+1)}},
			AKO:   ako(host, fmt.Sprintf("virtualservice-lost%d", i+1))})
	}
	s.track(host)
	await.Eventually(t, "both members", wantMembers(host, "10:10.70.1.1:1", "10:10.70.2.1:1"))

	lost := set.Clusters[1]
	lost.SetReachable(false)
	defer lost.SetReachable(true)
	await.Eventually(t, "the cluster seen unreachable", func() error {
		for _, c := range amko.Status().Clusters {
			if c.Name == lost.Context && c.State == "Unreachable" {
				return nil
			}
		}
		return fmt.Errorf("cluster %s not Unreachable: %+v", lost.Context, amko.Status().Clusters)
	})
	// Kept by default: a later pass (a change applied) leaves it enabled.
	setIngressIP(t, set.Clusters[0], "default", "lost", host, "10.70.1.9")
	await.Eventually(t, "a later change applied", wantMembers(host, "10:10.70.1.9:1", "10:10.70.2.1:1"))
	if err := memberEnabled(host, "10.70.2.1", true)(); err != nil {
		t.Fatalf("by default: %v", err)
	}

	setClusterLoss(t, &metav1.Duration{Duration: time.Second})
	await.Eventually(t, "taken out after the time", memberEnabled(host, "10.70.2.1", false))
	await.Eventually(t, "a MemberDown Event with the cause", gslbEvent("MemberDown", "10.70.2.1", "member cluster unreachable"))
	if err := memberEnabled(host, "10.70.1.9", true)(); err != nil {
		t.Errorf("the reachable cluster's member: %v", err)
	}

	lost.SetReachable(true)
	await.Eventually(t, "back when the cluster answers", memberEnabled(host, "10.70.2.1", true))
}

// A Gateway API route's members follow the endpoints of its backendRefs'
// Services (DNS backend): the route's Service in cluster 2 losing its ready
// endpoints takes cluster 2's Gateway address out of the answers.
func TestEndpointHealthGatewayRoute(t *testing.T) {
	withGatewayAPI(t)
	stop := startAmko(t)
	defer stop()
	useDNSBackend(t)
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:     amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gweph"}}},
		MatchClusters:  []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
		EndpointHealth: &amkov1alpha2.EndpointHealth{HoldDown: &metav1.Duration{}},
	})
	const name = "gweph.gslb.example.com"
	const port = 18093
	for i, cl := range set.Clusters[:2] {
		tcpSite(t, cl, "eph-edge", "eph-tcp", map[string]string{"app": "gweph"}, name, fmt.Sprintf("127.0.0.%d", 51+i), port)
		setEndpoints(t, cl, "app", true)
		defer func() { _ = cl.DeleteEndpoints(context.Background(), "default", "app") }()
	}
	answered := func(w map[string]int) func() error { return wantAnswers(name, w) }
	await.Eventually(t, "both Gateways answered", answered(map[string]int{"127.0.0.51": 1, "127.0.0.52": 1}))
	setEndpoints(t, set.Clusters[1], "app", false)
	await.Eventually(t, "the route's Service without ready endpoints takes its Gateway out", answered(map[string]int{"127.0.0.51": 2}))
	setEndpoints(t, set.Clusters[1], "app", true)
	await.Eventually(t, "back (hold-down 0s)", answered(map[string]int{"127.0.0.51": 1, "127.0.0.52": 1}))
}

// The same with the built-in DNS backend: a lost cluster's member, whose data
// plane still answers the probes, stays in the answers by default, and leaves
// them once the cluster has been unreachable for disableMembersAfter.
func TestMemberClusterLostDNS(t *testing.T) {
	ctx := context.Background()
	stop := startAmko(t)
	defer stop()
	useDNSBackend(t)
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "lost-dns"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
	})
	const name = "lost.gslb.example.com"
	for i, cl := range set.Clusters[:2] {
		ip := fmt.Sprintf("127.0.0.%d", 61+i)
		l := backend.TCP(t, ip+":18094")
		defer func(l net.Listener) { _ = l.Close() }(l)
		if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "lost-dns",
			Labels: map[string]string{"app": "lost-dns"}, Hostname: name, IP: ip,
			Ports: []corev1.ServicePort{{Name: "tcp", Port: 18094, Protocol: corev1.ProtocolTCP}}}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_ = cl.Client.Delete(context.Background(), &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "lost-dns"}})
		}()
	}
	answered := func(w map[string]int) func() error { return wantAnswers(name, w) }
	await.Eventually(t, "both members answered", answered(map[string]int{"127.0.0.61": 1, "127.0.0.62": 1}))

	lost := set.Clusters[1]
	lost.SetReachable(false)
	defer lost.SetReachable(true)
	await.Eventually(t, "the cluster seen unreachable", func() error {
		for _, c := range amko.Status().Clusters {
			if c.Name == lost.Context && c.State == "Unreachable" {
				return nil
			}
		}
		return fmt.Errorf("cluster %s not Unreachable", lost.Context)
	})
	// Kept by default: a change in the other cluster, applied after the
	// loss, leaves it in the answers.
	moved := backend.TCP(t, "127.0.0.63:18094")
	defer func() { _ = moved.Close() }()
	setServiceIP(t, set.Clusters[0], "default", "lost-dns", "127.0.0.63")
	kept := map[string]int{"127.0.0.63": 1, "127.0.0.62": 1}
	await.Eventually(t, "a later change applied, the lost cluster's member kept", answered(kept))

	setClusterLoss(t, &metav1.Duration{Duration: time.Second})
	await.Eventually(t, "out of the answers after the time", answered(map[string]int{"127.0.0.63": 2}))
	lost.SetReachable(true)
	await.Eventually(t, "back when the cluster answers", answered(kept))
}
