// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/federation"
	"github.com/amko-project/amko/internal/kubeclient"
	"github.com/amko-project/amko/internal/quorum"
)

// Automatic failover (spec.failover: Automatic): this amko takes part in the
// set's quorum election (internal/quorum, docs/failover-quorum.md) and leads
// while it holds a valid guard, whatever isLeader says. The elector runs on
// the active replica only, from the federation goroutine, which starts and
// stops it as the AMKOCluster changes; a watcher goroutine per elector turns
// its guard's changes into the role, Events and a federation pass.

// electedRecheck is how often a member of an electing set runs a federation
// pass that nothing asked for, so that its Elected condition follows the
// set's holder (AMKO's requeue period).
const electedRecheck = 10 * time.Second

// election is one running elector over one set of clusters.
type election struct {
	set     []string // the set's cluster contexts, sorted
	key     string   // set and the contexts' fingerprints: how its stores connect
	elector *quorum.Elector
	cancel  context.CancelFunc
	done    chan struct{} // closed when the elector has released and the watcher ended
}

// electionState is the federation goroutine's, except mu's fields.
type electionState struct {
	cur *election
	// lastSet is the set of the last elector stopped, notBefore when an
	// elector over another set may start: a full LeaseDuration after the
	// stop, so that a term held over the old set has expired everywhere.
	lastSet   string
	notBefore time.Time

	// roleMu orders the role changes made from the guard (federation
	// goroutine and watcher), so that a stale guard never sets leader.
	roleMu sync.Mutex

	mu sync.Mutex // guards the fields below
	// ac is the AMKOCluster the election is for (Events).
	ac *amkov1alpha1.AMKOCluster
	// guard is the proof of the term held; nil while not leading.
	guard *quorum.Guard
	// last is when the role in the election last changed, and why.
	last    time.Time
	lastWhy string
	// waiting says why no elector runs although the AMKOCluster asks for one.
	waiting string
}

// electionFence returns the context the pass's writes to a shared backend run
// under: ctx itself in Manual mode; in Automatic mode ctx cancelled when the
// guard lapses, or an error when this amko holds no valid term now.
func (o *Operator) electionFence(ctx context.Context) (context.Context, context.CancelFunc, error) {
	o.elect.mu.Lock()
	g, elected := o.elect.guard, o.elect.cur != nil || o.elect.waiting != ""
	o.elect.mu.Unlock()
	if !elected {
		return ctx, func() {}, nil
	}
	if g == nil || !g.Valid() {
		return nil, nil, errors.New("not writing: this amko holds no current leadership term")
	}
	fctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(g.Context(), func() { cancel(context.Cause(g.Context())) })
	return fctx, func() { stop(); cancel(nil) }, nil
}

// holdsTerm reports whether the pass may write to a shared backend as far as
// the election goes: always in Manual mode.
func (o *Operator) holdsTerm() bool {
	_, release, err := o.electionFence(context.Background())
	if err != nil {
		return false
	}
	release()
	return true
}

// electionSet is the set the AMKOCluster names: its clusters and its own
// context, once each, sorted, so that every member lists the same stores.
func electionSet(ac *amkov1alpha1.AMKOCluster) []string {
	set := slices.Clone(ac.Spec.Clusters)
	if ac.Spec.ClusterContext != "" {
		set = append(set, ac.Spec.ClusterContext)
	}
	set = slices.DeleteFunc(set, func(s string) bool { return s == "" })
	slices.Sort(set)
	return slices.Compact(set)
}

// electedPass is the federation pass of an AMKOCluster with failover
// Automatic: the role follows the guard, the federator replicates while it
// holds, and the AMKOCluster gets the Elected condition.
func (o *Operator) electedPass(ctx context.Context, fed *federation.Federator, ac *amkov1alpha1.AMKOCluster) error {
	o.elect.mu.Lock()
	o.elect.ac = ac.DeepCopy()
	o.elect.mu.Unlock()
	e, startErr := o.ensureElection(ctx, ac)
	var g *quorum.Guard
	if e != nil {
		g = e.elector.Guard()
	}
	// The role before the federation pass, which may wait seconds for a
	// member that does not answer.
	o.setElectedRole(g, false)
	el := &federation.Election{Elected: g != nil, Condition: o.electedCondition(ac, e, g, startErr)}
	if g != nil {
		el.Term, el.Fence = g.Term(), g.Context()
	}
	res, err := fed.ReconcileElected(ctx, el)
	o.reportUnfederated(ac, res.Unfederated)
	if res.Conflict {
		// A member in Manual mode says it leads: it writes whatever the
		// election says, so nobody here does until an admin resolves it.
		if o.Role() != RoleConflict {
			o.recorder.Event(ac, corev1.EventTypeWarning, "LeaderConflict",
				"a member of the set in Manual failover mode is also a leader: no GSLB backend writes until an admin demotes it or sets its failover to Automatic")
		}
		o.setElectedRole(g, true)
	}
	if err != nil && !res.Conflict {
		o.log.Warn("federation pass failed; retrying", "err", err)
		return err
	}
	return startErr
}

