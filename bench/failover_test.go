// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package bench

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/probe"
	dnsprovider "github.com/amko-project/amko/internal/provider/dns"
	"github.com/amko-project/amko/test/backend"
)

// monitorSetting is one pacing of the probes that BenchmarkDNSFailover
// measures.
type monitorSetting struct {
	name string
	// interval, timeout (seconds) and failed are the monitor's send_interval,
	// receive_timeout and failed_checks; scale multiplies the first two
	// (probe.Options.IntervalScale, operator.Options.ProbeScale).
	interval, timeout, failed uint32
	scale                     float64
	// runs is how many members fail, each at its own random point.
	runs int
}

// monitorSettings are the settings measured:
//   - default: AMKO's monitor, the only pacing amko's DNS backend uses (and
//     the one amko creates on an Avi Controller);
//   - avi-fastest: the fastest whole-second monitor an Avi Controller takes
//     (receive_timeout must be under send_interval), which a user can only
//     use through healthMonitorRefs with the Avi backend;
//   - demo: the default with hack/demo's ProbeScale 0.1 (1 s, 0.4 s, 3), an
//     in-process option of the operator, not a user setting.
var monitorSettings = []monitorSetting{
	{name: "default", interval: 10, timeout: 4, failed: 3, scale: 1, runs: 3},
	{name: "avi-fastest", interval: 2, timeout: 1, failed: 2, scale: 1, runs: 10},
	{name: "demo", interval: 10, timeout: 4, failed: 3, scale: 0.1, runs: 10},
}

// slowDelays are how late the "slow" members answer once made slow: a
// backend still working, only loaded, that a short receive timeout takes out.
var slowDelays = []time.Duration{500 * time.Millisecond, 2 * time.Second}

// BenchmarkDNSFailover measures failover by probes alone (no endpoint
// signal), for each monitor setting in turn: the built-in DNS server in the
// benchmark process, amko's prober with an HTTP monitor (as Ingress members
// get) paced by the setting, and small HTTP backends on loopback addresses.
// For each setting, runs members fail at the same time, each at a random
// point of its probe interval after its first probe passed, in two ways:
//   - refused: the backend's listener closes (the process is gone; a probe
//     fails at once);
//   - hung: the backend still accepts connections but never answers (a probe
//     fails only at its receive timeout);
//
// and the time until the DNS server no longer answers the member's address
// (polled every 10 ms) is measured. Reported: p50 and max of each, the probes
// a healthy member received over the benchmark (probes/member: one at once,
// then one per interval; elapsed-s), and, for each of
// slowDelays, whether a member that goes on answering but that late was
// taken out within (failed+1) intervals plus the timeout (slow-…-out: 1 if
// it was, a false positive).
func BenchmarkDNSFailover(b *testing.B) {
	for _, s := range monitorSettings {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				benchFailover(b, s)
			}
		})
	}
}

// probeBackend answers HTTP probes on one address: at once, late, or never.
type probeBackend struct {
	l      net.Listener
	delay  atomic.Int64 // nanoseconds before answering; <0: never
	probes atomic.Int64
	hold   chan struct{} // closed when the benchmark ends
}

func startProbeBackend(b *testing.B, addr string) *probeBackend {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	pb := &probeBackend{l: l, hold: make(chan struct{})}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			pb.probes.Add(1)
			go pb.serve(c)
		}
	}()
	return pb
}

func (pb *probeBackend) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	switch d := time.Duration(pb.delay.Load()); {
	case d < 0:
		<-pb.hold
		return
	case d > 0:
		select {
		case <-time.After(d):
		case <-pb.hold:
			return
		}
	}
	_, _ = c.Write([]byte("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"))
}

func (pb *probeBackend) close() {
	_ = pb.l.Close()
	select {
	case <-pb.hold:
	default:
		close(pb.hold)
	}
}

// failMember is one member whose backend changes at a random point.
type failMember struct {
	kind string // "refused", "hung" or "slow"
	// delay is the slow member's answer delay.
	delay   time.Duration
	svc     *gslb.Service
	ip      netip.Addr
	backend *probeBackend
	// took is how long it took to leave the answers; 0 if it did not (slow
	// members only).
	took time.Duration
}

