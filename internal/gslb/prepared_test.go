// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
)

// FuzzPrepared checks that a Prepared answers every query exactly as
// Engine.Answer does from the same (fresh) state, the round-robin positions
// included, and that preparing again under the same health keeps it.
func FuzzPrepared(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x1f, 'a', 2, 60, 2, 2, 1, 10, 3, 10, 2, 0, 1, 3, 1, 1, 24, 64, 0, 0, 3, 0, 1, 5, 1, 3, 0, 1, 0})
	f.Add([]byte{0x13, 'b', 3, 0, 3, 1, 7, 3, 9, 4, 1, 2, 3, 3, 3, 0, 0, 0, 0, 5, 1, 1, 1, 2, 1, 1, 1, 1, 100, 120})
	f.Add([]byte{0x09, 'c', 0, 200, 1, 0, 0, 0, 0, 3, 0, 1, 1, 4, 0, 0, 1, 0, 4, 2, 1, 2, 3, 4, 1, 0, 0, 1, 2, 3})
	f.Add([]byte{0x01, 'd', 1, 0, 1, 1, 0, 1, 3, 1, 1, 10, 1, 3, 2, 1, 1, 11, 2, 3, 3, 1, 1, 12, 5, 255, 255, 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := fuzzBytes(data)
		s := fuzzService(&b)
		upMask := uint64(b.next()) | uint64(b.next())<<8
		up := func(s *Service, p, m int) bool { return upMask>>((p*6+m)%16)&1 == 1 }
		locate := func(a netip.Addr) (Location, bool) {
			if !a.Is4() {
				return Location{}, false
			}
			v := a.As4()
			return Location{float64(v[2]) - 90, float64(v[3]) - 128}, v[3]%3 != 0
		}
		ref, prepEngine := NewEngine(Options{Locate: locate}), NewEngine(Options{Locate: locate})
		p := prepEngine.Prepare(s, up, 0, nil)
		for k := range 2 + b.next()%40 {
			q := Query{
				Name:   "a.example.com",
				Type:   []QType{QTypeA, QTypeAAAA, 15}[b.next()%3],
				Client: b.addr(),
				Public: b.bit(),
			}
			if b.bit() {
				q.ECS = netip.PrefixFrom(b.addr(), int(b.next()%129))
			}
			want, got := ref.Answer(s, q, up), p.Answer(q)
			if len(want.Addrs) == 0 {
				want.Addrs = nil
			}
			if len(got.Addrs) == 0 {
				got.Addrs = nil
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("query %d %+v: prepared %+v, engine %+v", k, q, got, want)
			}
			if k == 3 {
				if again := prepEngine.Prepare(s, up, 0, p); again != p {
					t.Fatal("prepared again under the same health: a new Prepared, round robin restarted")
				}
			}
		}
	})
}

// TestPreparedKeepsPositions: a service republished under other health
// restarts its cycle (the eligible set changed), under the same health (a
// change elsewhere) continues it, and a replaced service starts afresh.
func TestPreparedKeepsPositions(t *testing.T) {
	s := svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 1), mem("b", "10.0.0.2", 1), mem("c", "10.0.0.3", 1)))
	e := NewEngine(Options{})
	var down downIDs
	p := e.Prepare(s, down.up, 0, nil)
	pick := func(p *Prepared) string { return ids(t, s, p.Answer(qA("192.0.2.1")))[0] }
	if got := []string{pick(p), pick(p)}; !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("first picks %v", got)
	}
	p = e.Prepare(s, down.up, 0, p)
	if got := pick(p); got != "c" {
		t.Errorf("after republishing with the same health: %s, want c", got)
	}
	down = downIDs{"c": true}
	p = e.Prepare(s, down.up, 0, p)
	if got := pick(p); got != "a" {
		t.Errorf("after c went down: %s, want a (restart)", got)
	}
	c := *s
	p = e.Prepare(&c, down.up, 0, p)
	if got := pick(p); got != "a" || p.RoundRobinStates() != 1 {
		t.Errorf("replaced service: %s, want a (fresh state)", got)
	}
	if n := e.States(s.Name); n != 0 {
		t.Errorf("the engine holds %d states for a prepared round-robin service, want 0", n)
	}
}

// TestPreparedAllocations: answering from a Prepared allocates nothing for
// round robin and fixed answers.
func TestPreparedAllocations(t *testing.T) {
	two := u32(2)
	for _, s := range []*Service{
		svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 3), mem("b", "10.0.0.2", 1))),
		func() *Service {
			s := svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 3), mem("b", "10.0.0.2", 1)))
			s.NumIPs = two
			return s
		}(),
		svc(pool("p", 10, PreferenceOrder, mem("a", "10.0.0.1", 3), mem("b", "10.0.0.2", 1))),
	} {
		p := NewEngine(Options{}).Prepare(s, nil, 0, nil)
		q := qA("192.0.2.1")
		if n := testing.AllocsPerRun(100, func() { p.Answer(q) }); n != 0 {
			t.Errorf("%s: %v allocations per answer", s.Pools[0].Algorithm, n)
		}
	}
}
