// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package quorum

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The simulation runs the election logic (node) of 2–3 candidates against 3
// or 5 in-memory stores with compare-and-swap (MemStore), on a virtual true
// clock, through random schedules: partitions between any candidate and any
// store, message delays past the request timeout (unknown write outcomes),
// process pauses, terms seen outside the stores (Supersede), and clock rates
// that change within MaxClockDrift (offsets of hours, too). It checks at every step:
//
//   - at most one candidate holds a valid guard at any true instant;
//   - terms strictly increase from one acquisition to the next;
//   - every write a holder makes, landing up to MaxWriteDelay after its
//     Guard.Valid check, lands before any higher term is acquired;
//
// and, once every fault heals, that a leader exists within livenessBound.
// Schedules are seeded: a failure names its seed, and QUORUM_SIM_SEED=<seed>
// replays that schedule alone with a trace; QUORUM_SIM_SCHEDULES=<n> runs n
// schedules instead of simSchedules (10,000 passed when this was written).

const (
	simSchedules = 1200
	simChaos     = 60 * time.Second // faults happen in this window
)

// livenessBound is how long after the last fault heals a leader must exist:
// a read that sees the last records (within one RetryPeriod, or a
// RequestTimeout if a request sent into the partition still holds the store:
// a timed-out read is sent again at once), then
// LeaseDuration, both on the slowest clock, plus round trips. Claims split
// between candidates resolve within that time: withdrawn claims are
// released, so the next claim need not wait for them to expire.
func livenessBound(cfg Config, maxDelay time.Duration) time.Duration {
	read := max(cfg.RetryPeriod, cfg.RequestTimeout)
	return time.Duration(float64(read+cfg.LeaseDuration)/(1-cfg.MaxClockDrift)) + 8*maxDelay
}

