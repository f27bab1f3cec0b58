// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package probe runs active health probes of GSLB members: the HTTP, HTTPS,
// TCP and UDP monitors amko would create on an Avi Controller (amko.md §2.7),
// run by the built-in DNS backend itself so that it can leave out members that
// fail them.
//
// Each target is probed by its own goroutine: first at once, then every
// Interval, each probe bounded by Timeout. The very first result of a target
// decides its state; after that it goes down after FailedChecks consecutive
// failures and up again after SuccessfulChecks consecutive successes.
package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/amko-project/amko/internal/gslb"
)

// Defaults for monitor fields left zero: AMKO's pacing.
const (
	defaultInterval         = 10 * time.Second
	defaultTimeout          = 4 * time.Second
	defaultSuccessfulChecks = 3
	defaultFailedChecks     = 3

	// minDuration keeps a tiny IntervalScale from producing a zero ticker
	// period (which would panic) or a busy loop.
	minDuration = time.Millisecond
)

// Target is one member to probe with one monitor.
type Target struct {
	// Key identifies the member for Up (the caller uses gslb.Member.ID plus
	// the monitor name).
	Key string
	// Monitor is what to probe and how often: Type, Port (0: 80 for HTTP, 443
	// for HTTPS; required for TCP and UDP), HTTPRequest, HTTPResponseCodes,
	// UDPRequest, Interval, Timeout, SuccessfulChecks and FailedChecks (0s:
	// AMKO's 10 s, 4 s, 3, 3).
	Monitor gslb.HealthMonitor
	IP      netip.Addr
	// Host is the service's host name: the HTTP Host header and the TLS SNI.
	Host string
}

// sameSettings reports whether a and b probe the same way, so that Set need
// not restart the target.
func sameSettings(a, b Target) bool {
	// Compared whole so that a field added to the monitor is not missed.
	return a.Key == b.Key && a.IP == b.IP && a.Host == b.Host && reflect.DeepEqual(a.Monitor, b.Monitor)
}

// Options configure a Prober. The zero value is usable.
type Options struct {
	// OnChange is called when a target's state changes, from the goroutine
	// probing it and never holding the Prober's lock, so it may call Up or
	// States. Calls for one key are made one at a time and in order.
	OnChange func(key string, up bool)
	// Dial, if set, replaces the network dialer for every probe ("tcp" for
	// TCP, HTTP and HTTPS, "udp" for UDP); default a net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// IntervalScale multiplies every Interval and Timeout, so that tests can
	// run fast; 0 or less means 1.
	IntervalScale float64
}

// Prober probes a set of targets and keeps their up/down state.
type Prober struct {
	opts Options

	mu      sync.Mutex
	targets map[string]*entry
	// run is the active Run, nil when none.
	run *run
	// retiring holds the done channel of a removed target's goroutine that
	// has not exited yet, so that a target re-added under the same key waits
	// for it and OnChange calls for the key stay in order.
	retiring map[string]chan struct{}
}

// run is one call of Run: the context its goroutines live in and the group
// it waits for.
type run struct {
	ctx context.Context
	wg  sync.WaitGroup
}

// entry is one target and its state, guarded by Prober.mu.
type entry struct {
	target Target
	up     bool
	probed bool // a result has been recorded
	streak int  // consecutive results contradicting up
	// runner is the goroutine probing the target, nil when none; results of
	// any other goroutine are stale and dropped.
	runner *runner
	// done is closed when the target's last goroutine exits; nil if none
	// ever ran.
	done chan struct{}
}

// runner is one goroutine probing one target.
type runner struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Prober with no targets.
func New(opts Options) *Prober {
	if opts.IntervalScale <= 0 {
		opts.IntervalScale = 1
	}
	return &Prober{
		opts:     opts,
		targets:  make(map[string]*entry),
		retiring: make(map[string]chan struct{}),
	}
}

