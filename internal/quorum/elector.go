// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package quorum

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
)

// ErrLapsed is the cause of a Guard's context once the guard has lapsed.
var ErrLapsed = errors.New("quorum: the leadership term is no longer provably current")

// NewIdentity returns prefix (say, the pod name) with a random suffix, unique
// per process incarnation as Config.Identity must be.
func NewIdentity(prefix string) string { return prefix + "_" + uuid.NewString() }

// Elector runs one candidate of a federation set's election against the
// set's stores (one per member cluster, the same list in every candidate).
// Run it for the life of the process; while it leads, Guard returns the proof.
type Elector struct {
	cfg    Config
	stores []Store
	// superseded wakes Run for a term Supersede raised.
	superseded chan struct{}

	mu      sync.Mutex
	n       *node
	guard   *Guard
	changed chan struct{} // closed and replaced when the guard changes
	// pending are operations Supersede asked for, until Run starts them.
	pending []op
}

// New returns an Elector for cfg over stores. Every candidate of the set must
// list the same stores: a majority is counted over len(stores).
func New(cfg Config, stores []Store) (*Elector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(stores) == 0 {
		return nil, errors.New("quorum: no stores")
	}
	rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	return &Elector{cfg: cfg, stores: stores, n: newNode(cfg, len(stores), rnd), changed: make(chan struct{}),
		superseded: make(chan struct{}, 1)}, nil
}

type opDone struct {
	o   op
	res result
}

// Run takes part in the election until ctx ends; then it gives up the term
// (its guard lapses at once), waits until its writes have landed
// (MaxWriteDelay) and releases its records, so another candidate takes over
// without waiting for LeaseDuration.
func (e *Elector) Run(ctx context.Context) error {
	done := make(chan opDone, len(e.stores))
	var wg sync.WaitGroup
	opCtx, cancelOps := context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		cancelOps()
		wg.Wait()
	}()
	inflight := 0
	start := func(ops []op) {
		inflight += len(ops)
		for _, o := range ops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				done <- opDone{o, e.perform(opCtx, o)}
			}()
		}
	}

	periodic := time.NewTimer(0)
	defer periodic.Stop()
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	for {
		var ops []op
		select {
		case <-ctx.Done():
			e.shutdown(done, start, &inflight)
			return ctx.Err()
		case <-periodic.C:
			periodic.Reset(e.cfg.RetryPeriod)
			ops = e.step(func(now time.Time) []op { return e.n.tick(now, true) })
		case <-wake.C:
			ops = e.step(func(now time.Time) []op { return e.n.tick(now, false) })
		case d := <-done:
			inflight--
			ops = e.step(func(now time.Time) []op { return e.n.handle(now, d.o, d.res) })
		case <-e.superseded:
			e.mu.Lock()
			ops, e.pending = e.pending, nil
			e.mu.Unlock()
		}
		start(ops)
		e.mu.Lock()
		now := time.Now()
		if w := e.n.wake(now); !w.IsZero() {
			wake.Reset(w.Sub(now))
		}
		e.mu.Unlock()
	}
}

// shutdown steps down, waits for the release to be due, and performs it on
// every store that is not busy then or becomes free before RetryPeriod more.
func (e *Elector) shutdown(done chan opDone, start func([]op), inflight *int) {
	e.mu.Lock()
	now := time.Now()
	ops := append(e.pending, e.n.stepDown(now, "shutting down")...)
	e.pending = nil
	e.n.backoffUntil = now.Add(24 * time.Hour) // no new claim while leaving
	e.sync(now)
	term, releaseAt := e.n.releaseTerm, e.n.releaseAt
	e.mu.Unlock()
	start(ops)
	due := time.NewTimer(time.Until(releaseAt))
	defer due.Stop()
	deadline := time.NewTimer(time.Until(releaseAt) + e.cfg.RetryPeriod)
	defer deadline.Stop()
	isDue := false
	release := func(now time.Time) []op {
		if !isDue {
			return nil
		}
		e.n.releaseTerm, e.n.releaseAt = term, now
		return e.n.release(now)
	}
	for *inflight > 0 || !isDue {
		select {
		case d := <-done:
			*inflight--
			start(e.step(func(now time.Time) []op {
				e.n.handle(now, d.o, d.res)
				return release(now)
			}))
		case <-due.C:
			isDue = true
			start(e.step(release))
		case <-deadline.C:
			return
		}
	}
}

// step runs f on the node under the lock and brings the guard up to date.
func (e *Elector) step(f func(now time.Time) []op) []op {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	ops := f(now)
	e.sync(now)
	return ops
}

// sync makes the guard follow the node: a new guard for a new term, a later
// expiry on renewal, a lapse when the node stops leading.
func (e *Elector) sync(now time.Time) {
	g := e.guard
	if g != nil && (!e.n.valid(now) || g.term != e.n.term) {
		g.lapse(now, e.n.reason)
		e.guard = nil
		e.notify()
	}
	if !e.n.valid(now) {
		return
	}
	if e.guard == nil {
		e.guard = newGuard(e.n.term, now, e.n.validUntil)
		e.notify()
		return
	}
	e.guard.extend(e.n.validUntil)
}

func (e *Elector) notify() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// perform runs one operation on its store, bounded by RequestTimeout.
func (e *Elector) perform(ctx context.Context, o op) result {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	defer cancel()
	st := e.stores[o.store]
	var res result
	if o.kind == opRead {
		res.rec, res.version, res.err = st.Get(ctx)
	} else {
		rec := o.rec
		rec.RenewTime = time.Now()
		res.version, res.err = st.Put(ctx, rec, o.version)
	}
	// Our own deadline, whatever error the client made of it (an HTTP
	// client's timeout may not wrap context.DeadlineExceeded).
	res.timedOut = res.err != nil && ctx.Err() != nil
	if res.err != nil && !errors.Is(res.err, ErrConflict) {
		res.err = fmt.Errorf("store %s: %w", st.Name(), res.err)
	}
	return res
}

