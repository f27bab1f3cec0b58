// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	routev1 "github.com/amko-project/amko/api/route/v1"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

func ptr[T any](v T) *T { return &v }

// members returns a GSLB service's members as "priority:ip:ratio", sorted.
func members(gs map[string]any) []string {
	var out []string
	groups, _ := gs["groups"].([]any)
	for _, g := range groups {
		pool := g.(map[string]any)
		for _, m := range pool["members"].([]any) {
			mm := m.(map[string]any)
			out = append(out, fmt.Sprintf("%v:%v:%v", pool["priority"], mm["ip"].(map[string]any)["addr"], mm["ratio"]))
		}
	}
	sort.Strings(out)
	return out
}

func wantMembers(name string, want ...string) func() error {
	return func() error {
		gs := sim.Object("gslbservice", name)
		if gs == nil {
			if len(want) == 0 {
				return nil
			}
			return fmt.Errorf("no GSLB service %s", name)
		}
		got := members(gs)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			return fmt.Errorf("members of %s = %v, want %v", name, got, want)
		}
		return nil
	}
}

func ako(host, vs string) clusters.AKO {
	return clusters.AKO{VSUUIDs: map[string]string{host: vs}, ControllerUUID: avisim.LeaderClusterUUID, Tenant: "admin"}
}

