// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"net/netip"
)

// Prepared answers the queries for one service under one view of its
// members' health, as Engine.Answer does, but with what does not depend on the
// query worked out once: a DNS server prepares every service when it publishes
// a snapshot and answers from it. Answers that depend only on the family and
// the public flag (a down or disabled service, preference order) are fixed;
// round robin over a single top-priority pool is a position in a precomputed
// cycle. Both cost no allocation per query. Only pool rotation, consistent
// hash and geo go through Engine.Answer.
//
// Its round-robin state lives in it, not in the engine: it is created with the
// Prepared and dropped with it, and a Prepared made from the previous one for
// the same *Service keeps the positions, so a republished snapshot (a health
// change elsewhere) does not restart cycles. A different *Service with the
// same name (a replaced service) starts afresh.
type Prepared struct {
	e   *Engine
	svc *Service
	up  UpFunc
	ttl uint32
	// up of every member, pools in order: what the answers were prepared for.
	health []bool
	rr     *rrState // the chosen pool's, for round robin; nil otherwise
	// Answers by family (0: A, 1: AAAA) and client (0: private, 1: public).
	v [2][2]variant
}

type variantKind uint8

const (
	general    variantKind = iota // Engine.Answer
	fixed                         // ans, whatever the query
	roundRobin                    // a position in cyc
)

type variant struct {
	kind variantKind
	ans  Answer // fixed: the answer; roundRobin: Action, TTL
	cyc  *cycle
	// roundRobin, one address per answer: addrs[seq[i]] at position i.
	addrs []netip.Addr
	// roundRobin, several addresses per answer: the answer at each position.
	multi [][]netip.Addr
}

// Prepare returns the Prepared for s under up (nil: every member up), with
// answers whose TTL is defaultTTL when s sets none and defaultTTL > 0. prev,
// when it was prepared for the same *Service, lends its round-robin state, or
// is returned as it is when the health it saw has not changed.
func (e *Engine) Prepare(s *Service, up UpFunc, defaultTTL uint32, prev *Prepared) *Prepared {
	if prev != nil && prev.svc == s && prev.e == e && sameHealth(s, up, prev.health) {
		if ttl := effectiveTTL(s, defaultTTL); ttl == prev.ttl {
			return prev
		}
	}
	p := &Prepared{e: e, svc: s, up: up, ttl: effectiveTTL(s, defaultTTL)}
	if s == nil {
		p.fill(Answer{Action: ActionDrop, TTL: p.ttl})
		return p
	}
	for pi := range s.Pools {
		for mi := range s.Pools[pi].Members {
			p.health = append(p.health, up == nil || up(s, pi, mi))
		}
	}
	if !s.Enabled {
		p.fill(Answer{Action: ActionDrop, TTL: p.ttl})
		return p
	}
	levels := eligibleLevels(s, up)
	if len(levels) == 0 {
		for f, t := range []QType{QTypeA, QTypeAAAA} {
			for pub := range 2 {
				ans := e.down(s, Query{Type: t, Public: pub == 1}, p.ttl)
				p.v[f][pub] = variant{kind: fixed, ans: ans}
			}
		}
		return p
	}
	if len(levels[0].pools) > 1 {
		return p // rotation between pools: general
	}
	chosen := levels[0].pools[0]
	pool := &s.Pools[chosen]
	switch pool.Algorithm {
	case ConsistentHash, Geo:
		return p // the answer depends on the client: general
	case PreferenceOrder:
		// No state and no client: the same answer for every query.
		for f, t := range []QType{QTypeA, QTypeAAAA} {
			for pub := range 2 {
				ans := e.Answer(s, Query{Type: t, Public: pub == 1}, up)
				ans.TTL = p.ttl
				p.v[f][pub] = variant{kind: fixed, ans: ans}
			}
		}
		return p
	}
	sel := topUp(s, levels, chosen)
	epoch := signature(sel)
	if prev != nil && prev.svc == s && prev.rr != nil {
		p.rr = prev.rr // epochFor restarts its cycles if the selection changed
	} else {
		p.rr = &rrState{}
	}
	ep := p.rr.epochFor(epoch)
	for f, t := range []QType{QTypeA, QTypeAAAA} {
		for pub := range 2 {
			p.v[f][pub] = p.prepareRR(ep, sel, Query{Type: t, Public: pub == 1})
		}
	}
	return p
}

