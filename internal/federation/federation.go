// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package federation is AMKO's federator, inside amko: it reads this cluster's
// AMKOCluster and, when it names this amko the leader, checks the federation
// set's other members and replicates the leader's GSLBConfig, its
// GlobalDeploymentPolicy and (our addition) its GSLBHostRules to every valid
// member, so a follower promoted after a disaster starts with the
// configuration in place. Its outcome is the AMKOCluster's status conditions,
// with AMKO's exact texts, and the role amko may take: only a valid leader that
// no other member contests writes to the GSLB backend.
//
// A pass is synchronous and bounded: members are reached in parallel, every
// request to a member has a deadline, and a member that cannot be reached is a
// per-cluster error, never a stalled pass.
package federation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amko-project/amko/api"
	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
)

// Namespace holds the AMKOCluster, the GSLBConfig and the GDP in every cluster.
const Namespace = "avi-system"

// FieldManager names the federation's writes on member clusters.
const FieldManager = "amko-federator"

// FederatedLabel marks the GSLBHostRules the federation created on a member:
// only those are updated or deleted there.
const FederatedLabel = "amko.vmware.com/federated"

// DefaultMemberTimeout bounds each step (probe, validation, one kind's
// replication) on one member cluster.
const DefaultMemberTimeout = 5 * time.Second

// Options configure a Federator.
type Options struct {
	// Local reads and writes the cluster this amko runs in (scheme from api.NewScheme()).
	Local client.Client
	// Kubeconfig returns the gslb-members kubeconfig (contexts of every cluster of the set).
	Kubeconfig func(ctx context.Context) ([]byte, error)
	// Scheme knows amko's kinds; nil means api.NewScheme().
	Scheme *runtime.Scheme
	// HostRules, when true, also replicates GSLBHostRules (default in amko: true).
	HostRules bool
	// Log receives what a pass did; nil discards.
	Log *slog.Logger
	// MemberTimeout bounds each step on one member cluster; 0 means
	// DefaultMemberTimeout.
	MemberTimeout time.Duration
	// Recorder, when set, receives an Event on the AMKOCluster for each
	// condition that changes.
	Recorder record.EventRecorder
}

// Result is what one pass decided.
type Result struct {
	// Leader: whether this amko is the leader and may write to the GSLB backend.
	// False when isLeader is false, when the AMKOCluster is invalid or missing, or when
	// another member also claims leadership (Conflict). Members that cannot be
	// reached or validated, and a gslb-members kubeconfig that cannot be read or
	// lacks a context, do not take leadership away: after a disaster the
	// promoted follower cannot reach the lost leader, and a kubeconfig mistake
	// must not stop the GSLB backend's updates.
	Leader   bool
	Conflict bool
	// Unfederated names the members that have no AMKOCluster: an amko
	// there that does not know this set (AMKO, or amko before it learns of
	// this leader) could write to the controller too. The leader reports
	// them as a conflict and goes on.
	Unfederated []string
	// Conditions are the AMKOCluster's status conditions after the pass.
	Conditions []amkov1alpha1.AMKOClusterCondition
}

// Election is the outcome of the set's quorum election, for an amko whose
// AMKOCluster has spec.failover: Automatic: it decides the role instead of
// isLeader.
type Election struct {
	// Elected: this amko holds the set's current term.
	Elected bool
	// Term is that term. The leader marks what it writes on members with it
	// (quorum.TermAnnotation) and refuses to change a member's object marked
	// with a higher one.
	Term int64
	// Fence, when set, is cancelled when the term lapses: the writes to
	// members run under it, and none starts after it ends.
	Fence context.Context
	// Condition, when set, is added to the AMKOCluster's conditions.
	Condition *amkov1alpha1.AMKOClusterCondition
}

