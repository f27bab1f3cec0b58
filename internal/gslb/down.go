// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"cmp"
	"net/netip"
	"slices"
)

// down applies the service's down response (avi-api.md §4.6).
func (e *Engine) down(s *Service, q Query, ttl uint32) Answer {
	switch s.Down.Type {
	case DownAllRecords:
		return Answer{Action: ActionAnswer, Addrs: allRecords(s, q), TTL: ttl, Down: true}
	case DownFallbackIP:
		var addrs []netip.Addr
		fb := s.Down.FallbackIP
		if q.Type == QTypeAAAA {
			fb = s.Down.FallbackIP6
		}
		// A fallback of the wrong family is not answered rather than
		// answered as a record of the wrong type.
		if fb = normAddr(fb); familyMatches(fb, q.Type) {
			addrs = []netip.Addr{fb}
		}
		return Answer{Action: ActionAnswer, Addrs: addrs, TTL: ttl, Down: true}
	case DownEmpty:
		return Answer{Action: ActionNoData, TTL: ttl, Down: true}
	default:
		return Answer{Action: ActionDrop, TTL: ttl, Down: true}
	}
}

// allRecords is every enabled member of every enabled pool with priority > 0,
// ignoring health, highest priority first and then in configuration order,
// filtered by family and capped by NumIPs [I].
func allRecords(s *Service, q Query) []netip.Addr {
	pools := make([]int, 0, len(s.Pools))
	for p := range s.Pools {
		if s.Pools[p].eligibleAsPool() {
			pools = append(pools, p)
		}
	}
	slices.SortStableFunc(pools, func(a, b int) int {
		return cmp.Compare(s.Pools[b].Priority, s.Pools[a].Priority)
	})
	var addrs []netip.Addr
	for _, p := range pools {
		for m := range s.Pools[p].Members {
			mem := &s.Pools[p].Members[m]
			a := mem.answerAddr(q.Public)
			if mem.Enabled && familyMatches(a, q.Type) && !slices.Contains(addrs, a) {
				addrs = append(addrs, a)
			}
		}
	}
	return addrs[:s.count(len(addrs))]
}
