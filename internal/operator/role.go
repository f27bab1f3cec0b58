// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/federation"
	"github.com/amko-project/amko/internal/reconcile"
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
	// RoleOrphan: no AMKOCluster here, but a member cluster's AMKOCluster
	// names a leader (or this amko was a follower and cannot tell): another
	// amko writes, so this one writes nothing.
	RoleOrphan
)

func (r Role) String() string {
	return [...]string{"unknown", "standalone", "leader", "follower", "conflict", "orphan"}[r]
}

// writes reports whether the role may write to the GSLB backend.
func (r Role) writes() bool { return r == RoleLeader || r == RoleStandalone }

// Role returns the current role.
func (o *Operator) Role() Role {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.role
}

// RoleReason says why the role is what it is, when it writes nothing for a
// reason an admin should know.
func (o *Operator) RoleReason() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.roleReason
}

// setRole records the role and, when it changed, asks for a pass: a promoted
// amko starts syncing, a demoted one has already stopped (passes check the
// role before any write).
func (o *Operator) setRole(r Role) {
	o.mu.Lock()
	prev := o.role
	o.role = r
	if r != RoleOrphan {
		o.roleReason = ""
	}
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

// unfederatedRecheck is how often an amko without an AMKOCluster looks
// whether a member cluster's AMKOCluster names a leader.
const unfederatedRecheck = 30 * time.Second

// unfederatedRole is the role of an amko whose cluster has no AMKOCluster:
// standalone, writing to the controller, only when no cluster of the set
// names a leader. Clusters that cannot be asked count as they last answered;
// and an amko that was a follower (or in conflict) stays out while any cannot
// be asked, as its leader may just be out of its reach.
func (o *Operator) unfederatedRole(ctx context.Context, fed *federation.Federator) Role {
	o.mu.Lock()
	var contexts []string
	if gc := o.state.config; gc != nil {
		for _, m := range gc.Spec.MemberClusters {
			contexts = append(contexts, m.ClusterContext)
		}
	}
	prev := o.role
	o.mu.Unlock()
	if len(contexts) == 0 {
		// No accepted GSLBConfig yet: nothing to write, and no set to ask. The
		// pass that accepts one asks for this again.
		return RoleUnknown
	}
	leaders, unknown, err := fed.Leaders(ctx, contexts)
	if err != nil {
		unknown = contexts
		o.log.Warn("looking for a federation leader in the member clusters", "err", err)
	}
	if o.leaderSeen == nil {
		o.leaderSeen = map[string]bool{}
	}
	for _, c := range contexts {
		if !slices.Contains(unknown, c) {
			o.leaderSeen[c] = slices.Contains(leaders, c)
		}
	}
	var named []string
	for _, c := range contexts {
		if o.leaderSeen[c] {
			named = append(named, c)
		}
	}
	reason := ""
	switch {
	case len(named) > 0:
		reason = fmt.Sprintf("this cluster has no AMKOCluster while the AMKOCluster of %s names a leader: that amko writes to the GSLB backend, this one writes nothing "+
			"(create this cluster's AMKOCluster with isLeader: false to follow it)", strings.Join(named, ", "))
	case len(unknown) > 0 && prev != RoleStandalone && prev != RoleUnknown:
		reason = fmt.Sprintf("this cluster's AMKOCluster is gone and %s cannot be asked whether its amko leads: writing nothing until it can", strings.Join(unknown, ", "))
	}
	o.mu.Lock()
	changed := o.roleReason != reason
	o.roleReason = reason
	gc := o.state.config
	o.mu.Unlock()
	if reason == "" {
		return RoleStandalone
	}
	if changed && gc != nil {
		o.recorder.Event(gc, corev1.EventTypeWarning, "NotWriting", reason)
		o.log.Warn("not writing to the GSLB backend", "reason", reason)
	}
	return RoleOrphan
}

// reportUnfederated warns, once per set of clusters, of members without an
// AMKOCluster: an amko there that does not know this leader could write too.
func (o *Operator) reportUnfederated(ac *amkov1alpha1.AMKOCluster, clusters []string) {
	key := strings.Join(clusters, ",")
	if key == o.unfederated {
		return
	}
	o.unfederated = key
	if key == "" {
		return
	}
	msg := fmt.Sprintf("member cluster(s) %s have no AMKOCluster: an amko there that does not know this leader (AMKO, or one started before this set) "+
		"could write to the GSLB backend too; create their AMKOCluster with isLeader: false", key)
	o.recorder.Event(ac, corev1.EventTypeWarning, "LeaderConflict", msg)
	o.log.Warn("federation conflict", "err", msg)
}

// conflictRecheck is how often a member in conflict looks whether the other
// leader was demoted.
const conflictRecheck = time.Second

// pokeFederation asks for a federation pass; it never blocks.
func (o *Operator) pokeFederation() { o.fedLoop.Trigger() }

// federationRecheck is the period of federation passes that nothing here
// triggers: a member in conflict looks every second whether the other leader
// was demoted (in its cluster, which nothing here watches), an amko without an
// AMKOCluster every 30 s whether a leader was named elsewhere.
func (o *Operator) federationRecheck() time.Duration {
	switch o.Role() {
	case RoleConflict:
		return conflictRecheck
	case RoleStandalone, RoleOrphan:
		return unfederatedRecheck
	}
	if o.electionStatus() != nil {
		return electedRecheck
	}
	return 0
}

// runFederation replicates the leader's configuration to the members and keeps
// the role current, on every change of the local policy objects, and retries
// a failed pass (AMKO requeues every 10 s).
func (o *Operator) runFederation(ctx context.Context) {
	fed := federation.New(federation.Options{
		Local: o.client, Scheme: o.opts.Scheme, Log: o.log, HostRules: !o.opts.NoHostRuleFederation, Recorder: o.recorder,
		Kubeconfig: func(ctx context.Context) ([]byte, error) { return o.membersKubeconfig(ctx) },
	})
	_ = o.fedLoop.Run(ctx, func(ctx context.Context, _ reconcile.Pass) error { return o.federationPass(ctx, fed) })
	// Give the term up for the next leader, after this one's writes landed.
	<-o.stopElection("amko stops")
}

// federationPass is one federation round; its error asks for a retry.
func (o *Operator) federationPass(ctx context.Context, fed *federation.Federator) error {
	if !o.active() {
		// A standby replica neither federates nor takes a role, nor takes
		// part in an election; SetActive pokes.
		o.stopElection("this replica is a standby")
		return nil
	}
	var list amkov1alpha1.AMKOClusterList
	if err := o.cache.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
		return err
	}
	if len(list.Items) == 0 {
		o.stopElection("no AMKOCluster")
		o.setRole(o.unfederatedRole(ctx, fed))
		return nil
	}
	if len(list.Items) == 1 && list.Items[0].Spec.Failover == amkov1alpha1.FailoverAutomatic {
		o.leaderSeen = nil
		return o.electedPass(ctx, fed, &list.Items[0])
	}
	o.stopElection("the AMKOCluster's failover is Manual")
	o.leaderSeen = nil // what other clusters said is asked again if the AMKOCluster goes
	res, err := fed.Reconcile(ctx)
	o.reportUnfederated(&list.Items[0], res.Unfederated)
	switch {
	case res.Conflict:
		if o.Role() != RoleConflict {
			o.recorder.Event(&list.Items[0], corev1.EventTypeWarning, "LeaderConflict",
				"another member of the federation also leads: no GSLB backend writes until an admin demotes one")
		}
		o.setRole(RoleConflict)
		if err != nil {
			o.log.Warn("federation pass failed", "err", err)
		}
		return nil // rechecked every second (federationRecheck)
	case res.Leader:
		o.setRole(RoleLeader)
	default:
		o.setRole(RoleFollower)
	}
	if err != nil {
		o.log.Warn("federation pass failed; retrying", "err", err)
	}
	return err
}
