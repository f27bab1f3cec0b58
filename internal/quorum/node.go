// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package quorum

import (
	"math/rand/v2"
	"slices"
	"time"
)

// node is one candidate's election logic as a pure state machine: it is fed
// its local monotonic time, periodic ticks and the results of the operations
// it asked for, and it answers with new operations. It does no I/O and reads
// no clock, so the simulation drives it deterministically and Elector drives
// it with real stores and time.
type node struct {
	cfg   Config
	q     int // strict majority of the stores
	views []view
	rnd   *rand.Rand

	role       Role
	term       int64 // the term claimed or held; after losing it, the last one
	validUntil time.Time
	// backoffUntil delays the next claim after a withdrawal, so that two
	// candidates that split the stores do not collide again.
	backoffUntil time.Time
	// claimRTT is the slowest round trip of the current claim: the random
	// back-off after losing it spans at least twice that, so that candidates
	// whose round trips are longer than a RetryPeriod (an overloaded API
	// server) stop colliding too.
	claimRTT time.Duration
	// claimedAt is when the current claim began: a claim that does not win
	// within LeaseDuration is withdrawn, so it cannot block stores for ever.
	claimedAt time.Time
	// quietAt is when every write the node made under a term it held has
	// landed (the guard's lapse plus MaxWriteDelay on the slowest clock): only
	// then may its records be taken over without waiting, by itself or by
	// others after a release.
	quietAt time.Time
	// releaseTerm, when set, is a term whose records the node releases at
	// releaseAt.
	releaseTerm int64
	releaseAt   time.Time
	// floor is the highest term seen outside the stores (supersede): the
	// node's released records carry it, so that every candidate's next claim
	// goes above it, not only this one's.
	floor  int64
	nextID uint64
	// reason says why the role last changed, for status.
	reason string
}

// Role is a candidate's part in the election.
type Role int

// The roles.
const (
	// Follower reads the records and claims when a majority has expired.
	Follower Role = iota
	// Claiming has written its term to some stores, not yet to a majority.
	Claiming
	// Leading holds a term that a majority granted within RenewDeadline.
	Leading
)

func (r Role) String() string {
	switch r {
	case Claiming:
		return "Claiming"
	case Leading:
		return "Leading"
	default:
		return "Follower"
	}
}

// view is what a node knows of one store.
type view struct {
	known   bool // a read or write told us the record
	stale   bool // a write failed: read before the next write
	busy    bool // an operation is in flight
	rec     Record
	version string
	// seenAt is the local time the node first received version: the record
	// was written at or before then, so "unchanged since seenAt for
	// LeaseDuration" is safe without trusting the writer's clock.
	seenAt time.Time
	// okAt is when the node last heard from the store: a claim starts only on
	// records confirmed within the last two RetryPeriods, so that a candidate
	// cut off from the majority does not claim on old news and disturb the
	// leader when it returns.
	okAt time.Time
	// ackSent is when the node sent the last write of its current term that
	// this store acknowledged (zero if none): the store held the term from
	// then at the latest.
	ackSent time.Time
}

type opKind int

const (
	opRead opKind = iota
	opWrite
)

// op is an operation on one store the node asks its driver to perform and
// report back through handle, exactly once, with its result or an error.
type op struct {
	id      uint64
	store   int
	kind    opKind
	rec     Record // write: the new record
	version string // write: the expected version
	sent    time.Time
}

// result is an op's outcome: for a read, the record and version; for a
// write, the new version.
type result struct {
	rec     Record
	version string
	err     error
	// timedOut says the request ran out of RequestTimeout: the store may
	// answer the next one, so a read is sent again at once rather than at
	// the next tick (a request sent into a partition must not delay the
	// first read after it heals by a RetryPeriod more).
	timedOut bool
}

func newNode(cfg Config, stores int, rnd *rand.Rand) *node {
	return &node{cfg: cfg, q: stores/2 + 1, views: make([]view, stores), rnd: rnd}
}

