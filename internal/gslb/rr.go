// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"slices"
	"sync/atomic"
)

// maxCycles bounds the cycles one rrState keeps within an epoch. Subsets only
// multiply through address families, public/private mapping and geo ties, so
// the bound is never reached in practice; it just keeps memory finite.
const maxCycles = 64

// rrState is the round-robin state of one pool (or of one service's
// equal-priority pools). Queries share it without locks: a cycle is a
// precomputed smooth weighted sequence and an atomic position in it.
//
// The epoch is the pool's eligible member set regardless of address family;
// when it changes every cycle restarts, which is what makes a member going
// down (or coming back) restart the rotation exactly. Within an epoch one cycle
// is kept per candidate subset, so A and AAAA queries over a mixed pool (which
// rotate over different subsets) do not restart each other's cycles.
type rrState struct {
	cur atomic.Pointer[rrEpoch]
}

// rrEpoch holds its cycles in a small copy-on-write slice: there are one or
// two (one per address family) and a map per pool would cost kilobytes.
type rrEpoch struct {
	epoch  string
	cycles atomic.Pointer[[]*cycle]
}

// cycle is one full smooth weighted round robin sequence for some weights and
// the position of the next pick.
type cycle struct {
	sig     string // the candidate subset it rotates over
	weights []int64
	seq     []int
	pos     atomic.Uint64
}

// epochFor returns the state's current epoch, starting a new one when the
// eligible set changed or the epoch holds too many cycles.
func (st *rrState) epochFor(epoch string) *rrEpoch {
	for {
		ep := st.cur.Load()
		if ep != nil && ep.epoch == epoch && ep.count() < maxCycles {
			return ep
		}
		if st.cur.CompareAndSwap(ep, &rrEpoch{epoch: epoch}) {
			return st.cur.Load()
		}
		// Another query replaced it first: use (or replace) what it stored.
	}
}

func (ep *rrEpoch) count() int {
	if cs := ep.cycles.Load(); cs != nil {
		return len(*cs)
	}
	return 0
}

// cycleFor returns the epoch's cycle for subset sig with these weights.
func (ep *rrEpoch) cycleFor(sig string, weights []int64) *cycle {
	var fresh *cycle
	for {
		old := ep.cycles.Load()
		var cs []*cycle
		if old != nil {
			cs = *old
		}
		i := slices.IndexFunc(cs, func(c *cycle) bool { return c.sig == sig })
		if i >= 0 && slices.Equal(cs[i].weights, weights) {
			return cs[i]
		}
		if fresh == nil {
			fresh = &cycle{sig: sig, weights: slices.Clone(weights), seq: smoothSequence(weights)}
		}
		next := slices.Clone(cs)
		if i >= 0 {
			// The weights changed (a service replaced without Reset): restart.
			next[i] = fresh
		} else {
			next = append(next, fresh)
		}
		if ep.cycles.CompareAndSwap(old, &next) {
			return fresh
		}
	}
}

// next advances the cycle by one pick and returns the position picked.
func (c *cycle) next() int {
	return int((c.pos.Add(1) - 1) % uint64(len(c.seq)))
}

// from returns the pick at position i followed by the next distinct picks of
// the sequence, n in total (n ≤ len(weights)).
func (c *cycle) from(i, n int) []int {
	out := []int{c.seq[i]}
	if n <= 1 {
		return out
	}
	seen := make([]bool, len(c.weights))
	seen[out[0]] = true
	// Every member appears within one full cycle.
	for k := 1; k < len(c.seq) && len(out) < n; k++ {
		if j := c.seq[(i+k)%len(c.seq)]; !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	return out
}

// sequence advances the cycle for subset sig by one pick and returns that
// pick followed by the next distinct picks of the same sequence, n in total
// (n ≤ len(weights)), without advancing the state further.
func (st *rrState) sequence(epoch, sig string, weights []int64, n int) []int {
	c := st.epochFor(epoch).cycleFor(sig, weights)
	return c.from(c.next(), n)
}

// smoothSequence is one full cycle of nginx's smooth weighted round robin:
// sum(weights) picks in which each index appears exactly weights[i] times,
// interleaved rather than in blocks. The cycle repeats exactly.
func smoothSequence(weights []int64) []int {
	var total int64
	for _, w := range weights {
		total += w
	}
	current := make([]int64, len(weights))
	seq := make([]int, 0, total)
	for range total {
		best := 0
		for i, w := range weights {
			current[i] += w
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		seq = append(seq, best)
	}
	return seq
}
