// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// A member cluster whose API server cannot be reached keeps its members: amko
// goes on serving changes from the other clusters, and catches up with what
// happened in the lost cluster once it answers again.
func TestMemberClusterOutage(t *testing.T) {
	ctx := context.Background()
	stop := startAmko(t)
	defer stop()
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "outage"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
	})
	host := "outage.example.com"
	for i, cl := range set.Clusters[:2] {
		if _, err := cl.CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: "outage", Labels: map[string]string{"app": "outage"},
			Rules: []clusters.IngressRule{{Host: host, IP: []string{"10.50.1.1", "10.50.2.1"}[i]}},
			AKO:   ako(host, []string{"virtualservice-o1", "virtualservice-o2"}[i])}); err != nil {
			t.Fatal(err)
		}
	}
	await.Eventually(t, "both members", wantMembers(host, "10:10.50.1.1:1", "10:10.50.2.1:1"))

	lost := set.Clusters[1]
	lost.SetReachable(false)
	defer lost.SetReachable(true)
	// What happens in the lost cluster stays unseen; its member stays.
	if err := lost.Client.Delete(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "outage"}}); err != nil {
		t.Fatal(err)
	}
	setIngressIP(t, set.Clusters[0], "default", "outage", host, "10.50.1.9")
	await.Eventually(t, "the reachable cluster's change applied, the lost cluster's member kept",
		wantMembers(host, "10:10.50.1.9:1", "10:10.50.2.1:1"))
	// A second pass, well after the deletion, still keeps it.
	setIngressIP(t, set.Clusters[0], "default", "outage", host, "10.50.1.8")
	await.Eventually(t, "still kept after another change", wantMembers(host, "10:10.50.1.8:1", "10:10.50.2.1:1"))

	lost.SetReachable(true)
	await.Eventually(t, "the lost cluster's deletion seen once it answers", wantMembers(host, "10:10.50.1.8:1"))

	if err := set.Clusters[0].Client.Delete(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "outage"}}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "service removed", wantMembers(host))
}
