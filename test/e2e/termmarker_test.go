// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/provider/avi"
	"github.com/amko-project/amko/internal/quorum"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// termMarkerOf is the term an object on avisim records, "" for none.
func termMarkerOf(obj map[string]any) string {
	ms, _ := obj["markers"].([]any)
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		if mm["key"] == avi.TermMarkerKey {
			vs, _ := mm["values"].([]any)
			if len(vs) > 0 {
				return fmt.Sprint(vs[0])
			}
		}
	}
	return ""
}

// runTermAmko runs cluster i's amko as federate's do, with a short
// resync, so that drift repair (and so the check of the terms on the
// controller) comes within seconds.
func runTermAmko(t *testing.T, i int, resync time.Duration) *electedAmko {
	t.Helper()
	return runElectedAmkoIn(t, set.Clusters, i, func(o *operator.Options) { o.Resync = resync })
}

// With failover Automatic, what the elected amko writes to the controller
// carries its term (the marker amko-leader-term, the monitors' created-by
// marker kept first). A stale leader's late write landing over it (the
// controller's writes are not conditional: an older term's marker and other
// content) is reported with a Warning Event StaleWrite and repaired by the
// next drift repair, with the current term. An object of a later term (the
// Leases deleted, the terms begun again) is not overwritten under the
// current term (StaleTerm): the amko claims a term above it and repairs it
// under that one.
func TestTermMarker(t *testing.T) {
	ctx := context.Background()
	if err := set.ConfigureAMKO(ctx, host, amkoUUID); err != nil {
		t.Fatal(err)
	}
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "tm"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster2-admin"}},
	})
	// Earlier terms, released: the elected term is above 1, so that an
	// older term than it can be written.
	for _, cl := range set.Clusters {
		lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: quorum.LeaseNamespace, Name: quorum.LeaseName,
			Annotations: map[string]string{quorum.TermAnnotation: quorum.FormatTerm(5)}}, Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr("")}}
		if err := cl.Client.Create(ctx, lease); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	for i, cl := range set.Clusters {
		ac := &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: amkoClusterName},
			Spec: amkov1alpha1.AMKOClusterSpec{ClusterContext: cl.Context, Version: "2.2.1", Clusters: set.Contexts(),
				Failover: amkov1alpha1.FailoverAutomatic}}
		if err := cl.Client.Create(ctx, ac); err != nil {
			t.Fatalf("AMKOCluster in %s: %v", set.Clusters[i].Context, err)
		}
	}
	gs := "tm.example.com"
	if _, err := set.Clusters[1].CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "tm",
		Labels: map[string]string{"app": "tm"}, Hostname: gs, IP: "10.74.2.1", AKO: ako(gs, "virtualservice-tm2")}); err != nil {
		t.Fatal(err)
	}

	// One amko is enough: it reaches every cluster's Lease, a majority.
	a := runTermAmko(t, 0, 2*time.Second)
	since := time.Now().Truncate(time.Second)
	defer func() {
		if t.Failed() {
			t.Logf("amko: %+v\n%s", a.op.Status().Election, a.log.tail(40))
		}
		_ = set.Clusters[1].Client.Delete(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "tm"}})
		if a.op.Role() == operator.RoleLeader {
			await.Eventually(t, "the GSLB service is deleted", noService(gs))
		}
		a.stop()
		for _, cl := range set.Clusters {
			_ = cl.Client.Delete(ctx, &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: amkoClusterName}})
			_ = cl.Client.Delete(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: quorum.LeaseNamespace, Name: quorum.LeaseName}})
		}
		for _, cl := range set.Clusters[1:] { // replicated by the leader
			_ = cl.Client.DeleteAllOf(ctx, &amkov1alpha1.GSLBConfig{}, client.InNamespace(clusters.Namespace))
			_ = cl.Client.DeleteAllOf(ctx, &amkov1alpha2.GlobalDeploymentPolicy{}, client.InNamespace(clusters.Namespace))
		}
	}()

	var term int64
	await.Eventually(t, "the amko is elected", func() (err error) {
		_, term, err = elected([]*electedAmko{a})
		return err
	})
	if term < 2 {
		t.Fatalf("elected for term %d, want one above the released term", term)
	}
	cur := quorum.FormatTerm(term)
	await.Eventually(t, "the service and its monitors carry the term", func() error {
		if err := wantMembers(gs, "10:10.74.2.1:1")(); err != nil {
			return err
		}
		if got := termMarkerOf(sim.Object("gslbservice", gs)); got != cur {
			return fmt.Errorf("service term marker %q, want %s", got, cur)
		}
		hms := ownMonitors(gs)
		if len(hms) == 0 {
			return fmt.Errorf("no monitor of %s", gs)
		}
		for _, name := range hms {
			b, _ := json.Marshal(sim.Object("healthmonitor", name)["markers"])
			if want := `[{"key":"created-by","values":["amko-` + amkoUUID + `"]},{"key":"amko-leader-term","values":["` + cur + `"]}]`; string(b) != want {
				return fmt.Errorf("monitor %s markers %s, want %s", name, b, want)
			}
		}
		return nil
	})

	// A stale leader's late write lands: the older term, another TTL.
	obj := sim.Object("gslbservice", gs)
	late := maps.Clone(obj)
	late["ttl"] = 77
	late["markers"] = []any{map[string]any{"key": avi.TermMarkerKey, "values": []any{quorum.FormatTerm(term - 1)}}}
	var out map[string]any
	if err := foreignClient(t).AviSession.Put("/api/gslbservice/"+text(obj, "uuid"), late, &out); err != nil {
		t.Fatal(err)
	}
	landed := time.Now()
	if got := sim.Object("gslbservice", gs); text(got, "ttl") != "77" || termMarkerOf(got) != quorum.FormatTerm(term-1) {
		t.Fatalf("the late write did not take: ttl %s, term %s", text(got, "ttl"), termMarkerOf(got))
	}
	await.Eventually(t, "the late write is repaired with the current term", func() error {
		got := sim.Object("gslbservice", gs)
		if text(got, "ttl") == "77" || termMarkerOf(got) != cur {
			return fmt.Errorf("ttl %s, term %q", text(got, "ttl"), termMarkerOf(got))
		}
		return nil
	})
	t.Logf("a late write of term %d over term %d repaired %v after it landed (resync 2s)", term-1, term, time.Since(landed).Round(time.Millisecond))
	wantTermEvent(t, since, operator.ReasonStaleWrite,
		fmt.Sprintf("GSLB service admin/%s on the controller was overwritten with leadership term %d after this amko wrote it in term %d", gs, term-1, term))
	if got := staleTermWrites(t, a, "detected"); got != 1 {
		t.Errorf(`amko_stale_term_writes_total{outcome="detected"} = %v, want 1`, got)
	}

	// An object a later term wrote, as the controller holds after the Leases
	// were deleted and the terms began again: this amko does not overwrite
	// it under its own term; its term ends, it claims one above the term it
	// saw, and under that one repairs the object.
	obj = sim.Object("gslbservice", gs)
	uuid := text(obj, "uuid")
	seen := term + 3
	later := maps.Clone(obj)
	later["ttl"] = 78
	later["markers"] = []any{map[string]any{"key": avi.TermMarkerKey, "values": []any{quorum.FormatTerm(seen)}}}
	if err := foreignClient(t).AviSession.Put("/api/gslbservice/"+uuid, later, &out); err != nil {
		t.Fatal(err)
	}
	planted := time.Now()
	wantTermEvent(t, since, operator.ReasonStaleTerm, fmt.Sprintf("GSLB service admin/%s on the controller was written in leadership term %d, after this leader's term %d: not overwritten", gs, seen, term))
	var next int64
	await.Eventually(t, "a term above the one seen, and the object repaired under it", func() error {
		_, nt, err := elected([]*electedAmko{a})
		if err != nil {
			return err
		}
		if nt <= seen {
			return fmt.Errorf("term %d, want above %d", nt, seen)
		}
		got := sim.Object("gslbservice", gs)
		if text(got, "ttl") == "78" || termMarkerOf(got) != quorum.FormatTerm(nt) {
			return fmt.Errorf("ttl %s, term %q under term %d", text(got, "ttl"), termMarkerOf(got), nt)
		}
		next = nt
		return nil
	})
	t.Logf("a term-%d object met in term %d: term %d began and repaired it %v after it landed", seen, term, next, time.Since(planted).Round(time.Millisecond))
	for _, w := range sim.Writes() {
		if w.Time.After(planted) && strings.Contains(w.Path, uuid) && !strings.Contains(w.Body, `"`+quorum.FormatTerm(next)+`"`) {
			t.Errorf("amko wrote over the later term's object other than under term %d: %s %s at %v: %s", next, w.Method, w.Path, w.Time, w.Body)
		}
	}
	if got := staleTermWrites(t, a, "refused"); got < 1 {
		t.Errorf(`amko_stale_term_writes_total{outcome="refused"} = %v, want at least 1`, got)
	}
}

// staleTermWrites is amko_stale_term_writes_total{outcome}, -1 when absent.
func staleTermWrites(t *testing.T, a *electedAmko, outcome string) float64 {
	t.Helper()
	mfs, err := a.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "amko_stale_term_writes_total" {
			for _, m := range mf.GetMetric() {
				if m.GetLabel()[0].GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}

// wantTermEvent waits for a Warning Event with reason on the leader cluster's
// AMKOCluster, since then, whose message contains text.
func wantTermEvent(t *testing.T, since time.Time, reason, text string) {
	t.Helper()
	await.Eventually(t, "a "+reason+" Event on the AMKOCluster", func() error {
		var events corev1.EventList
		if err := leader().Client.List(context.Background(), &events, client.InNamespace(clusters.Namespace)); err != nil {
			return err
		}
		var seen []string
		for _, e := range events.Items {
			if e.InvolvedObject.Kind != "AMKOCluster" || e.LastTimestamp.Time.Before(since) {
				continue
			}
			if e.Type == corev1.EventTypeWarning && e.Reason == reason && strings.Contains(e.Message, text) {
				return nil
			}
			seen = append(seen, e.Reason+": "+e.Message)
		}
		return fmt.Errorf("AMKOCluster Events %q", seen)
	})
}
