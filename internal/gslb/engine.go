// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// QType is a DNS query type.
type QType uint16

// Query types with address answers; every other type gets no addresses.
const (
	QTypeA    QType = 1
	QTypeAAAA QType = 28
)

// Query is one DNS question as seen by the answering DNS service.
type Query struct {
	Name   string
	Type   QType
	Client netip.Addr   // the packet's source address
	ECS    netip.Prefix // EDNS client subnet; zero value if absent
	Public bool         // the client is public: answer members' PublicIP where set
}

// Action is what the DNS server does with a query.
type Action int

// Actions.
const (
	ActionAnswer Action = iota // NOERROR with Addrs (empty = NODATA when the family has no records)
	ActionDrop                 // no response at all (down response NONE, disabled service)
	ActionNoData               // NOERROR, empty answer (down response EMPTY); callers add SOA
)

// Answer is the engine's decision for one query.
type Answer struct {
	Action Action
	Addrs  []netip.Addr
	TTL    uint32
	Down   bool // the service was DOWN and a down response was applied
	// Scope is how many leading bits of the EDNS client subnet the answer
	// depends on (RFC 7871 scope prefix length): the subnet's own length for
	// geo and at most the hash mask for consistent hash, when the service uses
	// the subnet; 0 when the answer is the same for every client.
	Scope uint8
}

// UpFunc reports whether member m of pool p of s is operationally up.
type UpFunc func(s *Service, pool, member int) bool

// Options configure an Engine.
type Options struct {
	// Locate returns a client's location for Geo; nil means unknown.
	Locate func(netip.Addr) (Location, bool)
}

// Engine answers queries for services. It holds round-robin state per
// (service name, pool name), and per service for rotating between pools of
// equal priority; it is safe for concurrent use.
type Engine struct {
	opts Options

	states sync.Map // stateKey → *rrState; queries read it without locks
}

// stateKey names one round-robin state. pool is "" and level is true for the
// rotation between equal-priority pools, so no pool name can collide with it.
type stateKey struct {
	service string
	pool    string
	level   bool
}

// NewEngine returns an Engine with no round-robin history.
func NewEngine(opts Options) *Engine {
	return &Engine{opts: opts}
}

// Reset forgets the round-robin state of a service; the emulator calls it when
// a service is replaced so that the new configuration starts fresh cycles.
func (e *Engine) Reset(serviceName string) {
	e.states.Range(func(k, _ any) bool {
		if k.(stateKey).service == serviceName {
			e.states.Delete(k)
		}
		return true
	})
}

// Forget drops the round-robin state of every service in names in one walk:
// a backend that deletes thousands of services at once would otherwise walk
// the states once per service.
func (e *Engine) Forget(names map[string]bool) {
	if len(names) == 0 {
		return
	}
	e.states.Range(func(k, _ any) bool {
		if names[k.(stateKey).service] {
			e.states.Delete(k)
		}
		return true
	})
}

// States counts the round-robin states held for a service (tests, metrics).
func (e *Engine) States(serviceName string) int {
	n := 0
	e.states.Range(func(k, _ any) bool {
		if k.(stateKey).service == serviceName {
			n++
		}
		return true
	})
	return n
}

func (e *Engine) state(k stateKey) *rrState {
	if st, ok := e.states.Load(k); ok {
		return st.(*rrState)
	}
	st, _ := e.states.LoadOrStore(k, &rrState{})
	return st.(*rrState)
}

// ref locates one member inside its service.
type ref struct{ pool, member int }

// candidate is an eligible member whose answered address has the queried family.
type candidate struct {
	ref
	m    *Member
	addr netip.Addr
}

