// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// A pod's SIGTERM during a long cold sync (a slow controller: 15 s a write)
// stops amko within seconds, not after the sync or a 120 s request timeout,
// and releases the Lease so a standby takes over at once.
func TestShutdownDuringColdSync(t *testing.T) {
	ctx := context.Background()
	cl := set.Clusters[0]
	c := cl.Client
	const app, n = "shutdown-test", 30
	sim, srv, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	slow, err := sim.AddFault(avisim.Fault{Name: "slow", Method: "POST", Path: "^/api/gslbservice$", Latency: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := set.ConfigureAMKO(ctx, avisim.Host(srv), ""); err != nil {
		t.Fatal(err)
	}
	if err := set.SetGDP(ctx, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": app}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: cl.Context}},
	}); err != nil {
		t.Fatal(err)
	}
	cleanup := []client.Object{
		&amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}},
		&amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GDPName}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.MembersSecret}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.ControllerSecret}},
	}
	for i := range n {
		fqdn := fmt.Sprintf("shutdown%d.example.com", i)
		name := fmt.Sprintf("shutdown%d", i)
		if _, err := cl.CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: name, Labels: map[string]string{"app": app},
			Rules: []clusters.IngressRule{{Host: fqdn, IP: fmt.Sprintf("10.9.1.%d", i+1)}},
			AKO:   clusters.AKO{VSUUIDs: map[string]string{fqdn: "virtualservice-" + name}, ControllerUUID: avisim.LeaderClusterUUID, Tenant: "admin"},
		}); err != nil {
			t.Fatal(err)
		}
		cleanup = append(cleanup, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}},
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}})
	}
	defer deleteAll(t, c, cleanup...)

	stop, _ := replica(t, "amko-shutdown")
	waitHolder(t, "amko-shutdown")
	await.Eventually(t, "the cold sync under way", func() error {
		if hits := sim.FaultHits(slow); hits < 1 {
			return fmt.Errorf("%d slow writes so far", hits)
		}
		return nil
	})
	start := time.Now()
	stop()
	took := time.Since(start)
	if took > 10*time.Second {
		t.Errorf("amko stopped %v after being told to, want within 10 s", took.Round(time.Millisecond))
	}
	if h, err := holder(); err != nil || h != "" {
		t.Errorf("Lease holder %q (%v) after the stop, want it released", h, err)
	}
	if created := sim.Count("gslbservice"); created >= n {
		t.Errorf("the cold sync finished (%d services) before the stop: the test stopped nothing", created)
	}
	t.Logf("stopped %v into a cold sync of %d services, %v after SIGTERM", time.Since(start), n, took.Round(time.Millisecond))
}