// valid says whether the node may act as leader at local time now.
func (n *node) valid(now time.Time) bool {
	return n.role == Leading && now.Before(n.validUntil)
}

// tick is called every RetryPeriod (periodic) and at the times wake asks for:
// it renews, reads and claims.
func (n *node) tick(now time.Time, periodic bool) []op {
	n.expire(now)
	ops := n.giveUp(now)
	ops = append(ops, n.release(now)...)
	ops = append(ops, n.maybeClaim(now)...)
	for i := range n.views {
		if o, ok := n.action(i, now, periodic); ok {
			ops = append(ops, o)
		}
	}
	return ops
}

// handle records an op's result and returns the follow-up operations.
func (n *node) handle(now time.Time, o op, res result) []op {
	// A guard that lapsed stays lapsed: a late acknowledgement must not revive it.
	n.expire(now)
	v := &n.views[o.store]
	v.busy = false
	if n.role == Claiming {
		n.claimRTT = max(n.claimRTT, now.Sub(o.sent))
	}
	switch {
	case o.kind == opRead && res.err == nil:
		n.observe(v, now, res.rec, res.version)
	case o.kind == opWrite && res.err == nil:
		n.observe(v, now, o.rec, res.version)
		if n.role != Follower && o.rec.Holder == n.cfg.Identity && !o.rec.Released && o.rec.Term == n.term && o.sent.After(v.ackSent) {
			v.ackSent = o.sent
		}
	case o.kind == opWrite:
		// A conflict, or an unknown outcome: learn the record before writing again.
		v.stale = true
	case res.timedOut:
		v.stale = true // read again now
	}
	var ops []op
	if n.role != Follower && v.known && !v.stale && n.superseded(v.rec) {
		ops = n.stepDown(now, "a store holds a newer claim")
	}
	if n.role != Follower {
		if u := n.quorumAck(); !u.IsZero() {
			until := u.Add(n.cfg.RenewDeadline)
			if n.role == Claiming && now.Before(until) {
				n.role, n.reason = Leading, "a majority granted the term"
			}
			if n.role == Leading && until.After(n.validUntil) {
				n.validUntil = until
			}
		}
	}
	n.expire(now)
	ops = append(ops, n.maybeClaim(now)...)
	if o, ok := n.action(o.store, now, false); ok {
		ops = append(ops, o)
	}
	return ops
}

// wake returns the local time after now the node next wants a non-periodic
// tick: when its guard lapses, or when a record it waits for expires; zero
// when nothing is due before the next periodic tick or result.
func (n *node) wake(now time.Time) time.Time {
	if t := n.nextEvent(now); t.After(now) {
		return t
	}
	return time.Time{}
}

func (n *node) nextEvent(now time.Time) time.Time {
	at := n.roleEvent(now)
	later := []time.Time{n.quietAt}
	if n.releaseTerm != 0 {
		later = append(later, n.releaseAt)
	}
	for _, t := range later {
		if t.After(now) && (!at.After(now) || t.Before(at)) {
			at = t
		}
	}
	return at
}

func (n *node) roleEvent(now time.Time) time.Time {
	switch n.role {
	case Leading:
		return n.validUntil
	case Claiming:
		at := n.claimedAt.Add(n.cfg.LeaseDuration)
		for i := range n.views {
			v := &n.views[i]
			if t, ok := n.replaceableAt(v, n.term); ok && !n.mine(v.rec) && t.After(now) && t.Before(at) {
				at = t
			}
		}
		return at
	}
	term := max(n.maxTerm(), n.term) + 1
	var times []time.Time
	for i := range n.views {
		if t, ok := n.replaceableAt(&n.views[i], term); ok && n.fresh(&n.views[i], now) {
			times = append(times, t)
		}
	}
	if len(times) < n.q {
		return time.Time{}
	}
	slices.SortFunc(times, time.Time.Compare)
	at := times[n.q-1]
	if at.Before(n.backoffUntil) {
		at = n.backoffUntil
	}
	return at
}