func TestSimulation(t *testing.T) {
	start := time.Now()
	if s := os.Getenv("QUORUM_SIM_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("QUORUM_SIM_SEED: %v", err)
		}
		r := runSim(seed, true)
		t.Logf("seed %d: %s\n%s", seed, r.summary(), strings.Join(r.trace, "\n"))
		if r.failure != "" {
			t.Fatal(r.failure)
		}
		return
	}
	schedules := simSchedules
	if s := os.Getenv("QUORUM_SIM_SCHEDULES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("QUORUM_SIM_SCHEDULES: %v", err)
		}
		schedules = n
	}
	var worst, worstFailover time.Duration
	var acquisitions, writes, events, failovers int
	for i := range schedules {
		seed := uint64(i + 1)
		r := runSim(seed, false)
		if r.failure != "" {
			t.Fatalf("schedule seed %d (%s): %s\nreplay with QUORUM_SIM_SEED=%d go test -run TestSimulation ./internal/quorum",
				seed, r.summary(), r.failure, seed)
		}
		if r.crashed {
			failovers++
			worstFailover = max(worstFailover, r.recovery)
		} else {
			worst = max(worst, r.recovery)
		}
		acquisitions += r.acquisitions
		writes += r.writes
		events += r.events
	}
	t.Logf("%d schedules, %d events, %d acquisitions, %d guarded writes; slowest recovery after healing %v; "+
		"in %d schedules the leader was lost as the rest healed, slowest failover %v (bound %v); %v",
		schedules, events, acquisitions, writes, worst.Round(time.Millisecond), failovers, worstFailover.Round(time.Millisecond),
		livenessBound(DefaultConfig("x"), healDelay).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// healDelay bounds message delays once every fault has healed.
const healDelay = 50 * time.Millisecond

type simResult struct {
	stores, nodes int
	maxDelay      time.Duration
	failure       string
	crashed       bool // the leader was lost as the rest healed
	recovery      time.Duration
	acquisitions  int
	writes        int
	events        int
	trace         []string
}

func (r simResult) summary() string {
	return fmt.Sprintf("%d stores, %d candidates, delays up to %v", r.stores, r.nodes, r.maxDelay)
}

type event struct {
	at  time.Duration
	seq uint64
	fn  func()
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type sim struct {
	cfg      Config
	rnd      *rand.Rand
	now      time.Duration // true time
	queue    eventQueue
	seq      uint64
	stores   []*MemStore
	nodes    []*simNode
	up       [][]bool // up[node][store]: the link passes messages
	maxDelay time.Duration
	healed   bool

	maxAcquired int64
	failure     string
	res         *simResult
	tracing     bool
}

type simNode struct {
	id int
	n  *node
	// The node's clock: local = baseLocal + (true - baseTrue) * rate, shown
	// as a wall time offset by hours from the others'.
	baseTrue, baseLocal time.Duration
	rate                float64
	offset              time.Time
	paused              bool
	deferred            []func()
	inflight            map[uint64]op
	wakeGen             uint64
	heldTerm            int64
}

func (s *sim) local(sn *simNode) time.Time {
	return sn.offset.Add(sn.baseLocal + time.Duration(float64(s.now-sn.baseTrue)*sn.rate))
}

// trueAfter converts a local duration to true time at the node's current rate.
func trueAfter(sn *simNode, d time.Duration) time.Duration {
	return time.Duration(float64(d)/sn.rate) + 1
}

func (s *sim) at(d time.Duration, fn func()) {
	s.seq++
	heap.Push(&s.queue, event{at: s.now + d, seq: s.seq, fn: fn})
}

// atNode runs fn at the node after d, or when it resumes if it is paused then.
func (s *sim) atNode(sn *simNode, d time.Duration, fn func()) {
	s.at(d, func() {
		if sn.paused {
			sn.deferred = append(sn.deferred, fn)
			return
		}
		fn()
	})
}

func (s *sim) tracef(format string, args ...any) {
	if s.tracing {
		s.res.trace = append(s.res.trace, fmt.Sprintf("%10v ", s.now)+fmt.Sprintf(format, args...))
	}
}

func (s *sim) fail(format string, args ...any) {
	if s.failure == "" {
		s.failure = fmt.Sprintf("at %v: ", s.now) + fmt.Sprintf(format, args...)
	}
}

func (s *sim) delay() time.Duration {
	return time.Duration(s.rnd.Int64N(int64(s.maxDelay) + 1))
}

// send performs the node's operations over the network.
func (s *sim) send(sn *simNode, ops []op) {
	for _, o := range ops {
		sn.inflight[o.id] = o
		s.tracef("n%d sends %s", sn.id, describeOp(o))
		// The request timeout: the node learns nothing after RequestTimeout.
		s.atNode(sn, trueAfter(sn, s.cfg.RequestTimeout), func() {
			if _, ok := sn.inflight[o.id]; ok {
				delete(sn.inflight, o.id)
				s.tracef("n%d times out %d", sn.id, o.id)
				s.send(sn, sn.n.handle(s.local(sn), o, result{err: context.DeadlineExceeded, timedOut: true}))
				s.after(sn)
			}
		})
		if !s.up[sn.id][o.store] {
			continue
		}
		s.at(s.delay(), func() {
			if !s.up[sn.id][o.store] {
				return
			}
			st := s.stores[o.store]
			var res result
			if o.kind == opRead {
				res.rec, res.version, res.err = st.Get(context.Background())
			} else {
				res.version, res.err = st.Put(context.Background(), o.rec, o.version)
				if res.err == nil {
					s.tracef("s%d now %s v%s", o.store, describeRecord(o.rec), res.version)
				}
			}
			s.atNode(sn, s.delay(), func() {
				if !s.up[sn.id][o.store] {
					return
				}
				if _, ok := sn.inflight[o.id]; !ok {
					return
				}
				delete(sn.inflight, o.id)
				s.send(sn, sn.n.handle(s.local(sn), o, res))
				s.after(sn)
			})
		})
	}
}

// after checks what a node's step changed and schedules its next wake.
func (s *sim) after(sn *simNode) {
	n := sn.n
	if n.role == Leading && n.term != sn.heldTerm {
		s.res.acquisitions++
		s.tracef("n%d acquires term %d until %v", sn.id, n.term, n.validUntil.Sub(s.local(sn)))
		if n.term <= s.maxAcquired {
			s.fail("n%d acquired term %d after term %d had been acquired: terms must strictly increase", sn.id, n.term, s.maxAcquired)
		}
		s.maxAcquired = max(s.maxAcquired, n.term)
		sn.heldTerm = n.term
	}
	if w := n.wake(s.local(sn)); !w.IsZero() {
		sn.wakeGen++
		gen := sn.wakeGen
		d := max(w.Sub(s.local(sn)), 0)
		s.atNode(sn, trueAfter(sn, d), func() {
			if gen == sn.wakeGen {
				s.send(sn, n.tick(s.local(sn), false))
				s.after(sn)
			}
		})
	}
}

// check runs the safety invariants at the current true instant.
func (s *sim) check() {
	var valid []string
	for _, sn := range s.nodes {
		if sn.n.valid(s.local(sn)) {
			valid = append(valid, fmt.Sprintf("n%d (term %d)", sn.id, sn.n.term))
		}
	}
	if len(valid) > 1 {
		s.fail("two holders of a valid term at once: %s", strings.Join(valid, ", "))
	}
}

func (s *sim) periodic(sn *simNode) {
	s.atNode(sn, trueAfter(sn, s.cfg.RetryPeriod), func() {
		s.send(sn, sn.n.tick(s.local(sn), true))
		s.after(sn)
		s.periodic(sn)
	})
}

// writer makes the node's application try a guarded write now and then.
func (s *sim) writer(sn *simNode) {
	s.atNode(sn, time.Duration(s.rnd.Int64N(int64(time.Second))), func() {
		if sn.n.valid(s.local(sn)) {
			term := sn.n.term
			s.res.writes++
			s.at(time.Duration(s.rnd.Int64N(int64(s.cfg.MaxWriteDelay)+1)), func() {
				if term < s.maxAcquired {
					s.fail("n%d's write with term %d landed after term %d was acquired", sn.id, term, s.maxAcquired)
				}
			})
		}
		s.writer(sn)
	})
}

func (s *sim) setRate(sn *simNode, rate float64) {
	sn.baseLocal += time.Duration(float64(s.now-sn.baseTrue) * sn.rate)
	sn.baseTrue, sn.rate = s.now, rate
}

func (s *sim) randomRate() float64 {
	d := s.cfg.MaxClockDrift
	switch s.rnd.IntN(3) {
	case 0:
		return 1 - d
	case 1:
		return 1 + d
	}
	return 1 - d + 2*d*s.rnd.Float64()
}

func (s *sim) resume(sn *simNode) {
	if !sn.paused {
		return
	}
	sn.paused = false
	s.tracef("n%d resumes", sn.id)
	for len(sn.deferred) > 0 {
		fn := sn.deferred[0]
		sn.deferred = sn.deferred[1:]
		fn()
	}
}

// faults changes the network now and then until simChaos.
func (s *sim) faults() {
	s.at(time.Duration(s.rnd.ExpFloat64()*float64(6*time.Second)), func() {
		if s.healed {
			return
		}
		switch k := s.rnd.IntN(10); {
		case k < 3: // heal
			s.setLinks(func(int, int) bool { return true })
			s.tracef("network heals")
		case k < 7: // random groups
			groups := 1 + s.rnd.IntN(3)
			ng := make([]int, len(s.nodes))
			sg := make([]int, len(s.stores))
			for i := range ng {
				ng[i] = s.rnd.IntN(groups)
			}
			for i := range sg {
				sg[i] = s.rnd.IntN(groups)
			}
			s.setLinks(func(n, st int) bool { return ng[n] == sg[st] })
			s.tracef("partition: candidates %v stores %v", ng, sg)
		case k < 9: // one candidate cut off from all but at most one store
			victim, keep := s.rnd.IntN(len(s.nodes)), s.rnd.IntN(len(s.stores)+1)
			s.setLinks(func(n, st int) bool { return n != victim || st == keep })
			s.tracef("n%d cut off (keeps s%d)", victim, keep)
		default: // random links
			s.setLinks(func(int, int) bool { return s.rnd.IntN(3) > 0 })
			s.tracef("random links %v", s.up)
		}
		s.faults()
	})
}

// pauses stops a candidate's process now and then, up to twice LeaseDuration.
func (s *sim) pauses() {
	s.at(time.Duration(s.rnd.ExpFloat64()*float64(12*time.Second)), func() {
		if s.healed {
			return
		}
		sn := s.nodes[s.rnd.IntN(len(s.nodes))]
		if !sn.paused {
			sn.paused = true
			d := time.Duration(s.rnd.Int64N(int64(2 * s.cfg.LeaseDuration)))
			s.tracef("n%d pauses for %v", sn.id, d)
			s.at(d, func() { s.resume(sn) })
		}
		s.pauses()
	})
}

// supersedes now and then tells a node of a term seen outside the stores
// (Elector.Supersede: a term on a written object), at or above the highest
// acquired, as a reset of the records would make happen.
func (s *sim) supersedes() {
	s.at(time.Duration(s.rnd.ExpFloat64()*float64(20*time.Second)), func() {
		if s.healed {
			return
		}
		sn := s.nodes[s.rnd.IntN(len(s.nodes))]
		if !sn.paused {
			term := max(sn.n.term, s.maxAcquired) + int64(s.rnd.IntN(3))
			s.tracef("n%d superseded by term %d", sn.id, term)
			s.send(sn, sn.n.supersede(s.local(sn), term, "superseded"))
			s.after(sn)
		}
		s.supersedes()
	})
}

func (s *sim) drift(sn *simNode) {
	s.at(time.Duration(s.rnd.ExpFloat64()*float64(5*time.Second)), func() {
		s.setRate(sn, s.randomRate())
		s.drift(sn)
	})
}

func (s *sim) setLinks(f func(n, st int) bool) {
	for n := range s.up {
		for st := range s.up[n] {
			s.up[n][st] = f(n, st)
		}
	}
}

func runSim(seed uint64, tracing bool) simResult {
	rnd := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	res := simResult{stores: 3 + 2*rnd.IntN(2), nodes: 2 + rnd.IntN(2)}
	// Up to 4 s each way: round trips past the request timeout, so that
	// writes of unknown outcome happen without a partition too.
	res.maxDelay = []time.Duration{10 * time.Millisecond, 300 * time.Millisecond, 1500 * time.Millisecond, 4 * time.Second}[rnd.IntN(4)]
	cfg := DefaultConfig("sim")
	if err := cfg.Validate(); err != nil {
		return simResult{failure: err.Error()}
	}
	s := &sim{cfg: cfg, rnd: rnd, maxDelay: res.maxDelay, res: &res, tracing: tracing}
	for i := range res.stores {
		s.stores = append(s.stores, NewMemStore(fmt.Sprintf("s%d", i)))
	}
	for i := range res.nodes {
		c := cfg
		c.Identity = fmt.Sprintf("n%d", i)
		sn := &simNode{
			id:       i,
			n:        newNode(c, res.stores, rand.New(rand.NewPCG(seed, uint64(i)))),
			offset:   time.Unix(1_700_000_000+rnd.Int64N(20_000), 0),
			inflight: map[uint64]op{},
		}
		sn.rate = s.randomRate()
		s.nodes = append(s.nodes, sn)
		s.up = append(s.up, make([]bool, res.stores))
	}
	s.setLinks(func(int, int) bool { return true })
	for _, sn := range s.nodes {
		// Candidates start at different moments within a RetryPeriod.
		s.atNode(sn, time.Duration(rnd.Int64N(int64(cfg.RetryPeriod))), func() {
			s.send(sn, sn.n.tick(s.local(sn), true))
			s.after(sn)
			s.periodic(sn)
		})
		s.writer(sn)
		s.drift(sn)
	}
	s.faults()
	s.pauses()
	s.supersedes()

	var healedAt, leaderAt time.Duration
	crashed := -1
	s.at(simChaos, func() {
		s.healed = true
		s.maxDelay = min(s.maxDelay, healDelay)
		for _, sn := range s.nodes {
			s.resume(sn)
		}
		// In half the schedules the leader, if any, is lost for good as the
		// rest heals: the others must take over within the bound.
		for _, sn := range s.nodes {
			if sn.n.valid(s.local(sn)) && rnd.IntN(2) == 0 {
				crashed = sn.id
				sn.paused = true
				res.crashed = true
			}
		}
		s.setLinks(func(n, _ int) bool { return n != crashed })
		healedAt = s.now
		s.tracef("everything heals; crashed n%d", crashed)
	})
	bound := livenessBound(cfg, healDelay)
	end := simChaos + bound + time.Second
	for s.queue.Len() > 0 && s.failure == "" {
		e := heap.Pop(&s.queue).(event)
		if e.at > end {
			break
		}
		s.now = e.at
		e.fn()
		res.events++
		s.check()
		if s.healed && leaderAt == 0 {
			for _, sn := range s.nodes {
				if sn.id != crashed && sn.n.valid(s.local(sn)) {
					leaderAt = s.now
				}
			}
		}
	}
	switch {
	case s.failure != "":
		res.failure = s.failure
	case leaderAt == 0:
		res.failure = fmt.Sprintf("no leader within %v after everything healed at %v", bound, healedAt)
	default:
		res.recovery = leaderAt - healedAt
		if res.recovery > bound {
			res.failure = fmt.Sprintf("a leader only %v after everything healed, bound %v", res.recovery, bound)
		}
	}
	return res
}

func describeOp(o op) string {
	if o.kind == opRead {
		return fmt.Sprintf("%d read s%d", o.id, o.store)
	}
	return fmt.Sprintf("%d write s%d %s over v%s", o.id, o.store, describeRecord(o.rec), o.version)
}

func describeRecord(r Record) string {
	if r.Released {
		return fmt.Sprintf("(released, %d)", r.Term)
	}
	return fmt.Sprintf("(%s, %d)", r.Holder, r.Term)
}