// Set replaces the probed targets: new keys start probing (first probe
// immediately), removed keys stop, and targets whose settings changed restart
// (keeping their current state). When several targets share a key the last
// wins. Targets that Validate rejects are left out: not probed, and so up,
// as a monitor the Avi Controller would refuse to create would not take
// members down there either. Safe for concurrent use.
func (p *Prober) Set(targets []Target) {
	want := wanted(targets)
	p.mu.Lock()
	defer p.mu.Unlock()
	for key := range p.targets {
		if _, ok := want[key]; !ok {
			p.removeLocked(key)
		}
	}
	p.addLocked(want)
}

// Change is Set for part of the targets: the keys in remove stop being
// probed unless add has them, and add's targets are set as Set would; other
// targets carry on. A caller that changes one service's members passes the
// keys it set for the service before and its targets now, at a cost that
// follows the change, not the targets held.
func (p *Prober) Change(remove []string, add []Target) {
	want := wanted(add)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, key := range remove {
		if _, ok := want[key]; !ok {
			p.removeLocked(key)
		}
	}
	p.addLocked(want)
}

// wanted keys the targets that Validate accepts.
func wanted(targets []Target) map[string]Target {
	want := make(map[string]Target, len(targets))
	for _, t := range targets {
		if Validate(t) != nil {
			continue
		}
		// The caller may reuse its slices; keep a copy. Empty is nil, so
		// that sameSettings does not tell them apart.
		if len(t.Monitor.HTTPResponseCodes) == 0 {
			t.Monitor.HTTPResponseCodes = nil
		} else {
			t.Monitor.HTTPResponseCodes = slices.Clone(t.Monitor.HTTPResponseCodes)
		}
		want[t.Key] = t
	}
	return want
}

// removeLocked stops probing key. p.mu is held.
func (p *Prober) removeLocked(key string) {
	e, ok := p.targets[key]
	if !ok {
		return
	}
	if e.runner != nil {
		e.runner.cancel()
	}
	if e.done != nil {
		select {
		case <-e.done:
		default:
			p.retiring[key] = e.done
		}
	}
	delete(p.targets, key)
}

// addLocked starts probing the targets of want that are new or whose
// settings changed. p.mu is held.
func (p *Prober) addLocked(want map[string]Target) {
	for key, t := range want {
		e := p.targets[key]
		switch {
		case e == nil:
			e = &entry{target: t, up: true, done: p.retiring[key]}
			delete(p.retiring, key)
			p.targets[key] = e
		case sameSettings(e.target, t):
			continue
		default:
			// New settings may change the counts; start counting afresh.
			e.target = t
			e.streak = 0
			if e.runner != nil {
				e.runner.cancel()
				e.runner = nil
			}
		}
		p.start(key, e)
	}
}

// start starts a goroutine probing e if Run is running. It must be called
// with p.mu held.
func (p *Prober) start(key string, e *entry) {
	if p.run == nil {
		return
	}
	ctx, cancel := context.WithCancel(p.run.ctx)
	r := &runner{cancel: cancel, done: make(chan struct{})}
	rn, t, prev := p.run, e.target, e.done
	e.runner, e.done = r, r.done
	rn.wg.Add(1)
	go func() {
		defer rn.wg.Done()
		p.loop(ctx, key, e, r, t, prev)
	}()
}

// Up reports whether a target is up. Unknown keys are up. A new target is up
// until its first probe says otherwise; then it goes down after FailedChecks
// consecutive failures and up again after SuccessfulChecks consecutive
// successes, except that the very first probe result decides the initial
// state directly: a dead member is left out within one probe, a live one is
// never dropped at start.
func (p *Prober) Up(key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.targets[key]
	return !ok || e.up
}

// State is Up for one target, and whether it is one: the lookup of
// States(key) without copying every target's state.
func (p *Prober) State(key string) (up, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.targets[key]
	return ok && e.up, ok
}

