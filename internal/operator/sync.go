// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/members"
	"github.com/amko-project/amko/internal/model"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/provider"
)

// pass is one level-triggered round: configuration, policy, then the backend.
// resync drops what amko remembers of the backend, so the pass reads it
// again and compares everything: drift is repaired and garbage collected;
// and the model decides on every record again.
func (o *Operator) pass(ctx context.Context, resync bool) error {
	start := time.Now()
	defer func() { o.metrics.passDuration.Observe(time.Since(start).Seconds()) }()
	if resync {
		o.mu.Lock()
		o.state.observed = nil
		o.mu.Unlock()
		// Passes in between decide again only on the objects that changed.
		o.memo.Reselect()
		o.mirrorPlan = mirrorPlan{}
	}
	gc, err := o.configPass(ctx)
	// Deferred so that Status sees the config's state as this pass leaves it.
	defer o.recordConfig(gc)
	if gc == nil {
		return err
	}
	if err != nil {
		return o.backendFailed(ctx, gc, err)
	}
	pol, err := o.policyPass(ctx, gc)
	if err != nil {
		return o.backendFailed(ctx, gc, err)
	}
	o.memberStatus(gc)

	o.mu.Lock()
	o.lastPolicy = pol
	leader, backend, synced, role := o.state.leader, o.state.backend, o.state.synced, o.role
	o.mu.Unlock()
	if backend.Shared() {
		switch {
		case !o.active():
			// A standby replica keeps its model warm for taking over, and its
			// view current for /status; it writes nothing to the controller.
			desired := o.desired(ctx, pol)
			o.syncMirror(ctx, desired)
			o.maybeCompare(ctx, gc, desired)
			o.recordServices(desired)
			return nil
		case !role.writes() || !o.holdsTerm():
			// A follower (or one side of two leaders, or a leader whose
			// elected term lapsed) stays ready and writes nothing to the
			// controller; its DNS mirror, its own, serves.
			o.mirrorOnly(ctx, gc, pol)
			return nil
		case !leader:
			o.setConfigStatus(ctx, gc, amkov1alpha1.GSLBConfigStateNotLeader)
			o.mirrorOnly(ctx, gc, pol)
			// Ask again when the recheck is due, not at the next Kubernetes
			// event or resync: a controller leading again must be written to
			// within the recheck, whatever else happens.
			o.pokeAfter(o.opts.LeadershipRecheck)
			return nil
		}
		if wait := o.pendingWait(); wait > 0 {
			// A member cluster that never answered may hold members we would delete.
			time.AfterFunc(wait, o.Poke)
			return nil
		}
	}
	// Read after the pending check, never before: a cluster that syncs in
	// between would otherwise count as synced with the records it had not
	// delivered yet (its cache serves before it reports Ready).
	desired := o.desired(ctx, pol)
	if o.active() {
		o.selectsNothing(ctx, pol, desired)
	}
	if !synced {
		o.setConfigStatus(ctx, gc, amkov1alpha1.GSLBConfigStateSyncing)
	}
	// The mirror first: it serves whatever the controller does with the writes.
	o.syncMirror(ctx, desired)
	o.maybeCompare(ctx, gc, desired)
	if err := o.sync(ctx, gc, backend, desired); err != nil {
		return o.backendFailed(ctx, gc, err)
	}
	o.backendAnswers(gc)
	o.mu.Lock()
	o.state.synced = true
	o.mu.Unlock()
	if !synced {
		// AMKO's boot sequence: syncing all objects, synced all objects, then
		// success (amko.md §2.1 step 11).
		o.setConfigStatus(ctx, gc, amkov1alpha1.GSLBConfigStateSynced)
	}
	o.setConfigStatus(ctx, gc, syncedState(o.members.Status()))
	o.recordServices(desired)
	if backend.Shared() && len(gc.Spec.GSLBLeader.AlternateControllers) > 0 {
		// With somewhere else to go, a controller that stops leading is
		// noticed within the recheck even when nothing else asks for a pass.
		o.pokeAfter(o.opts.LeadershipRecheck)
	}
	return nil
}

// pokeAfter asks for a pass after d, once however many passes ask while one
// is pending.
func (o *Operator) pokeAfter(d time.Duration) {
	if !o.recheckPending.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(d, func() {
		o.recheckPending.Store(false)
		o.Poke()
	})
}

// mirrorOnly serves the desired services from the DNS mirror, if there is one,
// in a pass that writes nothing to the controller.
func (o *Operator) mirrorOnly(ctx context.Context, gc *amkov1alpha1.GSLBConfig, pol *policy.Policy) {
	o.mu.Lock()
	has := o.state.mirror != nil
	o.mu.Unlock()
	if has {
		desired := o.desired(ctx, pol)
		o.syncMirror(ctx, desired)
		o.maybeCompare(ctx, gc, desired)
	}
}