// prepareRR is Answer's round robin over sel for the family and client of q.
func (p *Prepared) prepareRR(ep *rrEpoch, sel []ref, q Query) variant {
	s := p.svc
	var cands []candidate
	for _, r := range sel {
		m := &s.Pools[r.pool].Members[r.member]
		if a := m.answerAddr(q.Public); familyMatches(a, q.Type) {
			cands = append(cands, candidate{ref: r, m: m, addr: a})
		}
	}
	if len(cands) == 0 {
		return variant{kind: fixed, ans: Answer{Action: ActionAnswer, TTL: p.ttl}}
	}
	weights := make([]int64, len(cands))
	refs := make([]ref, len(cands))
	addrs := make([]netip.Addr, len(cands))
	for i, c := range cands {
		weights[i], refs[i], addrs[i] = c.m.weight(), c.ref, c.addr
	}
	v := variant{kind: roundRobin, ans: Answer{Action: ActionAnswer, TTL: p.ttl}, addrs: addrs,
		cyc: ep.cycleFor(signature(refs), weights)}
	n := s.count(len(cands))
	if n <= 1 {
		return v
	}
	// As Answer: the whole sequence from the position, members sharing an
	// address answered once, n addresses at most.
	v.multi = make([][]netip.Addr, len(v.cyc.seq))
	for i := range v.cyc.seq {
		out := make([]netip.Addr, 0, n)
		for _, j := range v.cyc.from(i, len(cands)) {
			if len(out) == n {
				break
			}
			if a := addrs[j]; !containsAddr(out, a) {
				out = append(out, a)
			}
		}
		v.multi[i] = out
	}
	return v
}

func containsAddr(as []netip.Addr, a netip.Addr) bool {
	for _, b := range as {
		if a == b {
			return true
		}
	}
	return false
}

func (p *Prepared) fill(ans Answer) {
	for f := range p.v {
		for pub := range p.v[f] {
			p.v[f][pub] = variant{kind: fixed, ans: ans}
		}
	}
}

// Service is the service prepared.
func (p *Prepared) Service() *Service { return p.svc }

// Answer decides the response to q as Engine.Answer does. The addresses
// returned may be shared with other answers: they must not be modified.
func (p *Prepared) Answer(q Query) Answer {
	f := -1
	switch q.Type {
	case QTypeA:
		f = 0
	case QTypeAAAA:
		f = 1
	}
	if f >= 0 {
		pub := 0
		if q.Public {
			pub = 1
		}
		switch v := &p.v[f][pub]; v.kind {
		case fixed:
			return v.ans
		case roundRobin:
			ans := v.ans
			i := v.cyc.next()
			if v.multi != nil {
				ans.Addrs = v.multi[i]
			} else {
				j := v.cyc.seq[i]
				ans.Addrs = v.addrs[j : j+1 : j+1]
			}
			return ans
		}
	}
	ans := p.e.Answer(p.svc, q, p.up)
	ans.TTL = p.ttl
	return ans
}

// RoundRobinStates counts the round-robin states the Prepared holds: at most
// one (tests).
func (p *Prepared) RoundRobinStates() int {
	if p.rr == nil {
		return 0
	}
	return 1
}

func effectiveTTL(s *Service, defaultTTL uint32) uint32 {
	if s != nil && s.TTL == nil && defaultTTL > 0 {
		return defaultTTL
	}
	return s.ttl()
}

// sameHealth reports whether up gives every member of s what health holds.
func sameHealth(s *Service, up UpFunc, health []bool) bool {
	if s == nil {
		return len(health) == 0
	}
	k := 0
	for pi := range s.Pools {
		for mi := range s.Pools[pi].Members {
			if k >= len(health) || health[k] != (up == nil || up(s, pi, mi)) {
				return false
			}
			k++
		}
	}
	return k == len(health)
}
