// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"math"
	"net/netip"
	"slices"
	"testing"
)

// fuzzBytes hands out fuzz input; past the end it returns zeros so every
// input builds some service.
type fuzzBytes []byte

func (b *fuzzBytes) next() byte {
	if len(*b) == 0 {
		return 0
	}
	v := (*b)[0]
	*b = (*b)[1:]
	return v
}

func (b *fuzzBytes) bit() bool { return b.next()&1 == 1 }

// addr returns an IPv4, IPv6, IPv4-mapped or invalid address; a small value
// space makes shared addresses and hash-mask collisions likely.
func (b *fuzzBytes) addr() netip.Addr {
	k, v := b.next(), b.next()
	switch k % 5 {
	case 0:
		return netip.Addr{}
	case 1, 2:
		return netip.AddrFrom4([4]byte{10, 0, v >> 4, v & 15})
	case 3:
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: v})
	default:
		return netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: 10, 13: 0, 14: 0, 15: v & 15})
	}
}

func (b *fuzzBytes) coord() float64 {
	switch v := b.next(); v {
	case 255:
		return math.NaN()
	case 254:
		return math.Inf(1)
	default:
		return float64(int(v)-128) * 1.4
	}
}

var fuzzAlgorithms = []Algorithm{"", RoundRobin, ConsistentHash, Geo, Topology, PreferenceOrder, "bogus"}
var fuzzDownTypes = []DownResponseType{"", DownNone, DownAllRecords, DownFallbackIP, DownEmpty, "bogus"}

func fuzzService(b *fuzzBytes) *Service {
	flags := b.next()
	s := &Service{
		Name:          "fuzz",
		DomainNames:   []string{"a.example.com", string([]byte{'x', b.next() | 1, '.', 'c', 'o', 'm', '.'})},
		Enabled:       flags&1 != 0 || flags == 0,
		UseECS:        flags&2 != 0,
		WildcardMatch: flags&4 != 0,
		MinMembers:    uint32(b.next() % 6),
	}
	if flags&8 != 0 {
		s.TTL = u32(uint32(b.next()))
	}
	if flags&16 != 0 {
		s.NumIPs = u32(uint32(b.next() % 5))
	}
	s.Down.Type = fuzzDownTypes[int(b.next())%len(fuzzDownTypes)]
	s.Down.FallbackIP, s.Down.FallbackIP6 = b.addr(), b.addr()
	for range b.next() % 5 {
		p := Pool{
			Name:             string('p' + rune(b.next()%3)), // duplicate names on purpose
			Priority:         uint32(b.next() % 4),
			Enabled:          b.next()%4 != 0,
			Algorithm:        fuzzAlgorithms[int(b.next())%len(fuzzAlgorithms)],
			HashMask:         int(int8(b.next())),
			HashMask6:        int(int8(b.next())),
			Fallback:         fuzzAlgorithms[int(b.next())%len(fuzzAlgorithms)],
			FallbackHashMask: int(int8(b.next())),
		}
		for range b.next() % 6 {
			m := Member{
				ID:         string('m' + rune(b.next()%8)),
				IP:         b.addr(),
				Ratio:      uint32(b.next() % 22),
				Enabled:    b.next()%5 != 0,
				Preference: uint32(b.next() % 4),
			}
			if b.bit() {
				m.PublicIP = b.addr()
			}
			if b.bit() {
				m.Location = &Location{b.coord(), b.coord()}
			}
			p.Members = append(p.Members, m)
		}
		s.Pools = append(s.Pools, p)
	}
	return s
}

