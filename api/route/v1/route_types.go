// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TLS terminations of a Route.
const (
	TLSTerminationEdge        = "edge"
	TLSTerminationPassthrough = "passthrough"
	TLSTerminationReencrypt   = "reencrypt"
)

// Route exposes a Service under a host name through a router.
//
// +kubebuilder:object:root=true
type Route struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RouteSpec   `json:"spec"`
	Status RouteStatus `json:"status,omitempty"`
}

// RouteSpec is the route's host, path, target and TLS.
type RouteSpec struct {
	Host              string           `json:"host,omitempty"`
	Subdomain         string           `json:"subdomain,omitempty"`
	Path              string           `json:"path,omitempty"`
	To                RouteTargetRef   `json:"to"`
	Port              *RoutePort       `json:"port,omitempty"`
	TLS               *TLSConfig       `json:"tls,omitempty"`
	WildcardPolicy    string           `json:"wildcardPolicy,omitempty"`
	AlternateBackends []RouteTargetRef `json:"alternateBackends,omitempty"`
}

// RouteTargetRef is the Service behind a route.
type RouteTargetRef struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Weight *int32 `json:"weight,omitempty"`
}

// RoutePort is the target port of a route.
type RoutePort struct {
	TargetPort intstr.IntOrString `json:"targetPort"`
}

// TLSConfig is a route's TLS setup.
type TLSConfig struct {
	Termination                   string `json:"termination"`
	Certificate                   string `json:"certificate,omitempty"`
	Key                           string `json:"key,omitempty"`
	CACertificate                 string `json:"caCertificate,omitempty"`
	DestinationCACertificate      string `json:"destinationCACertificate,omitempty"`
	InsecureEdgeTerminationPolicy string `json:"insecureEdgeTerminationPolicy,omitempty"`
}

// RouteStatus lists what each router made of the route.
type RouteStatus struct {
	Ingress []RouteIngress `json:"ingress,omitempty"`
}

// RouteIngress is one router's admission of a route; AKO's routers are named ako-*
// and put the virtual service address in a condition's message.
type RouteIngress struct {
	Host                    string                  `json:"host,omitempty"`
	RouterName              string                  `json:"routerName,omitempty"`
	Conditions              []RouteIngressCondition `json:"conditions,omitempty"`
	WildcardPolicy          string                  `json:"wildcardPolicy,omitempty"`
	RouterCanonicalHostname string                  `json:"routerCanonicalHostname,omitempty"`
}

// RouteIngressCondition is a router's condition on a route.
type RouteIngressCondition struct {
	Type               string                 `json:"type"`
	Status             corev1.ConditionStatus `json:"status"`
	Reason             string                 `json:"reason,omitempty"`
	Message            string                 `json:"message,omitempty"`
	LastTransitionTime *metav1.Time           `json:"lastTransitionTime,omitempty"`
}

// RouteList is a list of Routes.
//
// +kubebuilder:object:root=true
type RouteList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Route `json:"items"`
}