// setElectedRole sets the role from the guard: leader while it is valid.
// With from set (the watcher), only while that elector is still the
// running one: a stopped election no longer decides the role.
func (o *Operator) setElectedRole(g *quorum.Guard, conflict bool, from ...*quorum.Elector) {
	o.elect.roleMu.Lock()
	defer o.elect.roleMu.Unlock()
	if len(from) > 0 {
		o.elect.mu.Lock()
		current := o.elect.cur != nil && o.elect.cur.elector == from[0]
		o.elect.mu.Unlock()
		if !current {
			return
		}
	}
	switch {
	case conflict:
		o.setRole(RoleConflict)
	case g != nil && g.Valid():
		o.setRole(RoleLeader)
	default:
		o.setRole(RoleFollower)
	}
}

// ensureElection returns the running election over ac's set, starting it if
// needed; nil while a changed set waits, or when the stores cannot be built.
func (o *Operator) ensureElection(ctx context.Context, ac *amkov1alpha1.AMKOCluster) (*election, error) {
	set := electionSet(ac)
	setKey := strings.Join(set, ",")
	kubeconfig, err := o.membersKubeconfig(ctx)
	var kc *kubeclient.Kubeconfig
	if err == nil {
		kc, err = kubeclient.Parse(kubeconfig)
	}
	key := setKey
	var contexts []kubeclient.Context
	if err == nil {
		for _, name := range set {
			c, cerr := kc.Context(name)
			if cerr != nil {
				err = fmt.Errorf("the gslb-members kubeconfig has no usable context %s: %w", name, cerr)
				break
			}
			contexts = append(contexts, c)
			key += "|" + c.Fingerprint
		}
	}
	if err != nil {
		// Keep a running elector: a kubeconfig that cannot be read for a
		// moment must not end a term.
		if cur := o.elect.cur; cur != nil && strings.Join(cur.set, ",") == setKey {
			return cur, nil
		}
		o.setWaiting("the election's stores: " + err.Error())
		return nil, fmt.Errorf("automatic failover: %w", err)
	}
	if cur := o.elect.cur; cur != nil {
		if cur.key == key {
			return cur, nil
		}
		why := "the set's clusters changed"
		if strings.Join(cur.set, ",") == setKey {
			why = "the gslb-members kubeconfig connects differently"
		}
		o.stopElection(why)
	}
	if o.elect.lastSet != "" && o.elect.lastSet != setKey && time.Now().Before(o.elect.notBefore) {
		// Majorities of two sets need not overlap: a term this amko held
		// over the old set must have expired before it claims over the new.
		wait := time.Until(o.elect.notBefore)
		o.setWaiting(fmt.Sprintf("the set changed to %s: electing over it from %s (a lease duration after leaving the old set)",
			setKey, o.elect.notBefore.UTC().Format(time.RFC3339)))
		time.AfterFunc(wait, o.pokeFederation)
		return nil, nil
	}
	stores := make([]quorum.Store, len(set))
	for i, c := range contexts {
		cfg := c.Config()
		cfg.Timeout = quorum.DefaultRequestTimeout // each request is bounded by the elector too
		cfg.QPS, cfg.Burst = 20, 40
		// A connection of the election's own, never client-go's shared one:
		// renewals must not queue behind watches and replication on one
		// HTTP/2 connection (seen stalling for a minute under load). Over
		// HTTP/1.1 a request that times out closes its connection, so the
		// next one dials afresh instead of reusing a stalled one.
		cfg.Dial = (&net.Dialer{Timeout: quorum.DefaultRetryPeriod, KeepAlive: 30 * time.Second}).DialContext
		cfg.NextProtos = []string{"http/1.1"}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			o.setWaiting("the election's stores: " + err.Error())
			return nil, fmt.Errorf("automatic failover: a client for %s: %w", set[i], err)
		}
		stores[i] = quorum.NewLeaseStore(set[i], cs.CoordinationV1())
	}
	host, _ := os.Hostname()
	elector, err := quorum.New(quorum.DefaultConfig(quorum.NewIdentity(ac.Spec.ClusterContext+"/"+host)), stores)
	if err != nil {
		o.setWaiting(err.Error())
		return nil, fmt.Errorf("automatic failover: %w", err)
	}
	ectx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &election{set: set, key: key, elector: elector, cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() { _ = elector.Run(ectx) })
	wg.Go(func() { o.watchGuard(ectx, elector) })
	go func() { wg.Wait(); close(e.done) }()
	o.elect.mu.Lock()
	o.elect.cur, o.elect.waiting = e, ""
	o.elect.mu.Unlock()
	o.log.Info("automatic failover: electing the federation's leader", "clusters", setKey, "identity", elector.Status().Identity)
	return e, nil
}