// Federator runs federation passes for one cluster. Its passes are serialised;
// between them it keeps the member clients of the last kubeconfig.
type Federator struct {
	opts    Options
	scheme  *runtime.Scheme
	mapper  meta.RESTMapper
	timeout time.Duration
	log     *slog.Logger
	initErr error

	mu    sync.Mutex // one pass at a time; guards cache
	cache clientCache

	storedMu sync.Mutex            // guards stored: members are written to in parallel
	stored   map[string]storedForm // by member/kind/name

	// cur is the running pass's election outcome (nil: isLeader decides) and
	// AMKOCluster, guarded by mu.
	cur struct {
		election *Election
		ac       *amkov1alpha1.AMKOCluster
	}

	// wrap, when set (by tests), wraps the member clients' transport.
	wrap func(http.RoundTripper) http.RoundTripper
}

// New returns a Federator. It never fails: a missing scheme that cannot be
// built is reported by every Reconcile.
func New(opts Options) *Federator {
	f := &Federator{opts: opts, scheme: opts.Scheme, mapper: newMapper(), timeout: opts.MemberTimeout, log: opts.Log}
	if f.timeout <= 0 {
		f.timeout = DefaultMemberTimeout
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.scheme == nil {
		f.scheme, f.initErr = api.NewScheme()
	}
	switch {
	case f.initErr != nil:
		f.initErr = fmt.Errorf("federation: building the scheme: %w", f.initErr)
	case opts.Local == nil:
		f.initErr = errors.New("federation: no local client")
	case opts.Kubeconfig == nil:
		f.initErr = errors.New("federation: no kubeconfig source")
	}
	return f
}

// Reconcile runs one federation pass (amko.md §4 steps 1–7, plus GSLBHostRules):
// lists AMKOClusters in avi-system of the local cluster (none: Result{} and no
// error; more than one: error), sanity checks, member contexts, member
// validation, replication of GSLBConfig, GDP and (if enabled) GSLBHostRules,
// deletion of extra copies on members, deletion propagated. It writes the local
// AMKOCluster's status conditions through the status subresource, only when
// they changed. A follower writes just the "won't federate objects"/"AMKO not a
// leader" condition and returns Leader=false.
//
// The returned error means "retry later" (AMKO: RequeueAfter 10s): the Result
// stands even then. A follower and an invalid AMKOCluster return no error:
// only a change of the AMKOCluster, which the caller watches, changes them.
func (f *Federator) Reconcile(ctx context.Context) (Result, error) {
	return f.ReconcileElected(ctx, nil)
}

// ReconcileElected is Reconcile for a member of a set that elects its leader
// (e non-nil): e, not isLeader, says whether this amko leads; the members
// whose AMKOCluster is Automatic too are not taken for other leaders by their
// isLeader (the election rules out two), those in Manual mode still are.
func (f *Federator) ReconcileElected(ctx context.Context, e *Election) (Result, error) {
	if f.initErr != nil {
		return Result{}, f.initErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()

	var list amkov1alpha1.AMKOClusterList
	if err := f.opts.Local.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
		return Result{}, fmt.Errorf("listing AMKOClusters in %s: %w", Namespace, err)
	}
	switch len(list.Items) {
	case 0:
		return Result{}, nil
	case 1:
	default:
		return Result{}, fmt.Errorf("only one AMKOCluster object allowed per cluster, %s holds %d", Namespace, len(list.Items))
	}
	ac := &list.Items[0]
	f.cur.election, f.cur.ac = e, ac
	defer func() { f.cur.election, f.cur.ac = nil, nil }()

	var conds conditions
	res, err := f.pass(ctx, ac, &conds)
	if e != nil && e.Condition != nil {
		conds = append(conds, *e.Condition)
	}
	res.Conditions = slices.Clone(conds)
	if werr := f.writeStatus(ctx, ac, conds); werr != nil {
		err = errors.Join(err, werr)
	}
	return res, err
}

// pass runs AMKO's steps on ac, recording each step's condition.
func (f *Federator) pass(ctx context.Context, ac *amkov1alpha1.AMKOCluster, conds *conditions) (Result, error) {
	leads := ac.Spec.IsLeader
	if e := f.cur.election; e != nil {
		leads = e.Elected
	}
	if !leads {
		conds.add(TypeValidation, StatusNotALeader, ReasonNotALeader)
		return Result{}, nil
	}
	if err := sanity(ac); err != nil {
		conds.add(TypeValidation, StatusInvalidAMKOCluster, err.Error())
		f.log.Warn("invalid AMKOCluster", "name", ac.Name, "err", err)
		return Result{}, nil
	}
	conds.add(TypeValidation, StatusValidAMKOCluster, "")

	// Member contexts: every cluster of the set but this one. AMKO's
	// federation guide makes the current cluster optional in the list (its
	// federator refuses a list without it): absent, it is a member all the
	// same, and the others are the ones federated to.
	if !slices.Contains(ac.Spec.Clusters, ac.Spec.ClusterContext) {
		f.log.Debug("the AMKOCluster's clusters do not name the current cluster: it is a member implicitly", "current", ac.Spec.ClusterContext)
	}
	res := Result{Leader: true}
	var names []string
	for _, c := range ac.Spec.Clusters {
		if c != ac.Spec.ClusterContext && !slices.Contains(names, c) {
			names = append(names, c)
		}
	}
	if len(names) == 0 {
		// A set of one: nothing to federate to, and nothing to contest the lead.
		conds.step(TypeMemberInitialisation, initTexts, nil)
		return res, nil
	}
	kubeconfig, err := f.opts.Kubeconfig(ctx)
	if err == nil {
		var members []*member
		if members, err = f.memberClients(kubeconfig, names); err == nil {
			return f.federate(ctx, ac, members, res, conds)
		}
	}
	err = fmt.Errorf("error in initialising member cluster contexts: %w", err)
	conds.hard(TypeMemberInitialisation, initTexts, err)
	return res, err
}

// federate runs the steps that reach the members: probe, validation, replication.
func (f *Federator) federate(ctx context.Context, ac *amkov1alpha1.AMKOCluster, members []*member, res Result, conds *conditions) (Result, error) {
	members, initErrs := f.probeAll(ctx, members)
	conds.step(TypeMemberInitialisation, initTexts, initErrs)
	if len(members) == 0 {
		return res, errors.New("no valid cluster contexts found")
	}

	valid, valErrs, leaders := f.validateAll(ctx, members, ac.Spec.Version, f.cur.election != nil)
	if len(leaders) > 0 {
		// Two leaders would both write to the GSLB backend: nobody leads, and
		// nothing is federated, until an admin demotes one.
		err := errors.Join(leaders...)
		conds.add(TypeMemberValidation, StatusMembersAllFailed, joinErrs(leaders))
		f.log.Warn("federation conflict: another member is also a leader", "err", err)
		return Result{Conflict: true}, fmt.Errorf("error in validating the member clusters: %w", err)
	}
	conds.step(TypeMemberValidation, validationTexts, valErrs)
	for _, err := range valErrs {
		var missing *missingError
		if errors.As(err, &missing) {
			res.Unfederated = append(res.Unfederated, missing.cluster)
		}
	}
	if len(valid) == 0 {
		return res, errors.New("no valid clusters left to federate on")
	}

	wctx := ctx
	if e := f.cur.election; e != nil && e.Fence != nil {
		// The writes to members stop with the term; none starts after it.
		if err := context.Cause(e.Fence); err != nil {
			return Result{}, fmt.Errorf("not federating: %w", err)
		}
		fctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		stop := context.AfterFunc(e.Fence, func() { cancel(context.Cause(e.Fence)) })
		defer stop()
		wctx = fctx
	}
	failed, err := f.replicate(wctx, valid, conds)
	if err != nil {
		return res, err
	}
	if n := len(initErrs) + len(valErrs) + failed; n > 0 {
		return res, fmt.Errorf("federation incomplete: %d error(s) in member clusters", n)
	}
	return res, nil
}

// Leaders looks, for an amko whose own cluster has no AMKOCluster, in every
// cluster of contexts for an AMKOCluster that names its amko the leader, or
// that elects its leader (failover Automatic). It
// returns the contexts where one does, and those that could not be asked.
// Such an amko writes to the controller only when no cluster names a leader:
// otherwise two amkos would write (a follower whose AMKOCluster was deleted,
// or an amko started without one in a federated set).
func (f *Federator) Leaders(ctx context.Context, contexts []string) (leaders, unknown []string, err error) {
	if f.initErr != nil {
		return nil, nil, f.initErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	kubeconfig, err := f.opts.Kubeconfig(ctx)
	if err != nil {
		return nil, nil, err
	}
	members, err := f.memberClients(kubeconfig, contexts)
	if err != nil {
		return nil, nil, err
	}
	found := make([]error, len(members))
	isLeader := make([]bool, len(members))
	f.forEach(ctx, members, func(ctx context.Context, i int, m *member) {
		var list amkov1alpha1.AMKOClusterList
		if found[i] = m.client.List(ctx, &list, client.InNamespace(Namespace)); found[i] != nil {
			return
		}
		for _, ac := range list.Items {
			// A set that elects its leader has one whatever isLeader says.
			isLeader[i] = isLeader[i] || ac.Spec.IsLeader || ac.Spec.Failover == amkov1alpha1.FailoverAutomatic
		}
	})
	for i, m := range members {
		switch {
		case found[i] != nil:
			unknown = append(unknown, m.name)
		case isLeader[i]:
			leaders = append(leaders, m.name)
		}
	}
	return leaders, unknown, nil
}

// sanity is AMKO's VerifyAMKOClusterSanity.
func sanity(ac *amkov1alpha1.AMKOCluster) error {
	switch {
	case ac.Namespace != Namespace:
		return fmt.Errorf("AMKOCluster's namespace is not %s", Namespace)
	case ac.Spec.ClusterContext == "":
		return errors.New("clusterContext field can't be empty in AMKOCluster object")
	case ac.Spec.Version == "":
		return errors.New("version field can't be empty in AMKOCluster object")
	}
	return nil
}

// validateAll is AMKO's ValidateMemberClusters, on every member at once: it
// returns the members fit to receive the configuration, the errors of the
// others, and the conflicts (members whose AMKO also leads), in the members'
// order. A leader is looked for before anything else, so a member that is
// invalid in other ways still counts as a contender.
func (f *Federator) validateAll(ctx context.Context, members []*member, version string, elected bool) (valid []*member, errs, leaders []error) {
	type outcome struct{ err, leader error }
	out := make([]outcome, len(members))
	f.forEach(ctx, members, func(ctx context.Context, i int, m *member) {
		out[i].err, out[i].leader = validate(ctx, m, version, elected)
	})
	for i, m := range members {
		switch {
		case out[i].leader != nil:
			leaders = append(leaders, out[i].leader)
		case out[i].err != nil:
			errs = append(errs, out[i].err)
		default:
			valid = append(valid, m)
		}
	}
	return valid, errs, leaders
}

// forEach runs do on every member at once, each call bounded by the member
// timeout, and returns when all have: a lost member costs a pass seconds.
func (f *Federator) forEach(ctx context.Context, members []*member, do func(ctx context.Context, i int, m *member)) {
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Go(func() {
			mctx, cancel := context.WithTimeout(ctx, f.timeout)
			defer cancel()
			do(mctx, i, m)
		})
	}
	wg.Wait()
}

// validate checks one member's AMKOCluster, with AMKO's texts. For an
// elected leader, a member that elects too is no other leader by its
// isLeader, which it ignores.
func validate(ctx context.Context, m *member, version string, elected bool) (err, leader error) {
	var list amkov1alpha1.AMKOClusterList
	if err := m.client.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
		return fmt.Errorf("error in getting AMKOCluster list for cluster %s: %w", m.name, err), nil
	}
	for _, o := range list.Items {
		if o.Spec.IsLeader && !(elected && o.Spec.Failover == amkov1alpha1.FailoverAutomatic) {
			return nil, fmt.Errorf("AMKO in cluster %s is also a leader, conflicting state", m.name)
		}
	}
	switch {
	case len(list.Items) > 1:
		return fmt.Errorf("more than one AMKOCluster objects present in cluster %s, can't federate", m.name), nil
	case len(list.Items) == 0:
		return &missingError{cluster: m.name}, nil
	case !Compatible(version, list.Items[0].Spec.Version):
		return fmt.Errorf("version mismatch, current AMKO: %s, AMKO in cluster %s: %s", version, m.name, list.Items[0].Spec.Version), nil
	}
	return nil, nil
}

