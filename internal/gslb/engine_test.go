// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"fmt"
	"maps"
	"net/netip"
	"sync"
	"testing"
)

func TestRoundRobinWeightedCycle(t *testing.T) {
	tests := []struct {
		name   string
		alg    Algorithm
		ratios []uint32
		want   string // one full cycle, from a fresh engine
	}{
		{"equal", RoundRobin, []uint32{1, 1, 1}, "a,b,c"},
		{"1-2-3 smooth", RoundRobin, []uint32{1, 2, 3}, "c,b,a,c,b,c"},
		{"zero ratio is one", RoundRobin, []uint32{0, 1}, "a,b"},
		{"5-1 interleaved", RoundRobin, []uint32{5, 1}, "a,a,a,b,a,a"},
		{"empty algorithm", "", []uint32{1, 2}, "b,a,b"},
		{"topology", Topology, []uint32{2, 1}, "a,b,a"},
		{"unknown algorithm", "GSLB_ALGORITHM_NEW", []uint32{1, 1}, "a,b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ms []Member
			total := 0
			for i, r := range tt.ratios {
				ms = append(ms, mem(string(rune('a'+i)), fmt.Sprintf("10.0.0.%d", i+1), r))
				total += int(max(r, 1))
			}
			s := svc(pool("p", 10, tt.alg, ms...))
			e := NewEngine(Options{})
			if got := join(seq(t, e, s, qA("192.0.2.1"), nil, total)); got != tt.want {
				t.Errorf("first cycle = %s, want %s", got, tt.want)
			}
			// Every later cycle has exactly ratio answers per member.
			for cycle := range 3 {
				got := counts(seq(t, e, s, qA("192.0.2.1"), nil, total))
				for i, r := range tt.ratios {
					if id := string(rune('a' + i)); got[id] != int(max(r, 1)) {
						t.Errorf("cycle %d: %s answered %d times, want %d", cycle+2, id, got[id], max(r, 1))
					}
				}
			}
		})
	}
}

func TestRoundRobinRestartsWhenEligibleSetChanges(t *testing.T) {
	s := svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 1), mem("b", "10.0.0.2", 2), mem("c", "10.0.0.3", 3)))
	e := NewEngine(Options{})
	down := downIDs{}
	if got := join(seq(t, e, s, qA("192.0.2.1"), down.up, 2)); got != "c,b" {
		t.Fatalf("before failure: %s, want c,b", got)
	}
	// c goes down mid-cycle: a fresh cycle over {a:1, b:2} starts at once.
	down["c"] = true
	if got := join(seq(t, e, s, qA("192.0.2.1"), down.up, 3)); got != "b,a,b" {
		t.Errorf("after c down: %s, want b,a,b", got)
	}
	if got := join(seq(t, e, s, qA("192.0.2.1"), down.up, 1)); got != "b" {
		t.Errorf("second cycle starts with %s, want b", got)
	}
	// c comes back: the full cycle restarts from its beginning.
	delete(down, "c")
	if got := join(seq(t, e, s, qA("192.0.2.1"), down.up, 6)); got != "c,b,a,c,b,c" {
		t.Errorf("after c up: %s, want c,b,a,c,b,c", got)
	}
	// A disabled member changes the set the same way.
	s2 := svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 1), mem("b", "10.0.0.2", 2), mem("c", "10.0.0.3", 3)))
	s2.Pools[0].Members[1].Enabled = false
	if got := join(seq(t, e, s2, qA("192.0.2.1"), nil, 4)); got != "c,a,c,c" {
		t.Errorf("b disabled: %s, want c,a,c,c", got)
	}
}

func TestRoundRobinFamiliesKeepSeparateCycles(t *testing.T) {
	s := svc(pool("p", 10, RoundRobin,
		mem("a", "10.0.0.1", 1), mem("b", "10.0.0.2", 1),
		mem("c", "2001:db8::1", 1), mem("d", "2001:db8::2", 1)))
	e := NewEngine(Options{})
	var v4, v6 []string
	for range 4 {
		v4 = append(v4, one(t, e, s, qA("192.0.2.1"), nil))
		v6 = append(v6, one(t, e, s, qAAAA("2001:db8:ffff::1"), nil))
	}
	if got := join(v4); got != "a,b,a,b" {
		t.Errorf("A answers %s, want a,b,a,b", got)
	}
	if got := join(v6); got != "c,d,c,d" {
		t.Errorf("AAAA answers %s, want c,d,c,d", got)
	}
}

