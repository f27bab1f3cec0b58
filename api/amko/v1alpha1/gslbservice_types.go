// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1alpha1

// Types shared by GSLBHostRule and GlobalDeploymentPolicy (v1alpha2 imports them, as
// AMKO's does). Their cross-field rules (a hash mask only with consistent hash, a
// geo fallback only with geo, a fallback IP only with FALLBACK_IP) are AMKO's
// runtime checks, not admission rules: AMKO 2.2.1's CRDs accept such objects
// and AMKO reports them Rejected, so amko does the same (internal/policy), and
// every manifest that applied under AMKO's CRDs applies under amko's.

// LBAlgorithm is a GSLB pool's load balancing algorithm.
// +kubebuilder:validation:Enum=GSLB_ALGORITHM_CONSISTENT_HASH;GSLB_ALGORITHM_GEO;GSLB_ALGORITHM_ROUND_ROBIN;GSLB_ALGORITHM_TOPOLOGY
type LBAlgorithm string

// Pool algorithms.
const (
	PoolAlgorithmConsistentHash LBAlgorithm = "GSLB_ALGORITHM_CONSISTENT_HASH"
	PoolAlgorithmGeo            LBAlgorithm = "GSLB_ALGORITHM_GEO"
	PoolAlgorithmRoundRobin     LBAlgorithm = "GSLB_ALGORITHM_ROUND_ROBIN"
	PoolAlgorithmTopology       LBAlgorithm = "GSLB_ALGORITHM_TOPOLOGY"
)

// FallbackAlgorithm is the algorithm used when geo location gives no answer.
// +kubebuilder:validation:Enum=GSLB_ALGORITHM_ROUND_ROBIN;GSLB_ALGORITHM_CONSISTENT_HASH
type FallbackAlgorithm string

// PoolAlgorithmSettings selects how a GSLB service picks a member within a pool.
type PoolAlgorithmSettings struct {
	// LBAlgorithm is the algorithm. Required at runtime, as AMKO requires it
	// ("unsupported lbAlgorithm "); an absent poolAlgorithmSettings means
	// GSLB_ALGORITHM_ROUND_ROBIN.
	LBAlgorithm LBAlgorithm `json:"lbAlgorithm,omitempty"`
	// HashMask is the client address prefix length hashed by consistent hash.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=31
	HashMask *int `json:"hashMask,omitempty"`
	// FallbackAlgorithm is used for GSLB_ALGORITHM_GEO when the client's location is unknown.
	FallbackAlgorithm *GeoFallback `json:"geoFallback,omitempty"`
}

// GeoFallback is the fallback of the geo algorithm.
type GeoFallback struct {
	// LBAlgorithm is the fallback algorithm; required at runtime, as AMKO
	// requires it ("unsupported algorithm  for geoFallback").
	// +optional
	LBAlgorithm FallbackAlgorithm `json:"lbAlgorithm,omitempty"`
	// HashMask is the client address prefix length hashed by consistent hash.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=31
	HashMask *int `json:"hashMask,omitempty"`
}

// DownResponseType is what DNS answers while every member of a GSLB service is down.
// +kubebuilder:validation:Enum=GSLB_SERVICE_DOWN_RESPONSE_NONE;GSLB_SERVICE_DOWN_RESPONSE_ALL_RECORDS;GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP;GSLB_SERVICE_DOWN_RESPONSE_EMPTY
type DownResponseType string

// Down responses.
const (
	DownResponseNone       DownResponseType = "GSLB_SERVICE_DOWN_RESPONSE_NONE"
	DownResponseAllRecords DownResponseType = "GSLB_SERVICE_DOWN_RESPONSE_ALL_RECORDS"
	DownResponseFallbackIP DownResponseType = "GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP"
	DownResponseEmpty      DownResponseType = "GSLB_SERVICE_DOWN_RESPONSE_EMPTY"
)

// DownResponse is the DNS response while a GSLB service is down.
type DownResponse struct {
	// Type is the kind of response.
	// +required
	Type DownResponseType `json:"type"`
	// FallbackIP is the address answered with type
	// GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP (required with it and not allowed
	// with another type, at runtime).
	FallbackIP string `json:"fallbackIP,omitempty"`
}