// States returns every target's current state, for status and metrics.
func (p *Prober) States() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	states := make(map[string]bool, len(p.targets))
	for key, e := range p.targets {
		states[key] = e.up
	}
	return states
}

// Run probes until ctx ends, then stops every probe and returns once they
// have all stopped. Set may be called before or while Run runs; targets and
// their states outlive Run. A Run called while another runs only waits for
// its ctx.
func (p *Prober) Run(ctx context.Context) {
	p.mu.Lock()
	if p.run != nil {
		p.mu.Unlock()
		<-ctx.Done()
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &run{ctx: ctx}
	p.run = r
	for key, e := range p.targets {
		p.start(key, e)
	}
	p.mu.Unlock()

	<-ctx.Done()

	p.mu.Lock()
	p.run = nil
	for _, e := range p.targets {
		e.runner = nil // their contexts end with ctx
	}
	p.mu.Unlock()
	r.wg.Wait()
}

// loop probes t until ctx ends. It first waits for prev, the target's previous
// goroutine, so that one key's results and OnChange calls never overlap.
func (p *Prober) loop(ctx context.Context, key string, e *entry, r *runner, t Target, prev <-chan struct{}) {
	defer p.exit(key, r)
	if prev != nil {
		select {
		case <-prev:
		case <-ctx.Done():
			return
		}
	}
	s := p.settingsOf(t.Monitor)
	ticker := time.NewTicker(s.interval)
	defer ticker.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, s.timeout)
		err := p.check(pctx, t)
		cancel()
		if ctx.Err() != nil {
			return // stopped mid-probe: the result means nothing
		}
		if up, changed := p.record(e, r, err == nil, s); changed && p.opts.OnChange != nil {
			p.opts.OnChange(key, up)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// exit marks r's goroutine as gone.
func (p *Prober) exit(key string, r *runner) {
	r.cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	close(r.done)
	if p.retiring[key] == r.done {
		delete(p.retiring, key)
	}
}

// record applies one probe result of r to e and reports e's state and
// whether it changed. Results of a goroutine no longer probing e are dropped.
func (p *Prober) record(e *entry, r *runner, ok bool, s settings) (up, changed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.runner != r {
		return e.up, false
	}
	if !e.probed {
		e.probed = true
		changed = e.up != ok
		e.up = ok
		return e.up, changed
	}
	if ok == e.up {
		e.streak = 0
		return e.up, false
	}
	e.streak++
	need := s.successfulChecks
	if e.up {
		need = s.failedChecks
	}
	if e.streak < need {
		return e.up, false
	}
	e.up, e.streak = ok, 0
	return e.up, true
}

// settings are a monitor's pacing with defaults and scale applied.
type settings struct {
	interval, timeout              time.Duration
	successfulChecks, failedChecks int
}

func (p *Prober) settingsOf(hm gslb.HealthMonitor) settings {
	return settings{
		interval:         p.scale(hm.Interval, defaultInterval),
		timeout:          p.scale(hm.Timeout, defaultTimeout),
		successfulChecks: count(hm.SuccessfulChecks, defaultSuccessfulChecks),
		failedChecks:     count(hm.FailedChecks, defaultFailedChecks),
	}
}

func (p *Prober) scale(seconds uint32, def time.Duration) time.Duration {
	d := def
	if seconds > 0 {
		d = time.Duration(seconds) * time.Second
	}
	return max(time.Duration(float64(d)*p.opts.IntervalScale), minDuration)
}

func count(n uint32, def int) int {
	if n == 0 {
		return def
	}
	return int(n)
}

// dial connects with Options.Dial or a net.Dialer.
func (p *Prober) dial(ctx context.Context, network, address string) (net.Conn, error) {
	if p.opts.Dial != nil {
		conn, err := p.opts.Dial(ctx, network, address)
		if err == nil && conn == nil {
			return nil, errors.New("dial returned no connection")
		}
		return conn, err
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}