func TestEngineReset(t *testing.T) {
	s := svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 1), mem("b", "10.0.0.2", 1), mem("c", "10.0.0.3", 1)))
	e := NewEngine(Options{})
	seq(t, e, s, qA("192.0.2.1"), nil, 2)
	e.Reset("other")
	if got := one(t, e, s, qA("192.0.2.1"), nil); got != "c" {
		t.Errorf("after resetting another service: %s, want c", got)
	}
	e.Reset(s.Name)
	if got := one(t, e, s, qA("192.0.2.1"), nil); got != "a" {
		t.Errorf("after Reset: %s, want a", got)
	}
}

func TestPriorityFailover(t *testing.T) {
	build := func() *Service {
		return svc(
			pool("low", 5, RoundRobin, mem("b", "10.0.0.2", 1)),
			pool("high", 10, RoundRobin, mem("a", "10.0.0.1", 1)),
			pool("zero", 0, RoundRobin, mem("z", "10.0.0.9", 1)),
		)
	}
	tests := []struct {
		name   string
		edit   func(*Service)
		down   downIDs
		want   string // member ID, or "drop"
		isDown bool
	}{
		{name: "highest priority wins", want: "a"},
		{name: "highest down", down: downIDs{"a": true}, want: "b"},
		{name: "priority 0 never chosen", down: downIDs{"a": true, "b": true}, want: "drop", isDown: true},
		{name: "disabled pool skipped", edit: func(s *Service) { s.Pools[1].Enabled = false }, want: "b"},
		{name: "disabled member skipped", edit: func(s *Service) { s.Pools[1].Members[0].Enabled = false }, want: "b"},
		{name: "all disabled", edit: func(s *Service) { s.Pools[0].Enabled = false; s.Pools[1].Enabled = false }, want: "drop", isDown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build()
			if tt.edit != nil {
				tt.edit(s)
			}
			a := NewEngine(Options{}).Answer(s, qA("192.0.2.1"), tt.down.up)
			got := "drop"
			if a.Action == ActionAnswer {
				got = join(ids(t, s, a))
			}
			if got != tt.want || a.Down != tt.isDown {
				t.Errorf("got %s (Down=%v), want %s (Down=%v)", got, a.Down, tt.want, tt.isDown)
			}
		})
	}
}

func TestEqualPriorityPoolsAlternate(t *testing.T) {
	s := svc(
		pool("p1", 10, RoundRobin, mem("a", "10.0.0.1", 1)),
		pool("p2", 10, RoundRobin, mem("b", "10.0.0.2", 1), mem("c", "10.0.0.3", 1)),
		pool("p3", 5, RoundRobin, mem("d", "10.0.0.4", 1)),
	)
	e := NewEngine(Options{})
	// Pools alternate; within p2 its own round robin advances when chosen.
	if got := join(seq(t, e, s, qA("192.0.2.1"), nil, 6)); got != "a,b,a,c,a,b" {
		t.Errorf("got %s, want a,b,a,c,a,b", got)
	}
	// With p1 down only p2 is left at the top level.
	down := downIDs{"a": true}
	if got := counts(seq(t, e, s, qA("192.0.2.1"), down.up, 4)); got["b"] != 2 || got["c"] != 2 {
		t.Errorf("p1 down: counts %v, want b:2 c:2", got)
	}
}

