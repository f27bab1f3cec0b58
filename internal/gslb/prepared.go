// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"net/netip"
)

// Prepared answers the queries for one service under one view of its
// members' health, as Engine.Answer does, but with what does not depend on the
// query worked out once: a DNS server prepares each new or changed service when
// it publishes a snapshot (sharing the others' with the snapshot before) and
// answers from it. Answers that depend only on the family and
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
	// Answers by family (0: A, 1: AAAA) and client (0: private, 1: public);
	// nil: Engine.Answer. Equal variants share one (the public one is the
	// private one unless a member has a public address), and the common fixed
	// answers are shared by every service: a snapshot of 100,000 services is
	// mostly these.
	v [2][2]*variant
}

// variant is the prepared answer for one family and kind of client: fixed
// (cyc nil: action with addrs, whatever the query) or a position in cyc.
type variant struct {
	cyc *cycle
	// fixed: the answer's addresses; round robin with one address per
	// answer: the candidates, addrs[seq[i]] answered at position i.
	addrs []netip.Addr
	// round robin, several addresses per answer: the answer at each position.
	multi  [][]netip.Addr
	action Action
	down   bool
}

// Fixed answers shared by every Prepared.
var (
	noAddrs  = &variant{action: ActionAnswer}
	dropped  = &variant{action: ActionDrop}
	downDrop = &variant{action: ActionDrop, down: true}
	downNone = &variant{action: ActionNoData, down: true}
)

// fixedVariant is the variant always answering ans, shared when it can be.
func fixedVariant(ans Answer) *variant {
	if len(ans.Addrs) == 0 {
		switch {
		case ans.Action == ActionAnswer && !ans.Down:
			return noAddrs
		case ans.Action == ActionDrop && !ans.Down:
			return dropped
		case ans.Action == ActionDrop:
			return downDrop
		case ans.Action == ActionNoData:
			return downNone
		}
	}
	return &variant{action: ans.Action, addrs: ans.Addrs, down: ans.Down}
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
		p.fill(dropped)
		return p
	}
	for pi := range s.Pools {
		for mi := range s.Pools[pi].Members {
			p.health = append(p.health, up == nil || up(s, pi, mi))
		}
	}
	if !s.Enabled {
		p.fill(dropped)
		return p
	}
	levels := eligibleLevels(s, up)
	if len(levels) == 0 {
		for f, t := range []QType{QTypeA, QTypeAAAA} {
			for pub := range 2 {
				p.v[f][pub] = fixedVariant(e.down(s, Query{Type: t, Public: pub == 1}, p.ttl))
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
				p.v[f][pub] = fixedVariant(e.Answer(s, Query{Type: t, Public: pub == 1}, up))
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
	public := false // whether a public client can get other addresses
	for _, r := range sel {
		m := &s.Pools[r.pool].Members[r.member]
		public = public || m.answerAddr(true) != m.answerAddr(false)
	}
	for f, t := range []QType{QTypeA, QTypeAAAA} {
		p.v[f][0] = p.prepareRR(ep, sel, Query{Type: t})
		p.v[f][1] = p.v[f][0]
		if public {
			p.v[f][1] = p.prepareRR(ep, sel, Query{Type: t, Public: true})
		}
	}
	return p
}

// prepareRR is Answer's round robin over sel for the family and client of q.
func (p *Prepared) prepareRR(ep *rrEpoch, sel []ref, q Query) *variant {
	s := p.svc
	var cands []candidate
	for _, r := range sel {
		m := &s.Pools[r.pool].Members[r.member]
		if a := m.answerAddr(q.Public); familyMatches(a, q.Type) {
			cands = append(cands, candidate{ref: r, m: m, addr: a})
		}
	}
	if len(cands) == 0 {
		return noAddrs
	}
	weights := make([]int64, len(cands))
	refs := make([]ref, len(cands))
	addrs := make([]netip.Addr, len(cands))
	for i, c := range cands {
		weights[i], refs[i], addrs[i] = c.m.weight(), c.ref, c.addr
	}
	v := &variant{action: ActionAnswer, addrs: addrs, cyc: ep.cycleFor(signature(refs), weights)}
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

func (p *Prepared) fill(v *variant) {
	for f := range p.v {
		for pub := range p.v[f] {
			p.v[f][pub] = v
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
		if v := p.v[f][pub]; v != nil {
			ans := Answer{Action: v.action, TTL: p.ttl, Down: v.down, Addrs: v.addrs}
			switch {
			case v.cyc == nil:
			case v.multi != nil:
				ans.Addrs = v.multi[v.cyc.next()]
			default:
				j := v.cyc.seq[v.cyc.next()]
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