func (n *node) observe(v *view, now time.Time, rec Record, version string) {
	if !v.known || version != v.version {
		v.seenAt = now
	}
	v.known, v.stale, v.rec, v.version, v.okAt = true, false, rec, version, now
}

// superseded says whether rec shows that the node's claim or term is over: a
// higher term, or (while claiming) the same term claimed by another.
func (n *node) superseded(rec Record) bool {
	if rec.Term > n.term {
		return true
	}
	return n.role == Claiming && rec.Term == n.term && !rec.Released && rec.Holder != n.cfg.Identity
}

func (n *node) mine(rec Record) bool {
	return rec.Holder == n.cfg.Identity && rec.Term == n.term && !rec.Released && n.role != Follower
}

// replaceableAt says from which local time the node may replace the record
// of view v with its own for term: at once for its own older records and for
// released ones, after LeaseDuration unchanged for the others.
func (n *node) replaceableAt(v *view, term int64) (time.Time, bool) {
	if !v.known || v.stale || v.rec.Term >= term {
		return time.Time{}, false
	}
	if v.rec.Holder == n.cfg.Identity {
		return n.quietAt, true
	}
	if v.rec.Released {
		return time.Time{}, true
	}
	return v.seenAt.Add(n.cfg.LeaseDuration), true
}

// canReplace says whether the node may write its current term over v's record now.
func (n *node) canReplace(v *view, now time.Time) bool {
	if n.role == Leading && v.known && !v.stale && v.rec.Term <= n.term {
		// A majority granted this term after every older term's records
		// expired there: no older holder can be valid again. A record of
		// this term is a losing claimant's (claims never overwrite their
		// term, so only one candidate ever wins a majority for it): it never
		// held the term and made no writes under it.
		return true
	}
	at, ok := n.replaceableAt(v, n.term)
	return ok && !now.Before(at)
}

// action is the operation for store i now, if any: periodic ticks renew and
// read; follow-ups only write a claim that has become possible or re-read
// after a failed write.
func (n *node) action(i int, now time.Time, periodic bool) (op, bool) {
	v := &n.views[i]
	if v.busy {
		return op{}, false
	}
	if !v.known || v.stale {
		if periodic || v.stale {
			return n.newOp(i, now, opRead, Record{}, ""), true
		}
		return op{}, false
	}
	if n.role != Follower {
		own := Record{Holder: n.cfg.Identity, Term: n.term, LeaseDuration: n.cfg.LeaseDuration}
		if n.mine(v.rec) {
			if periodic {
				return n.newOp(i, now, opWrite, own, v.version), true
			}
			return op{}, false
		}
		if n.canReplace(v, now) {
			return n.newOp(i, now, opWrite, own, v.version), true
		}
	}
	if periodic {
		return n.newOp(i, now, opRead, Record{}, ""), true
	}
	return op{}, false
}

func (n *node) newOp(i int, now time.Time, kind opKind, rec Record, version string) op {
	n.nextID++
	n.views[i].busy = true
	return op{id: n.nextID, store: i, kind: kind, rec: rec, version: version, sent: now}
}

// expire ends the node's leadership once its guard has lapsed.
func (n *node) expire(now time.Time) {
	if n.role == Leading && !now.Before(n.validUntil) {
		n.role, n.reason = Follower, "renewals did not reach a majority within the renew deadline"
		n.quietAt = n.validUntil.Add(n.writeDelay())
		n.validUntil = time.Time{}
	}
}

// giveUp withdraws a claim that has not won within LeaseDuration.
func (n *node) giveUp(now time.Time) []op {
	if n.role == Claiming && now.Sub(n.claimedAt) >= n.cfg.LeaseDuration {
		return n.stepDown(now, "the claim did not reach a majority")
	}
	return nil
}

func (n *node) fresh(v *view, now time.Time) bool {
	return now.Sub(v.okAt) <= 2*n.cfg.RetryPeriod
}