// pendingWait is how much longer writes wait for member clusters that have not
// answered since amko started or became able to write.
func (o *Operator) pendingWait() time.Duration {
	o.mu.Lock()
	since := o.writable
	o.mu.Unlock()
	left := o.opts.PendingGrace - time.Since(since)
	if left <= 0 {
		return 0
	}
	for _, st := range o.members.Status() {
		if st.State == members.Pending {
			return left
		}
	}
	return 0
}

// desired builds the services the policy selects from the member clusters'
// objects, and updates the service metrics.
func (o *Operator) desired(ctx context.Context, pol *policy.Policy) []*gslb.Service {
	defaultDomain := ""
	if pol.GDP != nil && pol.GDP.DefaultDomain != nil {
		defaultDomain = *pol.GDP.DefaultDomain
	}
	o.memberHealthSettings(pol)
	in, err := o.members.Inputs(ctx, defaultDomain)
	if err != nil {
		o.log.Warn("reading member clusters", "err", err)
	}
	// The memo is the pass goroutine's: desired runs on it only.
	desired := model.BuildWith(model.Input{Policy: pol, Groups: in.Groups, Namespaces: in.Namespaces, HostRules: in.HostRules}, &o.memo)
	o.serviceMetrics(o.lastDesired, desired)
	o.memberDownChanges(o.lastDesired, desired)
	o.lastDesired = desired
	return desired
}

// sync plans the difference between the desired services and the backend's,
// and applies what the deletion guard lets through.
func (o *Operator) sync(ctx context.Context, gc *amkov1alpha1.GSLBConfig, backend provider.Provider, desired []*gslb.Service) error {
	o.mu.Lock()
	planner := o.state.observed
	o.mu.Unlock()
	if planner == nil {
		obs, err := backend.Observe(ctx)
		o.metrics.request("observe", err)
		if err != nil {
			return fmt.Errorf("reading the backend's GSLB services: %w", err)
		}
		if backend.Shared() {
			// A fresh read shows any stale leader's write that landed over
			// this amko's (term.go).
			_, elected := o.writeTerm()
			o.checkTerms(gc, obs, elected)
		}
		// The planner keeps the observed state from here on, from the
		// results of the writes: the first plan compares everything, the
		// next ones what changed since (or did not succeed).
		planner = plan.NewPlanner(obs, backend.Equality())
		o.mu.Lock()
		o.state.observed = planner
		o.mu.Unlock()
	}
	if backend.Shared() {
		var kept int
		desired, kept = keepControllerAddresses(desired, o.unreachableBeforeWriting(), planner.Observed)
		if kept > 0 {
			o.log.Debug("members of clusters unreachable since before this amko began writing keep the controller's addresses", "members", kept)
		}
	}
	changes := planner.Plan(desired)
	changes, hold := o.guard.Check(time.Now(), changes, planner.ObservedServices())
	o.reportHold(ctx, gc, hold)
	if len(changes) == 0 {
		return nil
	}
	applyCtx := ctx
	var refused error
	if backend.Shared() {
		// With failover Automatic, the writes happen only while the term is
		// provably current, and stop the moment it lapses.
		fctx, release, err := o.electionFence(ctx)
		if err != nil {
			return err
		}
		defer release()
		applyCtx = fctx
		// They carry the term (term.go), and none goes over an object a
		// later term wrote.
		term, elected := o.writeTerm()
		if elected && term <= 0 {
			return errors.New("not writing: this amko holds no current leadership term")
		}
		if term > 0 {
			changes, refused = o.markTerm(gc, planner, changes, term)
		}
	}
	var results []plan.Result
	if len(changes) > 0 {
		results = backend.Apply(applyCtx, changes)
	}
	o.noteWritten(results)
	var errs []error
	reobserve := false
	if refused != nil {
		errs, reobserve = append(errs, refused), true
	}
	for _, r := range results {
		o.metrics.change(r)
		switch {
		case r.Err == nil:
			continue
		case errors.Is(r.Err, provider.ErrNotLeader):
			o.mu.Lock()
			o.state.leader, o.state.checked = false, time.Now()
			o.mu.Unlock()
		case errors.Is(r.Err, provider.ErrConflict):
			reobserve = true // someone else changed the backend: read it again
		}
		errs = append(errs, r.Err)
	}
	planner.Applied(results)
	if reobserve {
		o.mu.Lock()
		o.state.observed = nil
		o.mu.Unlock()
	}
	o.log.Info("applied changes", "backend", backend.Kind(), "changes", len(changes), "failed", len(errs))
	return errors.Join(errs...)
}

// reportHold says, once per hold, which deletions wait and why; and asks for
// the pass that proceeds when the window ends.
func (o *Operator) reportHold(ctx context.Context, gc *amkov1alpha1.GSLBConfig, hold *plan.Hold) {
	o.mu.Lock()
	prev := o.hold
	o.hold = hold
	o.mu.Unlock()
	if hold == nil {
		if prev != nil {
			o.log.Info("held deletions released", "services", len(prev.Services))
		}
		return
	}
	if prev != nil && prev.Since.Equal(hold.Since) {
		return
	}
	time.AfterFunc(time.Until(hold.Until), o.Poke)
	msg := fmt.Sprintf("%s (more than %.0f%% at once). If this is a mistake (a selector or cluster name typo), fix the GlobalDeploymentPolicy "+
		"or GSLBConfig before then and nothing is deleted; otherwise they are deleted then", holdMessage(hold), 100*o.guardThreshold())
	o.log.Warn("mass deletion held", "services", len(hold.Services), "owned", hold.Owned, "until", hold.Until)
	o.recorder.Event(gc, corev1.EventTypeWarning, "DeletionHeld", msg)
	if gdp := o.acceptedGDPObject(ctx); gdp != nil {
		o.recorder.Event(gdp, corev1.EventTypeWarning, "DeletionHeld", msg)
	}
}

