// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// Singletons and invalid edits get AMKO's status strings and Events, and an
// invalid edit leaves the last accepted policy in effect.
func TestPolicyStatuses(t *testing.T) {
	ctx := context.Background()
	c := leader().Client
	stop := startAmko(t)
	defer stop()
	selectAll := amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "policy"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}},
		TrafficSplit:  []amkov1alpha2.TrafficSplitElem{{Cluster: "cluster1-admin", Weight: 3}},
	}
	gdp(t, selectAll)
	host := "policy.example.com"
	if _, err := set.Clusters[0].CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: "policy",
		Labels: map[string]string{"app": "policy"}, Rules: []clusters.IngressRule{{Host: host, IP: "10.60.0.1"}},
		AKO: ako(host, "virtualservice-p")}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "service from the accepted GDP", wantMembers(host, "10:10.60.0.1:3"))

	gdpStatus := func(name, want string) func() error {
		return func() error {
			var g amkov1alpha2.GlobalDeploymentPolicy
			if err := c.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: name}, &g); err != nil {
				return err
			}
			if g.Status.ErrorStatus != want {
				return fmt.Errorf("GDP %s status %q, want %q", name, g.Status.ErrorStatus, want)
			}
			return nil
		}
	}
	await.Eventually(t, "GDP accepted", gdpStatus("global-gdp", "success"))

	// An invalid edit: refused with AMKO's text, an Event, and the old policy kept.
	bad := selectAll
	bad.MatchClusters = []amkov1alpha2.ClusterProperty{{Cluster: "abc"}}
	bad.TrafficSplit = []amkov1alpha2.TrafficSplitElem{{Cluster: "cluster1-admin", Weight: 7}}
	gdp(t, bad)
	await.Eventually(t, "invalid GDP refused", gdpStatus("global-gdp", "cluster context abc not present in GSLBConfig"))
	await.Eventually(t, "Event on the GDP", func() error {
		var events corev1.EventList
		if err := c.List(ctx, &events, client.InNamespace(clusters.Namespace)); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.InvolvedObject.Kind == "GlobalDeploymentPolicy" && e.Reason == "Rejected" &&
				strings.Contains(e.Message, "cluster context abc not present in GSLBConfig") {
				return nil
			}
		}
		return fmt.Errorf("no Rejected event among %d", len(events.Items))
	})
	if err := wantMembers(host, "10:10.60.0.1:3")(); err != nil {
		t.Errorf("the last accepted policy should stay in effect: %v", err)
	}
	gdp(t, selectAll)
	await.Eventually(t, "GDP accepted again", gdpStatus("global-gdp", "success"))

	// A second GDP and a second GSLBConfig are refused.
	second := &amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "second-gdp"}, Spec: selectAll}
	if err := c.Create(ctx, second); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Delete(ctx, second) }()
	await.Eventually(t, "second GDP refused", gdpStatus("second-gdp", "a GDP object already exists, can't add another"))
	gc2 := &amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "gc-2"},
		Spec: amkov1alpha1.GSLBConfigSpec{GSLBLeader: amkov1alpha1.GSLBLeader{ControllerIP: "10.1.1.1", Credentials: "x"}}}
	if err := c.Create(ctx, gc2); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Delete(ctx, gc2) }()
	await.Eventually(t, "second GSLBConfig refused", func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(gc2), gc2); err != nil {
			return err
		}
		if gc2.Status.State != "error: can't add another gslbconfig" {
			return fmt.Errorf("state %q", gc2.Status.State)
		}
		return nil
	})

	if err := set.Clusters[0].Client.Delete(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "policy"}}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "service removed", wantMembers(host))
}
