// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"
)

// Response rate limiting (RRL), in the spirit of BIND's and Knot's: the UDP
// responses to each client prefix (/24 for IPv4, /56 for IPv6 by default) are
// limited to a rate; over it, every Slip-th response goes out truncated (TC
// set, no records) so that a real resolver retries over TCP, which is not
// limited, and the others are dropped. A spoofed flood thus gets the victim
// few or no packets, and a real resolver behind a busy prefix still gets its
// answers, over TCP.
//
// Each prefix has a GCRA token bucket (one "theoretical arrival time" per
// prefix): a burst of ResponsesPerSecond responses, refilled at that rate. The
// state is a fixed-size, 4-way set-associative table split in shards, each with
// its own mutex held for a few instructions: memory never grows, whatever the
// number of sources. A new prefix takes the slot of its set whose bucket is the
// fullest (the earliest arrival time), and a full bucket carries no state: only
// prefixes that are over or near their limit can be pushed out, and only by a
// set full of such prefixes.

// RateLimit configures response rate limiting; see Server.SetRateLimit.
type RateLimit struct {
	// ResponsesPerSecond is the rate of UDP responses each client prefix gets,
	// and its burst.
	ResponsesPerSecond int
	// Slip: every Slip-th response over the limit is sent truncated, the
	// others are dropped; 0 drops them all.
	Slip int
	// IPv4PrefixLength and IPv6PrefixLength group clients; 0 means 24 and 56.
	IPv4PrefixLength, IPv6PrefixLength int
}

// rrlAction is what becomes of a response.
type rrlAction uint8

const (
	rrlPass rrlAction = iota
	rrlSlip
	rrlDrop
)

const (
	rrlWays       = 4
	rrlShards     = 64
	rrlTableSize  = 1 << 15 // entries: 32,768 prefixes, about 1.3 MB
	rrlSetsPerShd = rrlTableSize / rrlWays / rrlShards
)

// rrl is one configuration over a table; a new rate or slip keeps the table.
type rrl struct {
	cfg      RateLimit
	interval int64 // ns between responses at the rate
	burst    int64 // ns: a second's worth of responses
	table    *rrlTable
	now      func() int64 // monotonic ns; tests replace it
}

type rrlEntry struct {
	key   [16]byte
	tat   int64 // theoretical arrival time, ns; 0: free
	slips uint32
}

type rrlShard struct {
	mu      sync.Mutex
	entries [rrlSetsPerShd * rrlWays]rrlEntry
	_       [64]byte // keeps shards' mutexes on separate cache lines
}

type rrlTable struct {
	seed   uint64
	shards [rrlShards]rrlShard
}

var rrlEpoch = time.Now()

func monotonicNow() int64 { return int64(time.Since(rrlEpoch)) + 1 }

func newRRL(cfg RateLimit, prev *rrl) *rrl {
	if cfg.IPv4PrefixLength == 0 {
		cfg.IPv4PrefixLength = 24
	}
	if cfg.IPv6PrefixLength == 0 {
		cfg.IPv6PrefixLength = 56
	}
	cfg.ResponsesPerSecond = max(cfg.ResponsesPerSecond, 1)
	cfg.Slip = max(cfg.Slip, 0)
	r := &rrl{cfg: cfg, interval: int64(time.Second) / int64(cfg.ResponsesPerSecond), burst: int64(time.Second), now: monotonicNow}
	if prev != nil && prev.cfg.IPv4PrefixLength == cfg.IPv4PrefixLength && prev.cfg.IPv6PrefixLength == cfg.IPv6PrefixLength {
		r.table, r.now = prev.table, prev.now
	} else {
		r.table = &rrlTable{seed: rand.Uint64()}
	}
	return r
}

// key is the client's prefix as 16 bytes (IPv4 as IPv4-mapped: clients are
// unmapped first, so no IPv6 client shares it).
func (r *rrl) key(client netip.Addr) [16]byte {
	bits := r.cfg.IPv6PrefixLength
	if client.Is4() {
		bits = r.cfg.IPv4PrefixLength
	}
	p, err := client.Prefix(bits)
	if err != nil {
		return [16]byte{}
	}
	return p.Addr().As16()
}

func (t *rrlTable) locate(key [16]byte) (*rrlShard, []rrlEntry) {
	h := binary.LittleEndian.Uint64(key[:8])*0x9e3779b97f4a7c15 ^ binary.LittleEndian.Uint64(key[8:])*0xc2b2ae3d27d4eb4f ^ t.seed
	h ^= h >> 31
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	sh := &t.shards[h%rrlShards]
	set := int((h / rrlShards) % rrlSetsPerShd)
	return sh, sh.entries[set*rrlWays : set*rrlWays+rrlWays]
}

// check counts a response to client and says what becomes of it.
func (r *rrl) check(client netip.Addr) rrlAction {
	key := r.key(client)
	now := r.now()
	sh, set := r.table.locate(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var e *rrlEntry
	for i := range set {
		if set[i].tat != 0 && set[i].key == key {
			e = &set[i]
			break
		}
	}
	if e == nil {
		e = &set[0]
		for i := 1; i < len(set); i++ {
			if set[i].tat < e.tat {
				e = &set[i]
			}
		}
		*e = rrlEntry{key: key}
	}
	tat := max(e.tat, now) + r.interval
	if tat-now <= r.burst {
		e.tat = tat
		return rrlPass
	}
	e.slips++
	if r.cfg.Slip > 0 && e.slips%uint32(r.cfg.Slip) == 0 {
		return rrlSlip
	}
	return rrlDrop
}

// entries counts the prefixes the table holds.
func (t *rrlTable) entries() int {
	n := 0
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for j := range sh.entries {
			if sh.entries[j].tat != 0 {
				n++
			}
		}
		sh.mu.Unlock()
	}
	return n
}
