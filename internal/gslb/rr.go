// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import "sync"

// maxCycles bounds the cycles one rrState keeps within an epoch. Subsets only
// multiply through address families, public/private mapping and geo ties, so
// the bound is never reached in practice; it just keeps memory finite.
const maxCycles = 64

// rrState is the round-robin state of one pool (or of one service's
// equal-priority pools).
//
// The epoch is the pool's eligible member set regardless of address family;
// when it changes every cycle restarts, which is what makes a member going
// down (or coming back) restart the rotation exactly. Within an epoch one cycle
// is kept per candidate subset, so A and AAAA queries over a mixed pool (which
// rotate over different subsets) do not restart each other's cycles.
type rrState struct {
	mu     sync.Mutex
	epoch  string
	cycles map[string]*swrr
}

// sequence advances the cycle for subset sig by one pick and returns that
// pick followed by the next distinct picks of the same sequence, n in total
// (n ≤ len(weights)), without advancing the state further.
func (st *rrState) sequence(epoch, sig string, weights []int64, n int) []int {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.cycles == nil || st.epoch != epoch || len(st.cycles) >= maxCycles {
		st.epoch = epoch
		st.cycles = make(map[string]*swrr)
	}
	c, ok := st.cycles[sig]
	if !ok || len(c.current) != len(weights) {
		c = &swrr{current: make([]int64, len(weights))}
		st.cycles[sig] = c
	}
	out := []int{c.next(weights)}
	if n <= 1 {
		return out
	}
	peek := swrr{current: append([]int64(nil), c.current...)}
	seen := make([]bool, len(weights))
	seen[out[0]] = true
	var total int64
	for _, w := range weights {
		total += w
	}
	// Every member appears within any window of total picks, so the loop
	// always completes; the bound only guards against a logic error.
	for i := int64(0); i < total && len(out) < n; i++ {
		if j := peek.next(weights); !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	for j := range seen {
		if len(out) == n {
			break
		}
		if !seen[j] {
			out = append(out, j)
		}
	}
	return out
}

// swrr is nginx's smooth weighted round robin: over any window of sum(weights)
// picks each index is chosen exactly weights[i] times, interleaved rather
// than in blocks.
type swrr struct{ current []int64 }

// next picks an index; weights must be positive and as long as current.
func (c *swrr) next(weights []int64) int {
	best := 0
	var total int64
	for i, w := range weights {
		c.current[i] += w
		total += w
		if c.current[i] > c.current[best] {
			best = i
		}
	}
	c.current[best] -= total
	return best
}
