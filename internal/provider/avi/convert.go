// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/amko-project/amko/internal/gslb"
)

// The Avi objects amko writes are AMKO's (amko.md §3, avi-api.md §3.2), so an
// AMKO user's controller sees the same objects after the switch.

// tenantRef is the tenant reference AMKO sends (with an empty host, since AMKO's
// GSLB_CTRL_IPADDRESS is never set); the controller resolves it by name.
func tenantRef(tenant string) string { return "https:///api/tenant/?name=" + tenant }

func ipAddr(a netip.Addr) map[string]any {
	typ := "V4"
	if a.Is6() && !a.Is4In6() {
		typ = "V6"
	}
	return map[string]any{"addr": a.Unmap().String(), "type": typ}
}

// serviceBody is the GSLB service as amko writes it: with term > 0 (failover
// Automatic) it carries the term marker, which AMKO never sends; with 0 it is
// AMKO's body exactly.
func serviceBody(s *gslb.Service, createdBy string, term int64) map[string]any {
	refs := []any{}
	for _, m := range s.HealthMonitors {
		refs = append(refs, "/api/healthmonitor?name="+m.Name)
	}
	for _, r := range s.HealthMonitorRefs {
		refs = append(refs, "/api/healthmonitor?name="+r)
	}
	groups := []any{}
	for _, p := range s.Pools {
		members := []any{}
		for _, m := range p.Members {
			mm := map[string]any{"enabled": m.Enabled, "ratio": max(m.Ratio, 1), "ip": ipAddr(m.IP)}
			if m.ClusterUUID != "" {
				mm["cluster_uuid"] = m.ClusterUUID
			}
			if m.VSUUID != "" {
				mm["vs_uuid"] = m.VSUUID
			}
			if m.PublicIP.IsValid() {
				mm["public_ip"] = map[string]any{"ip": ipAddr(m.PublicIP)}
			}
			members = append(members, mm)
		}
		algorithm := p.Algorithm
		if algorithm == "" {
			algorithm = gslb.RoundRobin
		}
		pool := map[string]any{
			"name": p.Name, "priority": p.Priority, "enabled": p.Enabled,
			"algorithm": string(algorithm), "members": members,
		}
		if p.MinHealthMonitorsUp > 0 {
			pool["min_health_monitors_up"] = p.MinHealthMonitorsUp
		}
		switch {
		case algorithm == gslb.ConsistentHash && p.HashMask > 0:
			pool["consistent_hash_mask"] = p.HashMask
		case algorithm == gslb.Geo && p.Fallback == gslb.ConsistentHash && p.FallbackHashMask > 0:
			pool["consistent_hash_mask"] = p.FallbackHashMask
		}
		if algorithm == gslb.Geo && p.Fallback != "" {
			pool["fallback_algorithm"] = string(p.Fallback)
		}
		groups = append(groups, pool)
	}
	body := map[string]any{
		"name":                             s.Name,
		"domain_names":                     anyStrings(s.DomainNames),
		"created_by":                       createdBy,
		"description":                      s.Description,
		"tenant_ref":                       tenantRef(s.Tenant),
		"enabled":                          s.Enabled,
		"is_federated":                     true,
		"controller_health_status_enabled": true,
		"health_monitor_scope":             "GSLB_SERVICE_HEALTH_MONITOR_ALL_MEMBERS",
		"health_monitor_refs":              refs,
		"min_members":                      s.MinMembers,
		"pool_algorithm":                   "GSLB_SERVICE_ALGORITHM_PRIORITY",
		"resolve_cname":                    false,
		"use_edns_client_subnet":           s.UseECS,
		"wildcard_match":                   s.WildcardMatch,
		"site_persistence_enabled":         s.SitePersistence != nil,
		"groups":                           groups,
	}
	if term > 0 {
		body["markers"] = []any{termMarker(term)}
	}
	if s.TTL != nil {
		body["ttl"] = *s.TTL
	}
	if s.NumIPs != nil {
		body["num_dns_ip"] = *s.NumIPs
	}
	if sp := s.SitePersistence; sp != nil {
		body["application_persistence_profile_ref"] = "/api/applicationpersistenceprofile?name=" + sp.ProfileRef
		if sp.PKIProfileRef != "" {
			body["pki_profile_ref"] = "/api/pkiprofile?name=" + sp.PKIProfileRef
		}
	}
	if s.Down.Type != "" {
		down := map[string]any{"type": string(s.Down.Type)}
		if s.Down.FallbackIP.IsValid() {
			down["fallback_ip"] = ipAddr(s.Down.FallbackIP)
		}
		if s.Down.FallbackIP6.IsValid() {
			down["fallback_ip6"] = ipAddr(s.Down.FallbackIP6)
		}
		body["down_response"] = down
	}
	return body
}

