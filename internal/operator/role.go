// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/federation"
)

// Role is this amko's place in a federation set, from its cluster's AMKOCluster.
type Role int

// Roles.
const (
	// RoleUnknown: the AMKOCluster has not been read yet; nothing is written.
	RoleUnknown Role = iota
	// RoleStandalone: no AMKOCluster, so no federation; amko leads on its own.
	RoleStandalone
	// RoleLeader: the federation's leader, writing to the GSLB backend and
	// replicating its configuration to the members.
	RoleLeader
	// RoleFollower: a standby, ready to be promoted; it writes nothing.
	RoleFollower
	// RoleConflict: another member also claims to lead; nothing is written
	// until the admin resolves it.
	RoleConflict
)

func (r Role) String() string {
	return [...]string{"unknown", "standalone", "leader", "follower", "conflict"}[r]
}

// writes reports whether the role may write to the GSLB backend.
func (r Role) writes() bool { return r == RoleLeader || r == RoleStandalone }

// Role returns the current role.
func (o *Operator) Role() Role {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.role
}

// setRole records the role and, when it changed, asks for a pass: a promoted
// amko starts syncing, a demoted one has already stopped (passes check the
// role before any write).
func (o *Operator) setRole(r Role) {
	o.mu.Lock()
	prev := o.role
	o.role = r
	if r.writes() && !prev.writes() {
		o.state.observed = nil // read the backend afresh: it changed while we did not lead
		// Member clusters not yet synced get the same grace as at start: their
		// members are unknown, not gone.
		o.writable = time.Now()
	}
	o.mu.Unlock()
	if prev != r {
		o.log.Info("federation role", "role", r.String(), "was", prev.String())
		o.Poke()
	}
}

// conflictRecheck is how often a member in conflict looks whether the other
// leader was demoted.
const conflictRecheck = time.Second

// pokeFederation asks for a federation pass; it never blocks.
func (o *Operator) pokeFederation() {
	select {
	case o.fedTrigger <- struct{}{}:
	default:
	}
}

// runFederation replicates the leader's configuration to the members and keeps
// the role current, on every change of the local policy objects and every 10 s
// after a failure (AMKO's requeue).
func (o *Operator) runFederation(ctx context.Context) {
	fed := federation.New(federation.Options{
		Local: o.client, Scheme: o.opts.Scheme, Log: o.log, HostRules: !o.opts.NoHostRuleFederation, Recorder: o.recorder,
		Kubeconfig: func(ctx context.Context) ([]byte, error) { return o.membersKubeconfig(ctx) },
	})
	var retry <-chan time.Time
	o.pokeFederation()
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.fedTrigger:
		case <-retry:
		}
		retry = nil
		if !o.active() {
			continue // a standby replica neither federates nor takes a role; SetActive pokes
		}
		var list amkov1alpha1.AMKOClusterList
		if err := o.cache.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
			retry = time.After(10 * time.Second)
			continue
		}
		if len(list.Items) == 0 {
			o.setRole(RoleStandalone)
			continue
		}
		res, err := fed.Reconcile(ctx)
		switch {
		case res.Conflict:
			if o.Role() != RoleConflict {
				o.recorder.Event(&list.Items[0], corev1.EventTypeWarning, "LeaderConflict",
					"another member of the federation also leads: no GSLB backend writes until an admin demotes one")
			}
			o.setRole(RoleConflict)
			// The other leader's demotion happens in its cluster, which nothing
			// here watches: look again soon rather than at the 10 s retry, so
			// that writes resume within a second or two.
			retry = time.After(conflictRecheck)
			if err != nil {
				o.log.Warn("federation pass failed", "err", err)
			}
			continue
		case res.Leader:
			o.setRole(RoleLeader)
		default:
			o.setRole(RoleFollower)
		}
		if err != nil {
			o.log.Warn("federation pass failed; retrying in 10s", "err", err)
			retry = time.After(10 * time.Second)
		}
	}
}
