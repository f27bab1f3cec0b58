// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package bench

import (
	"bufio"
	"bytes"
	"context"
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
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/probe"
	dnsprovider "github.com/amko-project/amko/internal/provider/dns"
	"github.com/amko-project/amko/test/backend"
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

// BenchmarkDNSFailover measures, with the default probe settings (a TCP probe
// every 10 s, 4 s timeout, down after 3 failures), the time from a member's
// backend failing to the DNS server no longer answering its address.
func BenchmarkDNSFailover(b *testing.B) {
	for b.Loop() {
		benchFailover(b)
	}
}

func benchFailover(b *testing.B) {
	addrs := []string{"127.0.0.41:18090", "127.0.0.42:18090"}
	listeners := make([]net.Listener, len(addrs))
	for i, a := range addrs {
		listeners[i] = backend.TCP(b, a)
	}
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	all := uint32(0)
	monitor := gslb.HealthMonitor{Name: "amko--tcp", Type: "HEALTH_MONITOR_TCP", Port: 18090}
	svc := &gslb.Service{Name: "f." + benchZone, DomainNames: []string{"f." + benchZone}, Enabled: true, NumIPs: &all,
		HealthMonitors: []gslb.HealthMonitor{monitor},
		Pools: []gslb.Pool{{Name: "p", Priority: 10, Enabled: true, Members: []gslb.Member{
			{IP: netip.MustParseAddr("127.0.0.41"), Ratio: 1, Enabled: true},
			{IP: netip.MustParseAddr("127.0.0.42"), Ratio: 1, Enabled: true}}}}}

	server := dnsprovider.New()
	cfg := dnsprovider.Config{Zones: []dnsprovider.Zone{{Name: benchZone}}}
	var mu sync.Mutex
	var prober *probe.Prober
	publish := func() {
		mu.Lock()
		defer mu.Unlock()
		health := prober.States()
		server.Update(cfg, []*gslb.Service{svc}, func(s *gslb.Service, p, m int) bool {
			ok, known := health[s.Pools[p].Members[m].IP.String()]
			return !known || ok
		})
	}
	prober = probe.New(probe.Options{OnChange: func(string, bool) { publish() }})
	var targets []probe.Target
	for _, m := range svc.Pools[0].Members {
		targets = append(targets, probe.Target{Key: m.IP.String(), Monitor: monitor, IP: m.IP, Host: svc.Name})
	}
	prober.Set(targets)
	publish()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go prober.Run(ctx)
	l, err := server.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = l.Close() }()

	answered := func(ip string) bool {
		m := new(dns.Msg)
		m.SetQuestion(svc.Name+".", dns.TypeA)
		resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, l.Addr)
		if err != nil {
			b.Fatal(err)
		}
		for _, rr := range resp.Answer {
			if rr.(*dns.A).A.String() == ip {
				return true
			}
		}
		return false
	}
	// Let the first probes pass (they run at once), then fail one backend at a
	// random point of its probe interval.
	time.Sleep(time.Duration(rand.Int64N(int64(10 * time.Second))))
	start := time.Now()
	_ = listeners[1].Close()
	for answered("127.0.0.42") {
		if time.Since(start) > 2*time.Minute {
			b.Fatal("the failed member is still answered after 2 minutes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.ReportMetric(time.Since(start).Seconds(), "failover-s")
}
