// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/gslb"
)

// discardWriter is a UDP ResponseWriter that drops what it is given.
type discardWriter struct{ remote net.Addr }

func (w *discardWriter) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
}
func (w *discardWriter) RemoteAddr() net.Addr        { return w.remote }
func (w *discardWriter) WriteMsg(*dns.Msg) error     { return nil }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) Close() error                { return nil }
func (w *discardWriter) TsigStatus() error           { return nil }
func (w *discardWriter) TsigTimersOnly(bool)         {}
func (w *discardWriter) Hijack()                     {}

// BenchmarkServeDNS measures ServeDNS in process (no sockets, no packing): an
// A query for one of 1,000 services from one client, or from 4,096 client
// prefixes in turn, with response rate limiting off and on (at a limit no
// client reaches: the bookkeeping only). Run the variants interleaved with
// -count to compare them.
func BenchmarkServeDNS(b *testing.B) {
	services := make([]*gslb.Service, 1000)
	for i := range services {
		name := fmt.Sprintf("app-%d.gslb.example.com", i)
		services[i] = &gslb.Service{Name: name, DomainNames: []string{name}, Enabled: true, Pools: []gslb.Pool{{
			Name: "amko-gs-group-10", Priority: 10, Enabled: true, Members: []gslb.Member{
				{IP: netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), Ratio: 3, Enabled: true},
				{IP: netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), Ratio: 1, Enabled: true},
			}}}}
	}
	reqs := make([]*dns.Msg, 1024)
	for i := range reqs {
		reqs[i] = new(dns.Msg)
		reqs[i].SetQuestion(fmt.Sprintf("app-%d.gslb.example.com.", i*7%1000), dns.TypeA)
	}
	writers := make([]*discardWriter, 4096)
	for i := range writers {
		writers[i] = &discardWriter{remote: &net.UDPAddr{IP: net.IPv4(198, 18+byte(i>>8), byte(i), 1), Port: 5353}}
	}
	for _, clients := range []int{1, len(writers)} {
		for _, rl := range []*RateLimit{nil, {ResponsesPerSecond: 1_000_000, Slip: 2}} {
			name := fmt.Sprintf("clients=%d/rrl=off", clients)
			if rl != nil {
				name = fmt.Sprintf("clients=%d/rrl=on", clients)
			}
			b.Run(name, func(b *testing.B) {
				s := New()
				s.SetRateLimit(rl)
				s.Update(Config{Zones: []Zone{{Name: "gslb.example.com"}}}, services, nil)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					s.ServeDNS(writers[i%clients], reqs[i%len(reqs)])
					i++
				}
			})
		}
	}
}

// BenchmarkRRLCheck measures the rate limit's bookkeeping for one response:
// from one client prefix, and from 4,096 in turn.
func BenchmarkRRLCheck(b *testing.B) {
	for _, clients := range []int{1, 4096} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			r := newRRL(RateLimit{ResponsesPerSecond: 1_000_000, Slip: 2}, nil)
			addrs := make([]netip.Addr, clients)
			for i := range addrs {
				addrs[i] = netip.AddrFrom4([4]byte{198, 18 + byte(i>>8), byte(i), 1})
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.check(addrs[i%clients]) // from one client, soon over the limit: the same work
				i++
			}
		})
	}
}
