// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// Every decision shows as an Event on the object it concerns: GSLBConfig, GDP,
// GSLBHostRule and AMKOCluster accepted or rejected, a failed sync, a failed
// federation.
func TestEvents(t *testing.T) {
	since := time.Now().Truncate(time.Second)
	s := begin(t, appGDP("evt-e2e"))
	t.Cleanup(sim.ClearFaults)
	c := leader().Client
	ctx := context.Background()

	wantEvent := func(kind, name, typ, reason, text string) {
		t.Helper()
		await.Eventually(t, fmt.Sprintf("%s Event %s on %s %s", typ, reason, kind, name), func() error {
			var events corev1.EventList
			if err := c.List(ctx, &events, client.InNamespace(clusters.Namespace)); err != nil {
				return err
			}
			for _, e := range events.Items {
				if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name && e.Type == typ && e.Reason == reason &&
					strings.Contains(e.Message, text) && !e.LastTimestamp.Time.Before(since) && e.Source.Component == "amko" {
					return nil
				}
			}
			var seen []string
			for _, e := range events.Items {
				if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name {
					seen = append(seen, e.Type+" "+e.Reason+": "+e.Message)
				}
			}
			return fmt.Errorf("not among the %s's Events: %q", kind, seen)
		})
	}
	wantEvent("GSLBConfig", clusters.GSLBConfigName, corev1.EventTypeNormal, "Accepted", "GSLB Configuration validated and accepted.")
	wantEvent("GlobalDeploymentPolicy", clusters.GDPName, corev1.EventTypeNormal, "Accepted", "GlobalDeploymentPolicy accepted")

	s.gslbHostRule("evt-ok", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "evt.example.com", TTL: ptr(30)})
	wantEvent("GSLBHostRule", "evt-ok", corev1.EventTypeNormal, "Accepted", "GSLBHostRule accepted for evt.example.com")
	s.gslbHostRule("evt-bad", amkov1alpha1.GSLBHostRuleSpec{Fqdn: "evt-bad.example.com", HealthMonitorRefs: []string{"no-such-monitor"}})
	wantEvent("GSLBHostRule", "evt-bad", corev1.EventTypeWarning, "Rejected", "Health Monitor Ref no-such-monitor error for evt-bad GSLBHostRule")
	// The conditions say it too, for the generation, and the accepted rule is Ready.
	await.Eventually(t, "GSLBHostRule conditions", func() error {
		for name, want := range map[string]string{"evt-ok": "True/Ready", "evt-bad": "False/Rejected"} {
			var ghr amkov1alpha1.GSLBHostRule
			if err := c.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: name}, &ghr); err != nil {
				return err
			}
			r := meta.FindStatusCondition(ghr.Status.Conditions, amkov1alpha1.ConditionReady)
			if r == nil || string(r.Status)+"/"+r.Reason != want || r.ObservedGeneration != ghr.Generation {
				return fmt.Errorf("%s: Ready %+v, want %s", name, r, want)
			}
		}
		return nil
	})
	await.Eventually(t, "the GSLBConfig is Ready", func() error {
		var gc amkov1alpha1.GSLBConfig
		if err := c.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}, &gc); err != nil {
			return err
		}
		if r := meta.FindStatusCondition(gc.Status.Conditions, amkov1alpha1.ConditionReady); r == nil || r.Status != metav1.ConditionTrue || r.ObservedGeneration != gc.Generation {
			return fmt.Errorf("Ready %+v", r)
		}
		return nil
	})

	// The controller refuses a write: the failed sync is an Event, then it is retried.
	if _, err := sim.AddFault(avisim.Fault{Name: "refused", Method: "POST", Path: "^/api/gslbservice$", Count: 1, Status: 503}); err != nil {
		t.Fatal(err)
	}
	host := "evt.example.com"
	s.track(host)
	s.ingress(set.Clusters[0], clusters.Ingress{Namespace: "default", Name: "evt", Labels: map[string]string{"app": "evt-e2e"},
		Rules: []clusters.IngressRule{{Host: host, IP: "10.70.0.1"}}, AKO: ako(host, "virtualservice-evt")})
	wantEvent("GSLBConfig", clusters.GSLBConfigName, corev1.EventTypeWarning, "SyncFailed", "503")
	await.Eventually(t, "the refused write retried", wantMembers(host, "10:10.70.0.1:1"))

	// An AMKOCluster: valid, then a member that cannot be federated to, then invalid.
	ac := &amkov1alpha1.AMKOCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "evt-federation"},
		Spec: amkov1alpha1.AMKOClusterSpec{ClusterContext: "cluster1-admin", IsLeader: true,
			Clusters: []string{"cluster1-admin", "cluster2-admin"}, Version: "e2e"},
	}
	if err := c.Create(ctx, ac); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Delete(ctx, ac); err != nil {
			t.Error(err)
		}
	}()
	wantEvent("AMKOCluster", ac.Name, corev1.EventTypeNormal, "Accepted", "current AMKOCluster Validation: valid AMKOCluster object")
	wantEvent("AMKOCluster", ac.Name, corev1.EventTypeWarning, "FederationFailed",
		"member cluster validation: error in validating some member clusters: no AMKOCluster object present in cluster cluster2-admin, can't federate")
	patch := client.MergeFrom(ac.DeepCopy())
	ac.Spec.Version = ""
	if err := c.Patch(ctx, ac, patch); err != nil {
		t.Fatal(err)
	}
	wantEvent("AMKOCluster", ac.Name, corev1.EventTypeWarning, "Rejected", "invalid AMKOCluster object: version field can't be empty in AMKOCluster object")
}
