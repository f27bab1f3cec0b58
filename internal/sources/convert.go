// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package sources

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	routev1 "github.com/amko-project/amko/api/route/v1"
)

// akoIDs are AKO's identifiers of an object's virtual services.
type akoIDs struct {
	vsUUIDs        map[string]string // host → virtual service uuid
	controllerUUID string
	tenant         string
}

// parseAKO reads AKO's three keys from annotations (or a Route condition's
// reason, which holds the same keys as JSON).
func parseAKO(m map[string]string) akoIDs {
	ids := akoIDs{controllerUUID: m[akov1beta1.AnnotationControllerClusterUUID], tenant: m[akov1beta1.AnnotationTenant]}
	if raw := m[akov1beta1.AnnotationVSUUIDMap]; raw != "" {
		// A malformed map leaves the uuids empty: the model then refuses the
		// object as AKO-less, as AMKO does.
		_ = json.Unmarshal([]byte(raw), &ids.vsUUIDs)
	}
	return ids
}

func (ids akoIDs) apply(r *Record) {
	r.VSUUID = ids.vsUUIDs[r.Host]
	r.ControllerUUID = ids.controllerUUID
	r.Tenant = ids.tenant
}

// FromIngress returns a record for each host of the Ingress that AKO has given
// an address: a spec.rules host that status.loadBalancer.ingress pairs with an IP.
func FromIngress(cluster string, ing *networkingv1.Ingress) []Record {
	addrs := map[string]netip.Addr{}
	for _, lb := range ing.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(lb.IP); err == nil && lb.Hostname != "" {
			addrs[lb.Hostname] = ip
		}
	}
	_, allTLS := ing.Annotations[akov1beta1.AnnotationEnableTLS]
	passthrough := strings.EqualFold(ing.Annotations[akov1beta1.AnnotationPassthrough], "true")
	ids := parseAKO(ing.Annotations)
	byHost := map[string]*Record{}
	var order []string
	for _, rule := range ing.Spec.Rules {
		ip, ok := addrs[rule.Host]
		if rule.Host == "" || !ok {
			continue
		}
		r := byHost[rule.Host]
		if r == nil {
			r = &Record{Cluster: cluster, Kind: KindIngress, Namespace: ing.Namespace, Name: ing.Name,
				Host: rule.Host, IP: ip, Labels: ing.Labels}
			byHost[rule.Host] = r
			order = append(order, rule.Host)
		}
		if rule.HTTP == nil || len(rule.HTTP.Paths) == 0 {
			r.Paths = append(r.Paths, "/")
		}
		if rule.HTTP != nil {
			for _, p := range rule.HTTP.Paths {
				path := p.Path
				if path == "" {
					path = "/"
				}
				r.Paths = append(r.Paths, path)
			}
		}
	}
	var out []Record
	for _, host := range order {
		r := byHost[host]
		r.Paths = uniqueSorted(r.Paths)
		r.TLS = allTLS || ingressTLSHost(ing, host)
		// Only flagged: AMKO reads the annotation in custom global FQDN mode
		// only, where it refuses the Ingress; otherwise the Ingress is an
		// ordinary one, with its paths and TLS (the model decides).
		r.Passthrough = passthrough
		r.Backends = ingressBackends(ing, host)
		ids.apply(r)
		out = append(out, *r)
	}
	return out
}

func ingressTLSHost(ing *networkingv1.Ingress, host string) bool {
	for _, t := range ing.Spec.TLS {
		if slices.Contains(t.Hosts, host) {
			return true
		}
	}
	return false
}