// Compatible reports whether an amko or AMKO of AMKOCluster version theirs
// may be federated with one of version ours. AMKO requires the same version.
// amko also federates within its family: amko 0.x (the chart's appVersion)
// reads and writes AMKO 2.2's objects, so amko 0.x and AMKO 2.2.x ("2.2.1",
// "v2.2.1") are one family, and a set can switch from one to the other
// cluster by cluster. Anything else (AMKO 2.1, 1.x, "latest") is another
// version, refused with AMKO's text.
func Compatible(ours, theirs string) bool {
	if ours == theirs {
		return true
	}
	a, b := family(ours), family(theirs)
	return a != "" && a == b
}

// family names the family of a version: "amko-2.2" for amko 0.x and AMKO
// 2.2.x, "" for any other.
func family(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	major, rest, ok := strings.Cut(v, ".")
	if !ok {
		return ""
	}
	minor, _, _ := strings.Cut(rest, ".")
	minor, _, _ = strings.Cut(minor, "-") // a pre-release: 0.2-rc1
	if !numeric(major) || !numeric(minor) {
		return ""
	}
	if major == "0" || (major == "2" && minor == "2") {
		return "amko-2.2"
	}
	return ""
}

func numeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// missingError is a member with no AMKOCluster, with AMKO's text.
type missingError struct{ cluster string }