// Supersede says that term was seen outside the stores (on an object a leader
// wrote, say): a term this candidate holds or claims that is not above it
// ends now (the guard lapses at once), and its next claim is for a higher
// term. Terms seen only on written objects can be ahead of the stores when
// the records were deleted and the terms began again; this is how the set
// climbs past them instead of refusing those objects for ever.
func (e *Elector) Supersede(term int64, why string) {
	e.mu.Lock()
	now := time.Now()
	e.pending = append(e.pending, e.n.supersede(now, term, why)...)
	e.sync(now) // the guard lapses with the node's term
	e.mu.Unlock()
	select {
	case e.superseded <- struct{}{}:
	default:
	}
}

// Guard returns the proof of the term this candidate holds now, or nil.
func (e *Elector) Guard() *Guard {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.guard != nil && e.guard.Valid() {
		return e.guard
	}
	return nil
}

// AwaitGuard waits until this candidate holds a term and returns its guard.
func (e *Elector) AwaitGuard(ctx context.Context) (*Guard, error) {
	for {
		e.mu.Lock()
		g, changed := e.guard, e.changed
		e.mu.Unlock()
		if g != nil && g.Valid() {
			return g, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		}
	}
}

// Status is one candidate's view of the election, for conditions and `amko status`.
type Status struct {
	Identity string
	Role     Role
	// Term is the term held or claimed, else the last one.
	Term int64
	// Holder and HolderTerm are the holder a majority of the stores names, if any.
	Holder     string
	HolderTerm int64
	// ValidUntil is when this candidate's guard lapses unless renewed (Leading only).
	ValidUntil time.Time
	// Reason says why the role last changed.
	Reason string
	Stores []StoreStatus
}

// StoreStatus is what a candidate last learned from one store.
type StoreStatus struct {
	Name     string
	Known    bool
	Holder   string
	Term     int64
	Released bool
	// Granted says the store acknowledged this candidate's current term
	// within the last RenewDeadline.
	Granted bool
	// LastHeard is when the store last answered.
	LastHeard time.Time
}

// Status returns this candidate's view now.
func (e *Elector) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	n := e.n
	st := Status{Identity: e.cfg.Identity, Role: n.role, Term: n.term, Reason: n.reason}
	if n.valid(now) {
		st.ValidUntil = n.validUntil
	} else if n.role == Leading {
		st.Role = Follower
	}
	count := map[Record]int{}
	for i := range n.views {
		v := &n.views[i]
		st.Stores = append(st.Stores, StoreStatus{
			Name: e.stores[i].Name(), Known: v.known, Holder: v.rec.Holder, Term: v.rec.Term, Released: v.rec.Released,
			Granted:   n.role != Follower && !v.ackSent.IsZero() && now.Sub(v.ackSent) < e.cfg.RenewDeadline,
			LastHeard: v.okAt,
		})
		if v.known && v.rec.Holder != "" {
			count[Record{Holder: v.rec.Holder, Term: v.rec.Term}]++
		}
	}
	for r, c := range count {
		if c >= n.q {
			st.Holder, st.HolderTerm = r.Holder, r.Term
		}
	}
	return st
}

// Guard is the proof that its holder's term is current. Check Valid right
// before every write, or pass Context to the write, which is cancelled the
// moment the proof lapses; mark what is written with Term. A guard that has
// lapsed never becomes valid again: a new term brings a new guard.
type Guard struct {
	term     int64
	acquired time.Time
	ctx      context.Context
	cancel   context.CancelCauseFunc

	mu       sync.Mutex
	until    time.Time
	lapsedAt time.Time
	timer    *time.Timer
}

func newGuard(term int64, now, until time.Time) *Guard {
	ctx, cancel := context.WithCancelCause(context.Background())
	g := &Guard{term: term, acquired: now, ctx: ctx, cancel: cancel, until: until}
	g.timer = time.AfterFunc(until.Sub(now), g.check)
	return g
}

// Term is the term this guard proves: strictly greater than every earlier
// holder's, so a write marked with it can be told from a stale leader's.
func (g *Guard) Term() int64 { return g.term }

// Acquired is when the term was granted by a majority (this process's clock).
func (g *Guard) Acquired() time.Time { return g.acquired }

// Valid says whether the term is provably current now. It reads the clock
// itself, so it is exact even if the timer behind Context is late.
func (g *Guard) Valid() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lapsedAt.IsZero() && time.Now().Before(g.until)
}

// Context is cancelled, with cause ErrLapsed, when the guard lapses: pass it
// to writes so that they stop with the proof.
func (g *Guard) Context() context.Context { return g.ctx }

// Done is closed when the guard lapses.
func (g *Guard) Done() <-chan struct{} { return g.ctx.Done() }

// LapsedAt is when the proof ended, or zero while it holds.
func (g *Guard) LapsedAt() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lapsedAt
}

func (g *Guard) check() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.lapsedAt.IsZero() {
		return
	}
	now := time.Now()
	if now.Before(g.until) {
		g.timer.Reset(g.until.Sub(now))
		return
	}
	g.lapsedAt = g.until
	g.cancel(ErrLapsed)
}

func (g *Guard) extend(until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lapsedAt.IsZero() && until.After(g.until) {
		g.until = until
	}
}

func (g *Guard) lapse(now time.Time, reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.lapsedAt.IsZero() {
		return
	}
	g.lapsedAt = minTime(now, g.until)
	g.timer.Stop()
	g.cancel(fmt.Errorf("%w: %s", ErrLapsed, reason))
}
