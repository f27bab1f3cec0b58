// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/gslb"
)

// A snapshot made by Change from the one before answers every name as one
// made from scratch: the service gslb.NewTable picks (services sorted by
// tenant and name), the same prepared answer, the same empty non-terminals.
// Random services claim colliding names, wildcards, names below other
// names, in two zones, changed, replaced and removed at random.
func TestChangeEqualsUpdate(t *testing.T) {
	cfg := Config{Zones: []Zone{{Name: "example.com"}, {Name: "sub.example.com"}}}
	labels := []string{"a", "b", "c", "x.a", "y.b", "z.x.a", "sub", "q.sub"}
	domains := func(r *rand.Rand) []string {
		var out []string
		for range 1 + r.IntN(3) {
			d := labels[r.IntN(len(labels))] + ".example.com"
			if r.IntN(4) == 0 {
				d = strings.ToUpper(d) + "."
			}
			out = append(out, d)
		}
		return out
	}
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 7))
		incr, scratch := New(), New()
		current := map[ServiceKey]*gslb.Service{}
		incr.Update(cfg, nil, nil)
		for step := range 60 {
			var set []*gslb.Service
			var removed []ServiceKey
			touched := map[ServiceKey]bool{} // once a change, as the provider gives them
			for range 1 + r.IntN(4) {
				k := ServiceKey{[]string{"admin", "t2"}[r.IntN(2)], fmt.Sprintf("s%d", r.IntN(12))}
				if touched[k] {
					continue
				}
				touched[k] = true
				if _, ok := current[k]; ok && r.IntN(3) == 0 {
					delete(current, k)
					removed = append(removed, k)
					continue
				}
				svc := &gslb.Service{Tenant: k.Tenant, Name: k.Name, Enabled: true, DomainNames: domains(r),
					WildcardMatch: r.IntN(3) == 0,
					Pools: []gslb.Pool{{Name: "p", Enabled: true, Algorithm: gslb.RoundRobin,
						Members: []gslb.Member{{IP: netip.AddrFrom4([4]byte{10, 0, byte(step), byte(r.IntN(250))}), Enabled: true, Ratio: 1}}}}}
				current[k] = svc
				set = append(set, svc)
			}
			incr.Change(set, removed, nil)
			all := make([]*gslb.Service, 0, len(current))
			for _, s := range current {
				all = append(all, s)
			}
			slices.SortFunc(all, func(a, b *gslb.Service) int {
				return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Name, b.Name))
			})
			scratch.Update(cfg, all, nil)
			table := gslb.NewTable(all)
			ents := map[string]bool{}
			ref := &snapshot{zones: scratch.snap.Load().zones}
			for _, s := range all {
				for _, n := range entsOf(ref, s) {
					ents[n] = true
				}
			}
			a, b := incr.snap.Load(), scratch.snap.Load()
			for _, l := range append(labels, "nope", "w.a", "w.x.a", "deep.z.x.a", "m.sub", "q.sub.sub") {
				name := l + ".example.com"
				want := table.Lookup(name)
				pa, pb := a.names.lookup(name), b.names.lookup(name)
				pw := a.names.lookupBytes([]byte(name))
				if svcOf(pa) != want || svcOf(pb) != want || pw != pa {
					t.Fatalf("seed %d step %d: %s answered by %v (bytes %v), from scratch %v, want %v",
						seed, step, name, svcOf(pa), svcOf(pw), svcOf(pb), want)
				}
				fq := dns.CanonicalName(name)
				if a.names.isENT(fq) != ents[fq] || b.names.isENT(fq) != ents[fq] {
					t.Fatalf("seed %d step %d: %s empty non-terminal %v, from scratch %v, want %v",
						seed, step, name, a.names.isENT(fq), b.names.isENT(fq), ents[fq])
				}
			}
			n := 0
			incr.eachPrepared(func(p *gslb.Prepared) {
				n++
				if current[keyOf(p.Service())] != p.Service() {
					t.Fatalf("seed %d step %d: %s/%s published as an old version", seed, step, p.Service().Tenant, p.Service().Name)
				}
			})
			if n != len(current) {
				t.Fatalf("seed %d step %d: %d services published, want %d", seed, step, n, len(current))
			}
		}
	}
}

func svcOf(p *gslb.Prepared) *gslb.Service {
	if p == nil {
		return nil
	}
	return p.Service()
}

