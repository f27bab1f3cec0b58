// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/gslb"
)

func weightedServices(n int) []*gslb.Service {
	services := make([]*gslb.Service, n)
	for i := range services {
		name := fmt.Sprintf("app-%d.example.com", i)
		services[i] = &gslb.Service{Name: name, DomainNames: []string{name}, Enabled: true, Pools: []gslb.Pool{{
			Name: "amko-gs-group-10", Priority: 10, Enabled: true, Members: []gslb.Member{
				{IP: netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), Ratio: 3, Enabled: true},
				{IP: netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), Ratio: 1, Enabled: true},
			}}}}
	}
	return services
}

// The round-robin state is made with the snapshot, one per served round-robin
// service, and queries add none, whatever names they ask for; a smaller
// snapshot drops the state of the services it no longer serves.
func TestRoundRobinStateBoundedByServices(t *testing.T) {
	const n = 1000
	services := weightedServices(n)
	s := New()
	cfg := Config{Zones: []Zone{{Name: "example.com"}}}
	s.Update(cfg, services, nil)
	if got := s.RoundRobinStates(); got != n {
		t.Fatalf("%d round-robin states for %d services", got, n)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	client := netip.MustParseAddr("198.51.100.7")
	for i := range 50_000 {
		req := new(dns.Msg)
		name := fmt.Sprintf("app-%d.example.com.", rng.IntN(10*n)) // nine in ten not served
		if i%7 == 0 {
			name = fmt.Sprintf("x%d.app-%d.example.com.", i, rng.IntN(n))
		}
		req.SetQuestion(name, []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeANY}[i%3])
		exchange(t, s, req, netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}), false)
	}
	if got := s.RoundRobinStates(); got != n {
		t.Errorf("%d round-robin states after 50,000 queries over %d services, want %d", got, n, n)
	}
	s.Update(cfg, services[:10], nil)
	exchange(t, s, func() *dns.Msg { m := new(dns.Msg); m.SetQuestion("app-1.example.com.", dns.TypeA); return m }(), client, false)
	if got := s.RoundRobinStates(); got != 10 {
		t.Errorf("%d round-robin states after shrinking to 10 services", got)
	}
}

// TestHandleAllocations: the fast path answers an A query, with or without
// EDNS and a client subnet, with no allocation.
func TestHandleAllocations(t *testing.T) {
	s := New()
	s.Update(Config{Zones: []Zone{{Name: "example.com"}}}, weightedServices(10), nil)
	client, local := netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("192.0.2.53")
	for _, edns := range []int{0, 1, 2} {
		req := new(dns.Msg)
		req.SetQuestion("app-3.example.com.", dns.TypeA)
		if edns > 0 {
			req.SetEdns0(1232, true)
		}
		if edns > 1 {
			req.IsEdns0().Option = append(req.IsEdns0().Option, ecsOption(1, 24, 0, 198, 51, 100))
		}
		msg, err := req.Pack()
		if err != nil {
			t.Fatal(err)
		}
		out, scratch := make([]byte, 0, 4096), make([]byte, 0, 256)
		if n := testing.AllocsPerRun(200, func() {
			if s.handle(msg, client, local, false, out, scratch) == nil {
				t.Fatal("no answer")
			}
		}); n != 0 {
			t.Errorf("EDNS %d: %v allocations per query", edns, n)
		}
	}
}
