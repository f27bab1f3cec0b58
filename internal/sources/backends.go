// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package sources

import (
	"cmp"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	routev1 "github.com/amko-project/amko/api/route/v1"
)

// ServiceRef names a Service of a member cluster: one of the Services behind
// a record, whose EndpointSlices say whether the application has a ready
// endpoint there.
type ServiceRef struct{ Namespace, Name string }

func (s ServiceRef) String() string { return s.Namespace + "/" + s.Name }

func compareServiceRefs(a, b ServiceRef) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// sortedRefs sorts and de-duplicates refs; nil stays nil.
func sortedRefs(refs []ServiceRef) []ServiceRef {
	slices.SortFunc(refs, compareServiceRefs)
	return slices.Compact(refs)
}

// ingressBackends are the Services of an Ingress host's rules, with the
// default backend, which serves the paths no rule matches. Resource backends
// (not Services) have no endpoints and are left out.
func ingressBackends(ing *networkingv1.Ingress, host string) []ServiceRef {
	var refs []ServiceRef
	add := func(b *networkingv1.IngressBackend) {
		if b != nil && b.Service != nil && b.Service.Name != "" {
			refs = append(refs, ServiceRef{ing.Namespace, b.Service.Name})
		}
	}
	for _, rule := range ing.Spec.Rules {
		if rule.Host != host || rule.HTTP == nil {
			continue
		}
		for i := range rule.HTTP.Paths {
			add(&rule.HTTP.Paths[i].Backend)
		}
	}
	add(ing.Spec.DefaultBackend)
	return sortedRefs(refs)
}

// routeBackends are a Route's Service and its alternate backends.
func routeBackends(route *routev1.Route) []ServiceRef {
	var refs []ServiceRef
	for _, t := range append([]routev1.RouteTargetRef{route.Spec.To}, route.Spec.AlternateBackends...) {
		if (t.Kind == "" || t.Kind == "Service") && t.Name != "" {
			refs = append(refs, ServiceRef{route.Namespace, t.Name})
		}
	}
	return sortedRefs(refs)
}

// gatewayBackends are the Services a Gateway API route's rules send to:
// backendRefs of the core group and kind Service (the defaults), in the
// route's namespace unless they name another (which a ReferenceGrant allows).
func gatewayBackends(obj any) []ServiceRef {
	var refs []ServiceRef
	var ns string
	add := func(r gatewayv1.BackendObjectReference) {
		if r.Group != nil && *r.Group != "" || r.Kind != nil && *r.Kind != "Service" || r.Name == "" {
			return
		}
		n := ns
		if r.Namespace != nil && *r.Namespace != "" {
			n = string(*r.Namespace)
		}
		refs = append(refs, ServiceRef{n, string(r.Name)})
	}
	switch o := obj.(type) {
	case *gatewayv1.HTTPRoute:
		ns = o.Namespace
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				add(b.BackendObjectReference)
			}
		}
	case *gatewayv1.GRPCRoute:
		ns = o.Namespace
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				add(b.BackendObjectReference)
			}
		}
	case *gatewayv1.TLSRoute:
		ns = o.Namespace
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				add(b.BackendObjectReference)
			}
		}
	case *gatewayv1.TCPRoute:
		ns = o.Namespace
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				add(b.BackendObjectReference)
			}
		}
	case *gatewayv1.UDPRoute:
		ns = o.Namespace
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				add(b.BackendObjectReference)
			}
		}
	}
	return sortedRefs(refs)
}