func (o *Operator) setWaiting(why string) {
	o.elect.mu.Lock()
	o.elect.waiting = why
	o.elect.mu.Unlock()
}

// stopElection stops the running elector, if any: its guard lapses at once
// (so nothing more is written), and it releases the term after its writes
// have landed, in the background. It returns a channel closed when it has.
func (o *Operator) stopElection(why string) <-chan struct{} {
	o.elect.roleMu.Lock() // no role from this election after this
	o.elect.mu.Lock()
	e := o.elect.cur
	o.elect.cur, o.elect.waiting, o.elect.guard = nil, "", nil
	o.elect.mu.Unlock()
	o.elect.roleMu.Unlock()
	if e == nil {
		done := make(chan struct{})
		close(done)
		return done
	}
	o.elect.lastSet = strings.Join(e.set, ",")
	o.elect.notBefore = time.Now().Add(quorum.DefaultLeaseDuration)
	o.log.Info("automatic failover: leaving the election", "why", why, "clusters", o.elect.lastSet)
	e.cancel()
	return e.done
}

// watchGuard follows the elector's guard for the elector's life: a new term
// makes this amko the leader, a lapse a follower, each at once.
func (o *Operator) watchGuard(ctx context.Context, e *quorum.Elector) {
	for {
		g, err := e.AwaitGuard(ctx)
		if err != nil {
			return
		}
		o.elect.mu.Lock()
		o.elect.guard, o.elect.last = g, g.Acquired()
		o.elect.lastWhy = fmt.Sprintf("elected for term %d", g.Term())
		ac := o.elect.ac
		o.elect.mu.Unlock()
		o.setElectedRole(g, false, e)
		o.log.Info("automatic failover: elected the federation's leader", "term", g.Term())
		if ac != nil {
			o.recorder.Event(ac, corev1.EventTypeNormal, "ElectedLeader",
				fmt.Sprintf("this amko leads the federation set for term %d, granted by %s", g.Term(), strings.Join(granted(e.Status()), ", ")))
		}
		o.Poke() // the role may have been set before the guard was known here
		o.pokeFederation()
		select {
		case <-g.Done():
		case <-ctx.Done():
			<-g.Done() // the elector's shutdown lapses it at once
		}
		why := context.Cause(g.Context()).Error()
		o.elect.mu.Lock()
		if o.elect.guard == g {
			o.elect.guard = nil
		}
		o.elect.last, o.elect.lastWhy = g.LapsedAt(), fmt.Sprintf("term %d lapsed: %s", g.Term(), why)
		ac = o.elect.ac
		o.elect.mu.Unlock()
		o.setElectedRole(nil, false, e)
		o.log.Warn("automatic failover: no longer the federation's leader", "term", g.Term(), "why", why)
		if ac != nil {
			o.recorder.Event(ac, corev1.EventTypeWarning, "LostLeadership",
				fmt.Sprintf("this amko no longer leads the federation set (term %d): %s; it writes nothing until elected again", g.Term(), why))
		}
		o.pokeFederation()
	}
}

// granted names the stores that acknowledged the candidate's term.
func granted(st quorum.Status) []string {
	var names []string
	for _, s := range st.Stores {
		if s.Granted {
			names = append(names, s.Name)
		}
	}
	return names
}

