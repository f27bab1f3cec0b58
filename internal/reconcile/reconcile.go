// Package reconcile runs a level-triggered pass function on an absolute
// schedule: a periodic resync that events can bring forward but never push
// back, event-triggered passes batched by a minimum interval, and retries of
// failed passes rate-limited by the backend's state (per failure class, with an
// optional cheap probe) rather than by the number of events.
//
// Scheduling rules, in order of precedence:
//
//  1. Resync. The first pass of Run is a resync. Each later resync is due
//     Options.Resync() after the start of the last successful resync pass.
//     Anchoring on the start (not the end, not the last event) keeps the
//     schedule absolute: events never move it. A resync that falls due while a
//     pass runs or during a backoff runs as soon as the next pass may start,
//     and the next one is due one period after that start: late resyncs do not
//     catch up in bursts. A failed resync is not done: every pass stays a
//     resync until one succeeds. Resync() is read whenever the loop schedules
//     (after every pass and every Trigger), so a new period applies at once:
//     a shorter one can make the resync due immediately. Callers that change
//     it should Trigger.
//  2. Events. Trigger marks work pending. The pending work runs
//     Options.MinInterval after the later of the first trigger it covers and
//     the start of the previous pass: a burst coalesces into one pass, and the
//     delay is fixed by the first trigger, so a stream of events cannot
//     postpone it either. Triggers during a pass cause exactly one more pass.
//  3. Failures. A failed pass enters backoff: the next pass runs when the
//     class's exponential delay (client-go's workqueue rate limiter keyed by
//     Options.Classify(err)) has elapsed since the failure. Triggers and due
//     resyncs are remembered but run nothing earlier and do not lengthen the
//     delay: only consecutive failed passes do. The defaults (500 ms doubling
//     to 5 s) put the first retry after recovery at most ~5 s away, whatever
//     the outage's length; during an outage of length T the loop makes at
//     most 1 + log2(Max/Base) + T/Max passes (17 for 60 s). A success resets
//     every class; so does Reset.
//  4. Probe. With Options.Probe, a retry pass only follows a successful probe.
//     The probe runs every Options.ProbeInterval while in backoff and once when
//     the retry falls due. A probe that succeeds after one that failed (the
//     backend came back) runs the pass at once, even before the retry time; a
//     probe that succeeds without having failed proves little (the pass just
//     failed) and the pass waits for its retry time. A failing probe holds
//     passes back, so during an outage of length T that starts with a failed
//     pass, the loop makes at most one pass (the one that saw the outage) and
//     T/ProbeInterval + 2 probes, and converges within ProbeInterval (plus the
//     pass's time) of the backend's recovery. The probe must therefore fail
//     only when a pass cannot succeed; for a class where no probe can tell
//     (bad credentials: only new credentials help) it should return an error,
//     and the caller calls Reset when the cause may be gone.
package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
)

// Defaults for the zero Options.
const (
	// DefaultMinInterval is long enough to coalesce the events an informer
	// delivers for one change (or a batch applied at once) and short enough to
	// be invisible next to DNS TTLs.
	DefaultMinInterval = 10 * time.Millisecond
	// DefaultBaseDelay is the first retry delay of a failure class.
	DefaultBaseDelay = 500 * time.Millisecond
	// DefaultMaxDelay caps the retry delay of ordinary failures, so that the
	// first retry after recovery is at most this far away.
	DefaultMaxDelay = 5 * time.Second
	// DefaultProbeInterval is the probe period while in backoff.
	DefaultProbeInterval = time.Second
)

// Pass tells the pass function why it runs.
type Pass struct {
	// Resync: a periodic full resync is due (or is the first pass): re-read the
	// backend, repair drift, collect garbage. Otherwise the pass may work from
	// what it last observed.
	Resync bool
	// Attempt counts the consecutive failed passes before this one: 0 when the
	// previous pass succeeded.
	Attempt int
}

// Backoff is the retry policy of one failure class: the delay starts at Base
// and doubles with each consecutive failure of the class up to Max.
type Backoff struct {
	Base, Max time.Duration
}

// Options configure a Loop. The zero value is usable: no periodic resync,
// default batching and backoff, no probe, the real clock.
type Options struct {
	// Resync returns the period of full resyncs; <= 0 (or a nil func) means
	// only the first pass is a resync. Read at every scheduling decision.
	Resync func() time.Duration
	// MinInterval is the batching delay of event-triggered passes (rule 2);
	// 0 means DefaultMinInterval, a negative value means none.
	MinInterval time.Duration
	// Classify names the failure class of a pass error, which keys its
	// backoff; nil puts every error in class "".
	Classify func(error) string
	// Backoff returns the policy of a class; nil, or a zero field, means
	// DefaultBaseDelay and DefaultMaxDelay. A class that must not be retried
	// quickly (bad credentials: every try may count towards an account
	// lock-out) gets a Base of minutes.
	Backoff func(class string) Backoff
	// Probe, when set, is a cheap check that a pass can succeed (is the
	// backend reachable?), called instead of passes while in backoff (rule
	// 4). It gets the class of the last failure. It should return within
	// about ProbeInterval; passes and probes never overlap.
	Probe func(ctx context.Context, class string) error
	// ProbeInterval is the probe period; 0 means DefaultProbeInterval.
	ProbeInterval time.Duration
	// Clock is the time source; nil means the real clock. Tests use
	// k8s.io/utils/clock/testing.FakeClock.
	Clock clock.Clock
	// Log, when set, gets a warning for each failed pass (with its class and
	// retry time) and an info line when a pass succeeds after failures.
	Log *slog.Logger
}

