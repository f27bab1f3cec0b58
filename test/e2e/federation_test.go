// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/amko-project/amko/internal/provider/providers"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

const amkoClusterName = "amkocluster-federation"

// runAmkoIn runs an amko for cluster cl until the returned stop is called.
func runAmkoIn(t *testing.T, cl *clusters.Cluster) (*operator.Operator, func()) {
	t.Helper()
	op, err := operator.New(operator.Options{Config: cl.Config, Scheme: set.Scheme, PendingGrace: time.Second,
		ProbeScale: 0.05, Providers: providers.Build, DeletionWindow: -1, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- op.Run(ctx) }()
	return op, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("amko in %s: %v", cl.Context, err)
		}
	}
}

// setAMKOCluster writes cluster i's AMKOCluster.
func setAMKOCluster(t *testing.T, i int, leader bool, version string) {
	t.Helper()
	ctx := context.Background()
	c := set.Clusters[i].Client
	ac := &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: amkoClusterName}}
	err := c.Get(ctx, client.ObjectKeyFromObject(ac), ac)
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	ac.Spec = amkov1alpha1.AMKOClusterSpec{ClusterContext: set.Clusters[i].Context, IsLeader: leader, Version: version, Clusters: set.Contexts()}
	if err != nil {
		err = c.Create(ctx, ac)
	} else {
		err = c.Update(ctx, ac)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func condition(i int, typ string) string {
	var ac amkov1alpha1.AMKOCluster
	if err := set.Clusters[i].Client.Get(context.Background(), client.ObjectKey{Namespace: clusters.Namespace, Name: amkoClusterName}, &ac); err != nil {
		return err.Error()
	}
	for _, c := range ac.Status.Conditions {
		if c.Type == typ {
			return c.Status + ": " + c.Reason
		}
	}
	return ""
}

// The disaster recovery runbook, end to end: the leader federates its
// configuration; its site is lost; a follower is promoted without a restart and
// takes over with no write when the controller is in sync; the old leader comes
// back still marked leader and both sides refuse to write; once it is demoted,
// federation resumes from the new leader.
func TestFederationAndDisasterRecovery(t *testing.T) {
	ctx := context.Background()
	// Every cluster gets the members' kubeconfig and the controller's credentials;
	// the GSLBConfig and GDP exist in the leader's only (startAmko writes them).
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
	setAMKOCluster(t, 0, true, "2.2.1")
	setAMKOCluster(t, 1, false, "2.2.1")
	setAMKOCluster(t, 2, false, "2.2.1")
	defer func() {
		for _, cl := range set.Clusters {
			_ = cl.Client.Delete(ctx, &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: amkoClusterName}})
		}
		for _, cl := range set.Clusters[1:] {
			_ = cl.Client.DeleteAllOf(ctx, &amkov1alpha1.GSLBConfig{}, client.InNamespace(clusters.Namespace))
			_ = cl.Client.DeleteAllOf(ctx, &amkov1alpha2.GlobalDeploymentPolicy{}, client.InNamespace(clusters.Namespace))
		}
	}()

	stopLeader := startAmko(t)
	leaderStopped := false
	defer func() {
		if !leaderStopped {
			stopLeader()
		}
	}()
	follower, stopFollower := runAmkoIn(t, set.Clusters[1])
	defer stopFollower()
	_, stopThird := runAmkoIn(t, set.Clusters[2])
	defer stopThird()

	spec := amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "dr"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster2-admin"}, {Cluster: "cluster3-admin"}},
		TrafficSplit:  []amkov1alpha2.TrafficSplitElem{{Cluster: "cluster2-admin", Weight: 3}},
	}
	gdp(t, spec)
	gs := "dr.example.com"
	// LoadBalancer Services: the third cluster is an OpenShift one, without Ingresses.
	for i, cl := range set.Clusters[1:] {
		if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "dr",
			Labels: map[string]string{"app": "dr"}, Hostname: gs, IP: fmt.Sprintf("10.70.%d.1", i+2),
			AKO: ako(gs, fmt.Sprintf("virtualservice-dr%d", i+2))}); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, cl := range set.Clusters[1:] {
			_ = cl.Client.Delete(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "dr"}})
		}
	}()
	setIP := func(cl *clusters.Cluster, ip string) {
		t.Helper()
		var svc corev1.Service
		if err := cl.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "dr"}, &svc); err != nil {
			t.Fatal(err)
		}
		svc.Status.LoadBalancer.Ingress[0].IP = ip
		if err := cl.Client.Status().Update(ctx, &svc); err != nil {
			t.Fatal(err)
		}
	}
	await.Eventually(t, "the leader syncs", wantMembers(gs, "10:10.70.2.1:3", "10:10.70.3.1:1"))

	// Federation: the followers hold the leader's GSLBConfig (with its uuid) and GDP.
	for _, i := range []int{1, 2} {
		await.Eventually(t, fmt.Sprintf("configuration federated to %s", set.Clusters[i].Context), func() error {
			var gc amkov1alpha1.GSLBConfig
			if err := set.Clusters[i].Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}, &gc); err != nil {
				return err
			}
			if gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation] != amkoUUID || gc.Spec.GSLBLeader.ControllerIP != host {
				return fmt.Errorf("GSLBConfig copy %+v", gc.ObjectMeta.Annotations)
			}
			var g amkov1alpha2.GlobalDeploymentPolicy
			if err := set.Clusters[i].Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GDPName}, &g); err != nil {
				return err
			}
			if len(g.Spec.TrafficSplit) != 1 || g.Spec.TrafficSplit[0].Weight != 3 {
				return fmt.Errorf("GDP copy %+v", g.Spec)
			}
			return nil
		})
	}
	// A leader edit reaches every follower.
	spec.TrafficSplit[0].Weight = 4
	gdp(t, spec)
	for _, i := range []int{1, 2} {
		await.Eventually(t, fmt.Sprintf("the GDP edit federated to %s", set.Clusters[i].Context), func() error {
			var g amkov1alpha2.GlobalDeploymentPolicy
			if err := set.Clusters[i].Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GDPName}, &g); err != nil {
				return err
			}
			if g.Spec.TrafficSplit[0].Weight != 4 {
				return fmt.Errorf("weight %d", g.Spec.TrafficSplit[0].Weight)
			}
			return nil
		})
	}
	await.Eventually(t, "the leader applies its edit", wantMembers(gs, "10:10.70.2.1:4", "10:10.70.3.1:1"))
	await.Eventually(t, "the leader's conditions", func() error {
		if got := condition(0, "GDP Federation"); !strings.HasPrefix(got, "federated to all valid clusters successfully") {
			return fmt.Errorf("GDP Federation: %q", got)
		}
		return nil
	})
	await.Eventually(t, "cluster2's amko is a follower", func() error {
		if r := follower.Role(); r != operator.RoleFollower {
			return fmt.Errorf("role %v", r)
		}
		return nil
	})

	// The leader's site is lost.
	stopLeader()
	leaderStopped = true
	set.Clusters[0].SetReachable(false)
	defer set.Clusters[0].SetReachable(true)

	// Promote cluster2: no restart, and nothing written when the controller is in sync.
	sim.ClearJournal()
	promoted := time.Now()
	setAMKOCluster(t, 1, true, "2.2.1")
	await.Eventually(t, "the new leader takes over and syncs", func() error {
		if r := follower.Role(); r != operator.RoleLeader {
			return fmt.Errorf("role %v", r)
		}
		var gc amkov1alpha1.GSLBConfig
		if err := set.Clusters[1].Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}, &gc); err != nil {
			return err
		}
		if s := gc.Status.State; s != amkov1alpha1.GSLBConfigStateAccepted && s != lostClusterState(set.Clusters[0].Context) {
			return fmt.Errorf("GSLBConfig state %q", s)
		}
		return nil
	})
	took := time.Since(promoted)
	// Nothing changed, so nothing may be written, then or during the next second.
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if w := sim.Writes(); len(w) != 0 {
			t.Fatalf("the switch wrote %d times, want 0: %+v", len(w), w)
		}
	}
	t.Logf("leader switch: first sync %v after the promotion, %d writes", took, len(sim.Writes()))

	// Application changes flow again, from the new leader.
	setIP(set.Clusters[1], "10.70.2.9")
	await.Eventually(t, "the new leader applies changes", wantMembers(gs, "10:10.70.2.9:4", "10:10.70.3.1:1"))

	// The old leader comes back, still marked leader: both sides see the conflict
	// and neither writes.
	set.Clusters[0].SetReachable(true)
	old, stopOld := runAmkoIn(t, set.Clusters[0])
	defer stopOld()
	await.Eventually(t, "the conflict is reported on both sides", func() error {
		if old.Role() != operator.RoleConflict || follower.Role() != operator.RoleConflict {
			return fmt.Errorf("roles: old %v, new %v", old.Role(), follower.Role())
		}
		if got := condition(1, "member cluster validation"); !strings.Contains(got, "is also a leader, conflicting state") {
			return fmt.Errorf("new leader's condition %q", got)
		}
		return nil
	})
	sim.ClearJournal()
	setIP(set.Clusters[1], "10.70.2.8")
	setIP(set.Clusters[2], "10.70.3.8")
	// An absence can only be observed over a while: both amkos see these changes
	// within milliseconds, and must write nothing.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if w := sim.Writes(); len(w) != 0 {
			t.Fatalf("writes during the conflict: %+v", w)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The admin demotes the old leader: federation resumes from the new one.
	demoted := time.Now()
	setAMKOCluster(t, 0, false, "2.2.1")
	await.Eventually(t, "the new leader leads again and applies the pending changes",
		wantMembers(gs, "10:10.70.2.8:4", "10:10.70.3.8:1"))
	t.Logf("the pending changes reached the controller %v after the demotion", time.Since(demoted).Round(time.Millisecond))
	if old.Role() != operator.RoleFollower {
		t.Errorf("the old leader is %v, want follower", old.Role())
	}
}
