// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"bytes"
	"cmp"
	"hash/maphash"
	"maps"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/gslb"
)

// A snapshot's names are persistent maps: a publication that changes a few
// services copies the few shards their names fall in and shares every other
// shard, with its prepared answers, with the snapshot before. Publishing one
// change among 10,000 services costs what the change touches, not a rebuild
// of every answer, and queries still read an immutable snapshot with no lock.

// nameShards is the number of shards of a name map: a change copies a shard,
// about n/256 entries (40 at 10,000 services, 400 at 100,000).
const nameShards = 256

// nameSeed hashes names to shards; set once, never changed.
var nameSeed = maphash.MakeSeed()

func shardOf(name string) int      { return int(maphash.String(nameSeed, name) % nameShards) }
func shardOfBytes(name []byte) int { return int(maphash.Bytes(nameSeed, name) % nameShards) }

// shardMap is an immutable map from names, split into shards.
type shardMap[V any] struct {
	shards *[nameShards]map[string]V // nil: empty
}

func (m shardMap[V]) get(name string) (V, bool) {
	if m.shards == nil {
		var zero V
		return zero, false
	}
	v, ok := m.shards[shardOf(name)][name]
	return v, ok
}

// getBytes is get for a name held as bytes, without allocating.
func (m shardMap[V]) getBytes(name []byte) (V, bool) {
	if m.shards == nil {
		var zero V
		return zero, false
	}
	v, ok := m.shards[shardOfBytes(name)][string(name)]
	return v, ok
}

// shardEdit makes a new shardMap from an old one, copying a shard the first
// time it is written to and sharing the others.
type shardEdit[V any] struct {
	out    *[nameShards]map[string]V
	copied [nameShards]bool
}

func (m shardMap[V]) edit() *shardEdit[V] {
	e := &shardEdit[V]{out: new([nameShards]map[string]V)}
	if m.shards != nil {
		*e.out = *m.shards
	}
	return e
}

func (e *shardEdit[V]) shard(i int) map[string]V {
	if !e.copied[i] {
		e.copied[i] = true
		if e.out[i] == nil {
			e.out[i] = map[string]V{}
		} else {
			e.out[i] = maps.Clone(e.out[i])
		}
	}
	return e.out[i]
}

func (e *shardEdit[V]) set(name string, v V) { e.shard(shardOf(name))[name] = v }

func (e *shardEdit[V]) del(name string) {
	i := shardOf(name)
	if _, ok := e.out[i][name]; ok {
		delete(e.shard(i), name)
	}
}

func (e *shardEdit[V]) done() shardMap[V] { return shardMap[V]{shards: e.out} }

// ServiceKey names a served service.
type ServiceKey struct{ Tenant, Name string }

func keyOf(s *gslb.Service) ServiceKey { return ServiceKey{s.Tenant, s.Name} }

func compareKeys(a, b ServiceKey) int {
	return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Name, b.Name))
}

// published is what the writers keep of the last snapshot, to make the next
// one from it: every service with its prepared answer and the names it
// claims, and who claims each name. Guarded by Server.pubMu.
type published struct {
	cfg      Config
	services map[ServiceKey]*servedSvc
	// Claimants of each name, sorted by key: the first answers it, so that
	// which service answers a name claimed twice does not depend on the
	// order of changes.
	exact, wild map[string][]ServiceKey
	// ents counts, per empty non-terminal, the names below it.
	ents map[string]int
}

// servedSvc is one service as published.
type servedSvc struct {
	prep  *gslb.Prepared
	names []string // canonical (lower case, no trailing dot), each once
	ents  []string // the empty non-terminals its names make, with repeats
}

// names are a snapshot's services by name.
type names struct {
	exact shardMap[*gslb.Prepared]
	// wild holds only the names of services with WildcardMatch: few, so
	// copied whole when one changes.
	wild map[string]*gslb.Prepared
	// ents are the empty non-terminals: names (fully qualified, lower case)
	// with served names below them and none of their own (RFC 8020).
	ents shardMap[struct{}]
}

// lookup returns the answer for name (canonical: lower case, no trailing
// dot): an exact match on any domain name first, else the service with
// WildcardMatch with the longest domain name the name falls under.
func (n *names) lookup(name string) *gslb.Prepared {
	if name == "" {
		return nil
	}
	if p, ok := n.exact.get(name); ok {
		return p
	}
	if len(n.wild) == 0 {
		return nil
	}
	for rest := name; ; {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
		if p, ok := n.wild[rest]; ok {
			return p
		}
	}
}

