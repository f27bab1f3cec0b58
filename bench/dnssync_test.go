// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package bench

import (
	"context"
	"fmt"
	"slices"
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
func BenchmarkDNSSync(b *testing.B) { benchSizes(b, benchDNSSync) }

func benchDNSSync(b *testing.B, set *clusters.Set, n int) {
	benchDNSSyncOf(b, set, n, createIngresses, func(k int) (string, string) {
		name, ip := changed(k)
		setIP(b, set.Clusters[k%3], name, ip)
		return name + ".example.com", ip
	})
}

// benchDNSSyncOf is benchDNSSync with the n objects made by create (app-<i>
// in cluster i%3, host app-<i>.example.com) and the changes made by change
// (see measureChangesWith).
func benchDNSSyncOf(b *testing.B, set *clusters.Set, n int, create func(*testing.B, *clusters.Set, int),
	change func(k int) (host, ip string)) {
	addr := "127.0.0.1:" + backend.FreePort(b, "127.0.0.1")
	if err := set.ConfigureDNS(context.Background(), addr, "example.com"); err != nil {
		b.Fatal(err)
	}
	off := true
	selectApps(b, set, amkov1alpha2.GDPSpec{ControlPlaneHmOnly: &off})
	create(b, set, n)

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

	// A change is done when amko's answer carries it, polled every millisecond
	// (waitUntil's 5 ms would blur the figure).
	lat := measureChangesWith(change, func(host, ip string) time.Time {
		deadline := time.Now().Add(time.Minute)
		for !slices.Contains(lookup(addr, host+"."), ip) {
			if time.Now().After(deadline) {
				b.Fatalf("%s's new address not answered within a minute", host)
			}
			time.Sleep(time.Millisecond)
		}
		return time.Now()
	})
	b.ReportMetric(cold.Seconds(), "cold-sync-s")
	reportLatencies(b, lat)
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
