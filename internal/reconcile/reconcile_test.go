package reconcile

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	testclock "k8s.io/utils/clock/testing"
)

var (
	errUnavailable = errors.New("503 service unavailable")
	errBadCreds    = errors.New("401 invalid credentials")
)

func classify(err error) string {
	switch {
	case errors.Is(err, errUnavailable):
		return "unavailable"
	case errors.Is(err, errBadCreds):
		return "bad-credentials"
	}
	return ""
}

func backoffs(class string) Backoff {
	if class == "bad-credentials" {
		return Backoff{Base: time.Minute, Max: 10 * time.Minute}
	}
	return Backoff{} // defaults: 500 ms .. 5 s
}

func sec(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// TestResyncIsAbsolute: the periodic resync runs on time whatever the events
// do — drift is repaired within one resync period (plus the pass in progress).
func TestResyncIsAbsolute(t *testing.T) {
	for _, tc := range []struct {
		name    string
		period  time.Duration
		every   time.Duration // a trigger this often; 0: none
		passDur time.Duration
		end     time.Duration
		want    []time.Duration // resync starts; nil: check the bound only
	}{
		{name: "idle", period: 2 * time.Second, end: 10 * time.Second,
			want: []time.Duration{0, 2 * time.Second, 4 * time.Second, 6 * time.Second, 8 * time.Second, 10 * time.Second}},
		{name: "event every 100ms", period: 2 * time.Second, every: 100 * ms, end: 10 * time.Second,
			want: []time.Duration{0, 2 * time.Second, 4 * time.Second, 6 * time.Second, 8 * time.Second, 10 * time.Second}},
		{name: "event every 100ms, 30ms passes", period: 2 * time.Second, every: 100 * ms, passDur: 30 * ms, end: 10 * time.Second,
			want: []time.Duration{0, 2 * time.Second, 4 * time.Second, 6 * time.Second, 8 * time.Second, 10 * time.Second}},
		{name: "event every 100ms, passes longer than that", period: 2 * time.Second, every: 100 * ms, passDur: 250 * ms, end: 20 * time.Second},
		{name: "event every 10ms, period 300ms", period: 300 * ms, every: 10 * ms, passDur: 7 * ms, end: 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, Options{Resync: constant(tc.period)})
			s.passDur = tc.passDur
			s.start()
			var evs []ev
			if tc.every > 0 {
				evs = every(tc.every, tc.end, tc.every)
			}
			s.run(tc.end, evs...)
			passes := s.passList()
			got := starts(passes, isResync)
			if tc.want != nil && !equalDurations(got, tc.want) {
				t.Fatalf("resyncs at %s, want %v", fmtDurations(got), tc.want)
			}
			// Each resync is due one period after the previous one started;
			// it may wait only for the pass in progress.
			for i := 1; i < len(got); i++ {
				if gap := got[i] - got[i-1]; gap < tc.period || gap > tc.period+tc.passDur {
					t.Fatalf("resyncs at %s: gap %v outside [%v, %v]", fmtDurations(got), gap, tc.period, tc.period+tc.passDur)
				}
			}
			if min := int(tc.end / (tc.period + tc.passDur)); len(got) < min {
				t.Fatalf("%d resyncs in %v, want at least %d: %s", len(got), tc.end, min, fmtDurations(got))
			}
			if tc.every > 0 && len(passes) <= len(got) {
				t.Fatalf("no event-triggered pass among %d", len(passes))
			}
		})
	}
}