func FuzzAnswer(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x1f, 'a', 2, 60, 2, 2, 1, 10, 3, 10, 2, 0, 1, 3, 1, 1, 24, 64, 0, 0, 3, 0, 1, 5, 1, 3, 0, 1, 0})
	f.Add([]byte{0x13, 'b', 3, 0, 3, 1, 7, 3, 9, 4, 1, 2, 3, 3, 3, 0, 0, 0, 0, 5, 1, 1, 1, 2, 1, 1, 1, 1, 100, 120})
	f.Add([]byte{0x09, 'c', 0, 200, 1, 0, 0, 0, 0, 3, 0, 1, 1, 4, 0, 0, 1, 0, 4, 2, 1, 2, 3, 4, 1, 0, 0, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := fuzzBytes(data)
		s := fuzzService(&b)
		upMask := uint64(b.next()) | uint64(b.next())<<8
		up := func(s *Service, p, m int) bool { return upMask>>((p*6+m)%16)&1 == 1 }
		e := NewEngine(Options{Locate: func(a netip.Addr) (Location, bool) {
			if !a.Is4() {
				return Location{}, false
			}
			v := a.As4()
			return Location{float64(v[2]) - 90, float64(v[3]) - 128}, v[3]%3 != 0
		}})

		tab := NewTable([]*Service{s})
		for _, d := range s.DomainNames {
			if tab.Lookup(d) != s || (tab.Lookup("x."+d) == s) != s.WildcardMatch {
				t.Fatalf("Table lookup of %q (wildcard %v) failed", d, s.WildcardMatch)
			}
		}

		eligible := make(map[netip.Addr]bool)    // addresses of eligible members
		eligiblePub := make(map[netip.Addr]bool) // same for public clients
		members := make(map[netip.Addr]bool)
		for p, pool := range s.Pools {
			for m := range pool.Members {
				mb := &pool.Members[m]
				members[mb.answerAddr(false)], members[mb.answerAddr(true)] = true, true
				if pool.Enabled && pool.Priority > 0 && mb.Enabled && up(s, p, m) {
					eligible[mb.answerAddr(false)] = true
					eligiblePub[mb.answerAddr(true)] = true
				}
			}
		}
		wantTTL := uint32(DefaultTTL)
		if s.TTL != nil {
			wantTTL = *s.TTL
		}
		maxAddrs := 1 << 30
		if s.NumIPs == nil {
			maxAddrs = 1
		} else if *s.NumIPs > 0 {
			maxAddrs = int(*s.NumIPs)
		}

		for range 1 + b.next()%12 {
			q := Query{
				Name:   "a.example.com",
				Type:   []QType{QTypeA, QTypeAAAA, 15}[b.next()%3],
				Client: b.addr(),
				Public: b.bit(),
			}
			if b.bit() {
				q.ECS = netip.PrefixFrom(b.addr(), int(b.next()%129))
			}
			a := e.Answer(s, q, up)
			if a.TTL != wantTTL {
				t.Fatalf("TTL %d, want %d", a.TTL, wantTTL)
			}
			if !s.Enabled {
				if a.Action != ActionDrop || a.Down || len(a.Addrs) > 0 {
					t.Fatalf("disabled service answered %+v", a)
				}
				continue
			}
			if a.Action != ActionAnswer && len(a.Addrs) > 0 {
				t.Fatalf("action %v with addresses %v", a.Action, a.Addrs)
			}
			if a.Down == anyEligible(s, up) {
				t.Fatalf("Down = %v, but eligible members: %v", a.Down, !a.Down)
			}
			if !a.Down && a.Action != ActionAnswer {
				t.Fatalf("up service got action %v", a.Action)
			}
			if len(a.Addrs) > maxAddrs {
				t.Fatalf("%d addresses, NumIPs allows %d", len(a.Addrs), maxAddrs)
			}
			for i, addr := range a.Addrs {
				if !familyMatches(addr, q.Type) {
					t.Fatalf("address %v for query type %d", addr, q.Type)
				}
				if slices.Contains(a.Addrs[:i], addr) {
					t.Fatalf("duplicate address in %v", a.Addrs)
				}
				switch {
				case !a.Down && q.Public && !eligiblePub[addr], !a.Down && !q.Public && !eligible[addr]:
					t.Fatalf("up service answered %v, not an eligible member", addr)
				case a.Down && s.Down.Type == DownFallbackIP && addr != normAddr(s.Down.FallbackIP) && addr != normAddr(s.Down.FallbackIP6):
					t.Fatalf("fallback answered %v", addr)
				case a.Down && s.Down.Type == DownAllRecords && !members[addr]:
					t.Fatalf("all-records answered %v, not a member", addr)
				case a.Down && s.Down.Type != DownAllRecords && s.Down.Type != DownFallbackIP:
					t.Fatalf("down response %q answered %v", s.Down.Type, a.Addrs)
				}
			}
		}
	})
}

// anyEligible reports whether some member of s is eligible, independently of
// its address (a member without an address still keeps the service up).
func anyEligible(s *Service, up UpFunc) bool {
	for p, pool := range s.Pools {
		for m, mb := range pool.Members {
			if pool.Enabled && pool.Priority > 0 && mb.Enabled && up(s, p, m) {
				return true
			}
		}
	}
	return false
}
