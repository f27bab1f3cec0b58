// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package bench

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

// BenchmarkDNSSync measures amko with its built-in DNS backend, three clusters
// and n selected Ingresses (each its own host), amko as its own process:
//   - cold-sync-s: from amko's start until it answers for every cluster's names;
//   - change-p50-ms, change-p99-ms: from an Ingress status change until amko's
//     DNS answer carries the new address;
//   - peak-rss-MB: amko's peak resident memory.
//
// The GDP turns data-plane monitors off (controlPlaneHmOnly), so the members'
// made-up addresses answer without probes.
func BenchmarkDNSSync(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				benchDNSSync(b, n)
			}
		})
	}
}

func benchDNSSync(b *testing.B, n int) {
	ctx := context.Background()
	set, err := clusters.Start(ctx, 3, clusters.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = set.Stop() }()
	addr := "127.0.0.1:" + backend.FreePort(b, "127.0.0.1")
	if err := set.ConfigureDNS(ctx, addr, "example.com"); err != nil {
		b.Fatal(err)
	}
	var match []amkov1alpha2.ClusterProperty
	for _, name := range set.Contexts() {
		match = append(match, amkov1alpha2.ClusterProperty{Cluster: name})
	}
	off := true
	if err := set.SetGDP(ctx, amkov1alpha2.GDPSpec{MatchClusters: match, ControlPlaneHmOnly: &off,
		MatchRules: amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}}}); err != nil {
		b.Fatal(err)
	}
	createIngresses(b, set, n)

	bin := buildAmko(b)
	start := time.Now()
	cmd, _, stop := startAmko(b, set, bin, "--listen", "127.0.0.1:0")
	defer stop()

	// A cluster's objects arrive all at once, when its cache has synced, and
	// the DNS snapshot changes atomically: one name per cluster tells.
	waitUntil(b, 10*time.Minute, func() bool {
		for i := n - 3; i < n; i++ {
			if len(lookup(addr, fmt.Sprintf("app-%d.example.com.", i))) == 0 {
				return false
			}
		}
		return true
	})
	cold := time.Since(start)

	const changes = 50
	var lat []time.Duration
	for i := range changes {
		cl := set.Clusters[i%3]
		name := fmt.Sprintf("app-%d", i*3+i%3)
		ip := fmt.Sprintf("10.200.%d.%d", i/250, i%250+1)
		t0 := time.Now()
		setIP(b, cl, name, ip)
		// Polled every millisecond (waitUntil's 5 ms would blur the figure).
		deadline := t0.Add(time.Minute)
		for !slices.Contains(lookup(addr, name+".example.com."), ip) {
			if time.Now().After(deadline) {
				b.Fatalf("%s's new address not answered within a minute", name)
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(cold.Seconds(), "cold-sync-s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "change-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "change-p99-ms")
	b.ReportMetric(peakRSSMB(b, cmd.Process.Pid), "peak-rss-MB")
}

// lookup asks the DNS server at addr for name's A records; nil on any failure.
func lookup(addr, name string) []string {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, addr)
	if err != nil {
		return nil
	}
	var out []string
	for _, rr := range resp.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return out
}