// TestEventBatching: a burst coalesces into one pass; passes triggered by
// events start at most MinInterval after the trigger and at least MinInterval
// apart, so a steady stream neither starves nor floods.
func TestEventBatching(t *testing.T) {
	for _, tc := range []struct {
		name        string
		minInterval time.Duration
		triggers    []ev
		want        []time.Duration // event-triggered pass starts; nil: check properties only
	}{
		{name: "burst at one instant", triggers: burst(time.Second, 50, 0),
			want: []time.Duration{time.Second + DefaultMinInterval}},
		{name: "burst within MinInterval", triggers: burst(time.Second, 10, ms),
			want: []time.Duration{time.Second + DefaultMinInterval}},
		{name: "two bursts", triggers: append(burst(time.Second, 20, 0), burst(2*time.Second, 20, 0)...),
			want: []time.Duration{time.Second + DefaultMinInterval, 2*time.Second + DefaultMinInterval}},
		{name: "no batching", minInterval: -1, triggers: burst(time.Second, 1, 0),
			want: []time.Duration{time.Second}},
		{name: "longer MinInterval", minInterval: 200 * ms, triggers: burst(time.Second, 100, ms),
			want: []time.Duration{1200 * ms}},
		{name: "stream every 1ms", triggers: every(time.Second, 1100*ms, ms)},
		{name: "stream every 3ms, MinInterval 20ms", minInterval: 20 * ms, triggers: every(time.Second, 1500*ms, 3*ms)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, Options{Resync: constant(time.Hour), MinInterval: tc.minInterval})
			s.start()
			s.run(3*time.Second, tc.triggers...)
			got := starts(s.passList(), func(c call) bool { return !c.p.Resync })
			if tc.want != nil && !equalDurations(got, tc.want) {
				t.Fatalf("event passes at %s, want %v", fmtDurations(got), tc.want)
			}
			mi := max(s.loop.opts.MinInterval, 0)
			for i := 1; i < len(got); i++ {
				if got[i]-got[i-1] < mi {
					t.Fatalf("event passes %v and %v closer than %v", got[i-1], got[i], mi)
				}
			}
			// Every trigger is covered by a pass that starts within MinInterval.
			for _, tr := range tc.triggers {
				covered := false
				for _, at := range got {
					if at >= tr.at && at <= tr.at+mi {
						covered = true
						break
					}
				}
				if !covered {
					t.Fatalf("trigger at %v not followed by a pass within %v: passes at %s", tr.at, mi, fmtDurations(got))
				}
			}
		})
	}
}

func burst(at time.Duration, n int, spacing time.Duration) []ev {
	evs := make([]ev, n)
	for i := range evs {
		evs[i] = ev{at: at + time.Duration(i)*spacing}
	}
	return evs
}

// TestTriggerDuringPass: triggers from many goroutines while a pass runs
// cause exactly one more pass after it.
func TestTriggerDuringPass(t *testing.T) {
	for _, n := range []int{1, 8 * 200} {
		t.Run("", func(t *testing.T) {
			clk := testclock.NewFakeClock(t0)
			l := New(Options{Clock: clk, Resync: constant(time.Hour), MinInterval: -1})
			idle := make(chan time.Time, 1)
			l.idle = func(wake time.Time) { idle <- wake }
			started, release := make(chan Pass), make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- l.Run(ctx, func(ctx context.Context, p Pass) error {
					started <- p
					<-release
					return nil
				})
			}()
			defer func() {
				cancel()
				if err := recvWithin(t, done); err != nil {
					t.Errorf("Run: %v", err)
				}
			}()
			if p := recvWithin(t, started); !p.Resync {
				t.Fatalf("first pass %+v, want a resync", p)
			}
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < max(n/8, 1); i++ {
						l.Trigger()
					}
				}()
			}
			wg.Wait()
			release <- struct{}{}
			if p := recvWithin(t, started); p.Resync {
				t.Fatalf("second pass %+v, want an event pass", p)
			}
			release <- struct{}{}
			// Blocking with the next resync as wake-up time proves nothing
			// else is pending: a pending pass would have run instead.
			if wake := recvWithin(t, idle); !wake.Equal(t0.Add(time.Hour)) {
				t.Fatalf("idle until %v, want the next resync", wake)
			}
		})
	}
}

func recvWithin[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("nothing received within %v", guard)
		panic("unreachable")
	}
}

