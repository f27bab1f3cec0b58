// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/members"
	"github.com/amko-project/amko/internal/model"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/provider/avi"
)

// pass is one level-triggered round: configuration, policy, then the backend.
func (o *Operator) pass(ctx context.Context) error {
	start := time.Now()
	defer func() { o.metrics.passDuration.Observe(time.Since(start).Seconds()) }()
	gc, err := o.configPass(ctx)
	if err != nil {
		return err
	}
	// Deferred so that Status sees the config's state as this pass leaves it.
	defer o.recordConfig(gc)
	if gc == nil {
		return nil
	}
	pol, err := o.policyPass(ctx, gc)
	if err != nil {
		return err
	}
	o.memberStatus(gc)

	o.mu.Lock()
	leader, backend, synced, role := o.state.leader, o.state.backend, o.state.synced, o.role
	o.mu.Unlock()
	if gc.Spec.DNS == nil && !o.active() {
		// A standby replica keeps its model warm for taking over, and its view
		// current for /status; it writes nothing.
		o.recordServices(o.desired(ctx, pol), nil, false)
		return nil
	}
	if gc.Spec.DNS == nil && !role.writes() {
		// A follower (or one side of two leaders) stays ready and writes nothing;
		// every site serves DNS, though, so the DNS backend goes on below.
		return nil
	}
	if !leader {
		o.setConfigStatus(ctx, gc, amkov1alpha1.GSLBConfigStateNotLeader)
		return nil // checked again at the next leadership check
	}
	if !synced {
		o.setConfigStatus(ctx, gc, amkov1alpha1.GSLBConfigStateSyncing)
	}
	if gc.Spec.DNS != nil {
		// Nothing to delete by mistake here, so no waiting for pending clusters.
		if err := o.syncDNS(ctx, gc, pol); err != nil {
			return err
		}
	} else {
		if wait := o.pendingWait(); wait > 0 {
			// A member cluster that never answered may hold members we would delete.
			time.AfterFunc(wait, o.Poke)
			return nil
		}
		if err := o.syncBackend(ctx, gc, pol, backend); err != nil {
			o.recorder.Event(gc, corev1.EventTypeWarning, "SyncFailed", err.Error())
			return err
		}
	}
	o.mu.Lock()
	o.state.synced = true
	o.mu.Unlock()
	o.setConfigStatus(ctx, gc, amkov1alpha1.GSLBConfigStateAccepted)
	return nil
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
	in, err := o.members.Inputs(ctx, defaultDomain)
	if err != nil {
		o.log.Warn("reading member clusters", "err", err)
	}
	// The memo is the pass goroutine's: desired runs on it only.
	desired := model.BuildWith(model.Input{Policy: pol, Records: in.Records, Namespaces: in.Namespaces, HostRules: in.HostRules}, &o.memo)
	o.serviceMetrics(desired)
	return desired
}

// syncBackend plans the difference between the desired services and the
// backend's, and applies it.
func (o *Operator) syncBackend(ctx context.Context, gc *amkov1alpha1.GSLBConfig, pol *policy.Policy, backend Backend) error {
	desired := o.desired(ctx, pol)

	o.mu.Lock()
	observed := o.state.observed
	o.mu.Unlock()
	if observed == nil {
		obs, err := backend.Observe(ctx)
		o.metrics.request("observe", err)
		if err != nil {
			return fmt.Errorf("reading the controller's GSLB services: %w", err)
		}
		observed = &obs
		o.mu.Lock()
		o.state.observed = observed
		o.mu.Unlock()
	}
	// A desired service the model handed out again, against the same observed
	// one, was found equal last pass: skip comparing it field by field.
	known := make(map[*gslb.Service]*gslb.Service, len(observed.Services))
	serviceEqual := func(d, obs *gslb.Service) bool {
		if o.equalServices[obs] == d {
			known[obs] = d
			return true
		}
		eq := avi.ServiceEqual(d, obs)
		if eq {
			known[obs] = d
		}
		return eq
	}
	changes := plan.Compute(desired, *observed, plan.Options{ServiceEqual: serviceEqual, MonitorEqual: avi.MonitorEqual})
	o.equalServices = known
	if len(changes) == 0 {
		o.recordServices(desired, nil, false) // the controller decides health
		return nil
	}
	results := backend.Apply(ctx, changes)
	var errs []error
	reobserve := false
	for _, r := range results {
		o.metrics.change(r)
		var aerr *avi.Error
		if errors.As(r.Err, &aerr) {
			switch {
			case aerr.NotLeader():
				o.mu.Lock()
				o.state.leader, o.state.checked = false, time.Now()
				o.mu.Unlock()
			case aerr.Status == 404 || aerr.Status == 409:
				reobserve = true // someone else changed the controller: read it again
			}
		}
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	observed.Apply(results)
	if reobserve {
		o.mu.Lock()
		o.state.observed = nil
		o.mu.Unlock()
	}
	o.log.Info("applied changes", "changes", len(changes), "failed", len(errs))
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	o.recordServices(desired, nil, false)
	return nil
}
