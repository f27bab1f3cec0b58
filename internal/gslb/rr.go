// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"slices"
	"sync"
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

type rrEpoch struct {
	epoch  string
	cycles sync.Map // subset signature → *cycle
	count  atomic.Int32
}

// cycle is one full smooth weighted round robin sequence for some weights and
// the position of the next pick.
type cycle struct {
	weights []int64
	seq     []int
	pos     atomic.Uint64
}

// epochFor returns the state's current epoch, starting a new one when the
// eligible set changed or the epoch holds too many cycles.
func (st *rrState) epochFor(epoch string) *rrEpoch {
	for {
		ep := st.cur.Load()
		if ep != nil && ep.epoch == epoch && ep.count.Load() < maxCycles {
			return ep
		}
		if st.cur.CompareAndSwap(ep, &rrEpoch{epoch: epoch}) {
			return st.cur.Load()
		}
		// Another query replaced it first: use (or replace) what it stored.
	}
}

// cycleFor returns the epoch's cycle for subset sig with these weights.
func (ep *rrEpoch) cycleFor(sig string, weights []int64) *cycle {
	if v, ok := ep.cycles.Load(sig); ok {
		if c := v.(*cycle); slices.Equal(c.weights, weights) {
			return c
		}
	}
	fresh := &cycle{weights: slices.Clone(weights), seq: smoothSequence(weights)}
	for {
		v, loaded := ep.cycles.LoadOrStore(sig, fresh)
		if !loaded {
			ep.count.Add(1)
			return fresh
		}
		c := v.(*cycle)
		if slices.Equal(c.weights, weights) {
			return c
		}
		// The weights changed (a service replaced without Reset): restart.
		if ep.cycles.CompareAndSwap(sig, c, fresh) {
			return fresh
		}
	}
}

// sequence advances the cycle for subset sig by one pick and returns that
// pick followed by the next distinct picks of the same sequence, n in total
// (n ≤ len(weights)), without advancing the state further.
func (st *rrState) sequence(epoch, sig string, weights []int64, n int) []int {
	c := st.epochFor(epoch).cycleFor(sig, weights)
	i := int((c.pos.Add(1) - 1) % uint64(len(c.seq)))
	out := []int{c.seq[i]}
	if n <= 1 {
		return out
	}
	seen := make([]bool, len(weights))
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