// TestBackoff: consecutive failures back off exponentially per class up to
// the class's cap; triggers during the backoff neither run a pass nor extend
// the delay; a success resets the backoff.
func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     func(at time.Duration, p Pass) error
		triggers []ev
		end      time.Duration
		want     []time.Duration // pass starts
	}{
		{
			name: "unavailable: 0.5s doubling to 5s, events every 100ms",
			fail: func(time.Duration, Pass) error { return errUnavailable },
			end:  30 * time.Second, triggers: every(100*ms, 30*time.Second, 100*ms),
			want: secs(0, 0.5, 1.5, 3.5, 7.5, 12.5, 17.5, 22.5, 27.5),
		},
		{
			name: "bad credentials: 1m doubling to 10m",
			fail: func(time.Duration, Pass) error { return errBadCreds },
			end:  40 * time.Minute, triggers: every(time.Second, 40*time.Minute, time.Second),
			want: mins(0, 1, 3, 7, 15, 25, 35),
		},
		{
			name: "classes keep their own counts",
			fail: func(at time.Duration, p Pass) error {
				if p.Attempt < 3 {
					return errUnavailable
				}
				return errBadCreds
			},
			end: 5 * time.Minute, triggers: every(100*ms, 10*time.Second, 100*ms),
			// 3 unavailable (0.5s, 1s, 2s), then bad credentials from its base.
			want: secs(0, 0.5, 1.5, 3.5, 63.5, 183.5),
		},
		{
			name: "success resets",
			fail: func(at time.Duration, p Pass) error {
				if at < 5*time.Second || at >= 20*time.Second {
					return errUnavailable
				}
				return nil
			},
			end: 22 * time.Second, triggers: []ev{{at: 20 * time.Second}},
			want: secs(0, 0.5, 1.5, 3.5, 7.5, 20.01, 20.51, 21.51),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, Options{Resync: constant(time.Hour), Classify: classify, Backoff: backoffs})
			s.fail = tc.fail
			s.start()
			s.run(tc.end, tc.triggers...)
			passes := s.passList()
			if got := starts(passes, nil); !equalDurations(got, tc.want) {
				t.Fatalf("passes at %s, want %s", fmtDurations(got), fmtDurations(tc.want))
			}
			attempt := 0
			for _, c := range passes {
				if c.p.Attempt != attempt {
					t.Fatalf("pass at %v: attempt %d, want %d", c.at, c.p.Attempt, attempt)
				}
				if attempt++; c.ok {
					attempt = 0
				}
			}
		})
	}
}

func secs(fs ...float64) []time.Duration {
	ds := make([]time.Duration, len(fs))
	for i, f := range fs {
		ds[i] = sec(f)
	}
	return ds
}

func mins(fs ...float64) []time.Duration {
	ds := make([]time.Duration, len(fs))
	for i, f := range fs {
		ds[i] = time.Duration(f * float64(time.Minute))
	}
	return ds
}

// TestFailedResyncStaysDue: a resync is done only when its pass succeeds.
func TestFailedResyncStaysDue(t *testing.T) {
	s := newSim(t, Options{Resync: constant(10 * time.Second), Classify: classify})
	s.fail = func(at time.Duration, p Pass) error {
		if at >= 10*time.Second && at < 12*time.Second {
			return errUnavailable
		}
		return nil
	}
	s.start()
	s.run(25*time.Second, ev{at: 11 * time.Second}, ev{at: 13 * time.Second})
	var got []string
	for _, c := range s.passList() {
		r := "event"
		if c.p.Resync {
			r = "resync"
		}
		got = append(got, c.at.String()+" "+r)
	}
	// 10s fails, retries at 10.5s and 11.5s fail, 13.5s succeeds and is the
	// resync; the next is due 10s after it started. The trigger at 13s is
	// covered by the retry.
	want := []string{"0s resync", "10s resync", "10.5s resync", "11.5s resync", "13.5s resync", "23.5s resync"}
	if len(got) != len(want) {
		t.Fatalf("passes %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("passes %q, want %q", got, want)
		}
	}
}

