// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package sources

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Gateway API kinds. They are amko's: AMKO reads no Gateway API object.
const (
	KindHTTPRoute Kind = "HTTPROUTE"
	KindGRPCRoute Kind = "GRPCROUTE"
	KindTLSRoute  Kind = "TLSROUTE"
	KindTCPRoute  Kind = "TCPROUTE"
	KindUDPRoute  Kind = "UDPROUTE"
)

// AnnotationHostname names the host names of a TCPRoute or UDPRoute, which have
// none in their spec: comma-separated, as external-dns reads it. AKO reads the
// same annotation to name the FQDN of a LoadBalancer Service, which is where
// FromService's host name (status.loadBalancer.ingress[0].hostname) comes from;
// k8gb has its own (k8gb.io/hostname) for the same purpose.
const AnnotationHostname = "external-dns.alpha.kubernetes.io/hostname"

// L4 reports whether the record is monitored at layer 4 (TCP or UDP on its
// Port): LoadBalancer Services, and TLS, TCP and UDP routes. The others are
// monitored per HTTP path, or, passthrough Routes, by the shared TCP monitor.
func (r Record) L4() bool {
	switch r.Kind {
	case KindLBSvc, KindTLSRoute, KindTCPRoute, KindUDPRoute:
		return true
	}
	return false
}

// IsGatewayAPI reports whether the kind is a Gateway API route's.
func (k Kind) IsGatewayAPI() bool {
	switch k {
	case KindHTTPRoute, KindGRPCRoute, KindTLSRoute, KindTCPRoute, KindUDPRoute:
		return true
	}
	return false
}

// GatewayLookup returns the cluster's Gateway namespace/name, or nil.
type GatewayLookup func(namespace, name string) *gatewayv1.Gateway

// Reasons a Gateway API route gives no record, per parent; Skipped joins them.
const (
	SkipNoParentRefs      = "no spec.parentRefs"
	SkipParentNotGateway  = "parent %s is not a Gateway: only Gateway parents are read"
	SkipParentNotAccepted = "Gateway %s has not accepted it (no Accepted=True condition for it in status.parents)"
	SkipGatewayNotFound   = "Gateway %s does not exist"
	SkipNoListener        = "no listener of Gateway %s takes it (sectionName, port, protocol, allowedRoutes)"
	SkipNoGatewayAddress  = "Gateway %s has no IP address in status.addresses"
	SkipNoListenerHost    = "no host name: its spec.hostnames match none of the hostnames of Gateway %s's listeners, or only wildcards"
	SkipNoAnnotatedHost   = "no host name: a %s names its hosts in the annotation " + AnnotationHostname
)

// A parentRef's defaults, and a listener's allowedRoutes.namespaces.from.
const (
	gatewayGroup           = gatewayv1.GroupName
	gatewayKind            = "Gateway"
	defaultRouteNamespaces = gatewayv1.NamespacesFromSame
)

// route is what the conversion reads of any kind of route.
type route struct {
	kind       Kind
	typeName   string // the API kind, as allowedRoutes.kinds names it
	meta       *metav1.ObjectMeta
	hostnames  []gatewayv1.Hostname
	parentRefs []gatewayv1.ParentReference
	parents    []gatewayv1.RouteParentStatus
	paths      []string // HTTP paths to monitor; nil for L4 kinds
}

