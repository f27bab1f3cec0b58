// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package sources turns the objects of a member cluster (Ingresses, Services of
// type LoadBalancer, OpenShift Routes, Gateway API routes through their
// Gateways, Namespaces, AKO HostRules) into records: what each application
// object offers for GSLB, as AMKO reads it (amko.md §2.3), and as amko reads
// the Gateway API, which AMKO does not. It knows nothing of policy or backends.
package sources

import "net/netip"

// Kind is the kind of application object a record comes from, named as in AMKO's
// keys and GSLB service descriptions.
type Kind string

// Application kinds.
const (
	KindIngress Kind = "INGRESS"
	KindRoute   Kind = "ROUTE"
	KindLBSvc   Kind = "LBSVC"
)

// Record is one host name of one application object in one member cluster, with
// the address AKO gave it.
type Record struct {
	Cluster   string // member cluster (kubeconfig context)
	Kind      Kind
	Namespace string
	Name      string // the object's name
	Host      string // the local FQDN
	IP        netip.Addr
	Labels    map[string]string

	// Paths are the HTTP paths of the host (Ingress, Route, HTTPRoute,
	// GRPCRoute); "/" when none.
	Paths []string
	// TLS is set when the host is served over TLS (a passthrough Route is not;
	// an HTTPRoute or GRPCRoute is through an HTTPS listener; a TLSRoute,
	// monitored over TCP, is not).
	TLS bool
	// Passthrough is set for TLS passthrough Routes, which have no paths, and
	// for Ingresses annotated passthrough.ako.vmware.com/enabled: "true", which
	// keep their paths and TLS: AMKO reads that annotation only in custom
	// global FQDN mode, where it refuses the Ingress, and otherwise treats the
	// Ingress as any other.
	Passthrough bool
	// Port and Protocol are a LoadBalancer Service's lowest port and its protocol
	// (TCP or UDP), and 443/TCP for passthrough Routes. For Gateway API routes,
	// Port is that of the listener the host's monitor probes (the lowest of its
	// listeners, HTTPS first), and Protocol is TCP or UDP for TLS, TCP and UDP
	// routes, "" for HTTP ones.
	Port     int32
	Protocol string

	// VSUUID, ControllerUUID and Tenant are AKO's identifiers of the virtual
	// service; empty when AKO has not written them.
	VSUUID         string
	ControllerUUID string
	Tenant         string

	// Backends are the Services behind the record in its cluster: an
	// Ingress host's rule backends and default backend, a Route's to and
	// alternate backends, a Gateway API route's backendRefs, a LoadBalancer
	// Service itself. Sorted; nil when none is known.
	Backends []ServiceRef

	// NoEndpoints and ClusterLost are set by the member registry, not by the
	// conversion. NoEndpoints says why none of Backends has a ready
	// endpoint, as the cluster's EndpointSlices say (held for the hold-down
	// after they come back); "" while one has, or while it cannot be told (no
	// EndpointSlice known for any). ClusterLost says since when the record's
	// cluster has been unreachable, once that is longer than the GSLBConfig
	// allows; "" otherwise.
	NoEndpoints string
	ClusterLost string
}

// ObjectName is the record's object as AMKO names it in descriptions: an
// Ingress is "<name>/<host>", the others their name.
func (r Record) ObjectName() string {
	if r.Kind == KindIngress {
		return r.Name + "/" + r.Host
	}
	return r.Name
}

// Namespace is a member cluster's namespace: its labels for the namespace
// selector and its AKO tenant annotation.
type Namespace struct {
	Cluster string
	Name    string
	Labels  map[string]string
	Tenant  string // ako.vmware.com/tenant-name; "" when absent
}

// HostRule is an accepted AKO HostRule: the local FQDN it applies to, its
// aliases, its global FQDN and whether the host is TLS.
type HostRule struct {
	Cluster        string
	Namespace      string
	Name           string
	FQDN           string
	Aliases        []string
	GlobalFQDN     string
	IncludeAliases bool
	TLS            bool
}
