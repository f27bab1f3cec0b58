// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/members"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider"
)

// Conditions sit beside AMKO's status strings, which stay exactly AMKO's:
// they add what the strings cannot say (the generation they describe, since
// when, and why not in a reason a script can match).

// withConditions returns conds with each of set applied (meta.SetStatusCondition
// keeps the transition time of an unchanged status), plus Ready from Accepted
// and the other conditions given, and whether anything but times changed.
func withConditions(conds []metav1.Condition, generation int64, set ...metav1.Condition) ([]metav1.Condition, bool) {
	out := make([]metav1.Condition, len(conds))
	copy(out, conds)
	ready := metav1.Condition{Type: amkov1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: amkov1alpha1.ReasonReady, Message: "in effect and in sync"}
	for _, c := range set {
		c.ObservedGeneration = generation
		meta.SetStatusCondition(&out, c)
		if c.Status != metav1.ConditionTrue && ready.Status == metav1.ConditionTrue {
			ready.Status, ready.Reason, ready.Message = c.Status, c.Reason, c.Message
		}
	}
	ready.ObservedGeneration = generation
	meta.SetStatusCondition(&out, ready)
	return out, !equality.Semantic.DeepEqual(conds, out)
}

func condition(typ string, ok bool, reason, message string) metav1.Condition {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	if message == "" {
		message = reason
	}
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message}
}

// configConditions says what a GSLBConfig's AMKO state means, with what the
// operator knows beyond it: why the backend fails, and held deletions.
func configConditions(state string, backendErr error, hold *plan.Hold) []metav1.Condition {
	accepted := condition(amkov1alpha1.ConditionAccepted, true, amkov1alpha1.ReasonAccepted, "")
	var synced metav1.Condition
	switch {
	case (state == amkov1alpha1.GSLBConfigStateAccepted || isOutageState(state)) && hold != nil:
		synced = condition(amkov1alpha1.ConditionSynced, false, amkov1alpha1.ReasonDeletionHeld, holdMessage(hold))
	case state == amkov1alpha1.GSLBConfigStateAccepted, state == amkov1alpha1.GSLBConfigStateSynced:
		synced = condition(amkov1alpha1.ConditionSynced, true, amkov1alpha1.ReasonSynced, "")
	case isOutageState(state):
		// In effect and written to the backend, but without what the lost
		// clusters hold now.
		synced = condition(amkov1alpha1.ConditionSynced, false, ReasonMemberClusterUnreachable,
			state+"; their last known members are kept")
	case state == amkov1alpha1.GSLBConfigStateSyncing:
		synced = condition(amkov1alpha1.ConditionSynced, false, amkov1alpha1.ReasonSyncing, "first pass over the backend under way")
	case state == amkov1alpha1.GSLBConfigStateNotLeader:
		synced = condition(amkov1alpha1.ConditionSynced, false, amkov1alpha1.ReasonNotLeader, state)
	case strings.HasPrefix(state, "error: issue in connecting to the controller API"):
		reason := amkov1alpha1.ReasonBackendUnavailable
		switch {
		case errors.Is(backendErr, provider.ErrUntrusted):
			reason = amkov1alpha1.ReasonCertificateUntrusted
		case errors.Is(backendErr, provider.ErrBadCredentials):
			reason = amkov1alpha1.ReasonBadCredentials
		}
		synced = condition(amkov1alpha1.ConditionSynced, false, reason, state)
	default: // AMKO's refusals of the config itself
		accepted = condition(amkov1alpha1.ConditionAccepted, false, amkov1alpha1.ReasonRejected, state)
		synced = condition(amkov1alpha1.ConditionSynced, false, amkov1alpha1.ReasonRejected, "the configuration is not in effect")
	}
	return []metav1.Condition{accepted, synced}
}

// ReasonMemberClusterUnreachable is the Synced condition's reason while a
// member cluster does not answer.
const ReasonMemberClusterUnreachable = "MemberClusterUnreachable"

// outagePrefix begins the GSLBConfig state AMKO's troubleshooting guide
// documents for a member cluster that cannot be read ("cluster healthcheck
// failed"); each such cluster follows, with AMKO's per-cluster text.
const outagePrefix = "error: cluster healthcheck failed, "

// isOutageState reports whether state is the member-outage state: the
// configuration is accepted and in effect all the same.
func isOutageState(state string) bool { return strings.HasPrefix(state, outagePrefix) }

// syncedState is the state of an accepted GSLBConfig after a successful
// pass: AMKO's success, or the member outage while clusters do not answer
// (those that answered once, and those that failed since start).
func syncedState(sts []members.Status) string {
	var msgs []string
	for _, st := range sts {
		if st.State == members.Unreachable || (st.State == members.Pending && st.Error != "") {
			msgs = append(msgs, "cluster "+st.Cluster+" health check failed, can't access the services api")
		}
	}
	if len(msgs) == 0 {
		return amkov1alpha1.GSLBConfigStateAccepted
	}
	return outagePrefix + strings.Join(msgs, ", ")
}

// holdMessage names the held deletions, at most ten of them.
func holdMessage(h *plan.Hold) string {
	names, more := h.Services, ""
	if len(names) > 10 {
		names, more = names[:10], fmt.Sprintf(" and %d more", len(h.Services)-10)
	}
	return fmt.Sprintf("deleting %d of the %d GSLB services amko owns is held until %s: %s%s",
		len(h.Services), h.Owned, h.Until.UTC().Format("2006-01-02T15:04:05Z"), strings.Join(names, ", "), more)
}