// A change shares every shard it does not touch with the snapshot before,
// and the prepared answers of the services it does not change.
func TestChangeSharesTheRest(t *testing.T) {
	s := New()
	var all []*gslb.Service
	for i := range 2000 {
		all = append(all, service(fmt.Sprintf("app-%d.example.com", i), map[string]uint32{"10.0.0.1": 1}))
		all[i].Name, all[i].DomainNames = fmt.Sprintf("app-%d", i), all[i].DomainNames[:1]
	}
	s.Update(Config{Zones: []Zone{{Name: "example.com"}}}, all, nil)
	before := s.snap.Load()
	changed := service("app-7.example.com", map[string]uint32{"10.0.0.2": 1})
	changed.Name, changed.DomainNames = "app-7", changed.DomainNames[:1]
	s.Change([]*gslb.Service{changed}, nil, nil)
	after := s.snap.Load()
	copied := 0
	for i := range nameShards {
		if fmt.Sprintf("%p", before.names.exact.shards[i]) != fmt.Sprintf("%p", after.names.exact.shards[i]) {
			copied++
		}
	}
	if copied != 1 {
		t.Errorf("%d shards copied for one changed name, want 1", copied)
	}
	if svcOf(after.names.lookup("app-7.example.com")) != changed {
		t.Error("the change is not served")
	}
	if before.names.lookup("app-8.example.com") != after.names.lookup("app-8.example.com") {
		t.Error("an unchanged service was prepared again")
	}
	if svcOf(before.names.lookup("app-7.example.com")) != all[7] {
		t.Error("the snapshot before changed")
	}
}

// BenchmarkNameLookup compares the query path's name lookup in the sharded
// index with one in a single map (gslb.Table, what a snapshot held before),
// over 10,000 services, names asked in turn.
func BenchmarkNameLookup(b *testing.B) {
	var all []*gslb.Service
	for i := range 10000 {
		name := fmt.Sprintf("app-%d.gslb.example.com", i)
		all = append(all, &gslb.Service{Name: name, DomainNames: []string{name}, Enabled: true})
	}
	s := New()
	s.Update(Config{Zones: []Zone{{Name: "gslb.example.com"}}}, all, nil)
	names := &s.snap.Load().names
	table := gslb.NewTable(all)
	queries := make([][]byte, 1024)
	for i := range queries {
		queries[i] = []byte(fmt.Sprintf("app-%d.gslb.example.com", i*7919%10000))
	}
	b.Run("sharded", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if names.lookupBytes(queries[i%len(queries)]) == nil {
				b.Fatal("not found")
			}
			i++
		}
	})
	b.Run("table", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if table.IndexBytes(queries[i%len(queries)]) < 0 {
				b.Fatal("not found")
			}
			i++
		}
	})
}

// BenchmarkPublishOneChange measures publishing one changed service among
// 10,000: by Change (what the provider's Apply does now) and by Update with
// every service (what it did before).
func BenchmarkPublishOneChange(b *testing.B) {
	var all []*gslb.Service
	for i := range 10000 {
		name := fmt.Sprintf("app-%05d.gslb.example.com", i)
		all = append(all, service(name, map[string]uint32{"10.0.0.1": 1}))
		all[i].Name, all[i].DomainNames = name, all[i].DomainNames[:1]
	}
	cfg := Config{Zones: []Zone{{Name: "gslb.example.com"}}}
	changed := func(k int) *gslb.Service {
		c := *all[k%len(all)]
		c.Pools = []gslb.Pool{{Name: "p", Enabled: true, Members: []gslb.Member{{IP: netip.AddrFrom4([4]byte{10, 9, byte(k >> 8), byte(k)}), Enabled: true}}}}
		return &c
	}
	b.Run("change", func(b *testing.B) {
		s := New()
		s.Update(cfg, all, nil)
		k := 0
		for b.Loop() {
			s.Change([]*gslb.Service{changed(k)}, nil, nil)
			k++
		}
	})
	b.Run("update-all", func(b *testing.B) {
		s := New()
		cur := slices.Clone(all)
		s.Update(cfg, cur, nil)
		k := 0
		for b.Loop() {
			cur[k%len(cur)] = changed(k)
			s.Update(cfg, cur, nil)
			k++
		}
	})
}
