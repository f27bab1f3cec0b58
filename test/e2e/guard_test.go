// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	awaitEvent(t, leader(), "GSLBConfig", clusters.GSLBConfigName, "DeletionHeld", "deleting 4 of the 4 GSLB services amko owns is held", since)
	awaitEvent(t, leader(), "GlobalDeploymentPolicy", clusters.GDPName, "NothingSelected", "selects no application", since)
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
	awaitEvent(t, leader(), "GSLBConfig", clusters.GSLBConfigName, "DeletionHeld", "deleting 4 of the 4", deleted)
	for _, host := range names {
		await.Eventually(t, "deliberate deletion of "+host, noService(host))
	}
	if took := time.Since(deleted); took < window {
		t.Errorf("the services went %v after the GDP, before the %v window", took, window)
	}
	gdp(t, appGDP("guard-e2e")) // for the cleanup's own checks
}
