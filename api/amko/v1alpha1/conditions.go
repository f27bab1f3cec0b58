// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1alpha1

// Condition types and reasons amko sets in status.conditions of GSLBConfig,
// GSLBHostRule and GlobalDeploymentPolicy (v1alpha2 uses these constants too),
// beside AMKO's own status strings, which keep their exact texts. Each condition
// carries the metadata.generation it was computed from (observedGeneration) and the
// time its status last changed (lastTransitionTime); set them with
// k8s.io/apimachinery/pkg/api/meta.SetStatusCondition.
//
// AMKOCluster has none of these: its status.conditions is AMKO's own list of
// {type, status, reason} texts, which AMKO peers in a federation read.
const (
	// ConditionAccepted is True when the spec was validated and is in effect. It is
	// False with reason ReasonRejected and AMKO's message when the spec is refused;
	// the last accepted spec, if any, stays in effect.
	ConditionAccepted = "Accepted"
	// ConditionSynced is True when the backend holds what the object asks for. It is
	// False (or Unknown before the first pass) with a reason saying why not, such as
	// ReasonBackendUnavailable, ReasonBadCredentials, ReasonCertificateUntrusted,
	// ReasonNotLeader or ReasonDeletionHeld.
	ConditionSynced = "Synced"
	// ConditionReady is True when Accepted and Synced both are; otherwise it carries
	// the reason and message of the first of them that is not True.
	ConditionReady = "Ready"
	// ConditionSelecting, on a GlobalDeploymentPolicy only, is True when the policy
	// selects at least one application and False with reason ReasonNothingSelected
	// when it selects none.
	ConditionSelecting = "Selecting"
)

// Reasons of the conditions above. A reason is CamelCase, as metav1.Condition
// requires; the message beside it is free text (AMKO's status string, where there
// is one).
const (
	// ReasonAccepted: Accepted is True.
	ReasonAccepted = "Accepted"
	// ReasonRejected: the spec was refused; the message is AMKO's.
	ReasonRejected = "Rejected"

	// ReasonSynced: Synced is True.
	ReasonSynced = "Synced"
	// ReasonSyncing: the first pass over this object has not finished yet.
	ReasonSyncing = "Syncing"
	// ReasonBackendUnavailable: the backend (Avi Controller) cannot be reached or
	// does not answer as expected.
	ReasonBackendUnavailable = "BackendUnavailable"
	// ReasonBadCredentials: the backend refused the credentials; amko does not log in
	// again until they change.
	ReasonBadCredentials = "BadCredentials"
	// ReasonCertificateUntrusted: the controller's certificate does not chain to
	// the CA given, or differs from the one pinned; amko sends it nothing.
	ReasonCertificateUntrusted = "CertificateUntrusted"
	// ReasonNotLeader: the controller amko talks to is not the GSLB leader.
	ReasonNotLeader = "NotLeader"
	// ReasonMaintenance: the backend is in maintenance mode and refuses writes.
	ReasonMaintenance = "Maintenance"
	// ReasonConflict: another writer changed or holds the backend objects.
	ReasonConflict = "Conflict"
	// ReasonFollower: this amko is a federation follower and does not write to the
	// backend; the leader does.
	ReasonFollower = "Follower"
	// ReasonDeletionHeld: the pass would delete more services than the threshold
	// allows and is held for the confirmation window; the message names them.
	ReasonDeletionHeld = "DeletionHeld"

	// ReasonReady: Ready is True.
	ReasonReady = "Ready"

	// ReasonSelected: Selecting is True.
	ReasonSelected = "Selected"
	// ReasonNothingSelected: the policy selects no application.
	ReasonNothingSelected = "NothingSelected"
)
