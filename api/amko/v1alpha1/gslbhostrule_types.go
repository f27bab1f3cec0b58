// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Values of GSLBHostRuleStatus.Status.
const (
	GSLBHostRuleAccepted = "Accepted"
	GSLBHostRuleRejected = "Rejected"
)

// GSLBHostRule overrides the properties of the GSLB service for one FQDN.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ghr,categories=amko
// +kubebuilder:printcolumn:name="FQDN",type=string,JSONPath=`.spec.fqdn`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Error",type=string,JSONPath=`.status.error`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GSLBHostRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GSLBHostRuleSpec   `json:"spec"`
	Status GSLBHostRuleStatus `json:"status,omitempty"`
}

// GSLBHostRuleSpec holds the GSLB service properties a user can override.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.healthMonitorRefs) && size(self.healthMonitorRefs) > 0 && has(self.healthMonitorTemplate))",message="healthMonitorRefs and healthMonitorTemplate cannot be specified together: set one or the other"
type GSLBHostRuleSpec struct {
	// Fqdn is the name of the GSLB service this rule applies to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Fqdn string `json:"fqdn"`

	// TTL is the DNS time to live of the service's records, in seconds.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	TTL *int `json:"ttl,omitempty"`

	// PoolAlgorithmSettings selects the algorithm within a pool.
	PoolAlgorithmSettings *PoolAlgorithmSettings `json:"poolAlgorithmSettings,omitempty"`

	// SitePersistence keeps a client on the site it first reached; absent means the
	// GlobalDeploymentPolicy decides.
	SitePersistence *SitePersistence `json:"sitePersistence,omitempty"`

	// ThirdPartyMembers are members at non-Avi sites.
	// +kubebuilder:validation:MaxItems=64
	ThirdPartyMembers []ThirdPartyMember `json:"thirdPartyMembers,omitempty"`

	// HealthMonitorRefs are federated health monitors for the service's members.
	HealthMonitorRefs []string `json:"healthMonitorRefs,omitempty"`

	// HealthMonitorTemplate is a federated HTTP(S) health monitor whose request and
	// response codes the created path monitors copy.
	HealthMonitorTemplate *string `json:"healthMonitorTemplate,omitempty"`

	// TrafficSplit sets the weight and priority of each member cluster or third-party site.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(a, self.exists_one(b, b.cluster == a.cluster))",message="each cluster may appear only once in trafficSplit"
	TrafficSplit []TrafficSplitElem `json:"trafficSplit,omitempty"`

	// PublicIP sets the public address of a member cluster's members.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(a, self.exists_one(b, b.cluster == a.cluster))",message="each cluster may appear only once in publicIP"
	PublicIP []PublicIPElem `json:"publicIP,omitempty"`

	// DownResponse is the DNS response while the service is down.
	DownResponse *DownResponse `json:"downResponse,omitempty"`

	// ControlPlaneHmOnly turns off data-plane health monitors.
	ControlPlaneHmOnly *bool `json:"controlPlaneHmOnly,omitempty"`
}

// TrafficSplitElem is the weight and priority of one cluster's (or third-party
// site's) members. Unlike the GlobalDeploymentPolicy's, priority defaults to 1.
type TrafficSplitElem struct {
	// Cluster is a member cluster context or a third-party site name.
	// +kubebuilder:validation:MaxLength=253
	Cluster string `json:"cluster,omitempty"`
	// Weight is the members' ratio within their pool.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	// +kubebuilder:default=1
	Weight uint32 `json:"weight,omitempty"`
	// Priority groups members into pools; the highest priority pool with a healthy member answers.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=1
	Priority *uint32 `json:"priority,omitempty"`
}

// SitePersistence keeps a client on one site.
//
// +kubebuilder:validation:XValidation:rule="!self.enabled || (has(self.profileRef) && size(self.profileRef) > 0)",fieldPath=".profileRef",message="profileRef is required when sitePersistence is enabled"
type SitePersistence struct {
	// Enabled turns site persistence on or, when false, off regardless of the policy.
	Enabled bool `json:"enabled,omitempty"`
	// ProfileRef is a federated application persistence profile.
	ProfileRef string `json:"profileRef,omitempty"`
	// PKIProfileRef is a federated PKI profile.
	PKIProfileRef *string `json:"pkiProfileRef,omitempty"`
}

// ThirdPartyMember is a member at a non-Avi site.
type ThirdPartyMember struct {
	// VIP is the member's address.
	// +required
	// +kubebuilder:validation:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="isIP(self)",message="vip must be an IPv4 or IPv6 address"
	VIP string `json:"vip"`
	// Site is the third-party site's name in the controller's GSLB configuration.
	// +required
	// +kubebuilder:validation:MinLength=1
	Site string `json:"site"`
	// PublicIP is the member's public address.
	// +kubebuilder:validation:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="isIP(self)",message="publicIP must be an IPv4 or IPv6 address"
	PublicIP string `json:"publicIP,omitempty"`
}

// PublicIPElem is the public address of one member cluster.
type PublicIPElem struct {
	// Cluster is the member cluster context.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Cluster string `json:"cluster"`
	// IP is the cluster's public address.
	// +required
	// +kubebuilder:validation:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="isIP(self)",message="ip must be an IPv4 or IPv6 address"
	IP string `json:"ip"`
}

// GSLBHostRuleStatus says whether the rule is in effect and, if not, why.
type GSLBHostRuleStatus struct {
	// Error says why the rule was rejected; empty when accepted.
	Error string `json:"error,omitempty"`
	// Status is Accepted or Rejected.
	Status string `json:"status,omitempty"`

	// Conditions say, beside Status and Error, whether this rule is in effect and
	// synced, each with the generation it reflects and when it last changed:
	// Accepted (the spec was validated and is in effect; False with reason Rejected
	// and AMKO's message when refused, the last accepted spec staying in effect),
	// Synced (the backend holds what this rule asks for; False with a reason such
	// as BackendUnavailable, BadCredentials, NotLeader or DeletionHeld) and Ready
	// (Accepted and Synced both True).
	//
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// GSLBHostRuleList is a list of GSLBHostRules.
//
// +kubebuilder:object:root=true
type GSLBHostRuleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GSLBHostRule `json:"items"`
}
