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
// Admission checks only what AMKO 2.2.1's CRD checks, and that AMKO's Go types
// can read the object: every manifest that applied under AMKO's CRDs applies
// here. AMKO's runtime checks (a missing fqdn, an address that is not one,
// health monitor refs with a template, the pool algorithm and down response
// rules) are amko's runtime checks too, reported on the status with AMKO's
// text (internal/policy).
type GSLBHostRuleSpec struct {
	// Fqdn is the name of the GSLB service this rule applies to; required at
	// runtime ("GSFqdn missing for <name> GSLBHostRule").
	// +optional
	Fqdn string `json:"fqdn,omitempty"`

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
	ThirdPartyMembers []ThirdPartyMember `json:"thirdPartyMembers,omitempty"`

	// HealthMonitorRefs are federated health monitors for the service's members.
	HealthMonitorRefs []string `json:"healthMonitorRefs,omitempty"`

	// HealthMonitorTemplate is a federated HTTP(S) health monitor whose request and
	// response codes the created path monitors copy.
	HealthMonitorTemplate *string `json:"healthMonitorTemplate,omitempty"`

	// TrafficSplit sets the weight and priority of each member cluster or
	// third-party site; of several entries for one cluster the first counts, as
	// with AMKO.
	TrafficSplit []TrafficSplitElem `json:"trafficSplit,omitempty"`

	// PublicIP sets the public address of a member cluster's members; of
	// several entries for one cluster the first counts, as with AMKO.
	PublicIP []PublicIPElem `json:"publicIP,omitempty"`

	// DownResponse is the DNS response while the service is down.
	DownResponse *DownResponse `json:"downResponse,omitempty"`

	// ControlPlaneHmOnly turns off data-plane health monitors.
	ControlPlaneHmOnly *bool `json:"controlPlaneHmOnly,omitempty"`

	// EndpointHealth turns health from the member clusters' EndpointSlices
	// on or off for this service, whatever the GDP's spec.endpointHealth
	// says (whose holdDown applies). Not part of AMKO's API.
	EndpointHealth *HostEndpointHealth `json:"endpointHealth,omitempty"`
}

// HostEndpointHealth turns endpoint health on or off for one GSLB service.
type HostEndpointHealth struct {
	// Enabled: a member none of whose Services has a ready endpoint is
	// taken out (written enabled: false, left out of DNS answers).
	Enabled bool `json:"enabled"`
}

// TrafficSplitElem is the weight and priority of one cluster's (or third-party
// site's) members. Unlike the GlobalDeploymentPolicy's, priority defaults to 1.
type TrafficSplitElem struct {
	// Cluster is a member cluster context or a third-party site name.
	Cluster string `json:"cluster,omitempty"`
	// Weight is the members' ratio within their pool.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	// +kubebuilder:default=1
	Weight uint32 `json:"weight,omitempty"`
	// Priority groups members into pools; the highest priority pool with a
	// healthy member answers. AMKO's CRD sets no maximum here; a GSLB pool's
	// priority is 0 to 100 on the controller, which amko checks at runtime.
	// Admission refuses only what AMKO's own type (uint32), like amko's,
	// cannot hold: such an object would stop AMKO, and amko, from reading any
	// GSLBHostRule. (Format int64: the API server enforces format int32,
	// which a uint32 would get, and would refuse 2^31 to 2^32-1.)
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Format=int64
	// +kubebuilder:validation:XValidation:rule="self <= 4294967295",message="priority must be at most 4294967295: neither AMKO 2.2.1 nor amko can read a larger value (both store it as a 32-bit unsigned integer), and one such GSLBHostRule would stop them reading every GSLBHostRule; AMKO's CRD accepts it, AMKO's code cannot"
	// +kubebuilder:default=1
	Priority *uint32 `json:"priority,omitempty"`
}

// SitePersistence keeps a client on one site. Every field is optional at
// admission, as in AMKO's CRD: an absent enabled is false (so Go clients that
// omit false, amko's own included, write the same object), and enabled without
// a profileRef is refused at runtime with AMKO's text ("SitePersistence Profile
// <p> error for <name> GSLBHostRule").
type SitePersistence struct {
	// Enabled turns site persistence on or, when false or absent, off
	// regardless of the policy.
	Enabled bool `json:"enabled,omitempty"`
	// ProfileRef is a federated application persistence profile; required
	// when Enabled.
	ProfileRef string `json:"profileRef,omitempty"`
	// PKIProfileRef is a federated PKI profile.
	PKIProfileRef *string `json:"pkiProfileRef,omitempty"`
}

// ThirdPartyMember is a member at a non-Avi site. AMKO's CRD requires none of
// its fields; the address and the site are checked at runtime.
type ThirdPartyMember struct {
	// VIP is the member's address (an IPv4 or IPv6 address).
	VIP string `json:"vip,omitempty"`
	// Site is the third-party site's name in the controller's GSLB configuration.
	Site string `json:"site,omitempty"`
	// PublicIP is the member's public address.
	PublicIP string `json:"publicIP,omitempty"`
}

// PublicIPElem is the public address of one member cluster.
type PublicIPElem struct {
	// Cluster is the member cluster context.
	// +required
	Cluster string `json:"cluster"`
	// IP is the cluster's public address (checked at runtime, as AMKO does).
	// +required
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