func routeOf(obj any) (route, bool) {
	switch o := obj.(type) {
	case *gatewayv1.HTTPRoute:
		return route{kind: KindHTTPRoute, typeName: "HTTPRoute", meta: &o.ObjectMeta, hostnames: o.Spec.Hostnames,
			parentRefs: o.Spec.ParentRefs, parents: o.Status.Parents, paths: httpPaths(o.Spec.Rules)}, true
	case *gatewayv1.GRPCRoute:
		// gRPC matches name services and methods, not paths: the host is
		// monitored at "/" like an Ingress rule without paths.
		return route{kind: KindGRPCRoute, typeName: "GRPCRoute", meta: &o.ObjectMeta, hostnames: o.Spec.Hostnames,
			parentRefs: o.Spec.ParentRefs, parents: o.Status.Parents, paths: []string{"/"}}, true
	case *gatewayv1.TLSRoute:
		return route{kind: KindTLSRoute, typeName: "TLSRoute", meta: &o.ObjectMeta, hostnames: o.Spec.Hostnames,
			parentRefs: o.Spec.ParentRefs, parents: o.Status.Parents}, true
	case *gatewayv1.TCPRoute:
		return route{kind: KindTCPRoute, typeName: "TCPRoute", meta: &o.ObjectMeta,
			parentRefs: o.Spec.ParentRefs, parents: o.Status.Parents}, true
	case *gatewayv1.UDPRoute:
		return route{kind: KindUDPRoute, typeName: "UDPRoute", meta: &o.ObjectMeta,
			parentRefs: o.Spec.ParentRefs, parents: o.Status.Parents}, true
	}
	return route{}, false
}