// TestProbe: while in backoff a probe runs instead of passes; its success
// after a failure brings the retry forward, its success alone does not, and a
// class the probe refuses waits for Reset.
func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fail       func(at time.Duration, p Pass) error
		probe      func(at time.Duration, class string) error
		evs        []ev
		end        time.Duration
		wantPasses []time.Duration
		wantProbes int
	}{
		{
			name: "recovery brings the retry forward",
			// Bad credentials are fixed out of band at 3.2s; the probe
			// sees it at 4s although the retry is due only at 60s.
			fail: func(at time.Duration, p Pass) error {
				if at < sec(3.2) {
					return errBadCreds
				}
				return nil
			},
			probe: func(at time.Duration, class string) error {
				if at < sec(3.2) {
					return errBadCreds
				}
				return nil
			},
			end:        10 * time.Second,
			wantPasses: secs(0, 4),
			wantProbes: 4,
		},
		{
			name:  "probe succeeds, passes fail: the backoff still applies",
			fail:  func(time.Duration, Pass) error { return errUnavailable },
			probe: func(time.Duration, string) error { return nil },
			end:   20 * time.Second, evs: every(100*ms, 20*time.Second, 100*ms),
			// Retries at their backoff times, each after a probe there;
			// probes also every second in between.
			wantPasses: secs(0, 0.5, 1.5, 3.5, 7.5, 12.5, 17.5),
			wantProbes: 1 + 1 + 2 + 4 + 5 + 5 + 2,
		},
		{
			name: "a refused class waits for Reset",
			fail: func(at time.Duration, p Pass) error {
				if at < 30*time.Minute {
					return errBadCreds
				}
				return nil
			},
			probe: func(at time.Duration, class string) error {
				if class == "bad-credentials" {
					return errBadCreds // only new credentials can help
				}
				return nil
			},
			end: 31 * time.Minute,
			evs: append(every(10*time.Second, 30*time.Minute-time.Second, 10*time.Second), ev{at: 30 * time.Minute, reset: true}),
			// The first pass failed, so a resync is due: the pass after
			// Reset runs at once.
			wantPasses: []time.Duration{0, 30 * time.Minute},
			wantProbes: 30 * 60, // every second from 1s to 30m (before the Reset there)
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, Options{Resync: constant(time.Hour), Classify: classify, Backoff: backoffs})
			s.fail, s.probe = tc.fail, tc.probe
			s.start()
			s.run(tc.end, tc.evs...)
			if got := starts(s.passList(), nil); !equalDurations(got, tc.wantPasses) {
				t.Fatalf("passes at %s, want %s", fmtDurations(got), fmtDurations(tc.wantPasses))
			}
			if got := s.probeList(); len(got) != tc.wantProbes {
				t.Fatalf("%d probes, want %d: %s", len(got), tc.wantProbes, fmtDurations(starts(got, nil)))
			}
		})
	}
}