// The whole path: applications in three clusters, selected by the GDP, become
// GSLB services on the controller with AMKO's pools, members and monitors; status
// changes, policy edits and deletions follow; a restart in sync writes nothing.
func TestAviEndToEnd(t *testing.T) {
	ctx := context.Background()
	stop := startAmko(t)
	defer func() { stop() }()
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}, {Cluster: "cluster3-admin"}},
		TrafficSplit: []amkov1alpha2.TrafficSplitElem{
			{Cluster: "cluster1-admin", Weight: 8, Priority: ptr(uint32(10))},
			{Cluster: "cluster2-admin", Weight: 2, Priority: ptr(uint32(10))},
		},
	})
	await.Eventually(t, "GSLBConfig accepted", func() error {
		var gc amkov1alpha1.GSLBConfig
		if err := leader().Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: "gc-1"}, &gc); err != nil {
			return err
		}
		if gc.Status.State != amkov1alpha1.GSLBConfigStateAccepted {
			return fmt.Errorf("GSLBConfig state %q", gc.Status.State)
		}
		return nil
	})

	host := "shop.example.com"
	labels := map[string]string{"app": "gslb"}
	for i, cl := range set.Clusters[:2] {
		if _, err := cl.CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: "shop", Labels: labels,
			Rules: []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.0.%d.1", i+1), Paths: []string{"/", "/cart"}}},
			AKO:   ako(host, fmt.Sprintf("virtualservice-%d", i+1))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := set.Clusters[2].CreateRoute(ctx, clusters.Route{Namespace: "default", Name: "shop", Labels: labels,
		Host: host, Path: "/", IP: "10.0.3.1", AKO: ako(host, "virtualservice-3")}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "GSLB service with three members", wantMembers(host, "10:10.0.1.1:8", "10:10.0.2.1:2", "10:10.0.3.1:1"))

	gs := sim.Object("gslbservice", host)
	if gs["created_by"] != "amko-"+amkoUUID || len(gs["health_monitor_refs"].([]any)) != 2 {
		t.Errorf("GSLB service = %v, want created by amko-%s with two path monitors", gs, amkoUUID)
	}
	for _, ref := range gs["health_monitor_refs"].([]any) {
		name := ref.(string)[strings.Index(ref.(string), "#")+1:]
		hm := sim.Object("healthmonitor", name)
		if hm == nil || !strings.HasPrefix(name, "amko--") || hm["type"] != "HEALTH_MONITOR_HTTP" {
			t.Errorf("monitor %s = %v", name, hm)
		}
	}

	// An address change in one cluster updates that member only.
	setIngressIP(t, set.Clusters[1], "default", "shop", host, "10.0.2.9")
	await.Eventually(t, "member follows the status change", wantMembers(host, "10:10.0.1.1:8", "10:10.0.2.9:2", "10:10.0.3.1:1"))

	// The traffic split edited: new ratio and priority.
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}, {Cluster: "cluster3-admin"}},
		TrafficSplit: []amkov1alpha2.TrafficSplitElem{
			{Cluster: "cluster1-admin", Weight: 8, Priority: ptr(uint32(10))},
			{Cluster: "cluster2-admin", Weight: 5, Priority: ptr(uint32(20))},
		},
	})
	await.Eventually(t, "traffic split applied", wantMembers(host, "10:10.0.1.1:8", "20:10.0.2.9:5", "10:10.0.3.1:1"))

	// A restart with everything in sync writes nothing.
	stop()
	sim.ClearJournal()
	stop = startAmko(t)
	await.Eventually(t, "amko read the controller after the restart", func() error {
		for _, e := range sim.Journal() {
			if e.Method == "GET" && e.Path == "/api/gslbservice" {
				return nil
			}
		}
		return fmt.Errorf("no list of GSLB services yet")
	})
	// A label change is the next event it sees; only then compare writes.
	if w := sim.Writes(); len(w) != 0 {
		t.Errorf("restart in sync wrote %d times: %+v", len(w), w)
	}

	// An invalid GSLBHostRule is refused with AMKO's text; a valid one applies.
	ghr := &amkov1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "shop"},
		Spec: amkov1alpha1.GSLBHostRuleSpec{Fqdn: host, TTL: ptr(60),
			ThirdPartyMembers: []amkov1alpha1.ThirdPartyMember{{Site: "nowhere", VIP: "10.9.9.9"}}}}
	if err := leader().Client.Create(ctx, ghr); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "GSLBHostRule rejected", func() error {
		if err := leader().Client.Get(ctx, client.ObjectKeyFromObject(ghr), ghr); err != nil {
			return err
		}
		if ghr.Status.Status != "Rejected" || ghr.Status.Error != "ThirdPartyMember site nowhere does not exist for shop GSLBHostRule" {
			return fmt.Errorf("status %+v", ghr.Status)
		}
		return nil
	})
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error { // amko writes its status meanwhile
		if err := leader().Client.Get(ctx, client.ObjectKeyFromObject(ghr), ghr); err != nil {
			return err
		}
		ghr.Spec.ThirdPartyMembers[0].Site = avisim.ThirdPartySite
		return leader().Client.Update(ctx, ghr)
	}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "GSLBHostRule applied", func() error {
		gs := sim.Object("gslbservice", host)
		if fmt.Sprint(gs["ttl"]) != "60" {
			return fmt.Errorf("ttl %v", gs["ttl"])
		}
		return wantMembers(host, "10:10.0.1.1:8", "20:10.0.2.9:5", "10:10.0.3.1:1", "1:10.9.9.9:1")()
	})

	if err := leader().Client.Delete(ctx, ghr); err != nil {
		t.Fatal(err)
	}

	// Deleting every application removes the service and its monitors.
	for _, cl := range set.Clusters[:2] {
		if err := cl.Client.DeleteAllOf(ctx, &networkingv1.Ingress{}, client.InNamespace("default")); err != nil {
			t.Fatal(err)
		}
	}
	if err := set.Clusters[2].Client.Delete(ctx, &routev1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "shop"}}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "service deleted", func() error {
		if sim.Object("gslbservice", host) != nil {
			return fmt.Errorf("still there")
		}
		for _, hm := range sim.Objects("healthmonitor") {
			if strings.HasPrefix(hm["name"].(string), "amko--") {
				return fmt.Errorf("monitor %v left behind", hm["name"])
			}
		}
		return nil
	})
}

// setIngressIP rewrites the address AKO gave a host of an Ingress.
func setIngressIP(t *testing.T, cl *clusters.Cluster, ns, name, host, ip string) {
	t.Helper()
	ctx := context.Background()
	var ing networkingv1.Ingress
	if err := cl.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ing); err != nil {
		t.Fatal(err)
	}
	for i := range ing.Status.LoadBalancer.Ingress {
		if ing.Status.LoadBalancer.Ingress[i].Hostname == host {
			ing.Status.LoadBalancer.Ingress[i].IP = ip
		}
	}
	if err := cl.Client.Status().Update(ctx, &ing); err != nil {
		t.Fatal(err)
	}
}