// httpPaths are the paths an HTTPRoute matches, to be monitored: its prefixes
// and exact paths; a rule without matches matches "/". Regular expressions
// cannot be probed and are left out; a route of regular expressions only is
// monitored at "/".
func httpPaths(rules []gatewayv1.HTTPRouteRule) []string {
	var paths []string
	for _, rule := range rules {
		if len(rule.Matches) == 0 {
			paths = append(paths, "/")
		}
		for _, m := range rule.Matches {
			if m.Path == nil {
				paths = append(paths, "/")
				continue
			}
			if m.Path.Type != nil && *m.Path.Type == gatewayv1.PathMatchRegularExpression {
				continue
			}
			p := "/"
			if m.Path.Value != nil && *m.Path.Value != "" {
				p = *m.Path.Value
			}
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return []string{"/"}
	}
	return uniqueSorted(paths)
}

// GatewayRouteParents returns the Gateways (namespace/name) a Gateway API
// route names in spec.parentRefs: its records depend on them. It is nil for
// any other object.
func GatewayRouteParents(obj any) []types.NamespacedName {
	rt, ok := routeOf(obj)
	if !ok {
		return nil
	}
	var out []types.NamespacedName
	for _, ref := range rt.parentRefs {
		if isGatewayRef(ref) {
			n := types.NamespacedName{Namespace: refNamespace(ref, rt.meta.Namespace), Name: string(ref.Name)}
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// FromGatewayRoute returns the records of an HTTPRoute, GRPCRoute, TLSRoute,
// TCPRoute or UDPRoute: one per host name and address of each parent Gateway
// that accepted it (status.parents), through the listeners that take it. Host
// names are the route's spec.hostnames as the listeners' hostnames narrow them
// (the listener's own when the route names none), or, for TCP and UDP routes,
// those of the annotation AnnotationHostname; addresses are the Gateway's
// status.addresses of type IPAddress. A route that gives no record is
// explained by GatewayRouteSkipped. Any other object gives none.
func FromGatewayRoute(cluster string, obj any, gateways GatewayLookup) []Record {
	records, _ := convertRoute(cluster, obj, gateways)
	return records
}

// GatewayRouteSkipped says why a Gateway API route gives no record, parent by
// parent; "" when it gives one, and for any other object.
func GatewayRouteSkipped(obj any, gateways GatewayLookup) string {
	records, reason := convertRoute("", obj, gateways)
	if len(records) > 0 {
		return ""
	}
	return reason
}

// hostInfo is what the listeners that serve one host of a route say about it.
type hostInfo struct {
	tls, passthrough bool
	port             int32
}

func convertRoute(cluster string, obj any, gateways GatewayLookup) ([]Record, string) {
	rt, ok := routeOf(obj)
	if !ok {
		return nil, ""
	}
	if len(rt.parentRefs) == 0 {
		return nil, SkipNoParentRefs
	}
	type key struct {
		host string
		ip   netip.Addr
	}
	byKey := map[key]*Record{}
	backends := gatewayBackends(obj)
	var reasons []string
	for _, ref := range rt.parentRefs {
		ns := refNamespace(ref, rt.meta.Namespace)
		name := ns + "/" + string(ref.Name)
		if !isGatewayRef(ref) {
			reasons = append(reasons, fmt.Sprintf(SkipParentNotGateway, name))
			continue
		}
		if !rt.accepted(ref) {
			reasons = append(reasons, fmt.Sprintf(SkipParentNotAccepted, name))
			continue
		}
		gw := gateways(ns, string(ref.Name))
		if gw == nil {
			reasons = append(reasons, fmt.Sprintf(SkipGatewayNotFound, name))
			continue
		}
		listeners := rt.listeners(gw, ref)
		if len(listeners) == 0 {
			reasons = append(reasons, fmt.Sprintf(SkipNoListener, name))
			continue
		}
		addrs := gatewayAddrs(gw)
		if len(addrs) == 0 {
			reasons = append(reasons, fmt.Sprintf(SkipNoGatewayAddress, name))
			continue
		}
		hosts := rt.hosts(listeners)
		if len(hosts) == 0 {
			if rt.kind == KindTCPRoute || rt.kind == KindUDPRoute {
				reasons = append(reasons, fmt.Sprintf(SkipNoAnnotatedHost, rt.typeName))
			} else {
				reasons = append(reasons, fmt.Sprintf(SkipNoListenerHost, name))
			}
			continue
		}
		ids := gatewayIDs(gw, rt.meta)
		for host, info := range hosts {
			for _, ip := range addrs {
				k := key{host, ip}
				r := byKey[k]
				if r == nil {
					r = &Record{Cluster: cluster, Kind: rt.kind, Namespace: rt.meta.Namespace, Name: rt.meta.Name,
						Host: host, IP: ip, Labels: rt.meta.Labels, Paths: slices.Clone(rt.paths), Backends: backends}
					byKey[k] = r
					ids.apply(r)
				}
				rt.merge(r, info)
			}
		}
	}
	if len(byKey) == 0 {
		return nil, strings.Join(slices.Compact(reasons), "; ")
	}
	out := make([]Record, 0, len(byKey))
	for _, r := range byKey {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Record) int { return cmp.Or(cmp.Compare(a.Host, b.Host), a.IP.Compare(b.IP)) })
	return out, ""
}

// merge adds what one parent's listeners say of a host to its record: a host
// served over HTTPS on any of them is TLS, and monitored on the lowest port of
// the listeners of its monitor's protocol.
func (rt route) merge(r *Record, info hostInfo) {
	switch rt.kind {
	case KindHTTPRoute, KindGRPCRoute:
		switch {
		case info.tls && !r.TLS:
			r.TLS, r.Port = true, info.port
		case info.tls == r.TLS && (r.Port == 0 || info.port < r.Port):
			r.Port = info.port
		}
	default:
		if r.Port == 0 || info.port < r.Port {
			r.Port = info.port
		}
		r.Protocol = "TCP"
		if rt.kind == KindUDPRoute {
			r.Protocol = "UDP"
		}
		// A TLS stream is monitored over TCP whether the Gateway terminates
		// it or not: TLS on a record means HTTPS monitors and site persistence,
		// which are HTTP's. Passthrough is noted, as for Routes: custom global
		// FQDNs refuse it, AKO's HostRules not applying to it.
		r.Passthrough = r.Passthrough || info.passthrough
	}
}

// accepted reports whether the route's status says the parent accepted it.
// Only parents still in spec.parentRefs count: an entry left in the status
// after its parentRef was removed is stale.
func (rt route) accepted(ref gatewayv1.ParentReference) bool {
	for _, ps := range rt.parents {
		if !sameParent(ps.ParentRef, ref, rt.meta.Namespace) {
			continue
		}
		for _, c := range ps.Conditions {
			if c.Type == string(gatewayv1.RouteConditionAccepted) && c.Status == metav1.ConditionTrue {
				return true
			}
		}
	}
	return false
}

// listeners are the Gateway's listeners the parentRef attaches the route to:
// those it names by sectionName and port, of a protocol the route's kind
// serves, that allow the route's kind and namespace.
func (rt route) listeners(gw *gatewayv1.Gateway, ref gatewayv1.ParentReference) []*gatewayv1.Listener {
	var out []*gatewayv1.Listener
	for i := range gw.Spec.Listeners {
		l := &gw.Spec.Listeners[i]
		if ref.SectionName != nil && *ref.SectionName != l.Name {
			continue
		}
		if ref.Port != nil && *ref.Port != l.Port {
			continue
		}
		if !rt.servedBy(l.Protocol) || !rt.allowedBy(l, gw.Namespace) {
			continue
		}
		out = append(out, l)
	}
	return out
}

func (rt route) servedBy(p gatewayv1.ProtocolType) bool {
	switch rt.kind {
	case KindHTTPRoute, KindGRPCRoute:
		return p == gatewayv1.HTTPProtocolType || p == gatewayv1.HTTPSProtocolType
	case KindTLSRoute:
		return p == gatewayv1.TLSProtocolType
	case KindTCPRoute:
		return p == gatewayv1.TCPProtocolType
	case KindUDPRoute:
		return p == gatewayv1.UDPProtocolType
	}
	return false
}

// allowedBy applies the listener's allowedRoutes: its kinds, and its
// namespaces when Same or None. A Selector is the Gateway controller's to
// evaluate (it needs the namespace's labels): its Accepted condition stands.
func (rt route) allowedBy(l *gatewayv1.Listener, gwNamespace string) bool {
	from := defaultRouteNamespaces
	if ar := l.AllowedRoutes; ar != nil {
		if len(ar.Kinds) > 0 && !slices.ContainsFunc(ar.Kinds, func(k gatewayv1.RouteGroupKind) bool {
			return string(k.Kind) == rt.typeName && (k.Group == nil || string(*k.Group) == gatewayGroup)
		}) {
			return false
		}
		if ar.Namespaces != nil && ar.Namespaces.From != nil {
			from = *ar.Namespaces.From
		}
	}
	switch from {
	case gatewayv1.NamespacesFromSame:
		return rt.meta.Namespace == gwNamespace
	case gatewayv1.NamespacesFromNone:
		return false
	}
	return true
}

// hosts are the route's host names through the listeners, with what the
// listeners say of each.
func (rt route) hosts(listeners []*gatewayv1.Listener) map[string]hostInfo {
	out := map[string]hostInfo{}
	for _, l := range listeners {
		var names []string
		if rt.kind == KindTCPRoute || rt.kind == KindUDPRoute {
			names = annotatedHosts(rt.meta.Annotations)
		} else {
			names = listenerHosts(rt.hostnames, l.Hostname)
		}
		info := hostInfo{port: int32(l.Port)}
		switch {
		case l.Protocol == gatewayv1.HTTPSProtocolType:
			info.tls = true
		case l.Protocol == gatewayv1.TLSProtocolType && l.TLS != nil && l.TLS.Mode != nil &&
			*l.TLS.Mode == gatewayv1.TLSModePassthrough:
			info.passthrough = true
		}
		for _, h := range names {
			prev, seen := out[h]
			if !seen {
				out[h] = info
				continue
			}
			// Keep the listener the record's monitor probes: HTTPS over HTTP,
			// then the lowest port.
			if (info.tls && !prev.tls) || (info.tls == prev.tls && info.port < prev.port) {
				info.passthrough = info.passthrough || prev.passthrough
				out[h] = info
			} else {
				prev.passthrough = prev.passthrough || info.passthrough
				out[h] = prev
			}
		}
	}
	return out
}

// listenerHosts intersects a route's host names with a listener's hostname as
// the Gateway API does: no listener hostname takes the route's names, no route
// names take the listener's, and a wildcard on either side matches by suffix.
// Only concrete names are returned: a wildcard cannot be a GSLB service.
func listenerHosts(routeHosts []gatewayv1.Hostname, listenerHost *gatewayv1.Hostname) []string {
	lh := ""
	if listenerHost != nil {
		lh = strings.ToLower(string(*listenerHost))
	}
	var out []string
	if len(routeHosts) == 0 {
		if lh != "" && !strings.HasPrefix(lh, "*") {
			out = append(out, lh)
		}
		return out
	}
	for _, h := range routeHosts {
		rh := strings.ToLower(string(h))
		switch {
		case lh == "":
			if !strings.HasPrefix(rh, "*") {
				out = append(out, rh)
			}
		case !strings.HasPrefix(rh, "*"):
			if rh == lh || wildcardMatch(lh, rh) {
				out = append(out, rh)
			}
		case !strings.HasPrefix(lh, "*") && wildcardMatch(rh, lh):
			out = append(out, lh)
		}
	}
	return uniqueSorted(out)
}

// wildcardMatch reports whether pattern ("*.example.com") matches host: the
// host ends in the suffix after "*" and has at least one label before it.
func wildcardMatch(pattern, host string) bool {
	suffix, ok := strings.CutPrefix(pattern, "*")
	return ok && strings.HasSuffix(host, suffix) && len(host) > len(suffix)
}

// annotatedHosts are the concrete host names of AnnotationHostname.
func annotatedHosts(annotations map[string]string) []string {
	var out []string
	for h := range strings.SplitSeq(annotations[AnnotationHostname], ",") {
		h = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
		if h != "" && !strings.Contains(h, "*") {
			out = append(out, h)
		}
	}
	return uniqueSorted(out)
}

// gatewayAddrs are the Gateway's IP addresses in status.addresses (an address
// without a type is an IP address). Host names are left out: a GSLB member is
// an address.
func gatewayAddrs(gw *gatewayv1.Gateway) []netip.Addr {
	var out []netip.Addr
	for _, a := range gw.Status.Addresses {
		if a.Type != nil && *a.Type != gatewayv1.IPAddressType {
			continue
		}
		if ip, err := netip.ParseAddr(a.Value); err == nil && !slices.Contains(out, ip.Unmap()) {
			out = append(out, ip.Unmap())
		}
	}
	return out
}

// gatewayIDs are AKO's identifiers of the route's virtual services, should AKO
// write them as it does on Ingresses: on the Gateway (its parent virtual
// service), overridden field by field by the route's own. AKO's Gateway API
// implementation writes none today (its status code leaves annotations as a
// TODO); the model then places the route's members by address alone.
func gatewayIDs(gw *gatewayv1.Gateway, routeMeta *metav1.ObjectMeta) akoIDs {
	ids := parseAKO(gw.Annotations)
	own := parseAKO(routeMeta.Annotations)
	if len(own.vsUUIDs) > 0 {
		ids.vsUUIDs = own.vsUUIDs
	}
	if own.controllerUUID != "" {
		ids.controllerUUID = own.controllerUUID
	}
	if own.tenant != "" {
		ids.tenant = own.tenant
	}
	return ids
}

func isGatewayRef(ref gatewayv1.ParentReference) bool {
	return (ref.Group == nil || string(*ref.Group) == gatewayGroup) && (ref.Kind == nil || string(*ref.Kind) == gatewayKind)
}

func refNamespace(ref gatewayv1.ParentReference, routeNamespace string) string {
	if ref.Namespace != nil && *ref.Namespace != "" {
		return string(*ref.Namespace)
	}
	return routeNamespace
}

// sameParent compares two parentRefs with their defaults applied.
func sameParent(a, b gatewayv1.ParentReference, routeNamespace string) bool {
	group := func(r gatewayv1.ParentReference) string {
		if r.Group == nil {
			return gatewayGroup
		}
		return string(*r.Group)
	}
	kind := func(r gatewayv1.ParentReference) string {
		if r.Kind == nil {
			return gatewayKind
		}
		return string(*r.Kind)
	}
	section := func(r gatewayv1.ParentReference) string {
		if r.SectionName == nil {
			return ""
		}
		return string(*r.SectionName)
	}
	port := func(r gatewayv1.ParentReference) gatewayv1.PortNumber {
		if r.Port == nil {
			return 0
		}
		return *r.Port
	}
	return group(a) == group(b) && kind(a) == kind(b) && a.Name == b.Name &&
		refNamespace(a, routeNamespace) == refNamespace(b, routeNamespace) &&
		section(a) == section(b) && port(a) == port(b)
}