func (e *missingError) Error() string {
	return fmt.Sprintf("no AMKOCluster object present in cluster %s, can't federate", e.cluster)
}

// writeStatus patches the AMKOCluster's conditions through the status
// subresource, only when they changed, so a quiet pass writes nothing.
func (f *Federator) writeStatus(ctx context.Context, ac *amkov1alpha1.AMKOCluster, conds conditions) error {
	if slices.Equal(ac.Status.Conditions, conds) {
		return nil
	}
	old := ac.Status.Conditions
	patch := client.MergeFrom(ac.DeepCopy())
	ac.Status.Conditions = slices.Clone(conds)
	if err := f.opts.Local.Status().Patch(ctx, ac, patch); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // deleted meanwhile: the next pass sees it gone
		}
		return fmt.Errorf("writing the status of AMKOCluster %s/%s: %w", ac.Namespace, ac.Name, err)
	}
	f.conditionEvents(ac, old, conds)
	return nil
}

// conditionEvents records an Event for each condition that appeared or
// changed: a warning for a failure, a normal Event otherwise.
func (f *Federator) conditionEvents(ac *amkov1alpha1.AMKOCluster, old []amkov1alpha1.AMKOClusterCondition, conds conditions) {
	if f.opts.Recorder == nil {
		return
	}
	for _, c := range conds {
		if slices.Contains(old, c) || c.Type == TypeElected {
			continue // the election's own Events say what changed
		}
		msg := c.Type + ": " + c.Status
		if c.Reason != "" {
			msg += ": " + c.Reason
		}
		switch c.Status {
		case StatusInvalidAMKOCluster:
			f.opts.Recorder.Event(ac, corev1.EventTypeWarning, "Rejected", msg)
		case StatusValidAMKOCluster:
			f.opts.Recorder.Event(ac, corev1.EventTypeNormal, "Accepted", msg)
		case StatusClientsInvalid, StatusSomeClientsInvalid, StatusSomeMembersInvalid, StatusFederationFailure, StatusSomeFederationFailure:
			f.opts.Recorder.Event(ac, corev1.EventTypeWarning, "FederationFailed", msg)
		default:
			f.opts.Recorder.Event(ac, corev1.EventTypeNormal, "Federation", msg)
		}
	}
}