func benchFailover(b *testing.B, s monitorSetting) {
	portN, err := strconv.Atoi(backend.FreePort(b, "127.0.0.1"))
	if err != nil {
		b.Fatal(err)
	}
	scaled := func(sec uint32) time.Duration {
		return time.Duration(float64(time.Duration(sec)*time.Second) * s.scale)
	}
	interval, timeout := scaled(s.interval), scaled(s.timeout)
	monitor := gslb.HealthMonitor{Name: "amko--http", Type: probe.TypeHTTP, Port: uint32(portN),
		HTTPRequest: "HEAD / HTTP/1.0", HTTPResponseCodes: []string{"HTTP_2XX", "HTTP_3XX"},
		Interval: s.interval, Timeout: s.timeout, SuccessfulChecks: 3, FailedChecks: s.failed}

	// Every service has the member that fails and ref, which stays up.
	refIP := netip.MustParseAddr("127.0.2.1")
	ref := startProbeBackend(b, netip.AddrPortFrom(refIP, uint16(portN)).String())
	defer ref.close()
	var members []*failMember
	add := func(kind string, delay time.Duration) {
		ip := netip.AddrFrom4([4]byte{127, 0, 2, byte(10 + len(members))})
		pb := startProbeBackend(b, netip.AddrPortFrom(ip, uint16(portN)).String())
		b.Cleanup(pb.close)
		name := fmt.Sprintf("%s-%d.%s", kind, len(members), benchZone)
		all := uint32(0)
		members = append(members, &failMember{kind: kind, delay: delay, ip: ip, backend: pb,
			svc: &gslb.Service{Name: name, DomainNames: []string{name}, Enabled: true, NumIPs: &all,
				HealthMonitors: []gslb.HealthMonitor{monitor},
				Pools: []gslb.Pool{{Name: "p", Priority: 10, Enabled: true, Members: []gslb.Member{
					{IP: ip, Ratio: 1, Enabled: true}, {IP: refIP, Ratio: 1, Enabled: true}}}}}})
	}
	for range s.runs {
		add("refused", 0)
		add("hung", 0)
	}
	for _, d := range slowDelays {
		add("slow", d)
	}
	services := make([]*gslb.Service, len(members))
	var targets []probe.Target
	for i, m := range members {
		services[i] = m.svc
		for _, mem := range m.svc.Pools[0].Members {
			targets = append(targets, probe.Target{Key: m.svc.Name + "/" + mem.IP.String(), Monitor: monitor, IP: mem.IP, Host: m.svc.Name})
		}
	}

	server := dnsprovider.New()
	cfg := dnsprovider.Config{Zones: []dnsprovider.Zone{{Name: benchZone}}}
	var mu sync.Mutex
	var prober *probe.Prober
	publish := func() {
		mu.Lock()
		defer mu.Unlock()
		health := prober.States()
		server.Update(cfg, services, func(s *gslb.Service, p, m int) bool {
			ok, known := health[s.Name+"/"+s.Pools[p].Members[m].IP.String()]
			return !known || ok
		})
	}
	prober = probe.New(probe.Options{IntervalScale: s.scale, OnChange: func(string, bool) { publish() }})
	prober.Set(targets)
	publish()
	l, err := server.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := time.Now()
	go prober.Run(ctx)

	// answered reports whether svc's answer carries ip; a lost query is
	// asked again.
	answered := func(svc *gslb.Service, ip string) bool {
		for {
			got, err := lookupErr(l.Addr, svc.Name+".")
			if err == nil {
				return slices.Contains(got, ip)
			}
		}
	}
	// Long enough for failed probes in a row, whatever the phase.
	window := time.Duration(s.failed+1)*interval + timeout + time.Second
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() {
			// Let the member's first probe pass, then change it at a random
			// point of its interval.
			for m.backend.probes.Load() == 0 || !answered(m.svc, m.ip.String()) {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(time.Duration(rand.Int64N(int64(interval))))
			t0 := time.Now()
			switch m.kind {
			case "refused":
				_ = m.backend.l.Close()
			case "hung":
				m.backend.delay.Store(-1)
			case "slow":
				m.backend.delay.Store(int64(m.delay))
			}
			for answered(m.svc, m.ip.String()) {
				if time.Since(t0) > window {
					if m.kind != "slow" {
						b.Errorf("%s: still answered after %s", m.svc.Name, window)
					}
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			m.took = time.Since(t0)
		})
	}
	wg.Wait()
	elapsed := time.Since(started)
	if b.Failed() {
		return
	}

	b.Logf("%s: interval %s, timeout %s, down after %d failures; %d runs of each", s.name, interval, timeout, s.failed, s.runs)
	for _, kind := range []string{"refused", "hung"} {
		var took []time.Duration
		for _, m := range members {
			if m.kind == kind {
				took = append(took, m.took)
			}
		}
		slices.Sort(took)
		b.Logf("%s: %v", kind, took)
		b.ReportMetric(took[len(took)/2].Seconds(), kind+"-p50-s")
		b.ReportMetric(took[len(took)-1].Seconds(), kind+"-max-s")
	}
	for _, m := range members {
		if m.kind != "slow" {
			continue
		}
		out := 0.0
		if m.took > 0 {
			out = 1
			b.Logf("answering in %s: taken out after %s", m.delay, m.took.Round(time.Millisecond))
		} else {
			b.Logf("answering in %s: kept for %s", m.delay, window)
		}
		b.ReportMetric(out, fmt.Sprintf("slow-%gs-out", m.delay.Seconds()))
	}
	// ref is probed once per service: at once, then once per interval.
	perMember := float64(ref.probes.Load()) / float64(len(members))
	b.Logf("a healthy member got %.1f probes in %s (expected 1 + %d)", perMember, elapsed.Round(time.Millisecond), int(elapsed/interval))
	b.ReportMetric(perMember, "probes/member")
	b.ReportMetric(elapsed.Seconds(), "elapsed-s")
}