// TestOutage: 60 s of 503s with changes pending. amko converges within
// ProbeInterval (with a probe) or the 5 s cap (without) of the recovery, and
// the calls during the outage are bounded: without a probe, the passes of
// the backoff (1 + 4 doublings to the cap + one per cap); with a probe, one
// pass and one probe per ProbeInterval (+2).
func TestOutage(t *testing.T) {
	const (
		down    = 5 * time.Second
		up      = 65 * time.Second
		passDur = 20 * ms
	)
	for _, tc := range []struct {
		name          string
		probe         bool
		probeInterval time.Duration
		maxPasses     int // started during the outage
		maxProbes     int
		converge      time.Duration // after the recovery, at most
	}{
		{name: "no probe", maxPasses: 1 + 4 + 12, converge: DefaultMaxDelay + passDur},
		{name: "probe", probe: true, maxPasses: 1, maxProbes: 60 + 2, converge: DefaultProbeInterval + passDur},
		{name: "probe every 250ms", probe: true, probeInterval: 250 * ms, maxPasses: 1, maxProbes: 240 + 2, converge: 250*ms + passDur},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backend := func(at time.Duration) error {
				if at >= down && at < up {
					return errUnavailable
				}
				return nil
			}
			s := newSim(t, Options{Resync: constant(30 * time.Second), Classify: classify, ProbeInterval: tc.probeInterval})
			s.passDur = passDur
			var desired, applied atomic.Int64
			var convergedAt time.Duration
			s.fail = func(at time.Duration, p Pass) error {
				want := desired.Load() // what the caches hold when the pass starts
				if err := backend(at); err != nil {
					return err
				}
				if applied.Swap(want) != want && at >= up && convergedAt == 0 {
					convergedAt = at + passDur
				}
				return nil
			}
			if tc.probe {
				s.probe = func(at time.Duration, class string) error { return backend(at) }
			}
			s.start()
			var evs []ev
			for _, e := range every(time.Second, 50*time.Second, 500*ms) {
				e.do = func() { desired.Add(1) }
				evs = append(evs, e)
			}
			s.run(2*time.Minute, evs...)

			if applied.Load() != desired.Load() {
				t.Fatalf("applied %d, desired %d", applied.Load(), desired.Load())
			}
			if convergedAt == 0 || convergedAt-up > tc.converge {
				t.Fatalf("converged at %v, want within %v of the recovery at %v", convergedAt, tc.converge, up)
			}
			passes := s.passList()
			during := starts(passes, func(c call) bool { return c.at >= down && c.at < up })
			if len(during) > tc.maxPasses {
				t.Fatalf("%d passes during the outage, want at most %d: %s", len(during), tc.maxPasses, fmtDurations(during))
			}
			if probes := s.probeList(); len(probes) > tc.maxProbes {
				t.Fatalf("%d probes, want at most %d", len(probes), tc.maxProbes)
			}
			// The resync that fell due during the outage runs with the
			// recovery pass.
			for _, c := range passes {
				if c.at >= up {
					if !c.p.Resync || !c.ok {
						t.Fatalf("first pass after the recovery %+v, want a successful resync", c)
					}
					break
				}
			}
			t.Logf("%d passes and %d probes during the outage; converged %v after it", len(during), len(s.probeList()), convergedAt-up)
		})
	}
}

// TestResyncPeriodChange: a new period applies at the next scheduling; a
// shorter one can make the resync due at once, a longer one moves it later.
func TestResyncPeriodChange(t *testing.T) {
	for _, tc := range []struct {
		name           string
		from, to       time.Duration
		at             time.Duration
		wantResyncs    []time.Duration
		wantEventPasss []time.Duration
	}{
		{name: "shorter, overdue", from: 10 * time.Second, to: 2 * time.Second, at: 3 * time.Second,
			wantResyncs: secs(0, 3, 5, 7, 9)},
		{name: "shorter, not yet due", from: 10 * time.Second, to: 4 * time.Second, at: time.Second,
			wantResyncs: secs(0, 4, 8), wantEventPasss: secs(1.01)},
		{name: "longer", from: 2 * time.Second, to: 5 * time.Second, at: time.Second,
			wantResyncs: secs(0, 5), wantEventPasss: secs(1.01)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var period atomic.Int64
			period.Store(int64(tc.from))
			s := newSim(t, Options{Resync: func() time.Duration { return time.Duration(period.Load()) }})
			s.start()
			s.run(sec(9.5), ev{at: tc.at, do: func() { period.Store(int64(tc.to)) }})
			passes := s.passList()
			if got := starts(passes, isResync); !equalDurations(got, tc.wantResyncs) {
				t.Fatalf("resyncs at %v, want %v", got, tc.wantResyncs)
			}
			if got := starts(passes, func(c call) bool { return !c.p.Resync }); !equalDurations(got, tc.wantEventPasss) {
				t.Fatalf("event passes at %v, want %v", got, tc.wantEventPasss)
			}
		})
	}
}