// Answer decides the response to q for s (avi-api.md §4.8). A nil up reports
// every member up. Only A and AAAA queries can get addresses; any other type
// is answered like a query for a family without records.
//
// Pool choice (and whether the service is DOWN) ignores the address family, as
// health does; the members of the chosen selection are then filtered to the
// queried family before the algorithm runs, so an AAAA query over a mixed pool
// gets an IPv6 member and one over an IPv4-only pool gets NODATA rather than
// an address from a lower-priority pool [I].
//
// With NumIPs > 1 the first address is the algorithm's pick and the others
// continue its order: the rest of the round-robin sequence (the state advances
// by one pick per query), increasing hash score, preference or distance.
func (e *Engine) Answer(s *Service, q Query, up UpFunc) Answer {
	ttl := s.ttl()
	if s == nil || !s.Enabled {
		return Answer{Action: ActionDrop, TTL: ttl}
	}
	levels := eligibleLevels(s, up)
	if len(levels) == 0 {
		return e.down(s, q, ttl)
	}
	chosen := levels[0].pools[0]
	if len(levels[0].pools) > 1 {
		chosen = e.pickPool(s, levels[0].pools)
	}
	sel := topUp(s, levels, chosen)

	cands := make([]candidate, 0, len(sel))
	for _, r := range sel {
		m := &s.Pools[r.pool].Members[r.member]
		if a := m.answerAddr(q.Public); familyMatches(a, q.Type) {
			cands = append(cands, candidate{ref: r, m: m, addr: a})
		}
	}
	if len(cands) == 0 {
		return Answer{Action: ActionAnswer, TTL: ttl}
	}
	n := s.count(len(cands))
	// Beyond the first address ask for the whole sequence: members sharing an
	// address are answered once, so n members may give fewer than n records.
	want := n
	if n > 1 {
		want = len(cands)
	}
	order := e.order(s, chosen, signature(sel), cands, q, want)
	scope := ecsScope(s, &s.Pools[chosen], q)
	addrs := make([]netip.Addr, 0, n)
	for _, i := range order {
		if len(addrs) == n {
			break
		}
		// Two members may share an address; a record is answered once.
		if a := cands[i].addr; !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	return Answer{Action: ActionAnswer, Addrs: addrs, TTL: ttl, Scope: scope}
}

// ecsScope is the scope prefix length of an answer from pool: how much of the
// query's client subnet the pool's algorithm read.
func ecsScope(s *Service, pool *Pool, q Query) uint8 {
	if !s.UseECS || !q.ECS.IsValid() {
		return 0 // the subnet was not read: the answer holds for every client
	}
	bits := q.ECS.Bits()
	switch pool.Algorithm {
	case Geo:
		// Geo reads the whole subnet to place it (and its hash fallback may
		// read less, but which decides depends on the address).
		return uint8(bits)
	case ConsistentHash:
		if a := q.ECS.Addr(); a.Is4() && pool.HashMask >= 1 && pool.HashMask <= 31 {
			bits = min(bits, pool.HashMask)
		} else if a.Is6() && pool.HashMask6 >= 1 && pool.HashMask6 <= 127 {
			bits = min(bits, pool.HashMask6)
		}
		return uint8(bits)
	default:
		return 0 // round robin, preference: the same for every client
	}
}

// level is the set of pools of one priority that have an eligible member,
// with those members, in configuration order.
type level struct {
	priority uint32
	pools    []int
	members  map[int][]int // pool index → eligible member indices
}

// eligibleLevels groups the pools having ≥1 eligible member by priority,
// highest first (§4.2, §4.3).
func eligibleLevels(s *Service, up UpFunc) []level {
	var levels []level
	for p := range s.Pools {
		pool := &s.Pools[p]
		if !pool.eligibleAsPool() {
			continue
		}
		var ms []int
		for m := range pool.Members {
			if pool.Members[m].Enabled && (up == nil || up(s, p, m)) {
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 {
			continue
		}
		i := slices.IndexFunc(levels, func(l level) bool { return l.priority == pool.Priority })
		if i < 0 {
			levels = append(levels, level{priority: pool.Priority, members: make(map[int][]int)})
			i = len(levels) - 1
		}
		levels[i].pools = append(levels[i].pools, p)
		levels[i].members[p] = ms
	}
	slices.SortStableFunc(levels, func(a, b level) int { return cmp.Compare(b.priority, a.priority) })
	return levels
}

// pickPool rotates between pools sharing the top priority (30.1 GUID-79889572).
func (e *Engine) pickPool(s *Service, pools []int) int {
	weights := make([]int64, len(pools))
	var sig strings.Builder
	for i, p := range pools {
		weights[i] = 1
		sig.WriteString(strconv.Itoa(p))
		sig.WriteByte(';')
	}
	st := e.state(stateKey{service: s.Name, level: true})
	return pools[st.sequence(sig.String(), sig.String(), weights, 1)[0]]
}

// topUp returns the eligible members of the chosen pool, followed, when there
// are fewer than MinMembers, by eligible members of the other pools of the same
// priority and then of lower priorities (in configuration order) until
// MinMembers is reached [I].
func topUp(s *Service, levels []level, chosen int) []ref {
	var sel []ref
	for _, m := range levels[0].members[chosen] {
		sel = append(sel, ref{chosen, m})
	}
	for _, l := range levels {
		for _, p := range l.pools {
			if uint64(len(sel)) >= uint64(s.MinMembers) {
				return sel
			}
			if p == chosen {
				continue
			}
			for _, m := range l.members[p] {
				if uint64(len(sel)) >= uint64(s.MinMembers) {
					return sel
				}
				sel = append(sel, ref{p, m})
			}
		}
	}
	return sel
}

// signature identifies a member set together with the fields that shape
// round robin over it, so that any change restarts the cycles.
func signature(refs []ref) string {
	var b strings.Builder
	for _, r := range refs {
		b.WriteString(strconv.Itoa(r.pool))
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(r.member))
		b.WriteByte(';')
	}
	return b.String()
}

func familyMatches(a netip.Addr, t QType) bool {
	switch t {
	case QTypeA:
		return a.Is4()
	case QTypeAAAA:
		return a.Is6()
	}
	return false
}

// order returns indices into cands, the algorithm's first choice first, with
// at least n distinct entries (§4.4, §4.5). epoch identifies the family-
// independent selection; the round-robin state of the chosen pool restarts
// whenever it changes.
func (e *Engine) order(s *Service, chosen int, epoch string, cands []candidate, q Query, n int) []int {
	pool := &s.Pools[chosen]
	all := make([]int, len(cands))
	for i := range all {
		all[i] = i
	}
	switch pool.Algorithm {
	case ConsistentHash:
		return hashOrder(clientKey(s, q, pool.HashMask, pool.HashMask6), cands, all)
	case PreferenceOrder:
		slices.SortStableFunc(all, func(a, b int) int {
			return cmp.Compare(cands[a].m.preference(), cands[b].m.preference())
		})
		return all
	case Geo:
		return e.geoOrder(s, chosen, epoch, cands, q, n)
	default:
		return e.rrOrder(s, chosen, epoch, cands, all, n)
	}
}

// rrOrder is smooth weighted round robin over the subset of cands. The first
// entry advances the pool's state; further entries (for NumIPs > 1) continue
// the sequence on a copy, so each query advances the cycle by exactly one and
// counts over a cycle stay exact.
func (e *Engine) rrOrder(s *Service, chosen int, epoch string, cands []candidate, subset []int, n int) []int {
	weights := make([]int64, len(subset))
	refs := make([]ref, len(subset))
	for i, c := range subset {
		weights[i] = cands[c].m.weight()
		refs[i] = cands[c].ref
	}
	st := e.state(stateKey{service: s.Name, pool: s.Pools[chosen].Name})
	seq := st.sequence(epoch, signature(refs), weights, min(n, len(subset)))
	out := make([]int, len(seq))
	for i, j := range seq {
		out[i] = subset[j]
	}
	return out
}

// fallbackOrder applies a Geo pool's fallback algorithm to subset.
func (e *Engine) fallbackOrder(s *Service, chosen int, epoch string, cands []candidate, subset []int, q Query, n int) []int {
	pool := &s.Pools[chosen]
	if pool.Fallback == ConsistentHash {
		return hashOrder(clientKey(s, q, pool.FallbackHashMask, pool.HashMask6), cands, subset)
	}
	return e.rrOrder(s, chosen, epoch, cands, subset, n)
}