// electedCondition is the AMKOCluster's Elected condition: stable between
// changes of the holder, the term or the clusters granting it, so that a
// quiet set writes no status.
func (o *Operator) electedCondition(ac *amkov1alpha1.AMKOCluster, e *election, g *quorum.Guard, err error) *amkov1alpha1.AMKOClusterCondition {
	c := &amkov1alpha1.AMKOClusterCondition{Type: federation.TypeElected, Status: "False"}
	switch {
	case err != nil:
		c.Reason = err.Error()
	case e == nil:
		o.elect.mu.Lock()
		c.Reason = o.elect.waiting
		o.elect.mu.Unlock()
	case g != nil:
		st := e.elector.Status()
		c.Status = "True"
		c.Reason = fmt.Sprintf("this amko leads, term %d, granted by %s", g.Term(), strings.Join(granted(st), ", "))
	default:
		st := e.elector.Status()
		if st.Holder != "" {
			c.Reason = fmt.Sprintf("follows %s, term %d", st.Holder, st.HolderTerm)
		} else {
			c.Reason = "no leader holds a majority of the set's clusters yet"
		}
	}
	if ac.Spec.IsLeader {
		c.Reason += "; spec.isLeader is ignored with failover Automatic"
	}
	return c
}

// StatusElection is the set's election as this amko sees it (failover
// Automatic).
type StatusElection struct {
	// Identity is this amko's candidate name; Role leading, claiming or follower.
	Identity string `json:"identity,omitempty"`
	Role     string `json:"role,omitempty"`
	// Term is the term held or claimed, else the last one seen.
	Term int64 `json:"term,omitempty"`
	// Holder and HolderTerm: the candidate a majority of the clusters names.
	Holder     string `json:"holder,omitempty"`
	HolderTerm int64  `json:"holderTerm,omitempty"`
	// Granted names the clusters that acknowledged this amko's term lately.
	Granted []string `json:"granted,omitempty"`
	// ValidUntil is when this amko's proof lapses unless renewed (leading).
	ValidUntil *time.Time `json:"validUntil,omitempty"`
	// Reason says why the elector's role last changed.
	Reason string `json:"reason,omitempty"`
	// LastChange and LastChangeWhy: this amko's last election or loss of the term.
	LastChange    *time.Time `json:"lastChange,omitempty"`
	LastChangeWhy string     `json:"lastChangeWhy,omitempty"`
	// Waiting says why no elector runs although the AMKOCluster asks for one.
	Waiting string `json:"waiting,omitempty"`
	// Clusters is what each cluster's record last said.
	Clusters []StatusElectionCluster `json:"clusters,omitempty"`
}

// StatusElectionCluster is one cluster's leadership record as last read.
type StatusElectionCluster struct {
	Name      string     `json:"name"`
	Holder    string     `json:"holder,omitempty"`
	Term      int64      `json:"term,omitempty"`
	Released  bool       `json:"released,omitempty"`
	Granted   bool       `json:"granted,omitempty"`
	LastHeard *time.Time `json:"lastHeard,omitempty"`
}

// electionStatus is the election's view for /status; nil in Manual mode.
func (o *Operator) electionStatus() *StatusElection {
	o.elect.mu.Lock()
	e, waiting, last, lastWhy := o.elect.cur, o.elect.waiting, o.elect.last, o.elect.lastWhy
	o.elect.mu.Unlock()
	if e == nil && waiting == "" {
		return nil
	}
	out := &StatusElection{Waiting: waiting, LastChangeWhy: lastWhy}
	if !last.IsZero() {
		out.LastChange = &last
	}
	if e == nil {
		return out
	}
	st := e.elector.Status()
	out.Identity, out.Role, out.Term = st.Identity, strings.ToLower(st.Role.String()), st.Term
	out.Holder, out.HolderTerm, out.Reason = st.Holder, st.HolderTerm, st.Reason
	out.Granted = granted(st)
	if !st.ValidUntil.IsZero() {
		v := st.ValidUntil
		out.ValidUntil = &v
	}
	for _, s := range st.Stores {
		c := StatusElectionCluster{Name: s.Name, Holder: s.Holder, Term: s.Term, Released: s.Released, Granted: s.Granted}
		if !s.LastHeard.IsZero() {
			h := s.LastHeard
			c.LastHeard = &h
		}
		out.Clusters = append(out.Clusters, c)
	}
	return out
}
