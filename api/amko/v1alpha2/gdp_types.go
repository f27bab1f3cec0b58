// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/amko-project/amko/api/amko/v1alpha1"
)

// GDPStatusSuccess is GDPStatus.ErrorStatus of an accepted policy.
const GDPStatusSuccess = "success"

// GlobalDeploymentPolicy selects the applications, in which member clusters, that get
// GSLB services, and sets the properties those services share.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gdp,categories=amko
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.errorStatus`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GlobalDeploymentPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GDPSpec   `json:"spec"`
	Status GDPStatus `json:"status,omitempty"`
}

// GDPSpec is the policy.
//
// Admission checks only what AMKO 2.2.1's CRD checks: every manifest that
// applied under AMKO's CRDs applies here. AMKO's runtime checks (empty labels,
// clusters not in the GSLBConfig, health monitor refs with a template, the pool
// algorithm and down response rules) are amko's runtime checks too, reported
// in status.errorStatus with AMKO's text (internal/policy).
type GDPSpec struct {
	// MatchRules select applications by their labels and their namespaces' labels.
	MatchRules MatchRules `json:"matchRules,omitempty"`

	// MatchClusters are the member clusters whose applications are selected.
	MatchClusters []ClusterProperty `json:"matchClusters,omitempty"`

	// TrafficSplit sets the weight and priority of each member cluster; of
	// several entries for one cluster the first counts, as with AMKO.
	TrafficSplit []TrafficSplitElem `json:"trafficSplit,omitempty"`

	// HealthMonitorRefs are federated health monitors for every service's members.
	HealthMonitorRefs []string `json:"healthMonitorRefs,omitempty"`

	// HealthMonitorTemplate is a federated HTTP(S) health monitor whose request and
	// response codes the created path monitors copy.
	HealthMonitorTemplate *string `json:"healthMonitorTemplate,omitempty"`

	// TTL is the DNS time to live of the services' records, in seconds.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	TTL *int `json:"ttl,omitempty"`

	// SitePersistenceRef is a federated application persistence profile, applied to TLS services.
	SitePersistenceRef *string `json:"sitePersistenceRef,omitempty"`

	// PKIProfileRef is a federated PKI profile used with site persistence.
	PKIProfileRef *string `json:"pkiProfileRef,omitempty"`

	// PoolAlgorithmSettings selects the algorithm within a pool.
	PoolAlgorithmSettings *v1alpha1.PoolAlgorithmSettings `json:"poolAlgorithmSettings,omitempty"`

	// DownResponse is the DNS response while a service is down.
	DownResponse *v1alpha1.DownResponse `json:"downResponse,omitempty"`

	// ControlPlaneHmOnly turns off data-plane health monitors: only control plane
	// health monitoring is done and no data-plane monitors are created.
	ControlPlaneHmOnly *bool `json:"controlPlaneHmOnly,omitempty"`

	// DefaultDomain completes an OpenShift Route's host name from its spec.subdomain
	// when spec.host is empty.
	DefaultDomain *string `json:"defaultDomain,omitempty"`

	// EndpointHealth takes a member out (written enabled: false, left out of
	// DNS answers) while none of the Services behind it has a ready endpoint
	// in its cluster, as the cluster's EndpointSlices say. Not part of AMKO's
	// API: with an Avi Controller, which leaves health to its monitors, it is
	// off unless enabled here; with the built-in DNS backend it is on unless
	// disabled here.
	EndpointHealth *EndpointHealth `json:"endpointHealth,omitempty"`
}

// EndpointHealth configures health from the member clusters' EndpointSlices.
type EndpointHealth struct {
	// Enabled turns endpoint health on or off; unset: on with the built-in
	// DNS backend only.
	Enabled *bool `json:"enabled,omitempty"`
	// HoldDown is how long the Services behind a member that was taken out
	// must have had ready endpoints without a break before it is back: a
	// readiness that flaps keeps it out rather than flapping with it. A member
	// is taken out at once. Default 10s; 0s brings it back at once.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	HoldDown *metav1.Duration `json:"holdDown,omitempty"`
}

// ClusterProperty is one selected member cluster.
type ClusterProperty struct {
	// Cluster is the member cluster context.
	Cluster string `json:"cluster,omitempty"`
	// SyncVipOnly makes this cluster's members address-only, with no Avi virtual
	// service uuids, so they need no AKO annotations.
	SyncVipOnly bool `json:"syncVipOnly,omitempty"`
}

// MatchRules select applications. Both selectors must match when both are given;
// with neither, nothing is selected.
type MatchRules struct {
	AppSelector       AppSelector       `json:"appSelector,omitempty"`
	NamespaceSelector NamespaceSelector `json:"namespaceSelector,omitempty"`
}

// AppSelector selects Ingresses, Services and Routes carrying all these labels.
// An empty key or value is refused at runtime, with AMKO's text.
type AppSelector struct {
	Label map[string]string `json:"label,omitempty"`
}

// NamespaceSelector selects the applications in namespaces carrying all these
// labels. An empty key or value is refused at runtime, with AMKO's text.
type NamespaceSelector struct {
	Label map[string]string `json:"label,omitempty"`
}

// TrafficSplitElem is the weight and priority of one cluster's members.
type TrafficSplitElem struct {
	// Cluster is the member cluster context.
	Cluster string `json:"cluster,omitempty"`
	// Weight is the members' ratio within their pool.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	// +kubebuilder:default=1
	Weight uint32 `json:"weight,omitempty"`
	// Priority groups members into pools; the highest priority pool with a healthy member answers.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=10
	Priority *uint32 `json:"priority,omitempty"`
}

// GDPStatus says whether the policy is in effect.
type GDPStatus struct {
	// ErrorStatus is "success" or the reason the policy was rejected.
	ErrorStatus string `json:"errorStatus,omitempty"`

	// Conditions say, beside ErrorStatus, whether this policy is in effect, selects
	// anything and is synced, each with the generation it reflects and when it last
	// changed: Accepted (the spec was validated and is in effect; False with reason
	// Rejected and AMKO's message when refused, the last accepted spec staying in
	// effect), Selecting (False with reason NothingSelected when the policy selects
	// no application), Synced (the backend holds what this policy asks for; False
	// with a reason such as BackendUnavailable, BadCredentials, NotLeader or
	// DeletionHeld) and Ready (Accepted and Synced both True).
	//
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// GlobalDeploymentPolicyList is a list of GlobalDeploymentPolicies.
//
// +kubebuilder:object:root=true
type GlobalDeploymentPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GlobalDeploymentPolicy `json:"items"`
}