// FromService returns the record of a Service of type LoadBalancer that AKO has
// placed: status.loadBalancer.ingress[0] must carry both a host name and an IP.
// Its port and protocol are those of the lowest port; a Service without ports
// gives no record.
func FromService(cluster string, svc *corev1.Service) []Record {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || len(svc.Status.LoadBalancer.Ingress) == 0 || len(svc.Spec.Ports) == 0 {
		return nil
	}
	lb := svc.Status.LoadBalancer.Ingress[0]
	ip, err := netip.ParseAddr(lb.IP)
	if err != nil || lb.Hostname == "" {
		return nil
	}
	lowest := svc.Spec.Ports[0]
	for _, p := range svc.Spec.Ports[1:] {
		if p.Port < lowest.Port {
			lowest = p
		}
	}
	protocol := "TCP"
	if lowest.Protocol == corev1.ProtocolUDP {
		protocol = "UDP"
	}
	r := Record{Cluster: cluster, Kind: KindLBSvc, Namespace: svc.Namespace, Name: svc.Name,
		Host: lb.Hostname, IP: ip, Labels: svc.Labels, Port: lowest.Port, Protocol: protocol,
		Backends: []ServiceRef{{svc.Namespace, svc.Name}}}
	parseAKO(svc.Annotations).apply(&r)
	return []Record{r}
}

// RouteHost is a Route's host name: spec.host, else spec.subdomain completed
// with the policy's default domain.
func RouteHost(route *routev1.Route, defaultDomain string) string {
	if route.Spec.Host != "" {
		return route.Spec.Host
	}
	if route.Spec.Subdomain == "" || defaultDomain == "" {
		return ""
	}
	return route.Spec.Subdomain + "." + strings.TrimPrefix(defaultDomain, ".")
}

// FromRoute returns the record of a Route admitted by an AKO router ("ako-*")
// for its host, whose condition message carries the virtual service address.
func FromRoute(cluster string, route *routev1.Route, defaultDomain string) []Record {
	host := RouteHost(route, defaultDomain)
	if host == "" {
		return nil
	}
	for _, ing := range route.Status.Ingress {
		if !strings.HasPrefix(ing.RouterName, "ako-") || ing.Host != host {
			continue
		}
		var ip netip.Addr
		for _, c := range ing.Conditions {
			if a, err := netip.ParseAddr(c.Message); err == nil {
				ip = a
				break
			}
		}
		if !ip.IsValid() {
			continue
		}
		r := Record{Cluster: cluster, Kind: KindRoute, Namespace: route.Namespace, Name: route.Name,
			Host: host, IP: ip, Labels: route.Labels, Paths: []string{"/"}, Backends: routeBackends(route)}
		if route.Spec.Path != "" {
			r.Paths = []string{route.Spec.Path}
		}
		ids := parseAKO(route.Annotations)
		if len(ing.Conditions) > 0 && ing.Conditions[0].Reason != "" {
			var reason map[string]string
			if json.Unmarshal([]byte(ing.Conditions[0].Reason), &reason) == nil && reason[akov1beta1.AnnotationVSUUIDMap] != "" {
				ids = parseAKO(reason)
			}
		}
		ids.apply(&r)
		if route.Spec.TLS != nil {
			if route.Spec.TLS.Termination == routev1.TLSTerminationPassthrough {
				r.Passthrough, r.Paths, r.Port, r.Protocol = true, nil, 443, "TCP"
			} else {
				r.TLS = true
			}
		}
		return []Record{r}
	}
	return nil
}

// FromNamespace returns a namespace's labels and AKO tenant.
func FromNamespace(cluster string, ns *corev1.Namespace) Namespace {
	return Namespace{Cluster: cluster, Name: ns.Name, Labels: ns.Labels, Tenant: ns.Annotations[akov1beta1.AnnotationTenant]}
}

// FromHostRule returns an AKO HostRule that AKO accepted and that names a host.
func FromHostRule(cluster string, hr *akov1beta1.HostRule) (HostRule, bool) {
	vh := hr.Spec.VirtualHost
	if hr.Status.Status != akov1beta1.HostRuleAccepted || vh.Fqdn == "" {
		return HostRule{}, false
	}
	out := HostRule{Cluster: cluster, Namespace: hr.Namespace, Name: hr.Name, FQDN: vh.Fqdn,
		Aliases: slices.Clone(vh.Aliases)}
	if vh.Gslb != nil {
		out.GlobalFQDN, out.IncludeAliases = vh.Gslb.Fqdn, vh.Gslb.IncludeAliases
	}
	if vh.TLS != nil && vh.TLS.SSLKeyCertificate.Name != "" {
		out.TLS = true
	}
	return out, true
}

func uniqueSorted(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
