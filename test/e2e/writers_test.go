// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// awaitEvent waits for an Event of amko's on an object of cluster cl.
func awaitEvent(t *testing.T, cl *clusters.Cluster, kind, name, reason, text string, since time.Time) {
	t.Helper()
	await.Eventually(t, fmt.Sprintf("Event %s on %s %s", reason, kind, name), func() error {
		var events corev1.EventList
		if err := cl.Client.List(context.Background(), &events, client.InNamespace(clusters.Namespace)); err != nil {
			return err
		}
		var seen []string
		for _, e := range events.Items {
			if e.InvolvedObject.Kind != kind || e.InvolvedObject.Name != name || e.Source.Component != "amko" {
				continue
			}
			if e.Reason == reason && strings.Contains(e.Message, text) && !e.LastTimestamp.Time.Before(since.Truncate(time.Second)) {
				return nil
			}
			seen = append(seen, e.Reason+": "+e.Message)
		}
		return fmt.Errorf("not among %q", seen)
	})
}

// noWrites asserts that the controller receives no write for a while: an
// absence can only be observed over time, and every amko sees a change within
// milliseconds.
func noWrites(t *testing.T, during time.Duration) {
	t.Helper()
	for end := time.Now().Add(during); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if w := sim.Writes(); len(w) != 0 {
			t.Fatalf("%d controller writes, want none: %+v", len(w), w)
		}
	}
}

// Whatever the AMKOClusters say, at most one amko writes to a controller: a
// follower whose AMKOCluster is deleted, and an amko started without one in a
// set whose leader is named elsewhere, write nothing and say why; the leader
// reports the members without an AMKOCluster as a conflict.
func TestNeverTwoWriters(t *testing.T) {
	ctx := context.Background()
	for _, cl := range set.Clusters[1:] {
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
	deleteAMKOCluster := func(i int) {
		t.Helper()
		err := set.Clusters[i].Client.Delete(ctx, &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: amkoClusterName}})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	setAMKOCluster(t, 0, true, "2.2.1")
	setAMKOCluster(t, 1, false, "2.2.1")
	deleteAMKOCluster(2)
	defer func() {
		for i := range set.Clusters {
			deleteAMKOCluster(i)
		}
		for _, cl := range set.Clusters[1:] {
			_ = cl.Client.DeleteAllOf(ctx, &amkov1alpha1.GSLBConfig{}, client.InNamespace(clusters.Namespace))
			_ = cl.Client.DeleteAllOf(ctx, &amkov1alpha2.GlobalDeploymentPolicy{}, client.InNamespace(clusters.Namespace))
		}
	}()

	since := time.Now()
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
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "writers"}}},
		MatchClusters: allClusters(),
	})
	gs := "writers.example.com"
	cl := set.Clusters[1]
	if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "writers",
		Labels: map[string]string{"app": "writers"}, Hostname: gs, IP: "10.71.2.1", AKO: ako(gs, "virtualservice-writers")}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cl.Client.Delete(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "writers"}})
	}()
	await.Eventually(t, "the leader syncs", wantMembers(gs, "10:10.71.2.1:1"))
	await.Eventually(t, "cluster2's amko follows", func() error {
		if r := follower.Role(); r != operator.RoleFollower {
			return fmt.Errorf("role %v", r)
		}
		return nil
	})
	// The leader names cluster3, which has no AMKOCluster, as a conflict.
	awaitEvent(t, leader(), "AMKOCluster", amkoClusterName, "LeaderConflict", "cluster3-admin", since)

	// From here the leader is stopped, so any write would be another amko's.
	stopLeader()
	leaderRunning = false

	// The follower's AMKOCluster is deleted: it stays out, and says why.
	deleteAMKOCluster(1)
	await.Eventually(t, "the follower without its AMKOCluster writes nothing", func() error {
		if r := follower.Role(); r != operator.RoleOrphan {
			return fmt.Errorf("role %v", r)
		}
		if why := follower.Status().RoleReason; !strings.Contains(why, "cluster1-admin") {
			return fmt.Errorf("reason %q", why)
		}
		return nil
	})
	// An amko started in cluster3, which never had an AMKOCluster (nor the
	// federated configuration: an admin installs it standalone), also stays out.
	var gc amkov1alpha1.GSLBConfig
	if err := leader().Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}, &gc); err != nil {
		t.Fatal(err)
	}
	standalone := &amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: gc.Name, Annotations: gc.Annotations},
		Spec: gc.Spec}
	if err := set.Clusters[2].Client.Create(ctx, standalone); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	third, stopThird := runAmkoIn(t, set.Clusters[2])
	defer stopThird()
	await.Eventually(t, "an amko started without an AMKOCluster in a led set writes nothing", func() error {
		if r := third.Role(); r != operator.RoleOrphan {
			return fmt.Errorf("role %v", r)
		}
		return nil
	})
	sim.ClearJournal()
	var svc corev1.Service
	if err := cl.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "writers"}, &svc); err != nil {
		t.Fatal(err)
	}
	svc.Status.LoadBalancer.Ingress[0].IP = "10.71.2.9"
	if err := cl.Client.Status().Update(ctx, &svc); err != nil {
		t.Fatal(err)
	}
	noWrites(t, 2*time.Second)
	awaitEvent(t, set.Clusters[1], "GSLBConfig", clusters.GSLBConfigName, "NotWriting", "cluster1-admin", since)
}
