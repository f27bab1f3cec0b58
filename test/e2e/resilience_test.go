// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/vmware/alb-sdk/go/clients"
	"github.com/vmware/alb-sdk/go/session"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// foreignClient is another user of the controller, changing amko's objects
// behind its back.
func foreignClient(t *testing.T) *clients.AviClient {
	t.Helper()
	c, err := clients.NewAviClient(host, "admin", session.SetPassword("avi123"), session.SetTenant("admin"),
		session.SetInsecure, session.DisableControllerStatusCheckOnFailure(true), session.SetVersion("31.1.1"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// churn updates an annotation of an Ingress amko watches (and does not
// select) every period until stopped: each update is an event for amko.
func churn(t *testing.T, cl *clusters.Cluster, ns, name string, period time.Duration) (stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	n := 0
	wg.Go(func() {
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var in networkingv1.Ingress
			if err := cl.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &in); err != nil {
				continue
			}
			in.Annotations = maps.Clone(in.Annotations)
			if in.Annotations == nil {
				in.Annotations = map[string]string{}
			}
			in.Annotations["churn"] = fmt.Sprint(n)
			if err := cl.Client.Update(ctx, &in); err == nil {
				n++
			}
		}
	})
	return func() int { cancel(); wg.Wait(); return n }
}

// With an event every 100 ms, drift repair and garbage collection still run
// on the resync schedule: events bring passes forward, never push the resync
// back.
func TestRepairUnderChurn(t *testing.T) {
	const resync = 2 * time.Second
	s := begin(t, appGDP("churn-e2e"))
	s.stop()
	_, s.stop = runAmko(t, operator.Options{Resync: resync, ProbeScale: 0.05})
	c1 := set.Clusters[0]
	for _, name := range []string{"churn-a", "churn-b"} {
		host := name + ".example.com"
		s.track(host)
		s.ingress(c1, clusters.Ingress{Namespace: "default", Name: name, Labels: map[string]string{"app": "churn-e2e"},
			Rules: []clusters.IngressRule{{Host: host, IP: "10.73.0.1"}}, AKO: ako(host, "virtualservice-"+name)})
	}
	s.ingress(c1, clusters.Ingress{Namespace: "default", Name: "churn-noise", Labels: map[string]string{"app": "not-selected"},
		Rules: []clusters.IngressRule{{Host: "noise.example.com", IP: "10.73.0.9"}}, AKO: ako("noise.example.com", "virtualservice-noise")})
	await.Eventually(t, "both services", all(wantMembers("churn-a.example.com", "10:10.73.0.1:1"), wantMembers("churn-b.example.com", "10:10.73.0.1:1")))

	stop := churn(t, c1, "default", "churn-noise", 100*time.Millisecond)
	defer stop()
	foreign := foreignClient(t)
	// Out of band: one service deleted, the other's TTL changed.
	a, b := sim.Object("gslbservice", "churn-a.example.com"), sim.Object("gslbservice", "churn-b.example.com")
	drifted := maps.Clone(b)
	drifted["ttl"] = 77
	start := time.Now()
	if err := foreign.AviSession.Delete("/api/gslbservice/" + text(a, "uuid")); err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := foreign.AviSession.Put("/api/gslbservice/"+text(b, "uuid"), drifted, &out); err != nil {
		t.Fatal(err)
	}
	if text(sim.Object("gslbservice", "churn-b.example.com"), "ttl") != "77" {
		t.Fatal("the drift did not take")
	}
	await.Eventually(t, "both repaired under churn", func() error {
		if sim.Object("gslbservice", "churn-a.example.com") == nil {
			return fmt.Errorf("churn-a not recreated")
		}
		if ttl := text(sim.Object("gslbservice", "churn-b.example.com"), "ttl"); ttl == "77" {
			return fmt.Errorf("churn-b's TTL is still the foreign %s", ttl)
		}
		return nil
	})
	took := time.Since(start)
	events := stop()
	// One resync period, plus the pass that repairs and this poll's own pace.
	if took > resync+time.Second {
		t.Errorf("repaired %v after the drift, want within the %v resync period", took.Round(time.Millisecond), resync)
	}
	if events < int(took/(200*time.Millisecond)) {
		t.Errorf("only %d events in %v: the churn was not churning", events, took)
	}
	t.Logf("repair under churn: %v (resync %v, %d events)", took.Round(time.Millisecond), resync, events)
}

// A 60 s controller outage with changes pending: amko probes cheaply while it
// lasts and converges within seconds of its end, whatever its length.
func TestControllerOutage(t *testing.T) {
	const outage = 60 * time.Second
	s := begin(t, appGDP("outage-e2e"))
	t.Cleanup(sim.ClearFaults)
	c1 := set.Clusters[0]
	host := "outage.example.com"
	s.track(host)
	s.ingress(c1, clusters.Ingress{Namespace: "default", Name: "outage", Labels: map[string]string{"app": "outage-e2e"},
		Rules: []clusters.IngressRule{{Host: host, IP: "10.74.0.1"}}, AKO: ako(host, "virtualservice-outage")})
	await.Eventually(t, "the service", wantMembers(host, "10:10.74.0.1:1"))

	if _, err := sim.AddFault(avisim.Fault{Name: "outage", Path: "^/api/", Status: 503}); err != nil {
		t.Fatal(err)
	}
	sim.ClearJournal()
	began := time.Now()
	// Five changes during the outage, the last one 40 s in.
	for i := range 5 {
		setIngressIP(t, c1, "default", "outage", host, fmt.Sprintf("10.74.0.%d", i+2))
		time.Sleep(10 * time.Second) // the outage's pace, not a wait for state
	}
	time.Sleep(time.Until(began.Add(outage)))
	during := len(sim.Journal())
	sim.ClearFaults()
	recovered := time.Now()
	await.Eventually(t, "converged after the outage", wantMembers(host, "10:10.74.0.6:1"))
	took := time.Since(recovered)
	if took > 5*time.Second {
		t.Errorf("converged %v after the controller recovered, want within 5 s", took.Round(time.Millisecond))
	}
	// A probe a second (two or three reads each) and the passes that saw the
	// outage begin, not a pass per event.
	if max := 4 * int(outage/time.Second); during > max {
		t.Errorf("%d requests during a %v outage, want at most %d", during, outage, max)
	}
	t.Logf("outage %v: %d requests during it, converged %v after its end", outage, during, took.Round(time.Millisecond))
}