// monitorBody is the health monitor as amko writes it: AMKO's created-by
// marker first (AMKO reads it), then with term > 0 the term marker.
func monitorBody(m *gslb.HealthMonitor, tenant, createdBy string, term int64) map[string]any {
	markers := []any{map[string]any{"key": markerKey, "values": []any{createdBy}}}
	if term > 0 {
		markers = append(markers, termMarker(term))
	}
	body := map[string]any{
		"name":                     m.Name,
		"type":                     m.Type,
		"is_federated":             true,
		"send_interval":            m.Interval,
		"receive_timeout":          m.Timeout,
		"successful_checks":        m.SuccessfulChecks,
		"failed_checks":            m.FailedChecks,
		"allow_duplicate_monitors": true,
		"description":              m.Description,
		"tenant_ref":               tenantRef(tenant),
		"markers":                  markers,
	}
	if m.Port > 0 {
		body["monitor_port"] = m.Port
	}
	switch m.Type {
	case "HEALTH_MONITOR_HTTP", "HEALTH_MONITOR_HTTPS":
		field := "http_monitor"
		if m.Type == "HEALTH_MONITOR_HTTPS" {
			field = "https_monitor"
		}
		body[field] = map[string]any{"http_request": m.HTTPRequest, "http_response_code": anyStrings(m.HTTPResponseCodes)}
	case "HEALTH_MONITOR_TCP":
		body["tcp_monitor"] = map[string]any{"tcp_half_open": false}
	case "HEALTH_MONITOR_UDP":
		body["udp_monitor"] = map[string]any{"udp_request": m.UDPRequest}
	}
	return body
}

// markerKey is the health monitor marker AMKO sets to its created_by.
const markerKey = "created-by"

// TermMarkerKey is the marker that records, on the services and monitors an
// elected amko writes (failover Automatic), the leadership term it wrote
// them under, in decimal (as quorum.FormatTerm). The controller's writes are
// not conditional, so a stale leader's late write is not refused: the
// marker makes it visible (an older term over a newer one) and repaired.
const TermMarkerKey = "amko-leader-term"

func termMarker(term int64) map[string]any {
	return map[string]any{"key": TermMarkerKey, "values": []any{strconv.FormatInt(term, 10)}}
}

// termOf is the term an observed object's term marker records; 0 when it
// has none or an unreadable one (written as AMKO writes).
func termOf(o map[string]any) int64 {
	markers, _ := o["markers"].([]any)
	for _, mk := range markers {
		m, _ := mk.(map[string]any)
		if str(m["key"]) != TermMarkerKey {
			continue
		}
		if v := stringList(m["values"]); len(v) > 0 {
			if t, err := strconv.ParseInt(v[0], 10, 64); err == nil && t > 0 {
				return t
			}
		}
	}
	return 0
}

