// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"cmp"
	"hash/fnv"
	"math"
	"net/netip"
	"slices"
)

// clientAddr is the address identifying the client for consistent hash and
// geo: the EDNS client subnet when the service uses it and the query has
// one, else the packet source.
func clientAddr(s *Service, q Query) netip.Addr {
	if s.UseECS && q.ECS.IsValid() {
		return normAddr(q.ECS.Addr())
	}
	return normAddr(q.Client)
}

// clientKey is the client address truncated to the pool's hash mask, as
// bytes; masks outside Avi's ranges (1-31, 1-127) mean the whole address.
func clientKey(s *Service, q Query, mask4, mask6 int) []byte {
	a := clientAddr(s, q)
	if !a.IsValid() {
		return nil
	}
	bits := a.BitLen()
	switch {
	case a.Is4() && mask4 >= 1 && mask4 <= 31:
		bits = mask4
	case a.Is6() && mask6 >= 1 && mask6 <= 127:
		bits = mask6
	}
	if p, err := a.Prefix(bits); err == nil {
		a = p.Addr()
	}
	return a.AsSlice()
}

// hashOrder ranks subset by weighted rendezvous hashing of key: score
// -ratio/ln(h) with h in (0,1) derived from (key, member ID). A member's
// score does not depend on the other members, so a member going down moves
// only its own clients, and each member receives a share of keys
// proportional to its ratio. Ties keep configuration order.
func hashOrder(key []byte, cands []candidate, subset []int) []int {
	scores := make(map[int]float64, len(subset))
	for _, i := range subset {
		h := fnv.New64a()
		h.Write(key)
		h.Write([]byte{0}) // separates key from ID: keys have fixed lengths, IDs do not
		h.Write([]byte(cands[i].m.hashID()))
		// FNV alone diffuses poorly between similar inputs; the finaliser
		// fixes that. The top 53 bits, offset by half a step, give h in (0,1).
		u := (float64(fmix64(h.Sum64())>>11) + 0.5) / (1 << 53)
		scores[i] = -float64(cands[i].m.weight()) / math.Log(u)
	}
	out := slices.Clone(subset)
	slices.SortStableFunc(out, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	return out
}

// fmix64 is MurmurHash3's 64-bit finaliser.
func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb93e1a85ec53
	k ^= k >> 33
	return k
}

// geoOrder puts the member nearest to the client first and the others by
// increasing distance, members without a location last. When the client's
// location is unknown, no member has a location, or several members are
// equally nearest, the pool's fallback algorithm decides — among the
// equally nearest members in the last case [I].
func (e *Engine) geoOrder(s *Service, chosen int, epoch string, cands []candidate, q Query, n int) []int {
	all := make([]int, len(cands))
	for i := range all {
		all[i] = i
	}
	var client Location
	known := false
	if a := clientAddr(s, q); a.IsValid() && e.opts.Locate != nil {
		client, known = e.opts.Locate(a)
	}
	if !known || !validLocation(client) {
		return e.fallbackOrder(s, chosen, epoch, cands, all, q, n)
	}
	dist := make(map[int]float64)
	var located, unlocated []int
	for _, i := range all {
		if l := cands[i].m.Location; l != nil && validLocation(*l) {
			dist[i] = haversine(client, *l)
			located = append(located, i)
		} else {
			unlocated = append(unlocated, i)
		}
	}
	if len(located) == 0 {
		return e.fallbackOrder(s, chosen, epoch, cands, all, q, n)
	}
	slices.SortStableFunc(located, func(a, b int) int { return cmp.Compare(dist[a], dist[b]) })
	tied := 1
	for tied < len(located) && dist[located[tied]] == dist[located[0]] {
		tied++
	}
	if tied > 1 {
		head := e.fallbackOrder(s, chosen, epoch, cands, located[:tied], q, min(n, tied))
		// The fallback may rank only the first n of the tied members; the rest
		// follow in distance (here: configuration) order.
		for _, i := range located[:tied] {
			if !slices.Contains(head, i) {
				head = append(head, i)
			}
		}
		located = append(head, located[tied:]...)
	}
	return append(located, unlocated...)
}

func validLocation(l Location) bool {
	return !math.IsNaN(l.Latitude) && !math.IsNaN(l.Longitude) &&
		!math.IsInf(l.Latitude, 0) && !math.IsInf(l.Longitude, 0)
}

// haversine is the great-circle distance in kilometres.
func haversine(a, b Location) float64 {
	const earthRadiusKm = 6371.0
	rad := func(deg float64) float64 { return deg * math.Pi / 180 }
	dLat := rad(b.Latitude - a.Latitude)
	dLon := rad(b.Longitude - a.Longitude)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(rad(a.Latitude))*math.Cos(rad(b.Latitude))*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(math.Min(1, h)))
}
