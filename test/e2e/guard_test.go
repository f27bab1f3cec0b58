// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// deletes lists the controller's DELETEs of the named GSLB services in its
// journal (others' may be garbage from earlier tests).
func deletes(uuids map[string]bool) []string {
	var out []string
	for _, w := range sim.Writes() {
		if w.Method == "DELETE" && uuids[strings.TrimPrefix(w.Path, "/api/gslbservice/")] {
			out = append(out, w.Path)
		}
	}
	return out
}

// A selector typo would delete every service: the deletions are held for the
// confirmation window, with a Warning Event naming them, and fixing the typo
// within it deletes nothing. Deleting the GDP on purpose proceeds once the
// window has passed.
func TestDeletionGuard(t *testing.T) {
	const window = 3 * time.Second
	s := begin(t, appGDP("guard-e2e"))
	s.stop()
	_, s.stop = runAmko(t, operator.Options{DeletionWindow: window, ProbeScale: 0.05})

	var names []string
	member := map[string]string{}
	for i := range 4 {
		host := fmt.Sprintf("guard%d.example.com", i)
		names = append(names, host)
		member[host] = fmt.Sprintf("10:10.72.0.%d:1", i+1)
		s.track(host)
		s.ingress(set.Clusters[i%2], clusters.Ingress{Namespace: "default", Name: fmt.Sprintf("guard%d", i),
			Labels: map[string]string{"app": "guard-e2e"}, Rules: []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.72.0.%d", i+1)}},
			AKO: ako(host, fmt.Sprintf("virtualservice-guard%d", i))})
	}
	for _, host := range names {
		await.Eventually(t, "service "+host, wantMembers(host, member[host]))
	}

	uuids := map[string]bool{}
	for _, host := range names {
		uuids[text(sim.Object("gslbservice", host), "uuid")] = true
	}
	// The typo: the policy now selects nothing.
	sim.ClearJournal()
	since := time.Now()
	gdp(t, appGDP("gaurd-e2e"))
	// The message names the services (garbage left by earlier tests may be
	// among them, so the counts are not fixed here).
	awaitEvent(t, leader(), "GSLBConfig", clusters.GSLBConfigName, "DeletionHeld", "GSLB services amko owns is held until", since)
	awaitEvent(t, leader(), "GlobalDeploymentPolicy", clusters.GDPName, "NothingSelected", "selects no application", since)
	// Beside AMKO's unchanged strings, the conditions say it, for the generation.
	await.Eventually(t, "conditions of the held deletion and of the policy selecting nothing", func() error {
		var gc amkov1alpha1.GSLBConfig
		var g amkov1alpha2.GlobalDeploymentPolicy
		if err := leader().Client.Get(context.Background(), client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}, &gc); err != nil {
			return err
		}
		if err := leader().Client.Get(context.Background(), client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GDPName}, &g); err != nil {
			return err
		}
		synced := meta.FindStatusCondition(gc.Status.Conditions, amkov1alpha1.ConditionSynced)
		selecting := meta.FindStatusCondition(g.Status.Conditions, amkov1alpha1.ConditionSelecting)
		ready := meta.FindStatusCondition(g.Status.Conditions, amkov1alpha1.ConditionReady)
		switch {
		case gc.Status.State != amkov1alpha1.GSLBConfigStateAccepted || g.Status.ErrorStatus != amkov1alpha2.GDPStatusSuccess:
			return fmt.Errorf("AMKO's strings changed: %q, %q", gc.Status.State, g.Status.ErrorStatus)
		case synced == nil || synced.Reason != amkov1alpha1.ReasonDeletionHeld:
			return fmt.Errorf("GSLBConfig Synced %+v", synced)
		case !strings.Contains(synced.Message, names[0]) || !strings.Contains(synced.Message, names[3]):
			return fmt.Errorf("the held services are not named: %q", synced.Message)
		case selecting == nil || selecting.Status != metav1.ConditionFalse || selecting.ObservedGeneration != g.Generation:
			return fmt.Errorf("GDP Selecting %+v (generation %d)", selecting, g.Generation)
		case ready == nil || ready.Reason != amkov1alpha1.ReasonNothingSelected:
			return fmt.Errorf("GDP Ready %+v", ready)
		}
		return nil
	})
	// Fixed within the window: nothing is deleted, then or after the window.
	gdp(t, appGDP("guard-e2e"))
	for end := since.Add(window + 2*time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if d := deletes(uuids); len(d) != 0 {
			t.Fatalf("deleted after the typo was fixed: %v", d)
		}
	}
	for _, host := range names {
		if err := wantMembers(host, member[host])(); err != nil {
			t.Error(err)
		}
	}

	// On purpose: the GDP is deleted; its services go once the window has passed.
	deleted := time.Now()
	if err := leader().Client.Delete(context.Background(), &amkov1alpha2.GlobalDeploymentPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GDPName}}); err != nil {
		t.Fatal(err)
	}
	awaitEvent(t, leader(), "GSLBConfig", clusters.GSLBConfigName, "DeletionHeld", "guard3.example.com", deleted)
	for _, host := range names {
		await.Eventually(t, "deliberate deletion of "+host, noService(host))
	}
	if took := time.Since(deleted); took < window {
		t.Errorf("the services went %v after the GDP, before the %v window", took, window)
	}
	gdp(t, appGDP("guard-e2e")) // for the cleanup's own checks
}
