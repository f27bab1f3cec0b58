// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// AMKOCluster describes this cluster's place in the federation: whether its amko
// leads, and which clusters receive the configuration.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=amko
// +kubebuilder:printcolumn:name="Leader",type=boolean,JSONPath=`.spec.isLeader`
// +kubebuilder:printcolumn:name="Context",type=string,JSONPath=`.spec.clusterContext`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`
// +kubebuilder:printcolumn:name="Failover",type=string,JSONPath=`.spec.failover`,priority=1
// +kubebuilder:printcolumn:name="Validation",type=string,JSONPath=`.status.conditions[?(@.type=="current AMKOCluster Validation")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AMKOCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AMKOClusterSpec   `json:"spec,omitempty"`
	Status AMKOClusterStatus `json:"status,omitempty"`
}

// AMKOClusterSpec defines the federation from this cluster's point of view.
type AMKOClusterSpec struct {
	// ClusterContext is this cluster's context in the gslb-members kubeconfig.
	ClusterContext string `json:"clusterContext,omitempty"`
	// IsLeader makes this cluster's amko the one that syncs to the GSLB backend and
	// federates its configuration.
	IsLeader bool `json:"isLeader,omitempty"`
	// Clusters are the contexts of every cluster in the federation, this one
	// included; a context named twice counts once.
	Clusters []string `json:"clusters,omitempty"`
	// Version is the amko version; every member must run the same.
	Version string `json:"version,omitempty"`
	// Failover chooses how the set's leader is chosen (an amko extension;
	// AMKO 2.2.1's CRD prunes it, which means Manual). Manual: isLeader
	// decides, as in AMKO, and an admin promotes a follower after a
	// disaster. Automatic: the amkos of the set elect their leader over a
	// quorum lease kept in every cluster of the set, and isLeader is
	// ignored (docs/failover-quorum.md). Every member of a set must use
	// the same mode. Absent means Manual: no schema default, so that amko's
	// CRD stores an AMKO object exactly as AMKO's does (test/compat).
	// +kubebuilder:validation:Enum=Manual;Automatic
	// +optional
	Failover FailoverMode `json:"failover,omitempty"`
}

// FailoverMode is how a federation set's leader is chosen.
type FailoverMode string

// Failover modes.
const (
	// FailoverManual: the AMKOCluster's isLeader decides (AMKO's behaviour).
	FailoverManual FailoverMode = "Manual"
	// FailoverAutomatic: the set's amkos elect their leader (a quorum lease).
	FailoverAutomatic FailoverMode = "Automatic"
)

// AMKOClusterStatus holds AMKO's federation conditions.
type AMKOClusterStatus struct {
	Conditions []AMKOClusterCondition `json:"conditions,omitempty"`
}

// AMKOClusterCondition is one of AMKO's federation conditions; its Type and Status
// are AMKO's fixed texts, such as "GDP Federation" and "federated to all valid
// clusters successfully".
type AMKOClusterCondition struct {
	Type   string `json:"type,omitempty"`
	Status string `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// AMKOClusterList is a list of AMKOClusters.
//
// +kubebuilder:object:root=true
type AMKOClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AMKOCluster `json:"items"`
}
