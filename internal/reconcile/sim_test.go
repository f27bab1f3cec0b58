package reconcile

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	testclock "k8s.io/utils/clock/testing"
)

// The tests drive Run with a fake clock as a discrete-event simulation: the
// loop reports each time it is about to block (Loop.idle) with its wake-up
// time, and only then does the driver move the clock, to the earlier of that
// time and its next scripted event. Passes and probes run on the loop's
// goroutine and may advance the clock themselves (their duration). Nothing
// waits on real time except a generous guard against a hung loop, so the
// results do not depend on the machine's load.

// guard bounds every real-time wait; only a bug makes a test reach it.
const guard = 60 * time.Second

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

const ms = time.Millisecond

type call struct {
	at time.Duration // since t0
	p  Pass
	ok bool
}

// ev is a scripted event: do runs (on the driver, while the loop is blocked),
// then the loop is triggered, or Reset if reset is set.
type ev struct {
	at    time.Duration
	do    func()
	reset bool
}

func every(from, to, step time.Duration) []ev {
	var evs []ev
	for at := from; at <= to; at += step {
		evs = append(evs, ev{at: at})
	}
	return evs
}

type sim struct {
	t    *testing.T
	clk  *testclock.FakeClock
	loop *Loop
	idle chan time.Time
	wake time.Time
	stop context.CancelFunc
	done chan error

	// Set before start; used on the loop's goroutine.
	passDur time.Duration
	fail    func(at time.Duration, p Pass) error       // nil: passes succeed
	probe   func(at time.Duration, class string) error // nil: no probe

	mu     sync.Mutex
	passes []call
	probes []call
}

func newSim(t *testing.T, opts Options) *sim {
	t.Helper()
	s := &sim{t: t, clk: testclock.NewFakeClock(t0), idle: make(chan time.Time)}
	opts.Clock = s.clk
	if opts.Probe != nil {
		t.Fatal("set sim.probe instead")
	}
	s.loop = New(opts)
	return s
}

func (s *sim) now() time.Duration { return s.clk.Now().Sub(t0) }

// start runs the loop and waits until it first blocks.
func (s *sim) start() {
	s.t.Helper()
	if s.probe != nil {
		s.loop.opts.Probe = func(ctx context.Context, class string) error {
			err := s.probe(s.now(), class)
			s.mu.Lock()
			s.probes = append(s.probes, call{at: s.now(), ok: err == nil})
			s.mu.Unlock()
			return err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan error, 1)
	s.loop.idle = func(wake time.Time) {
		select {
		case s.idle <- wake:
		case <-ctx.Done():
		}
	}
	go func() {
		s.done <- s.loop.Run(ctx, func(ctx context.Context, p Pass) error {
			at := s.now()
			var err error
			if s.fail != nil {
				err = s.fail(at, p)
			}
			s.mu.Lock()
			s.passes = append(s.passes, call{at: at, p: p, ok: err == nil})
			s.mu.Unlock()
			s.clk.Step(s.passDur)
			return err
		})
	}()
	s.t.Cleanup(s.shutdown)
	s.waitIdle()
}

func (s *sim) shutdown() {
	s.stop()
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(guard):
		s.t.Errorf("Run did not return after cancel")
	}
}

func (s *sim) waitIdle() {
	s.t.Helper()
	select {
	case s.wake = <-s.idle:
	case err := <-s.done:
		s.t.Fatalf("Run returned early: %v", err)
	case <-time.After(guard):
		s.t.Fatalf("the loop did not block within %v (at %v)", guard, s.now())
	}
}

// run advances fake time to end, firing the loop's timers and the events in
// order; on a tie the loop's timer goes first.
func (s *sim) run(end time.Duration, evs ...ev) {
	s.t.Helper()
	for i := 0; ; {
		now := s.now()
		if i < len(evs) && evs[i].at <= now {
			s.fire(evs[i])
			i++
			continue
		}
		next, timer := end, false
		if !s.wake.IsZero() && s.wake.Sub(t0) <= end {
			next, timer = s.wake.Sub(t0), true
		}
		if i < len(evs) && evs[i].at <= end && (!timer || evs[i].at < next) {
			next, timer = evs[i].at, false
			s.clk.SetTime(t0.Add(next))
			s.fire(evs[i])
			i++
			continue
		}
		if next > now {
			s.clk.SetTime(t0.Add(next))
		}
		if !timer {
			return
		}
		s.waitIdle()
	}
}

func (s *sim) fire(e ev) {
	if e.do != nil {
		e.do()
	}
	if e.reset {
		s.loop.Reset()
	} else {
		s.loop.Trigger()
	}
	s.waitIdle()
}

func (s *sim) passList() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.passes...)
}

func (s *sim) probeList() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.probes...)
}

func starts(cs []call, keep func(call) bool) []time.Duration {
	var out []time.Duration
	for _, c := range cs {
		if keep == nil || keep(c) {
			out = append(out, c.at)
		}
	}
	return out
}

func isResync(c call) bool { return c.p.Resync }

func fmtDurations(ds []time.Duration) string {
	if len(ds) > 30 {
		return fmt.Sprintf("%v … (%d in all) … %v", ds[:10], len(ds), ds[len(ds)-10:])
	}
	return fmt.Sprint(ds)
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func constant(d time.Duration) func() time.Duration { return func() time.Duration { return d } }

// TestSimDriver checks the harness itself: with no events, time moves from
// one wake-up to the next.
func TestSimDriver(t *testing.T) {
	s := newSim(t, Options{Resync: constant(time.Second)})
	s.start()
	s.run(3500 * ms)
	if got, want := starts(s.passList(), nil), []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second}; !equalDurations(got, want) {
		t.Fatalf("passes at %v, want %v", got, want)
	}
	if s.now() != 3500*ms {
		t.Fatalf("clock at %v, want 3.5s", s.now())
	}
}
