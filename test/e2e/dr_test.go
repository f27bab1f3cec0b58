// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// AMKO's disaster recovery when the GSLB leader controller is lost with the
// leader's cluster, in a federation set that is a subset of the member
// clusters: the configuration reaches the set's clusters only, while every
// member cluster's applications are served; step 1 of the runbook points the
// follower's GSLBConfig at the surviving controller, step 2 promotes it, and
// the new leader writes the whole model there.
func TestDisasterRecoveryToAnotherController(t *testing.T) {
	ctx := context.Background()
	set3 := set.Clusters[2]
	setMembers := []string{set.Clusters[0].Context, set.Clusters[1].Context} // the federation set: not cluster3
	for _, cl := range set.Clusters[1:2] {
		for _, obj := range []client.Object{
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.MembersSecret},
				Data: map[string][]byte{clusters.MembersKey: set.Kubeconfig}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.ControllerSecret},
				Data: map[string][]byte{"username": []byte("admin"), "password": []byte("avi123")}},
		} {
			if err := cl.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
		}
	}
	writeAC := func(i int, leader bool) {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			c := set.Clusters[i].Client
			ac := &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: amkoClusterName}}
			err := c.Get(ctx, client.ObjectKeyFromObject(ac), ac)
			if err != nil && !apierrors.IsNotFound(err) {
				return err
			}
			ac.Spec = amkov1alpha1.AMKOClusterSpec{ClusterContext: set.Clusters[i].Context, IsLeader: leader, Version: "2.2.1", Clusters: setMembers}
			if err != nil {
				return c.Create(ctx, ac)
			}
			return c.Update(ctx, ac)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	writeAC(0, true)
	writeAC(1, false)
	gs := "drstep.example.com"
	t.Cleanup(func() {
		set.Clusters[0].SetReachable(true)
		for _, cl := range set.Clusters[:2] {
			_ = cl.Client.Delete(ctx, &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: amkoClusterName}})
		}
		_ = set.Clusters[1].Client.DeleteAllOf(ctx, &amkov1alpha1.GSLBConfig{}, client.InNamespace(clusters.Namespace))
		_ = set.Clusters[1].Client.DeleteAllOf(ctx, &amkov1alpha2.GlobalDeploymentPolicy{}, client.InNamespace(clusters.Namespace))
		for _, cl := range set.Clusters[1:] {
			_ = cl.Client.Delete(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "drstep"}})
		}
		// The first controller still holds the old leader's service: an amko
		// of the leader's cluster, standalone again, removes it.
		stop := startAmko(t)
		await.Eventually(t, "the old leader's service removed", noService(gs))
		stop()
	})

	stopLeader := startAmko(t)
	leaderRunning := true
	defer func() {
		if leaderRunning {
			stopLeader()
		}
	}()
	follower, stopFollower := runAmkoIn(t, set.Clusters[1])
	defer stopFollower()

	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "drstep"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: set.Clusters[1].Context}, {Cluster: set3.Context}},
	})
	for i, cl := range set.Clusters[1:] {
		if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "drstep",
			Labels: map[string]string{"app": "drstep"}, Hostname: gs, IP: fmt.Sprintf("10.75.%d.1", i+2),
			AKO: ako(gs, fmt.Sprintf("virtualservice-drstep%d", i+2))}); err != nil {
			t.Fatal(err)
		}
	}
	// cluster3 is a member cluster, outside the federation set: its
	// application is served, and it receives no configuration.
	await.Eventually(t, "the leader serves both member clusters", wantMembers(gs, "10:10.75.2.1:1", "10:10.75.3.1:1"))
	await.Eventually(t, "the configuration federated to the set", func() error {
		if got := condition(0, "GDP Federation"); !strings.HasPrefix(got, "federated to all valid clusters successfully") {
			return fmt.Errorf("GDP Federation: %q", got)
		}
		var g amkov1alpha2.GlobalDeploymentPolicy
		return set.Clusters[1].Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GDPName}, &g)
	})
	var gcs amkov1alpha1.GSLBConfigList
	if err := set3.Client.List(ctx, &gcs, client.InNamespace(clusters.Namespace)); err != nil {
		t.Fatal(err)
	}
	for _, gc := range gcs.Items {
		if gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation] == amkoUUID {
			t.Errorf("%s, outside the federation set, received the GSLBConfig %s", set3.Context, gc.Name)
		}
	}

	// The leader's site is lost with its controller.
	stopLeader()
	leaderRunning = false
	set.Clusters[0].SetReachable(false)
	sim2, srv2, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()

	// Step 1: the follower's GSLBConfig points at the surviving controller.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var gc amkov1alpha1.GSLBConfig
		if err := set.Clusters[1].Client.Get(ctx, gcKey, &gc); err != nil {
			return err
		}
		gc.Spec.GSLBLeader.ControllerIP = avisim.Host(srv2)
		return set.Clusters[1].Client.Update(ctx, &gc)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Step 2: it is promoted; it writes the whole model to that controller.
	writeAC(1, true)
	await.Eventually(t, "the new leader writes the model to the surviving controller", func() error {
		obj := sim2.Object("gslbservice", gs)
		if obj == nil {
			return fmt.Errorf("no %s on the second controller (role %v)", gs, follower.Role())
		}
		if got := strings.Join(members(obj), " "); got != "10:10.75.2.1:1 10:10.75.3.1:1" {
			return fmt.Errorf("members %s", got)
		}
		return nil
	})
	// In effect (the state follows the first sync: syncing, synced, then
	// success); the lost site's cluster shows in it once seen gone.
	await.Eventually(t, "the new leader's GSLBConfig in effect", func() error {
		var gc amkov1alpha1.GSLBConfig
		if err := set.Clusters[1].Client.Get(ctx, gcKey, &gc); err != nil {
			return err
		}
		if s := gc.Status.State; s != amkov1alpha1.GSLBConfigStateAccepted && s != lostClusterState(set.Clusters[0].Context) {
			return fmt.Errorf("state %q", s)
		}
		return nil
	})
}

// lostClusterState is the GSLBConfig's state while member cluster c does not
// answer (AMKO's "cluster healthcheck failed").
func lostClusterState(c string) string {
	return "error: cluster healthcheck failed, cluster " + c + " health check failed, can't access the services api"
}