func TestMinMembers(t *testing.T) {
	build := func(min uint32) *Service {
		s := svc(
			pool("p10", 10, RoundRobin, mem("a", "10.0.0.1", 1)),
			pool("p5", 5, RoundRobin, mem("b", "10.0.0.2", 1), mem("c", "10.0.0.3", 1)),
			pool("p1", 1, RoundRobin, mem("d", "10.0.0.4", 1)),
		)
		s.MinMembers = min
		s.NumIPs = u32(0)
		return s
	}
	tests := []struct {
		min  uint32
		down downIDs
		want string // sorted member IDs
	}{
		{min: 0, want: "a"},
		{min: 1, want: "a"},
		{min: 2, want: "a,b"},
		{min: 3, want: "a,b,c"},
		{min: 9, want: "a,b,c,d"},
		{min: 2, down: downIDs{"a": true}, want: "b,c"},
		{min: 3, down: downIDs{"a": true}, want: "b,c,d"},
		{min: 3, down: downIDs{"b": true}, want: "a,c,d"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("min=%d/down=%v", tt.min, tt.down), func(t *testing.T) {
			s := build(tt.min)
			a := NewEngine(Options{}).Answer(s, qA("192.0.2.1"), tt.down.up)
			if got := sortedJoin(ids(t, s, a)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	// Single answers rotate over the topped-up set with exact counts.
	s := build(3)
	s.NumIPs = nil
	got := counts(seq(t, NewEngine(Options{}), s, qA("192.0.2.1"), nil, 6))
	if want := map[string]int{"a": 2, "b": 2, "c": 2}; !maps.Equal(got, want) {
		t.Errorf("rotation counts %v, want %v", got, want)
	}
}

func TestConsistentHash(t *testing.T) {
	build := func() *Service {
		p := pool("p", 10, ConsistentHash,
			mem("m1", "10.0.0.1", 1), mem("m2", "10.0.0.2", 1), mem("m3", "10.0.0.3", 1), mem("m4", "10.0.0.4", 1),
			mem("v6a", "2001:db8::a", 1), mem("v6b", "2001:db8::b", 1))
		p.HashMask = 24
		p.HashMask6 = 64
		return svc(p)
	}
	s := build()
	e := NewEngine(Options{})
	before := make(map[int]string)
	perMember := make(map[string]int)
	for i := range 256 {
		got := one(t, e, s, qA(fmt.Sprintf("198.%d.%d.7", i%7, i)), nil)
		before[i] = got
		perMember[got]++
		// Same /24, same member, however often asked.
		if again := one(t, e, s, qA(fmt.Sprintf("198.%d.%d.250", i%7, i)), nil); again != got {
			t.Fatalf("client %d: same /24 got %s then %s", i, got, again)
		}
	}
	for _, id := range []string{"m1", "m2", "m3", "m4"} {
		if perMember[id] < 32 {
			t.Errorf("member %s got %d of 256 clients; hashing is badly skewed: %v", id, perMember[id], perMember)
		}
	}
	down := downIDs{"m2": true}
	moved := 0
	for i := range 256 {
		got := one(t, e, s, qA(fmt.Sprintf("198.%d.%d.7", i%7, i)), down.up)
		switch {
		case before[i] == "m2":
			moved++
			if got == "m2" {
				t.Errorf("client %d still on down member", i)
			}
		case got != before[i]:
			t.Errorf("client %d moved from %s to %s although %s is up", i, before[i], got, before[i])
		}
	}
	if moved != perMember["m2"] {
		t.Errorf("moved %d clients, want %d", moved, perMember["m2"])
	}

	// IPv6: the /64 decides.
	a := one(t, e, s, qAAAA("2001:db8:1:2::1"), nil)
	if b := one(t, e, s, qAAAA("2001:db8:1:2:ffff::9"), nil); a != b || (a != "v6a" && a != "v6b") {
		t.Errorf("same /64 answered %s and %s", a, b)
	}
	// IPv4-mapped sources hash like the IPv4 address.
	if got := one(t, e, s, qA("::ffff:198.0.0.7"), nil); got != before[0] {
		t.Errorf("mapped client got %s, want %s", got, before[0])
	}
}

func TestConsistentHashWeighted(t *testing.T) {
	s := svc(pool("p", 10, ConsistentHash, mem("heavy", "10.0.0.1", 3), mem("light", "10.0.0.2", 1)))
	e := NewEngine(Options{})
	n := make(map[string]int)
	for i := range 1024 {
		n[one(t, e, s, qA(fmt.Sprintf("203.0.%d.%d", i/256, i%256)), nil)]++
	}
	// Expected 768 of 1024; allow a generous margin for the hash.
	if n["heavy"] < 700 || n["heavy"] > 836 {
		t.Errorf("ratio 3:1 gave %v", n)
	}
}

func TestConsistentHashECS(t *testing.T) {
	build := func(useECS bool) *Service {
		p := pool("p", 10, ConsistentHash)
		for i := range 8 {
			p.Members = append(p.Members, mem(fmt.Sprintf("m%d", i), fmt.Sprintf("10.0.0.%d", i+1), 1))
		}
		s := svc(p)
		s.UseECS = useECS
		return s
	}
	e := NewEngine(Options{})
	withECS, withoutECS := build(true), build(false)
	differ := 0
	for i := range 64 {
		ecs := netip.MustParsePrefix(fmt.Sprintf("100.64.%d.0/24", i))
		q := qA("192.0.2.53") // the resolver: same for every query
		q.ECS = ecs
		viaECS := one(t, e, withECS, q, nil)
		if direct := one(t, e, withECS, qA(ecs.Addr().String()), nil); viaECS != direct {
			t.Errorf("ECS %v answered %s, client %v answers %s", ecs, viaECS, ecs.Addr(), direct)
		}
		if ignored, resolver := one(t, e, withoutECS, q, nil), one(t, e, withoutECS, qA("192.0.2.53"), nil); ignored != resolver {
			t.Errorf("UseECS=false: ECS changed the answer (%s vs %s)", ignored, resolver)
		}
		if viaECS != one(t, e, withECS, qA("192.0.2.53"), nil) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("ECS never changed the answer; it is not being used")
	}
}

var (
	paris  = Location{48.8566, 2.3522}
	newYrk = Location{40.7128, -74.0060}
	tokyo  = Location{35.6762, 139.6503}
	london = Location{51.5074, -0.1278}
	boston = Location{42.3601, -71.0589}
	osaka  = Location{34.6937, 135.5023}
)

func locator(m map[string]Location) func(netip.Addr) (Location, bool) {
	return func(a netip.Addr) (Location, bool) {
		l, ok := m[a.String()]
		return l, ok
	}
}

func TestGeo(t *testing.T) {
	opts := Options{Locate: locator(map[string]Location{
		"192.0.2.1": london, "192.0.2.2": boston, "192.0.2.3": osaka, "100.64.0.1": tokyo,
	})}
	at := func(id, addr string, l *Location) Member {
		m := mem(id, addr, 1)
		m.Location = l
		return m
	}
	build := func() *Service {
		p := pool("geo", 10, Geo,
			at("par", "10.0.0.1", &paris), at("nyc", "10.0.0.2", &newYrk), at("tyo", "10.0.0.3", &tokyo),
			at("nowhere", "10.0.0.4", nil))
		return svc(p)
	}

	tests := []struct {
		name   string
		client string
		down   downIDs
		want   string
	}{
		{"london to paris", "192.0.2.1", nil, "par"},
		{"boston to new york", "192.0.2.2", nil, "nyc"},
		{"osaka to tokyo", "192.0.2.3", nil, "tyo"},
		{"nearest down, next nearest", "192.0.2.1", downIDs{"par": true}, "nyc"},
		{"only unlocated left", "192.0.2.1", downIDs{"par": true, "nyc": true, "tyo": true}, "nowhere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := one(t, NewEngine(opts), build(), qA(tt.client), tt.down.up); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}

	t.Run("unknown client falls back to round robin", func(t *testing.T) {
		if got := join(seq(t, NewEngine(opts), build(), qA("198.51.100.1"), nil, 4)); got != "par,nyc,tyo,nowhere" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("no locator falls back", func(t *testing.T) {
		if got := join(seq(t, NewEngine(Options{}), build(), qA("192.0.2.1"), nil, 2)); got != "par,nyc" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("no member located falls back", func(t *testing.T) {
		s := svc(pool("geo", 10, Geo, mem("a", "10.0.0.1", 1), mem("b", "10.0.0.2", 1)))
		if got := join(seq(t, NewEngine(opts), s, qA("192.0.2.1"), nil, 4)); got != "a,b,a,b" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("tie falls back among the nearest", func(t *testing.T) {
		s := svc(pool("geo", 10, Geo,
			at("par1", "10.0.0.1", &paris), at("tyo", "10.0.0.3", &tokyo), at("par2", "10.0.0.2", &paris)))
		if got := join(seq(t, NewEngine(opts), s, qA("192.0.2.1"), nil, 4)); got != "par1,par2,par1,par2" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("consistent hash fallback", func(t *testing.T) {
		s := build()
		s.Pools[0].Fallback = ConsistentHash
		s.Pools[0].FallbackHashMask = 16
		e := NewEngine(opts)
		first := one(t, e, s, qA("198.51.100.1"), nil)
		for i := range 20 {
			if got := one(t, e, s, qA(fmt.Sprintf("198.51.%d.1", 100+i%2)), nil); got != first {
				t.Fatalf("same /16 moved from %s to %s", first, got)
			}
		}
	})
	t.Run("ECS locates the client", func(t *testing.T) {
		s := build()
		s.UseECS = true
		q := qA("192.0.2.1") // a London resolver for a Tokyo client
		q.ECS = netip.MustParsePrefix("100.64.0.1/32")
		if got := one(t, NewEngine(opts), s, q, nil); got != "tyo" {
			t.Errorf("got %s, want tyo", got)
		}
	})
	t.Run("NumIPs orders by distance", func(t *testing.T) {
		s := build()
		s.NumIPs = u32(0)
		if got := join(ids(t, s, NewEngine(opts).Answer(s, qA("192.0.2.1"), nil))); got != "par,nyc,tyo,nowhere" {
			t.Errorf("got %s", got)
		}
	})
}

func TestPreferenceOrder(t *testing.T) {
	pref := func(id, addr string, p uint32) Member {
		m := mem(id, addr, 1)
		m.Preference = p
		return m
	}
	build := func() *Service {
		return svc(pool("p", 10, PreferenceOrder,
			pref("third", "10.0.0.3", 3), pref("first", "10.0.0.1", 1), pref("second", "10.0.0.2", 2)))
	}
	tests := []struct {
		name string
		down downIDs
		want string
	}{
		{"lowest wins", nil, "first"},
		{"lowest down", downIDs{"first": true}, "second"},
		{"only last left", downIDs{"first": true, "second": true}, "third"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEngine(Options{})
			for range 3 { // no rotation
				if got := one(t, e, build(), qA("192.0.2.1"), tt.down.up); got != tt.want {
					t.Fatalf("got %s, want %s", got, tt.want)
				}
			}
		})
	}
	t.Run("ties keep order, 0 is 1", func(t *testing.T) {
		s := svc(pool("p", 10, PreferenceOrder, pref("x", "10.0.0.1", 2), pref("y", "10.0.0.2", 1), pref("z", "10.0.0.3", 0)))
		if got := one(t, NewEngine(Options{}), s, qA("192.0.2.1"), nil); got != "y" {
			t.Errorf("got %s, want y", got)
		}
		s.NumIPs = u32(0)
		if got := join(ids(t, s, NewEngine(Options{}).Answer(s, qA("192.0.2.1"), nil))); got != "y,z,x" {
			t.Errorf("all: got %s, want y,z,x", got)
		}
	})
}

func TestDownResponses(t *testing.T) {
	build := func(typ DownResponseType) *Service {
		dis := mem("disabled", "10.0.0.8", 1)
		dis.Enabled = false
		disPool := pool("dis", 20, RoundRobin, mem("inDisabledPool", "10.0.0.7", 1))
		disPool.Enabled = false
		s := svc(
			pool("low", 5, RoundRobin, mem("b", "10.0.0.2", 1), mem("b6", "2001:db8::2", 1)),
			pool("high", 10, RoundRobin, mem("a", "10.0.0.1", 1), dis),
			pool("zero", 0, RoundRobin, mem("z", "10.0.0.9", 1)),
			disPool,
		)
		s.TTL = u32(60)
		s.Down = DownResponse{Type: typ, FallbackIP: ip("192.0.2.100"), FallbackIP6: ip("2001:db8::100")}
		return s
	}
	allDown := func(*Service, int, int) bool { return false }
	tests := []struct {
		name   string
		typ    DownResponseType
		numIPs *uint32
		edit   func(*Service)
		q      Query
		action Action
		want   string
	}{
		{name: "unset drops", typ: "", q: qA("192.0.2.1"), action: ActionDrop},
		{name: "none drops", typ: DownNone, q: qA("192.0.2.1"), action: ActionDrop},
		{name: "unknown drops", typ: "GSLB_SERVICE_DOWN_RESPONSE_CNAME", q: qA("192.0.2.1"), action: ActionDrop},
		{name: "all records, one", typ: DownAllRecords, q: qA("192.0.2.1"), action: ActionAnswer, want: "a"},
		{name: "all records, all", typ: DownAllRecords, numIPs: u32(0), q: qA("192.0.2.1"), action: ActionAnswer, want: "a,b"},
		{name: "all records, AAAA", typ: DownAllRecords, numIPs: u32(0), q: qAAAA("2001:db8:ffff::1"), action: ActionAnswer, want: "b6"},
		{name: "fallback A", typ: DownFallbackIP, q: qA("192.0.2.1"), action: ActionAnswer, want: "192.0.2.100"},
		{name: "fallback AAAA", typ: DownFallbackIP, q: qAAAA("2001:db8:ffff::1"), action: ActionAnswer, want: "2001:db8::100"},
		{name: "fallback unset", typ: DownFallbackIP, edit: func(s *Service) { s.Down.FallbackIP6 = netip.Addr{} },
			q: qAAAA("2001:db8:ffff::1"), action: ActionAnswer},
		{name: "fallback wrong family", typ: DownFallbackIP, edit: func(s *Service) { s.Down.FallbackIP = ip("2001:db8::1") },
			q: qA("192.0.2.1"), action: ActionAnswer},
		{name: "empty", typ: DownEmpty, q: qA("192.0.2.1"), action: ActionNoData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build(tt.typ)
			s.NumIPs = tt.numIPs
			if tt.edit != nil {
				tt.edit(s)
			}
			a := NewEngine(Options{}).Answer(s, tt.q, allDown)
			if a.Action != tt.action || !a.Down || a.TTL != 60 {
				t.Errorf("got action %v Down %v TTL %d, want %v true 60", a.Action, a.Down, a.TTL, tt.action)
			}
			if got := join(ids(t, s, a)); got != tt.want {
				t.Errorf("addresses %s, want %q", got, tt.want)
			}
		})
	}
}

func TestNumIPs(t *testing.T) {
	build := func(n *uint32) *Service {
		s := svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 1), mem("b", "10.0.0.2", 1), mem("c", "10.0.0.3", 1),
			mem("v6", "2001:db8::1", 1)))
		s.NumIPs = n
		return s
	}
	tests := []struct {
		name string
		n    *uint32
		want []string // successive answers
	}{
		{"nil is one", nil, []string{"a", "b", "c"}},
		{"zero is all", u32(0), []string{"a,b,c", "b,c,a", "c,a,b"}},
		{"two continue the sequence", u32(2), []string{"a,b", "b,c", "c,a"}},
		{"more than available", u32(9), []string{"a,b,c", "b,c,a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e := build(tt.n), NewEngine(Options{})
			for i, want := range tt.want {
				if got := join(ids(t, s, e.Answer(s, qA("192.0.2.1"), nil))); got != want {
					t.Errorf("answer %d = %s, want %s", i, got, want)
				}
			}
		})
	}
	t.Run("weighted sequence skips repeats", func(t *testing.T) {
		s := svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 1), mem("b", "10.0.0.2", 2), mem("c", "10.0.0.3", 3)))
		s.NumIPs = u32(2)
		// Sequence c,b,a,c,b,c: each answer starts one step further.
		want := []string{"c,b", "b,a", "a,c", "c,b", "b,c", "c,b"}
		e := NewEngine(Options{})
		for i, w := range want {
			if got := join(ids(t, s, e.Answer(s, qA("192.0.2.1"), nil))); got != w {
				t.Errorf("answer %d = %s, want %s", i, got, w)
			}
		}
	})
	t.Run("shared address answered once", func(t *testing.T) {
		s := svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 1), mem("a2", "10.0.0.1", 1), mem("b", "10.0.0.2", 1)))
		s.NumIPs = u32(2)
		a := NewEngine(Options{}).Answer(s, qA("192.0.2.1"), nil)
		if len(a.Addrs) != 2 || a.Addrs[0] == a.Addrs[1] {
			t.Errorf("got %v, want two distinct addresses", a.Addrs)
		}
	})
}

func TestAddressFamily(t *testing.T) {
	mixed := svc(pool("p", 10, RoundRobin, mem("v4", "10.0.0.1", 1), mem("v6", "2001:db8::1", 1)))
	v4only := svc(pool("p", 10, RoundRobin, mem("v4", "10.0.0.1", 1)))
	tests := []struct {
		name string
		s    *Service
		q    Query
		want string
	}{
		{"A on mixed", mixed, qA("192.0.2.1"), "v4"},
		{"AAAA on mixed", mixed, qAAAA("2001:db8:ffff::1"), "v6"},
		{"AAAA on v4 only is NODATA", v4only, qAAAA("2001:db8:ffff::1"), ""},
		{"other type is NODATA", mixed, Query{Name: "app.example.com", Type: 15, Client: ip("192.0.2.1")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEngine(Options{})
			for range 3 {
				a := e.Answer(tt.s, tt.q, nil)
				if a.Action != ActionAnswer || a.Down {
					t.Fatalf("got %+v, want an answer of a service that is up", a)
				}
				if got := join(ids(t, tt.s, a)); got != tt.want {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestPublicIP(t *testing.T) {
	nat := mem("nat", "10.0.0.1", 1)
	nat.PublicIP = ip("203.0.113.1")
	to6 := mem("to6", "10.0.0.2", 1)
	to6.PublicIP = ip("2001:db8::2")
	tests := []struct {
		name   string
		m      Member
		qtype  QType
		public bool
		want   string
	}{
		{"private client gets ip", nat, QTypeA, false, "10.0.0.1"},
		{"public client gets public ip", nat, QTypeA, true, "203.0.113.1"},
		{"no public ip, public client gets ip", mem("plain", "10.0.0.3", 1), QTypeA, true, "10.0.0.3"},
		{"family of the answered address: AAAA", to6, QTypeAAAA, true, "2001:db8::2"},
		{"family of the answered address: A", to6, QTypeA, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := svc(pool("p", 10, RoundRobin, tt.m))
			a := NewEngine(Options{}).Answer(s, Query{Type: tt.qtype, Client: ip("198.51.100.1"), Public: tt.public}, nil)
			got := ""
			if len(a.Addrs) > 0 {
				got = a.Addrs[0].String()
			}
			if a.Action != ActionAnswer || got != tt.want {
				t.Errorf("got %v %q, want %q", a.Action, got, tt.want)
			}
		})
	}
}

func TestTTLAndDisabledService(t *testing.T) {
	tests := []struct {
		name    string
		ttl     *uint32
		enabled bool
		up      UpFunc
		action  Action
		wantTTL uint32
	}{
		{"default 30", nil, true, nil, ActionAnswer, 30},
		{"explicit 0", u32(0), true, nil, ActionAnswer, 0},
		{"explicit 300", u32(300), true, nil, ActionAnswer, 300},
		{"disabled drops", u32(5), false, nil, ActionDrop, 5},
		{"disabled default TTL", nil, false, nil, ActionDrop, 30},
		{"down keeps TTL", u32(7), true, func(*Service, int, int) bool { return false }, ActionNoData, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 1)))
			s.TTL, s.Enabled, s.Down.Type = tt.ttl, tt.enabled, DownEmpty
			a := NewEngine(Options{}).Answer(s, qA("192.0.2.1"), tt.up)
			if a.Action != tt.action || a.TTL != tt.wantTTL {
				t.Errorf("got %v TTL %d, want %v TTL %d", a.Action, a.TTL, tt.action, tt.wantTTL)
			}
			if !tt.enabled && (a.Down || len(a.Addrs) > 0) {
				t.Errorf("disabled service answered %+v", a)
			}
		})
	}
	if a := NewEngine(Options{}).Answer(nil, qA("192.0.2.1"), nil); a.Action != ActionDrop {
		t.Errorf("nil service: %+v, want drop", a)
	}
}

// TestConcurrentRoundRobin checks, under -race, that concurrent queries each
// advance the cycle exactly once: whole cycles keep exact counts.
func TestConcurrentRoundRobin(t *testing.T) {
	s := svc(pool("p", 10, RoundRobin, mem("a", "10.0.0.1", 1), mem("b", "10.0.0.2", 2), mem("c", "10.0.0.3", 3)))
	e := NewEngine(Options{})
	const workers, each = 8, 36 // 288 queries: 48 cycles of 6
	var mu sync.Mutex
	total := make(map[string]int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			local := make(map[string]int)
			for range each {
				for _, id := range ids(t, s, e.Answer(s, qA("192.0.2.1"), nil)) {
					local[id]++
				}
				e.Answer(s, qAAAA("2001:db8:ffff::1"), nil) // NODATA: must not disturb the cycle
			}
			mu.Lock()
			for k, v := range local {
				total[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Go(func() {
		for range 50 {
			e.Reset("unrelated")
		}
	})
	wg.Wait()
	if want := map[string]int{"a": 48, "b": 96, "c": 144}; !maps.Equal(total, want) {
		t.Errorf("counts %v, want %v", total, want)
	}
}
