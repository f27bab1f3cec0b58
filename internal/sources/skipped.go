// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package sources

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	routev1 "github.com/amko-project/amko/api/route/v1"
)

// Reasons an application object gives no record, as Skipped names them.
const (
	SkipNoHost            = "no host in spec.rules"
	SkipNoAddress         = "no address in status.loadBalancer.ingress: AKO has not placed it"
	SkipNoHostAddress     = "no host of spec.rules has an address in status.loadBalancer.ingress (a hostname with an IP)"
	SkipNoPorts           = "the LoadBalancer Service has no ports"
	SkipNoServiceAddress  = "status.loadBalancer.ingress[0] lacks a hostname or a valid IP: AKO has not placed it"
	SkipNoRouteHost       = "no spec.host, and no spec.subdomain with a default domain"
	SkipNotAdmittedByAKO  = "not admitted by an AKO router (ako-*) for its host"
	SkipNoAdmittedAddress = "AKO's admission of its host carries no address"
)

// Skipped says why an Ingress, Service or Route gives no record: AKO has not
// given it an address, or it names no host. It is "" when the object gives a
// record, and for objects that are no candidates at all (a Service not of type
// LoadBalancer, any other kind). defaultDomain completes Routes' subdomains,
// as in FromRoute.
func Skipped(obj any, defaultDomain string) string {
	switch o := obj.(type) {
	case *networkingv1.Ingress:
		if len(FromIngress("", o)) > 0 {
			return ""
		}
		hosts := false
		for _, r := range o.Spec.Rules {
			hosts = hosts || r.Host != ""
		}
		switch {
		case !hosts:
			return SkipNoHost
		case len(o.Status.LoadBalancer.Ingress) == 0:
			return SkipNoAddress
		}
		return SkipNoHostAddress
	case *corev1.Service:
		if o.Spec.Type != corev1.ServiceTypeLoadBalancer || len(FromService("", o)) > 0 {
			return ""
		}
		switch {
		case len(o.Spec.Ports) == 0:
			return SkipNoPorts
		case len(o.Status.LoadBalancer.Ingress) == 0:
			return SkipNoAddress
		}
		return SkipNoServiceAddress
	case *routev1.Route:
		if len(FromRoute("", o, defaultDomain)) > 0 {
			return ""
		}
		host := RouteHost(o, defaultDomain)
		if host == "" {
			return SkipNoRouteHost
		}
		for _, ing := range o.Status.Ingress {
			if strings.HasPrefix(ing.RouterName, "ako-") && ing.Host == host {
				return SkipNoAdmittedAddress
			}
		}
		return SkipNotAdmittedByAKO
	}
	return ""
}