// TestCancel: Run returns nil promptly when ctx ends, whatever it is doing.
func TestCancel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		probe bool
		pass  func(ctx context.Context, p Pass) error
	}{
		{name: "idle", pass: func(context.Context, Pass) error { return nil }},
		{name: "in backoff", pass: func(context.Context, Pass) error { return errBadCreds }},
		{name: "in backoff, probing", probe: true, pass: func(context.Context, Pass) error { return errUnavailable }},
		{name: "in a pass", pass: func(ctx context.Context, p Pass) error {
			<-ctx.Done()
			return ctx.Err()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := testclock.NewFakeClock(t0)
			opts := Options{Clock: clk, Resync: constant(time.Hour), Classify: classify, Backoff: backoffs}
			if tc.probe {
				opts.Probe = func(context.Context, string) error { return errUnavailable }
			}
			l := New(opts)
			idle := make(chan time.Time, 1)
			l.idle = func(wake time.Time) { idle <- wake }
			ctx, cancel := context.WithCancel(context.Background())
			started := make(chan struct{}, 10)
			done := make(chan error, 1)
			go func() {
				done <- l.Run(ctx, func(ctx context.Context, p Pass) error {
					started <- struct{}{}
					return tc.pass(ctx, p)
				})
			}()
			recvWithin(t, started)
			if tc.name != "in a pass" {
				recvWithin(t, idle) // blocked: idle, waiting for the retry or the probe
			}
			cancel()
			if err := recvWithin(t, done); err != nil {
				t.Fatalf("Run returned %v, want nil", err)
			}
			if len(started) != 0 {
				t.Fatalf("a pass ran after cancel")
			}
		})
	}
}

func TestRunTwice(t *testing.T) {
	clk := testclock.NewFakeClock(t0)
	l := New(Options{Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	started, done := make(chan struct{}, 1), make(chan error, 1)
	go func() {
		done <- l.Run(ctx, func(context.Context, Pass) error { started <- struct{}{}; return nil })
	}()
	recvWithin(t, started)
	if err := l.Run(ctx, func(context.Context, Pass) error { return nil }); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run: %v, want ErrRunning", err)
	}
	cancel()
	if err := recvWithin(t, done); err != nil {
		t.Fatal(err)
	}
}

// TestState: what /status and metrics see.
func TestState(t *testing.T) {
	s := newSim(t, Options{Resync: constant(time.Minute), Classify: classify})
	s.fail = func(at time.Duration, p Pass) error {
		if at >= 10*time.Second && at < 11*time.Second {
			return errUnavailable
		}
		return nil
	}
	s.probe = func(at time.Duration, class string) error {
		if at < sec(11.2) {
			return errUnavailable
		}
		return nil
	}
	s.start()
	if st := s.loop.State(); st.LastError != nil || st.Failures != 0 || !st.LastSuccess.Equal(t0) ||
		!st.NextResync.Equal(t0.Add(time.Minute)) || !st.NextRetry.IsZero() || st.ProbeFailing {
		t.Fatalf("after the first pass: %+v", st)
	}
	s.run(10*time.Second, ev{at: 10*time.Second - DefaultMinInterval})
	st := s.loop.State()
	if !errors.Is(st.LastError, errUnavailable) || st.Class != "unavailable" || st.Failures != 1 ||
		!st.NextRetry.Equal(t0.Add(sec(10.5))) || st.ProbeFailing {
		t.Fatalf("after a failure: %+v", st)
	}
	s.run(sec(10.7))
	if st := s.loop.State(); st.Failures != 1 || !st.ProbeFailing {
		t.Fatalf("after a failed probe: %+v", st)
	}
	s.run(12 * time.Second)
	st = s.loop.State()
	if st.LastError != nil || st.Class != "" || st.Failures != 0 || !st.LastSuccess.Equal(t0.Add(sec(11.5))) ||
		!st.NextRetry.IsZero() || st.ProbeFailing || !st.NextResync.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after the recovery: %+v", st)
	}
}

// TestRealClock: the defaults work with the real clock (no fake time).
func TestRealClock(t *testing.T) {
	l := New(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	passes, done := make(chan Pass, 10), make(chan error, 1)
	go func() {
		done <- l.Run(ctx, func(_ context.Context, p Pass) error { passes <- p; return nil })
	}()
	if p := recvWithin(t, passes); !p.Resync {
		t.Fatalf("first pass %+v, want a resync", p)
	}
	l.Trigger()
	if p := recvWithin(t, passes); p.Resync {
		t.Fatalf("second pass %+v, want an event pass", p)
	}
	cancel()
	if err := recvWithin(t, done); err != nil {
		t.Fatal(err)
	}
	if st := l.State(); !st.NextResync.IsZero() {
		t.Fatalf("no periodic resync configured, but NextResync %v", st.NextResync)
	}
}