// State is a snapshot of the loop for /status and metrics.
type State struct {
	// LastError is the error of the last pass; nil after a success.
	LastError error
	// Class is LastError's failure class.
	Class string
	// Failures counts the consecutive failed passes.
	Failures int
	// LastSuccess is when the last successful pass started.
	LastSuccess time.Time
	// NextResync is when the next resync is due (zero: none scheduled).
	NextResync time.Time
	// NextRetry is when a failed pass may be retried; zero when not in backoff.
	NextRetry time.Time
	// ProbeFailing: the last probe failed; the retry waits for one to succeed.
	ProbeFailing bool
}

// Loop schedules passes. Create it with New; Trigger, Reset and State are safe
// from any goroutine, before, during and after Run.
type Loop struct {
	opts    Options
	clk     clock.Clock
	trigger chan struct{}
	reset   atomic.Bool
	running atomic.Bool

	mu    sync.Mutex
	state State

	// idle, set by tests only, is called each time Run is about to block, with
	// the time it will wake up at unless triggered (zero: not before a trigger).
	idle func(wake time.Time)
}

// New returns a Loop with the options' defaults filled in.
func New(opts Options) *Loop {
	switch {
	case opts.MinInterval == 0:
		opts.MinInterval = DefaultMinInterval
	case opts.MinInterval < 0:
		opts.MinInterval = 0
	}
	if opts.ProbeInterval <= 0 {
		opts.ProbeInterval = DefaultProbeInterval
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Loop{opts: opts, clk: clk, trigger: make(chan struct{}, 1)}
}

// Trigger asks for a pass soon (rule 2). It never blocks: triggers that arrive
// before the pending pass starts are covered by it.
func (l *Loop) Trigger() {
	select {
	case l.trigger <- struct{}{}:
	default:
	}
}

// Reset ends a backoff and asks for a pass, without a probe: the caller knows
// the cause of the failures may be gone (the credentials changed). The next
// failure of any class starts again from its base delay.
func (l *Loop) Reset() {
	l.reset.Store(true)
	l.Trigger()
}

// State returns a snapshot of the loop.
func (l *Loop) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// ErrRunning is returned by Run when the Loop is already running.
var ErrRunning = errors.New("reconcile: loop already running")

type probeResult int

const (
	probeNone probeResult = iota // no probe since the last failed pass
	probeUp
	probeDown
)

// run is the scheduling state of one Run, owned by its goroutine.
type run struct {
	start      time.Time // of Run: the first resync is due then
	lastResync time.Time // start of the last successful resync pass
	lastStart  time.Time // of the last pass
	dirty      bool      // triggered since the last pass started
	dirtyAt    time.Time // when the first of those triggers was seen

	backoff   bool // the last pass failed and no Reset came since
	failures  int
	class     string
	retryAt   time.Time
	limiters  map[string]workqueue.TypedRateLimiter[string]
	probe     probeResult
	probedAt  time.Time // of the last probe, or of the failure before any
	probeDue  bool      // the probe at retryAt has not run yet
	recovered bool      // a probe succeeded after one failed: pass now
}

// Run calls pass as the schedule says until ctx ends, then returns nil (after
// the pass in progress, if any, returns: pass gets ctx). Pass errors are
// retried, never returned. Run returns ErrRunning if the Loop already runs.
func (l *Loop) Run(ctx context.Context, pass func(ctx context.Context, p Pass) error) error {
	if !l.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer l.running.Store(false)
	r := &run{start: l.clk.Now(), limiters: map[string]workqueue.TypedRateLimiter[string]{}}
	for ctx.Err() == nil {
		now := l.clk.Now()
		l.drain(r, now)
		nextResync := l.nextResync(r)
		resync := !nextResync.IsZero() && !now.Before(nextResync)
		l.publish(r, nextResync)

		var wake time.Time
		switch {
		case !r.backoff:
			if resync {
				l.pass(ctx, r, now, true, pass)
				continue
			}
			if r.dirty {
				at := later(r.dirtyAt, r.lastStart).Add(l.opts.MinInterval)
				if !now.Before(at) {
					l.pass(ctx, r, now, false, pass)
					continue
				}
				wake = at
			}
			wake = earliest(wake, nextResync)
		case l.opts.Probe == nil:
			if !now.Before(r.retryAt) {
				l.pass(ctx, r, now, resync, pass)
				continue
			}
			wake = r.retryAt
		default:
			if r.recovered {
				l.pass(ctx, r, now, resync, pass)
				continue
			}
			probeAt := r.probedAt.Add(l.opts.ProbeInterval)
			if r.probeDue {
				probeAt = earliest(probeAt, r.retryAt)
			}
			if !now.Before(probeAt) {
				l.probe(ctx, r, now)
				continue
			}
			wake = probeAt
		}
		if !l.wait(ctx, now, wake) {
			break
		}
	}
	return nil
}

// drain takes in a pending trigger and Reset.
func (l *Loop) drain(r *run, now time.Time) {
	select {
	case <-l.trigger:
		if !r.dirty {
			r.dirty, r.dirtyAt = true, now
		}
	default:
	}
	if l.reset.Swap(false) {
		clear(r.limiters)
		r.backoff, r.recovered = false, false
	}
}

func (l *Loop) nextResync(r *run) time.Time {
	if r.lastResync.IsZero() {
		return r.start
	}
	if l.opts.Resync == nil {
		return time.Time{}
	}
	period := l.opts.Resync()
	if period <= 0 {
		return time.Time{}
	}
	return r.lastResync.Add(period)
}

// wait blocks until wake (zero: no timer), a trigger or the end of ctx; it
// reports whether ctx is still live.
func (l *Loop) wait(ctx context.Context, now, wake time.Time) bool {
	var timer <-chan time.Time
	if !wake.IsZero() {
		t := l.clk.NewTimer(wake.Sub(now))
		defer t.Stop()
		timer = t.C()
	}
	if l.idle != nil {
		l.idle(wake)
	}
	select {
	case <-ctx.Done():
		return false
	case <-timer:
	case <-l.trigger:
		// Put it back for drain, which owns the bookkeeping; it cannot
		// block: the buffer was just emptied and only Trigger fills it.
		l.Trigger()
	}
	return true
}

func (l *Loop) pass(ctx context.Context, r *run, now time.Time, resync bool, pass func(context.Context, Pass) error) {
	r.dirty, r.lastStart = false, now
	err := pass(ctx, Pass{Resync: resync, Attempt: r.failures})
	if ctx.Err() != nil {
		return // stopping: the error says nothing about the backend
	}
	end := l.clk.Now()
	if err == nil {
		if resync {
			r.lastResync = now
		}
		if r.failures > 0 && l.opts.Log != nil {
			l.opts.Log.Info("pass succeeded", "afterFailures", r.failures)
		}
		clear(r.limiters)
		r.backoff, r.failures, r.recovered = false, 0, false
		l.mu.Lock()
		l.state.LastError, l.state.Class, l.state.Failures, l.state.LastSuccess = nil, "", 0, now
		l.mu.Unlock()
		return
	}
	class := ""
	if l.opts.Classify != nil {
		class = l.opts.Classify(err)
	}
	lim := r.limiters[class]
	if lim == nil {
		lim = l.limiter(class)
		r.limiters[class] = lim
	}
	delay := lim.When(class)
	r.backoff, r.failures, r.class, r.retryAt = true, r.failures+1, class, end.Add(delay)
	r.probe, r.probedAt, r.probeDue, r.recovered = probeNone, end, true, false
	l.mu.Lock()
	l.state.LastError, l.state.Class, l.state.Failures = err, class, r.failures
	l.mu.Unlock()
	if l.opts.Log != nil {
		l.opts.Log.Warn("pass failed; retrying", "class", class, "failures", r.failures,
			"in", delay, "probe", l.opts.Probe != nil, "err", err)
	}
}

// limiter builds the rate limiter of a class: client-go's exponential one,
// so that amko has no hand-written doubling.
func (l *Loop) limiter(class string) workqueue.TypedRateLimiter[string] {
	b := Backoff{}
	if l.opts.Backoff != nil {
		b = l.opts.Backoff(class)
	}
	if b.Base <= 0 {
		b.Base = DefaultBaseDelay
	}
	if b.Max <= 0 {
		b.Max = DefaultMaxDelay
	}
	b.Max = max(b.Max, b.Base)
	return workqueue.NewTypedItemExponentialFailureRateLimiter[string](b.Base, b.Max)
}

func (l *Loop) probe(ctx context.Context, r *run, now time.Time) {
	err := l.opts.Probe(ctx, r.class)
	if ctx.Err() != nil {
		return
	}
	due := !now.Before(r.retryAt)
	r.probedAt = now // the next one is due ProbeInterval after this one started
	if due {
		r.probeDue = false
	}
	if err != nil {
		r.probe = probeDown
		return
	}
	r.recovered = r.probe == probeDown || due
	r.probe = probeUp
}

// publish refreshes the schedule part of State.
func (l *Loop) publish(r *run, nextResync time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state.NextResync = nextResync
	l.state.NextRetry, l.state.ProbeFailing = time.Time{}, false
	if r.backoff {
		l.state.NextRetry = r.retryAt
		l.state.ProbeFailing = r.probe == probeDown
	}
}

// earliest returns the earlier of two times, zero meaning "never".
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
