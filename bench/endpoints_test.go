// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

// endpointRuns is how many failovers each backend is measured over.
const endpointRuns = 50

// BenchmarkEndpointFailover measures failover from the clusters' own view,
// amko as its own process on two fresh clusters, one Ingress per cluster for
// one host (cluster 2 preferred: priority 20). A run makes the last ready
// endpoint of cluster 2's Service unready (its EndpointSlice updated, as the
// EndpointSlice controller would) and measures until:
//   - dns: amko's DNS server answers cluster 1's address instead, polled
//     every millisecond;
//   - avi: the Avi Controller (avisim) has answered the PUT that writes
//     cluster 2's member enabled: false (GDP endpointHealth opted in).
//
// Then the endpoint is made ready again and the member's return awaited (a
// hold-down of 0s, so that runs follow each other). Reports p50 and p99 over
// 50 runs.
func BenchmarkEndpointFailover(b *testing.B) {
	for _, backendName := range []string{"dns", "avi"} {
		b.Run(backendName, func(b *testing.B) {
			for b.Loop() {
				set, err := clusters.Start(context.Background(), 2, clusters.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = set.Stop() })
				benchEndpointFailover(b, set, backendName)
			}
		})
	}
}

func benchEndpointFailover(b *testing.B, set *clusters.Set, backendName string) {
	ctx := context.Background()
	host := "ep.example.com"
	ips := []string{"10.1.0.1", "10.2.0.1"}
	spec := amkov1alpha2.GDPSpec{
		// No data-plane monitors: the made-up addresses answer without
		// probes, and endpoints alone decide.
		ControlPlaneHmOnly: new(true),
		TrafficSplit: []amkov1alpha2.TrafficSplitElem{{Cluster: set.Clusters[0].Context, Weight: 1, Priority: new(uint32(10))},
			{Cluster: set.Clusters[1].Context, Weight: 1, Priority: new(uint32(20))}},
		EndpointHealth: &amkov1alpha2.EndpointHealth{HoldDown: &metav1.Duration{}},
	}
	var sim *avisim.Server
	dnsAddr := "127.0.0.1:" + backend.FreePort(b, "127.0.0.1")
	switch backendName {
	case "dns":
		if err := set.ConfigureDNS(ctx, dnsAddr, "example.com"); err != nil {
			b.Fatal(err)
		}
	default:
		s, srv, err := avisim.Start(avisim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		sim = s
		if err := set.ConfigureAMKO(ctx, avisim.Host(srv), ""); err != nil {
			b.Fatal(err)
		}
		spec.EndpointHealth.Enabled = new(true)
	}
	selectApps(b, set, spec)
	for i, cl := range set.Clusters {
		if _, err := cl.CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: "ep", Labels: map[string]string{"app": "gslb"},
			Rules: []clusters.IngressRule{{Host: host, IP: ips[i]}},
			AKO: clusters.AKO{VSUUIDs: map[string]string{host: fmt.Sprintf("virtualservice-ep%d", i)},
				ControllerUUID: avisim.LeaderClusterUUID, Tenant: "admin"}}); err != nil {
			b.Fatal(err)
		}
		if err := cl.SetEndpoints(ctx, "default", "ep", true); err != nil {
			b.Fatal(err)
		}
	}
	cmd, _, stop := startAmko(b, set, buildAmko(b), "--listen", "127.0.0.1:0")
	defer stop()

	// enabled reports the controller's enabled flag of cluster 2's member.
	enabled := func() (bool, bool) {
		gs := sim.Object("gslbservice", host)
		groups, _ := gs["groups"].([]any)
		for _, g := range groups {
			ms, _ := g.(map[string]any)["members"].([]any)
			for _, m := range ms {
				mm := m.(map[string]any)
				if mm["ip"].(map[string]any)["addr"] == ips[1] {
					return mm["enabled"] != false, true
				}
			}
		}
		return false, false
	}
	// ready waits until cluster 2's member serves again.
	ready := func() {
		waitUntil(b, time.Minute, func() bool {
			if sim == nil {
				return slices.Equal(lookup(dnsAddr, host+"."), ips[1:])
			}
			on, ok := enabled()
			return ok && on
		})
	}
	ready()

	var lat []time.Duration
	for range endpointRuns {
		if sim != nil {
			sim.ClearJournal()
		}
		t0 := time.Now()
		if err := set.Clusters[1].SetEndpoints(ctx, "default", "ep", false); err != nil {
			b.Fatal(err)
		}
		var done time.Time
		deadline := t0.Add(time.Minute)
		for done.IsZero() {
			if time.Now().After(deadline) {
				b.Fatal("the member was not taken out within a minute")
			}
			if sim == nil {
				got, err := lookupErr(dnsAddr, host+".")
				if err != nil {
					b.Logf("run %d: %v after %s", len(lat), err, time.Since(t0))
				}
				if slices.Equal(got, ips[:1]) {
					done = time.Now()
				}
			} else {
				for _, e := range sim.Journal() {
					if e.Method == "PUT" && e.Status == 200 && strings.Contains(e.Body, host) && strings.Contains(e.Body, `"enabled":false`) {
						done = e.Time.Add(e.Duration)
					}
				}
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, done.Sub(t0))
		if err := set.Clusters[1].SetEndpoints(ctx, "default", "ep", true); err != nil {
			b.Fatal(err)
		}
		ready()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "failover-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "failover-p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "failover-max-ms")
	b.ReportMetric(peakRSSMB(b, cmd.Process.Pid), "peak-rss-MB")
}

// lookupErr asks the DNS server at addr for name's A records, waiting 100 ms
// at most: a lost datagram costs a retry, not a second of the figure.
func lookupErr(addr, name string) ([]string, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	resp, _, err := (&dns.Client{Timeout: 100 * time.Millisecond}).Exchange(m, addr)
	if err != nil {
		return nil, fmt.Errorf("asking for %s: %w", name, err)
	}
	var out []string
	for _, rr := range resp.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return out, nil
}