// lookupBytes is lookup without allocating: the hot path.
func (n *names) lookupBytes(name []byte) *gslb.Prepared {
	if len(name) == 0 {
		return nil
	}
	if p, ok := n.exact.getBytes(name); ok {
		return p
	}
	if len(n.wild) == 0 {
		return nil
	}
	for rest := name; ; {
		i := bytes.IndexByte(rest, '.')
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
		if p, ok := n.wild[string(rest)]; ok {
			return p
		}
	}
}

func (n *names) isENT(name string) bool {
	_, ok := n.ents.get(name)
	return ok
}

// namesOf are a service's names in canonical form, each once.
func namesOf(s *gslb.Service) []string {
	out := make([]string, 0, len(s.DomainNames))
	for _, d := range s.DomainNames {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// entsOf are the empty non-terminals s's names make in snap's zones: the
// names between each and its zone.
func entsOf(snap *snapshot, s *gslb.Service) []string {
	var out []string
	for _, d := range s.DomainNames {
		name := dns.CanonicalName(d)
		z := snap.zoneOf(name)
		if z == nil {
			continue
		}
		for n := name; ; {
			i := strings.IndexByte(n, '.')
			if i < 0 || i == len(n)-1 {
				break
			}
			n = n[i+1:]
			if len(n) <= len(z.name) {
				break
			}
			out = append(out, n)
		}
	}
	return out
}

// claim adds k to the sorted claimants.
func claim(list []ServiceKey, k ServiceKey) []ServiceKey {
	i, found := slices.BinarySearchFunc(list, k, compareKeys)
	if found {
		return list
	}
	return slices.Insert(list, i, k)
}

// unclaim removes k from the sorted claimants.
func unclaim(list []ServiceKey, k ServiceKey) []ServiceKey {
	i, found := slices.BinarySearchFunc(list, k, compareKeys)
	if !found {
		return list
	}
	return slices.Delete(list, i, i+1)
}

// apply makes next's names from prev's (nil: from nothing) and pub, which it
// updates: the services in set are (re)prepared with up and published, those
// in removed are withdrawn. Only the names of those services are touched.
func (s *Server) apply(pub *published, prev *names, next *snapshot, set []*gslb.Service, removed []ServiceKey, up gslb.UpFunc) {
	if prev == nil {
		prev = &names{}
	}
	exact, ents := prev.exact.edit(), prev.ents.edit()
	touched := map[string]bool{}     // exact names whose answer may change
	wildTouched := map[string]bool{} // wildcard names whose answer may change
	withdraw := func(k ServiceKey) {
		old := pub.services[k]
		if old == nil {
			return
		}
		for _, n := range old.names {
			pub.exact[n] = unclaim(pub.exact[n], k)
			touched[n] = true
			if old.prep.Service().WildcardMatch {
				pub.wild[n] = unclaim(pub.wild[n], k)
				wildTouched[n] = true
			}
		}
		for _, n := range old.ents {
			if pub.ents[n]--; pub.ents[n] <= 0 {
				delete(pub.ents, n)
				ents.del(n)
			}
		}
		delete(pub.services, k)
	}
	for _, k := range removed {
		withdraw(k)
	}
	for _, svc := range set {
		if svc == nil {
			continue
		}
		k := keyOf(svc)
		var prevPrep *gslb.Prepared
		if old := pub.services[k]; old != nil {
			prevPrep = old.prep
			withdraw(k)
		}
		sv := &servedSvc{prep: s.engine.Prepare(svc, up, pub.cfg.DefaultTTL, prevPrep), names: namesOf(svc), ents: entsOf(next, svc)}
		pub.services[k] = sv
		for _, n := range sv.names {
			pub.exact[n] = claim(pub.exact[n], k)
			touched[n] = true
			if svc.WildcardMatch {
				pub.wild[n] = claim(pub.wild[n], k)
				wildTouched[n] = true
			}
		}
		for _, n := range sv.ents {
			if pub.ents[n]++; pub.ents[n] == 1 {
				ents.set(n, struct{}{})
			}
		}
	}
	for n := range touched {
		if list := pub.exact[n]; len(list) > 0 {
			exact.set(n, pub.services[list[0]].prep)
		} else {
			delete(pub.exact, n)
			exact.del(n)
		}
	}
	wild := prev.wild
	if len(wildTouched) > 0 {
		wild = maps.Clone(prev.wild)
		if wild == nil {
			wild = map[string]*gslb.Prepared{}
		}
		for n := range wildTouched {
			if list := pub.wild[n]; len(list) > 0 {
				wild[n] = pub.services[list[0]].prep
			} else {
				delete(pub.wild, n)
				delete(wild, n)
			}
		}
	}
	next.names = names{exact: exact.done(), wild: wild, ents: ents.done()}
}