// maybeClaim starts a claim for a new term when a majority of the stores'
// records may be replaced.
func (n *node) maybeClaim(now time.Time) []op {
	if n.role != Follower || now.Before(n.backoffUntil) {
		return nil
	}
	term := max(n.maxTerm(), n.term) + 1
	count := 0
	for i := range n.views {
		if at, ok := n.replaceableAt(&n.views[i], term); ok && !now.Before(at) && n.fresh(&n.views[i], now) {
			count++
		}
	}
	if count < n.q {
		return nil
	}
	n.role, n.term, n.reason, n.claimedAt, n.claimRTT = Claiming, term, "a majority of the records expired", now, 0
	for i := range n.views {
		n.views[i].ackSent = time.Time{}
	}
	var ops []op
	for i := range n.views {
		if o, ok := n.action(i, now, false); ok {
			ops = append(ops, o)
		}
	}
	return ops
}

// supersede ends a held or claimed term not above term and makes the next
// claim higher than term.
func (n *node) supersede(now time.Time, term int64, reason string) []op {
	if term < n.term {
		return nil
	}
	n.floor = max(n.floor, term)
	var ops []op
	if n.role != Follower {
		ops = n.stepDown(now, reason)
	}
	n.term = term
	return ops
}

// stepDown gives the term up (the guard lapses now), releases the node's
// records once its writes have landed (at once if it never led the term),
// and backs off before claiming again.
func (n *node) stepDown(now time.Time, reason string) []op {
	if n.role == Leading {
		n.quietAt = minTime(now, n.validUntil).Add(n.writeDelay())
	}
	// A follower with a release still due keeps it: its term may have been
	// raised since (supersede), and the records to release are of the old.
	if n.role != Follower || n.releaseTerm == 0 {
		n.releaseTerm, n.releaseAt = n.term, now
		if n.quietAt.After(now) {
			n.releaseAt = n.quietAt
		}
	}
	n.role, n.reason, n.validUntil = Follower, reason, time.Time{}
	n.backoffUntil = now.Add(n.backoff())
	return n.release(now)
}

// backoff is a random wait before the next claim: within a RetryPeriod, or
// twice the lost claim's slowest round trip if longer, and at most half a
// LeaseDuration.
func (n *node) backoff() time.Duration {
	span := min(max(n.cfg.RetryPeriod, 2*n.claimRTT), n.cfg.LeaseDuration/2)
	return time.Duration(n.rnd.Int64N(int64(span)))
}

// release writes the released record over the node's records of releaseTerm when due.
func (n *node) release(now time.Time) []op {
	if n.releaseTerm == 0 || now.Before(n.releaseAt) {
		return nil
	}
	var ops []op
	for i := range n.views {
		v := &n.views[i]
		if v.known && !v.busy && !v.stale && v.rec.Holder == n.cfg.Identity && v.rec.Term == n.releaseTerm && !v.rec.Released {
			rel := Record{Term: max(n.releaseTerm, n.floor), Released: true, LeaseDuration: n.cfg.LeaseDuration}
			ops = append(ops, n.newOp(i, now, opWrite, rel, v.version))
		}
	}
	n.releaseTerm = 0
	return ops
}

// writeDelay is MaxWriteDelay measured on the node's clock, even if it runs fast.
func (n *node) writeDelay() time.Duration {
	return time.Duration(float64(n.cfg.MaxWriteDelay) * (1 + n.cfg.MaxClockDrift))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// quorumAck is the latest send time that a majority of the stores acknowledged
// for the current term, or zero.
func (n *node) quorumAck() time.Time {
	var acks []time.Time
	for i := range n.views {
		if t := n.views[i].ackSent; !t.IsZero() {
			acks = append(acks, t)
		}
	}
	if len(acks) < n.q {
		return time.Time{}
	}
	slices.SortFunc(acks, func(a, b time.Time) int { return b.Compare(a) })
	return acks[n.q-1]
}

func (n *node) maxTerm() int64 {
	var m int64
	for i := range n.views {
		if n.views[i].known {
			m = max(m, n.views[i].rec.Term)
		}
	}
	return m
}
