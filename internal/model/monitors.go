// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"strings"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
)

// Names and strings of the monitors amko creates (amko.md §2.7); the names and
// descriptions are how AMKO, and amko, recognise their own monitors.
const (
	monitorPrefix     = "amko--"
	passthroughPrefix = "amko--passthrough-hm-tcp"
	createdBy         = "created by: amko"
	udpRequest        = "created_by: amko, request string not required"

	monitorHTTP  = "HEALTH_MONITOR_HTTP"
	monitorHTTPS = "HEALTH_MONITOR_HTTPS"
	monitorTCP   = "HEALTH_MONITOR_TCP"
	monitorUDP   = "HEALTH_MONITOR_UDP"

	httpPort        = 80
	httpsPort       = 443
	passthroughPort = 443

	monitorInterval         = 10
	monitorTimeout          = 4
	monitorSuccessfulChecks = 3
	monitorFailedChecks     = 3
)

// defaultResponseCodes are what AMKO's default path monitors accept.
var defaultResponseCodes = []string{"HTTP_2XX", "HTTP_3XX"}

// PathMonitorName is the name of the path monitor of a service's path; protocol
// is "http" or "https".
func PathMonitorName(protocol, service, path string) string {
	return monitorPrefix + sha1Hex(protocol+"--"+service+"--"+path)
}

// NonPathMonitorName is the name of the TCP or UDP monitor of a service of
// LoadBalancer Services.
func NonPathMonitorName(service string) string {
	return monitorPrefix + sha1Hex(service)
}

