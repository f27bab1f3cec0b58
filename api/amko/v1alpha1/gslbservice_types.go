// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1alpha1

// Types shared by GSLBHostRule and GlobalDeploymentPolicy (v1alpha2 imports them, as
// AMKO's does), with the cross-field rules AMKO checks only after admission.

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
//
// +kubebuilder:validation:XValidation:rule="has(self.lbAlgorithm) && self.lbAlgorithm == 'GSLB_ALGORITHM_CONSISTENT_HASH' ? has(self.hashMask) : !has(self.hashMask)",fieldPath=".hashMask",message="hashMask is required with lbAlgorithm GSLB_ALGORITHM_CONSISTENT_HASH and not allowed with any other lbAlgorithm"
// +kubebuilder:validation:XValidation:rule="has(self.lbAlgorithm) && self.lbAlgorithm == 'GSLB_ALGORITHM_GEO' ? has(self.geoFallback) : !has(self.geoFallback)",fieldPath=".geoFallback",message="geoFallback is required with lbAlgorithm GSLB_ALGORITHM_GEO and not allowed with any other lbAlgorithm"
type PoolAlgorithmSettings struct {
	// LBAlgorithm is the algorithm; empty means GSLB_ALGORITHM_ROUND_ROBIN.
	LBAlgorithm LBAlgorithm `json:"lbAlgorithm,omitempty"`
	// HashMask is the client address prefix length hashed by consistent hash.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=31
	HashMask *int `json:"hashMask,omitempty"`
	// FallbackAlgorithm is used for GSLB_ALGORITHM_GEO when the client's location is unknown.
	FallbackAlgorithm *GeoFallback `json:"geoFallback,omitempty"`
}

// GeoFallback is the fallback of the geo algorithm.
//
// +kubebuilder:validation:XValidation:rule="self.lbAlgorithm == 'GSLB_ALGORITHM_CONSISTENT_HASH' ? has(self.hashMask) : !has(self.hashMask)",fieldPath=".hashMask",message="geoFallback.hashMask is required with geoFallback lbAlgorithm GSLB_ALGORITHM_CONSISTENT_HASH and not allowed with GSLB_ALGORITHM_ROUND_ROBIN"
type GeoFallback struct {
	// LBAlgorithm is the fallback algorithm.
	// +required
	LBAlgorithm FallbackAlgorithm `json:"lbAlgorithm"`
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
//
// +kubebuilder:validation:XValidation:rule="self.type == 'GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP' ? has(self.fallbackIP) : !has(self.fallbackIP)",fieldPath=".fallbackIP",message="fallbackIP is required with type GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP and not allowed with any other type"
type DownResponse struct {
	// Type is the kind of response.
	// +required
	Type DownResponseType `json:"type"`
	// FallbackIP is the address answered with type GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP.
	// +kubebuilder:validation:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="isIP(self)",message="fallbackIP must be an IPv4 or IPv6 address"
	FallbackIP string `json:"fallbackIP,omitempty"`
}