// parseService reads an observed GSLB service (rendered with include_name).
func parseService(o map[string]any) *gslb.Service {
	s := &gslb.Service{
		Name:          str(o["name"]),
		DomainNames:   stringList(o["domain_names"]),
		Enabled:       o["enabled"] != false,
		UseECS:        o["use_edns_client_subnet"] != false,
		WildcardMatch: o["wildcard_match"] == true,
		Tenant:        refName(str(o["tenant_ref"])),
		Description:   str(o["description"]),
		MinMembers:    uint32(num(o["min_members"])),
	}
	if v, ok := o["ttl"]; ok {
		ttl := uint32(num(v))
		s.TTL = &ttl
	}
	if v, ok := o["num_dns_ip"]; ok {
		n := uint32(num(v))
		s.NumIPs = &n
	}
	for _, r := range stringList(o["health_monitor_refs"]) {
		s.HealthMonitorRefs = append(s.HealthMonitorRefs, refName(r))
	}
	if o["site_persistence_enabled"] == true {
		s.SitePersistence = &gslb.SitePersistence{
			ProfileRef:    refName(str(o["application_persistence_profile_ref"])),
			PKIProfileRef: refName(str(o["pki_profile_ref"])),
		}
	}
	if d, ok := o["down_response"].(map[string]any); ok {
		s.Down = gslb.DownResponse{Type: gslb.DownResponseType(str(d["type"])),
			FallbackIP: addrOf(d["fallback_ip"]), FallbackIP6: addrOf(d["fallback_ip6"])}
	}
	groups, _ := o["groups"].([]any)
	for _, g := range groups {
		pm, _ := g.(map[string]any)
		p := gslb.Pool{
			Name: str(pm["name"]), Priority: uint32(num(pm["priority"])), Enabled: pm["enabled"] != false,
			Algorithm: gslb.Algorithm(str(pm["algorithm"])), Fallback: gslb.Algorithm(str(pm["fallback_algorithm"])),
			MinHealthMonitorsUp: uint32(num(pm["min_health_monitors_up"])),
		}
		mask := int(num(pm["consistent_hash_mask"]))
		if p.Algorithm == gslb.ConsistentHash {
			p.HashMask = mask
		} else if p.Algorithm == gslb.Geo && p.Fallback == gslb.ConsistentHash {
			p.FallbackHashMask = mask
		}
		members, _ := pm["members"].([]any)
		for _, m := range members {
			mm, _ := m.(map[string]any)
			member := gslb.Member{
				IP: addrOf(mm["ip"]), Enabled: mm["enabled"] != false, Ratio: uint32(num(mm["ratio"])),
				ClusterUUID: str(mm["cluster_uuid"]), VSUUID: str(mm["vs_uuid"]),
			}
			if pub, ok := mm["public_ip"].(map[string]any); ok {
				member.PublicIP = addrOf(pub["ip"])
			}
			p.Members = append(p.Members, member)
		}
		s.Pools = append(s.Pools, p)
	}
	return s
}

// parseMonitor reads an observed health monitor.
func parseMonitor(o map[string]any) gslb.HealthMonitor {
	m := gslb.HealthMonitor{
		Name: str(o["name"]), Type: str(o["type"]), Port: uint32(num(o["monitor_port"])),
		Description: str(o["description"]), Interval: uint32(num(o["send_interval"])),
		Timeout: uint32(num(o["receive_timeout"])), SuccessfulChecks: uint32(num(o["successful_checks"])),
		FailedChecks: uint32(num(o["failed_checks"])),
	}
	for _, field := range []string{"http_monitor", "https_monitor"} {
		if h, ok := o[field].(map[string]any); ok {
			m.HTTPRequest, m.HTTPResponseCodes = str(h["http_request"]), stringList(h["http_response_code"])
		}
	}
	if u, ok := o["udp_monitor"].(map[string]any); ok {
		m.UDPRequest = str(u["udp_request"])
	}
	return m
}

// createdByOf returns an observed monitor's created-by marker value.
func createdByOf(o map[string]any) string {
	markers, _ := o["markers"].([]any)
	for _, mk := range markers {
		m, _ := mk.(map[string]any)
		if str(m["key"]) == markerKey {
			if v := stringList(m["values"]); len(v) > 0 {
				return v[0]
			}
		}
	}
	return ""
}

// ServiceEqual reports whether the controller would hold the same GSLB service
// for both: it compares what serviceBody writes, field by field (a pass compares
// every service, so this must not allocate), and ignores what the controller does
// not store, such as a member's cluster context or location.
func ServiceEqual(d, o *gslb.Service) bool {
	if d.Name != o.Name || d.Tenant != o.Tenant || d.Description != o.Description || d.Enabled != o.Enabled ||
		d.UseECS != o.UseECS || d.WildcardMatch != o.WildcardMatch || d.MinMembers != o.MinMembers ||
		!equalPtr(d.TTL, o.TTL) || !equalPtr(d.NumIPs, o.NumIPs) || !slices.Equal(d.DomainNames, o.DomainNames) ||
		!equalRefs(d, o) || !equalDown(d.Down, o.Down) || len(d.Pools) != len(o.Pools) {
		return false
	}
	if (d.SitePersistence == nil) != (o.SitePersistence == nil) ||
		(d.SitePersistence != nil && *d.SitePersistence != *o.SitePersistence) {
		return false
	}
	for i := range d.Pools {
		if !equalPool(&d.Pools[i], &o.Pools[i]) {
			return false
		}
	}
	return true
}