// PassthroughMonitorName is the name of the TCP monitor shared by every
// passthrough service of the amko with this UUID.
func PassthroughMonitorName(uuid string) string {
	return passthroughPrefix + "-" + uuid
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// monitorPolicy is what a service's members are monitored with.
type monitorPolicy struct {
	controlPlaneOnly bool
	refs             []string // custom monitors, by name
	template         string   // the template of the path monitors; "" for none
}

// monitorPolicy applies AMKO's precedence: controlPlaneHmOnly (GSLBHostRule
// over GDP) ⇒ none; else GSLBHostRule refs > GSLBHostRule template > GDP refs >
// GDP template > the defaults.
func (ix *index) monitorPolicy(ghr *amkov1alpha1.GSLBHostRuleSpec) monitorPolicy {
	var cpOnly *bool
	if ghr != nil {
		cpOnly = ghr.ControlPlaneHmOnly
	}
	if cpOnly == nil && ix.gdp != nil {
		cpOnly = ix.gdp.ControlPlaneHmOnly
	}
	if deref(cpOnly, false) {
		return monitorPolicy{controlPlaneOnly: true}
	}
	switch {
	case ghr != nil && len(ghr.HealthMonitorRefs) > 0:
		return monitorPolicy{refs: ghr.HealthMonitorRefs}
	case ghr != nil && ghr.HealthMonitorTemplate != nil:
		return monitorPolicy{template: *ghr.HealthMonitorTemplate}
	case ix.gdp != nil && len(ix.gdp.HealthMonitorRefs) > 0:
		return monitorPolicy{refs: ix.gdp.HealthMonitorRefs}
	case ix.gdp != nil && ix.gdp.HealthMonitorTemplate != nil:
		return monitorPolicy{template: *ix.gdp.HealthMonitorTemplate}
	}
	return monitorPolicy{}
}

// minUp is the pools' min_health_monitors_up: the control plane's signal plus
// every custom monitor, or one data-plane monitor.
func (p monitorPolicy) minUp() uint32 {
	switch {
	case p.controlPlaneOnly:
		return 1
	case len(p.refs) > 0:
		return uint32(len(p.refs)) + 1
	}
	return 2
}

// monitors are the monitors amko owns for the service and the custom ones it
// references. By default: path monitors for Ingress, Route, HTTPRoute and
// GRPCRoute members, one TCP or UDP monitor for LoadBalancer Services and TLS,
// TCP and UDP routes, and the shared passthrough monitor
// for passthrough members. AMKO picks one of these kinds from its first member
// when a service mixes them; here each kind of member brings its own.
func (ix *index) monitors(service string, members []member, p monitorPolicy) ([]gslb.HealthMonitor, []string) {
	if p.controlPlaneOnly {
		return nil, nil
	}
	if len(p.refs) > 0 {
		return nil, slices.Clone(p.refs)
	}

	var hms []gslb.HealthMonitor
	hms = append(hms, ix.pathMonitors(service, members, p.template)...)
	if hm, ok := nonPathMonitor(service, members); ok {
		hms = append(hms, hm)
	}
	if slices.ContainsFunc(members, isPassthrough) {
		hms = append(hms, withPacing(gslb.HealthMonitor{
			Name:        PassthroughMonitorName(ix.policy.UUID),
			Type:        monitorTCP,
			Port:        passthroughPort,
			Description: createdBy,
			Shared:      true,
		}))
	}
	slices.SortFunc(hms, func(a, b gslb.HealthMonitor) int { return cmp.Compare(a.Name, b.Name) })
	return hms, nil
}

// pathMonitors are one HTTP(S) monitor per distinct path of the service's
// Ingress and Route members; HTTPS for all when any member is TLS. A template
// gives the request line (its path replaced) and the response codes.
func (ix *index) pathMonitors(service string, members []member, templateName string) []gslb.HealthMonitor {
	var paths []string
	var ports []int32
	secure := false
	for _, m := range members {
		secure = secure || m.tls
		if !isPathMember(m) {
			continue
		}
		ports = append(ports, m.Port)
		if len(m.Paths) == 0 {
			paths = append(paths, "/")
		}
		for _, p := range m.Paths {
			if p == "" {
				p = "/"
			}
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)

	protocol, typ, port := "http", monitorHTTP, uint32(httpPort)
	if secure {
		protocol, typ, port = "https", monitorHTTPS, httpsPort
	}
	port = pathPort(ports, port)
	tmpl, hasTemplate := ix.policy.Templates[templateName]
	hasTemplate = hasTemplate && templateName != ""

	hms := make([]gslb.HealthMonitor, 0, len(paths))
	for _, path := range paths {
		hm := gslb.HealthMonitor{
			Name:              PathMonitorName(protocol, service, path),
			Type:              typ,
			Port:              port,
			HTTPRequest:       "HEAD " + path + " HTTP/1.0",
			HTTPResponseCodes: slices.Clone(defaultResponseCodes),
			Description:       createdBy + ", gsname: " + service + ", path: " + path + ", protocol: " + protocol,
		}
		if hasTemplate {
			hm.HTTPRequest = templateRequest(tmpl, path)
			hm.HTTPResponseCodes = slices.Clone(tmpl.ResponseCodes)
			hm.Description += ", created from: " + templateName
		}
		hms = append(hms, withPacing(hm))
	}
	return hms
}

// pathPort is the port of the path monitors: def (AMKO's 80 or 443), unless
// every path member names the same other port. Only Gateway API routes name
// one, their listener's, which need not be 80 or 443; members that disagree
// (a route on 8080, an Ingress on 80) keep the default.
func pathPort(ports []int32, def uint32) uint32 {
	port := def
	for i, p := range ports {
		q := def
		if p > 0 {
			q = uint32(p)
		}
		if i > 0 && q != port {
			return def
		}
		port = q
	}
	return port
}

// templateRequest is the template's request line with its path (the second of
// its three tokens) replaced; AMKO leaves a line of another shape as it is.
func templateRequest(t policy.Template, path string) string {
	tokens := strings.Split(t.Request, " ")
	if len(tokens) == 3 {
		tokens[1] = path
	}
	return strings.Join(tokens, " ")
}

// nonPathMonitor is the TCP or UDP monitor of the service's LoadBalancer
// Service members (and TLS, TCP and UDP routes: sources.Record.L4), on the
// lowest port among them with that port's protocol.
func nonPathMonitor(service string, members []member) (gslb.HealthMonitor, bool) {
	found := false
	var port int32
	var protocol string
	for _, m := range members {
		if !m.L4() {
			continue
		}
		proto := strings.ToUpper(m.Protocol)
		if !found || m.Port < port || (m.Port == port && proto < protocol) {
			found, port, protocol = true, m.Port, proto
		}
	}
	if !found {
		return gslb.HealthMonitor{}, false
	}
	hm := gslb.HealthMonitor{
		Name:        NonPathMonitorName(service),
		Type:        monitorTCP,
		Port:        uint32(max(port, 0)),
		Description: createdBy + ", gsname: " + service,
	}
	// Any protocol other than UDP (SCTP) is monitored over TCP, as in AMKO.
	if protocol == "UDP" {
		hm.Type = monitorUDP
		hm.UDPRequest = udpRequest
	}
	return withPacing(hm), true
}

// isPassthrough: a passthrough Route (or Ingress), monitored by the shared TCP
// monitor. A passthrough TLSRoute is an L4 member: its listener's port is known.
func isPassthrough(m member) bool { return !m.L4() && m.Passthrough }

func isPathMember(m member) bool { return !m.L4() && !m.Passthrough }

// withPacing sets AMKO's probe pacing, the same on every monitor.
func withPacing(hm gslb.HealthMonitor) gslb.HealthMonitor {
	hm.Interval = monitorInterval
	hm.Timeout = monitorTimeout
	hm.SuccessfulChecks = monitorSuccessfulChecks
	hm.FailedChecks = monitorFailedChecks
	return hm
}