// acceptedGDPObject is the GlobalDeploymentPolicy in effect, nil when none.
func (o *Operator) acceptedGDPObject(ctx context.Context) *amkov1alpha2.GlobalDeploymentPolicy {
	var list amkov1alpha2.GlobalDeploymentPolicyList
	if err := o.cache.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
		return nil
	}
	for i := range list.Items {
		if list.Items[i].Status.ErrorStatus == amkov1alpha2.GDPStatusSuccess {
			return &list.Items[i]
		}
	}
	return nil
}

// selectsNothing warns, once per generation, about an accepted GDP that
// selects no application (most often a selector typo), and keeps the GDP's
// Selecting condition.
func (o *Operator) selectsNothing(ctx context.Context, pol *policy.Policy, desired []*gslb.Service) {
	if pol.GDP == nil {
		return
	}
	gdp := o.acceptedGDPObject(ctx)
	if gdp == nil {
		return
	}
	none := len(desired) == 0
	o.mu.Lock()
	changed := o.selecting == nil || *o.selecting == none
	selects := !none
	o.selecting = &selects
	o.mu.Unlock()
	if changed {
		o.setGDPStatus(ctx, gdp, gdp.Status.ErrorStatus)
	}
	if !none {
		o.nothingSelected = ""
		return
	}
	key := string(gdp.UID) + "/" + strconv.FormatInt(gdp.Generation, 10)
	if o.nothingSelected == key {
		return
	}
	o.nothingSelected = key
	o.recorder.Event(gdp, corev1.EventTypeWarning, amkov1alpha1.ReasonNothingSelected, nothingSelectedMessage)
}

// nothingSelectedMessage says what to check when a policy selects nothing.
const nothingSelectedMessage = "the policy selects no application in any member cluster: check matchRules (appSelector, namespaceSelector) and matchClusters; " +
	"amko status --explain '*' says why each candidate is left out"

func (o *Operator) guardThreshold() float64 {
	if o.guard.Threshold > 0 {
		return o.guard.Threshold
	}
	return plan.DefaultDeletionThreshold
}

// backendFailed reports a failing backend once per change of cause (an
// Event, the GSLBConfig's status and the log), and returns what the loop's
// backoff should see: nil when retrying cannot help before the configuration
// changes (refused credentials), err otherwise.
func (o *Operator) backendFailed(ctx context.Context, gc *amkov1alpha1.GSLBConfig, err error) error {
	class := provider.Class(err)
	cause := "error"
	if class != nil {
		cause = class.Error()
	}
	o.mu.Lock()
	changed := o.state.cause != cause
	o.state.cause, o.state.lastErr = cause, err
	o.mu.Unlock()
	o.noteReachable(gc, err)
	reason := "SyncFailed"
	switch {
	case errors.Is(err, provider.ErrBadCredentials):
		reason = "BadCredentials"
	case errors.Is(err, provider.ErrUntrusted):
		reason = "ControllerUntrusted"
	}
	if changed {
		o.recorder.Event(gc, corev1.EventTypeWarning, reason, err.Error())
		o.log.Warn("GSLB backend failing", "reason", reason, "err", err)
	}
	var cerr *connectError
	if errors.As(err, &cerr) || errors.Is(err, provider.ErrBadCredentials) || errors.Is(err, provider.ErrUntrusted) || errors.Is(err, provider.ErrUnavailable) {
		o.setConfigStatus(ctx, gc, "error: issue in connecting to the controller API, "+err.Error())
	}
	if errors.Is(err, provider.ErrBadCredentials) || errors.Is(err, provider.ErrUntrusted) {
		// The backend logs in again only with new credentials, and trusts the
		// controller only with a new CA or pin: a pass can do nothing until the
		// Secret or the GSLBConfig changes, which asks for one (a caBundle
		// object is looked at again every untrustedRecheck).
		return nil
	}
	return err
}

// backendAnswers notes that the backend works again after failing.
func (o *Operator) backendAnswers(gc *amkov1alpha1.GSLBConfig) {
	o.mu.Lock()
	prev := o.state.cause
	o.state.cause, o.state.lastErr = "", nil
	o.mu.Unlock()
	o.noteReachable(gc, nil)
	if prev != "" {
		o.recorder.Event(gc, corev1.EventTypeNormal, "SyncRecovered", "the GSLB backend answers again ("+prev+" before): in sync")
		o.log.Info("GSLB backend answers again", "was", prev)
	}
}
