// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
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
//   - peak-rss-MB: amko's peak resident memory;
//   - passes/change and pass-ms: amko's passes during the changes, from its
//     metrics, and their mean duration: amko's own share of a change.
//
// AMKO_BENCH_CPUPROFILE=<file> saves a 20 s CPU profile of amko taken while
// the changes run, AMKO_BENCH_HEAPPROFILE=<file> its heap after them.
//
// The GDP turns data-plane monitors off (controlPlaneHmOnly), so the members'
// made-up addresses answer without probes.
func BenchmarkDNSSync(b *testing.B) { benchSizes(b, benchDNSSync) }

func benchDNSSync(b *testing.B, set *clusters.Set, n int) {
	// With AMKO_BENCH_ANCHOR, both binaries in turn, each run moving the
	// Ingresses to addresses of its own.
	benchDNSSyncOf(b, set, n, createIngresses, true, func(k, run int) (string, string) {
		name, _ := changed(k)
		ip := fmt.Sprintf("10.%d.%d.%d", 200+run%50, k/250, k%250+1)
		setIP(b, set.Clusters[k%3], name, ip)
		return name + ".example.com", ip
	})
}

// benchDNSSyncOf is benchDNSSync with the n objects made by create (app-<i>
// in cluster i%3, host app-<i>.example.com) and the changes made by change
// (see measureChangesWith; run numbers the amko runs on the same objects).
// withAnchor runs AMKO_BENCH_ANCHOR's binary too, in turn with this tree's
// (AMKO_BENCH_ROUNDS rounds, default 1), on the same objects.
func benchDNSSyncOf(b *testing.B, set *clusters.Set, n int, create func(*testing.B, *clusters.Set, int),
	withAnchor bool, change func(k, run int) (host, ip string)) {
	addr := "127.0.0.1:" + backend.FreePort(b, "127.0.0.1")
	if err := set.ConfigureDNS(context.Background(), addr, "example.com"); err != nil {
		b.Fatal(err)
	}
	off := true
	selectApps(b, set, amkov1alpha2.GDPSpec{ControlPlaneHmOnly: &off})
	create(b, set, n)

	bins := []amkoBin{{path: buildAmko(b)}}
	rounds := 1
	if withAnchor {
		bins = amkoBinaries(b, bins[0].path)
		if v := os.Getenv("AMKO_BENCH_ROUNDS"); v != "" {
			var err error
			if rounds, err = strconv.Atoi(v); err != nil || rounds < 1 {
				b.Fatalf("AMKO_BENCH_ROUNDS=%q: want a positive number", v)
			}
		}
	}
	results := map[string][]dnsRun{}
	run := 0
	for r := range rounds {
		for _, bn := range alternate(bins, r) {
			res := dnsSyncRun(b, set, bn.path, addr, n, func(k int) (string, string) { return change(k, run) })
			b.Logf("round %d, %samko: cold sync %.2f s; change p50 %.1f ms, p90 %.1f ms, p99 %.1f ms; pass %.1f ms; %.0f MB",
				r+1, bn.label, res.cold.Seconds(), res.p50, res.p90, res.p99, res.passMs, res.rssMB)
			results[bn.label] = append(results[bn.label], res)
			run++
		}
	}
	for _, bn := range bins {
		rs := results[bn.label]
		m := func(f func(dnsRun) float64) float64 {
			v := make([]float64, len(rs))
			for i, r := range rs {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		b.ReportMetric(m(func(r dnsRun) float64 { return r.cold.Seconds() }), bn.label+"cold-sync-s")
		b.ReportMetric(m(func(r dnsRun) float64 { return r.p50 }), bn.label+"change-p50-ms")
		b.ReportMetric(m(func(r dnsRun) float64 { return r.p90 }), bn.label+"change-p90-ms")
		b.ReportMetric(m(func(r dnsRun) float64 { return r.p99 }), bn.label+"change-p99-ms")
		b.ReportMetric(m(func(r dnsRun) float64 { return r.rssMB }), bn.label+"peak-rss-MB")
		if rs[0].passes > 0 {
			b.ReportMetric(m(func(r dnsRun) float64 { return r.passes }), bn.label+"passes/change")
			b.ReportMetric(m(func(r dnsRun) float64 { return r.passMs }), bn.label+"pass-ms")
		}
	}
}

// dnsRun is what one amko run of benchDNSSyncOf measured.
type dnsRun struct {
	cold                  time.Duration
	p50, p90, p99         float64 // ms
	rssMB, passes, passMs float64
}

// dnsSyncRun starts bin answering DNS at addr, waits for its cold sync,
// measures the changes change makes, and stops it.
func dnsSyncRun(b *testing.B, set *clusters.Set, bin, addr string, n int, change func(k int) (host, ip string)) dnsRun {
	// Local use: metrics and profiles are read over plain HTTP with no token.
	listen := "127.0.0.1:" + backend.FreePort(b, "127.0.0.1")
	args := []string{"--listen", listen, "--insecure-endpoints"}
	cpuProfile, heapProfile := os.Getenv("AMKO_BENCH_CPUPROFILE"), os.Getenv("AMKO_BENCH_HEAPPROFILE")
	if cpuProfile != "" || heapProfile != "" {
		args = append(args, "--pprof")
	}
	start := time.Now()
	cmd, _, stop := startAmko(b, set, bin, args...)
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
	res := dnsRun{cold: time.Since(start)}

	profiled := make(chan error, 1)
	if cpuProfile != "" {
		go func() { profiled <- fetchProfile("http://"+listen+"/debug/pprof/profile?seconds=20", cpuProfile) }()
	}
	passes0, passTime0 := amkoPasses(b, listen)
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
	passes1, passTime1 := amkoPasses(b, listen)
	if cpuProfile != "" {
		if err := <-profiled; err != nil {
			b.Error(err)
		}
	}
	if heapProfile != "" {
		if err := fetchProfile("http://"+listen+"/debug/pprof/heap", heapProfile); err != nil {
			b.Error(err)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	res.p50, res.p90, res.p99 = ms(lat[len(lat)/2]), ms(lat[len(lat)*9/10]), ms(lat[len(lat)*99/100])
	res.rssMB = peakRSSMB(b, cmd.Process.Pid)
	if passes1 > passes0 {
		res.passes = (passes1 - passes0) / float64(len(lat))
		res.passMs = 1000 * (passTime1 - passTime0) / (passes1 - passes0)
	}
	return res
}

// amkoPasses reads the count and total duration (seconds) of amko's passes
// from its metrics at listen.
func amkoPasses(b *testing.B, listen string) (count, seconds float64) {
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		b.Fatalf("reading amko's metrics: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), " ")
		switch name {
		case "amko_reconcile_duration_seconds_count":
			count, _ = strconv.ParseFloat(value, 64)
		case "amko_reconcile_duration_seconds_sum":
			seconds, _ = strconv.ParseFloat(value, 64)
		}
	}
	return count, seconds
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