func equalPtr[T comparable](a, b *T) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// equalRefs compares the health monitor references serviceBody writes: the
// owned monitors' names, then the others.
func equalRefs(d, o *gslb.Service) bool {
	if len(d.HealthMonitors)+len(d.HealthMonitorRefs) != len(o.HealthMonitors)+len(o.HealthMonitorRefs) {
		return false
	}
	ref := func(s *gslb.Service, i int) string {
		if i < len(s.HealthMonitors) {
			return s.HealthMonitors[i].Name
		}
		return s.HealthMonitorRefs[i-len(s.HealthMonitors)]
	}
	for i := range len(d.HealthMonitors) + len(d.HealthMonitorRefs) {
		if ref(d, i) != ref(o, i) {
			return false
		}
	}
	return true
}

func equalDown(a, b gslb.DownResponse) bool {
	if a.Type != b.Type {
		return false
	}
	return a.Type == "" || (sameAddr(a.FallbackIP, b.FallbackIP) && sameAddr(a.FallbackIP6, b.FallbackIP6))
}

// sameAddr compares addresses as ipAddr writes them.
func sameAddr(a, b netip.Addr) bool { return a.Unmap() == b.Unmap() }

func algorithmOf(p *gslb.Pool) gslb.Algorithm {
	if p.Algorithm == "" {
		return gslb.RoundRobin
	}
	return p.Algorithm
}

// maskOf is the consistent_hash_mask serviceBody writes for a pool, 0 for none.
func maskOf(p *gslb.Pool) int {
	switch a := algorithmOf(p); {
	case a == gslb.ConsistentHash && p.HashMask > 0:
		return p.HashMask
	case a == gslb.Geo && p.Fallback == gslb.ConsistentHash && p.FallbackHashMask > 0:
		return p.FallbackHashMask
	}
	return 0
}

// fallbackOf is the fallback_algorithm serviceBody writes, "" for none.
func fallbackOf(p *gslb.Pool) gslb.Algorithm {
	if algorithmOf(p) == gslb.Geo {
		return p.Fallback
	}
	return ""
}

func equalPool(d, o *gslb.Pool) bool {
	if d.Name != o.Name || d.Priority != o.Priority || d.Enabled != o.Enabled || algorithmOf(d) != algorithmOf(o) ||
		d.MinHealthMonitorsUp != o.MinHealthMonitorsUp || maskOf(d) != maskOf(o) || fallbackOf(d) != fallbackOf(o) ||
		len(d.Members) != len(o.Members) {
		return false
	}
	for i := range d.Members {
		a, b := &d.Members[i], &o.Members[i]
		if !sameAddr(a.IP, b.IP) || a.Enabled != b.Enabled || max(a.Ratio, 1) != max(b.Ratio, 1) ||
			a.ClusterUUID != b.ClusterUUID || a.VSUUID != b.VSUUID ||
			a.PublicIP.IsValid() != b.PublicIP.IsValid() || (a.PublicIP.IsValid() && !sameAddr(a.PublicIP, b.PublicIP)) {
			return false
		}
	}
	return true
}

// MonitorEqual reports whether the controller would hold the same monitor.
func MonitorEqual(d, o *gslb.HealthMonitor) bool {
	return d.Name == o.Name && d.Type == o.Type && d.Port == o.Port && d.Description == o.Description &&
		d.Interval == o.Interval && d.Timeout == o.Timeout && d.SuccessfulChecks == o.SuccessfulChecks &&
		d.FailedChecks == o.FailedChecks && equalTypeFields(d, o)
}

// equalTypeFields compares the type-specific fields monitorBody writes.
func equalTypeFields(d, o *gslb.HealthMonitor) bool {
	switch d.Type {
	case "HEALTH_MONITOR_HTTP", "HEALTH_MONITOR_HTTPS":
		return d.HTTPRequest == o.HTTPRequest && slices.Equal(d.HTTPResponseCodes, o.HTTPResponseCodes)
	case "HEALTH_MONITOR_UDP":
		return d.UDPRequest == o.UDPRequest
	}
	return true
}

// refName is the name in a reference rendered with include_name ("…#name"),
// or the name= of a reference by name.
func refName(ref string) string {
	if _, name, ok := strings.Cut(ref, "#"); ok {
		return name
	}
	if _, name, ok := strings.Cut(ref, "?name="); ok {
		return name
	}
	return ref
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case json.Number:
		f, _ := n.Float64()
		return f
	}
	return 0
}

func stringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, it := range l {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func anyStrings(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func addrOf(v any) netip.Addr {
	m, _ := v.(map[string]any)
	a, _ := netip.ParseAddr(str(m["addr"]))
	return a
}
