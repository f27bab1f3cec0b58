// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/amko-project/amko/internal/gslb"
	dnsprovider "github.com/amko-project/amko/internal/provider/dns"
)

const benchZone = "gslb.example.com"

// BenchmarkDNSServer measures the built-in DNS server on loopback with dnsperf
// (Debian package dnsperf): n GSLB services of two weighted members each, 10
// clients for 10 seconds over the names in random order. It reports queries per
// second, the latency percentiles of the answered queries and the queries lost.
func BenchmarkDNSServer(b *testing.B) {
	dnsperf, err := exec.LookPath("dnsperf")
	if err != nil {
		b.Fatal("dnsperf is not installed: apt-get install dnsperf")
	}
	for _, n := range []int{1000, 100000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				benchDNSServer(b, dnsperf, n)
			}
		})
	}
}

func benchDNSServer(b *testing.B, dnsperf string, n int) {
	r := runDNSPerf(b, dnsperf, n, nil, 10)
	b.ReportMetric(r.qps, "queries/s")
	b.ReportMetric(r.p50*1e3, "p50-ms")
	b.ReportMetric(r.p99*1e3, "p99-ms")
	b.ReportMetric(r.lost, "lost")
}

// BenchmarkDNSServerRRL measures the cost of response rate limiting: the
// server of BenchmarkDNSServer with 1,000 names, dnsperf for 3 s with the rate
// limit off, then 3 s with it on at a limit no client reaches (the bookkeeping
// only), interleaved for ten rounds, the order alternating. It reports the mean
// rates and the median of the rounds' on/off ratios, which a busy machine
// disturbs least.
func BenchmarkDNSServerRRL(b *testing.B) {
	dnsperf, err := exec.LookPath("dnsperf")
	if err != nil {
		b.Fatal("dnsperf is not installed: apt-get install dnsperf")
	}
	for b.Loop() {
		const rounds = 10
		var off, on float64
		var ratios []float64
		for round := range rounds {
			var o, r dnsperfResult
			run := func() { o = runDNSPerf(b, dnsperf, 1000, nil, 3) }
			runOn := func() {
				r = runDNSPerf(b, dnsperf, 1000, &dnsprovider.RateLimit{ResponsesPerSecond: 1_000_000, Slip: 2}, 3)
			}
			if round%2 == 0 {
				run()
				runOn()
			} else {
				runOn()
				run()
			}
			if r.lost > 0 || r.slipped > 0 {
				b.Logf("round %d: %v lost, %v truncated with the rate limit on", round+1, r.lost, r.slipped)
			}
			b.Logf("round %d: off %.0f queries/s, on %.0f queries/s", round+1, o.qps, r.qps)
			off += o.qps
			on += r.qps
			ratios = append(ratios, r.qps/o.qps)
		}
		sort.Float64s(ratios)
		b.ReportMetric(off/rounds, "off-queries/s")
		b.ReportMetric(on/rounds, "on-queries/s")
		b.ReportMetric((ratios[rounds/2-1]+ratios[rounds/2])/2, "median-on/off")
	}
}

type dnsperfResult struct {
	qps, p50, p99, lost, slipped float64
}

// runDNSPerf serves n names on loopback, with the rate limit rl (nil: off),
// and runs dnsperf against them: 10 clients for the given seconds.
func runDNSPerf(b *testing.B, dnsperf string, n int, rl *dnsprovider.RateLimit, seconds int) dnsperfResult {
	services := make([]*gslb.Service, n)
	for i := range services {
		name := fmt.Sprintf("app-%d.%s", i, benchZone)
		services[i] = &gslb.Service{Name: name, DomainNames: []string{name}, Enabled: true, Pools: []gslb.Pool{{
			Name: "amko-gs-group-10", Priority: 10, Enabled: true, Members: []gslb.Member{
				{IP: netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), Ratio: 3, Enabled: true},
				{IP: netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), Ratio: 1, Enabled: true},
			}}}}
	}
	s := dnsprovider.New()
	s.SetRateLimit(rl)
	s.Update(dnsprovider.Config{Zones: []dnsprovider.Zone{{Name: benchZone}}}, services, nil)
	l, err := s.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = l.Close() }()

	var data bytes.Buffer
	rng := rand.New(rand.NewPCG(1, 2))
	for range max(n, 100000) {
		fmt.Fprintf(&data, "app-%d.%s A\n", rng.IntN(n), benchZone)
	}
	file := filepath.Join(b.TempDir(), "queries")
	if err := os.WriteFile(file, data.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr)
	out, err := exec.Command(dnsperf, "-s", "127.0.0.1", "-p", port, "-d", file, "-c", "10", "-l", strconv.Itoa(seconds), "-v").Output()
	if err != nil {
		b.Fatalf("dnsperf: %v", err)
	}
	var lat []float64
	var r dnsperfResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "> NOERROR "):
			f := strings.Fields(line)
			if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
				lat = append(lat, v)
			}
		case strings.Contains(line, "Queries per second:"):
			r.qps, _ = strconv.ParseFloat(strings.TrimSpace(strings.SplitN(line, ":", 2)[1]), 64)
		case strings.Contains(line, "Queries lost:"):
			r.lost, _ = strconv.ParseFloat(strings.Fields(strings.SplitN(line, ":", 2)[1])[0], 64)
		case strings.Contains(line, "Queries truncated") || strings.Contains(line, "Truncated"):
			if f := strings.Fields(strings.SplitN(line, ":", 2)[1]); len(f) > 0 {
				r.slipped, _ = strconv.ParseFloat(f[0], 64)
			}
		}
	}
	if len(lat) == 0 {
		b.Fatalf("no answers in dnsperf's output:\n%s", tail(out))
	}
	sort.Float64s(lat)
	r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	return r
}

func tail(out []byte) []byte {
	if len(out) > 2000 {
		return out[len(out)-2000:]
	}
	return out
}
