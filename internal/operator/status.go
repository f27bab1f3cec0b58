// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"time"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/members"
	"github.com/amko-project/amko/internal/provider"
)

// Status is a read-only snapshot of what amko did, for GET /status and
// "amko status". It never holds credentials.
type Status struct {
	// Active is false on a standby replica, which waits for the
	// leader-election Lease: it reports what it would do, and with the DNS
	// backend answers DNS, but writes nothing.
	Active bool `json:"active"`
	// Role is the federation role: unknown, standalone, leader, follower or conflict.
	Role string `json:"role"`
	// RoleReason says why this amko writes nothing, when that is not plain
	// from the role (an orphan: no AMKOCluster, another amko leads).
	RoleReason string `json:"roleReason,omitempty"`
	// Election is the federation set's election as this amko sees it, with
	// the AMKOCluster's failover Automatic; nil in Manual mode.
	Election *StatusElection `json:"election,omitempty"`
	// Ready and NotReady are what /readyz answers.
	Ready    bool   `json:"ready"`
	NotReady string `json:"notReady,omitempty"`
	// Backend is the GSLB backend of the accepted GSLBConfig; nil while none.
	Backend *StatusBackend `json:"backend,omitempty"`
	// GSLBConfig is the accepted GSLBConfig as the last pass left it; nil while none.
	GSLBConfig *StatusConfig `json:"gslbConfig,omitempty"`
	// Clusters are the member clusters, by name.
	Clusters []StatusCluster `json:"clusters"`
	// LastSynced is the end of the last successful pass; nil before the first.
	LastSynced *time.Time `json:"lastSynced,omitempty"`
	// HealthSource says who decides the members' health: "probes" (the DNS
	// backend's own, reported per member) or "controller" (Avi, not reported).
	HealthSource string `json:"healthSource,omitempty"`
	// Services are the GSLB services of the last successful pass, by tenant and name.
	Services []StatusService `json:"services"`
	// Comparison is the last comparison of amko's DNS answers with
	// spec.dns.compareWith; nil without one.
	Comparison *Comparison `json:"comparison,omitempty"`
	// CRDs says when AMKO 2.2.1's CRDs serve some of amko's kinds, and what
	// is lost until amko's are applied; nil on amko's own.
	CRDs *CRDs `json:"crds,omitempty"`
	// Explain, when asked for (/status?explain=<query>), says why each
	// matching candidate is or is not selected.
	Explain []Explanation `json:"explain,omitempty"`
	// ExplainError says why Explain could not be answered.
	ExplainError string `json:"explainError,omitempty"`
}

// StatusBackend names the GSLB backend.
type StatusBackend struct {
	// Kind is "dns" or "avi".
	Kind string `json:"kind"`
	// Controller is the Avi GSLB leader's address (avi): controllerIP, or the
	// alternate controller amko follows.
	Controller string `json:"controller,omitempty"`
	// DNSAddr is where the built-in DNS server listens: the backend (dns), or
	// the mirror of the controller's services (avi with a dns section).
	DNSAddr string `json:"dnsAddr,omitempty"`
	// Mirror is true when that server mirrors a controller.
	Mirror bool `json:"mirror,omitempty"`
	// MirrorError says why the mirror does not run, when it does not.
	MirrorError string `json:"mirrorError,omitempty"`
}

// StatusConfig is the accepted GSLBConfig.
type StatusConfig struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// StatusCluster is a member cluster's state.
type StatusCluster struct {
	Name  string `json:"name"`
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// StatusService is one GSLB service.
type StatusService struct {
	Name        string   `json:"name"`
	Tenant      string   `json:"tenant"`
	DomainNames []string `json:"domainNames"`
	// TTL is the service's own; nil means the backend's default.
	TTL          *uint32      `json:"ttl,omitempty"`
	DownResponse string       `json:"downResponse,omitempty"`
	Pools        []StatusPool `json:"pools"`
	// HealthMonitors are the monitors amko keeps for the service, by name, with
	// what each one probes: their amko--<sha1> names say nothing by themselves.
	HealthMonitors []StatusMonitor `json:"healthMonitors"`
	// HealthMonitorRefs name the custom monitors someone else owns that the
	// service uses instead (healthMonitorRefs of the GDP or a GSLBHostRule).
	HealthMonitorRefs []string `json:"healthMonitorRefs,omitempty"`
}

// StatusMonitor is a health monitor amko keeps and what it probes.
type StatusMonitor struct {
	Name string `json:"name"`
	// Protocol is http, https, tcp or udp.
	Protocol string `json:"protocol"`
	// Port is the port probed; 0: each member's own.
	Port uint32 `json:"port,omitempty"`
	// Path is the HTTP(S) path probed.
	Path string `json:"path,omitempty"`
	// Request is the HTTP request line, or what a UDP monitor sends.
	Request string `json:"request,omitempty"`
	// ResponseCodes are the HTTP answers taken as up, e.g. HTTP_2XX.
	ResponseCodes []string `json:"responseCodes,omitempty"`
	// Service is the GSLB service the monitor was made for ("gsname" of its
	// description); empty for a shared one.
	Service string `json:"service,omitempty"`
	// Template is the health monitor template the monitor was made from.
	Template string `json:"template,omitempty"`
	// Shared monitors serve several services (passthrough members).
	Shared bool `json:"shared,omitempty"`
	// Description is the monitor's description on the controller.
	Description string `json:"description,omitempty"`
}

// StatusPool is a priority group of a service.
type StatusPool struct {
	Name      string         `json:"name"`
	Priority  uint32         `json:"priority"`
	Algorithm string         `json:"algorithm,omitempty"`
	Members   []StatusMember `json:"members"`
}

// Member health values.
const (
	HealthUp      = provider.HealthUp
	HealthDown    = provider.HealthDown
	HealthUnknown = provider.HealthUnknown
)

// StatusMember is one member of a pool.
type StatusMember struct {
	Cluster  string `json:"cluster"`
	ID       string `json:"id"`
	IP       string `json:"ip"`
	PublicIP string `json:"publicIP,omitempty"`
	Ratio    uint32 `json:"ratio"`
	Enabled  bool   `json:"enabled"`
	// Health is up, down or unknown (no monitor probes it) with the DNS
	// backend; empty with Avi, whose controller decides.
	Health string `json:"health,omitempty"`
	// Down says why amko wrote the member disabled: no ready endpoint behind
	// it (or held out after), or its cluster lost. Empty when it did not.
	Down string `json:"down,omitempty"`
}

// statusView is what the passes leave for Status, guarded by Operator.mu. It
// keeps references rather than copies so that recording costs nothing; the
// services and the health map are never modified once recorded.
type statusView struct {
	config     *StatusConfig // nil while no GSLBConfig is accepted
	backend    string
	controller string

	synced   time.Time
	services []*gslb.Service
	// health reports members' health when the backend probes them itself
	// (DNS); nil when the controller decides (Avi).
	health provider.HealthReporter
}

// recordConfig keeps the accepted config's name and state at the end of a
// pass. It must run on the pass's goroutine, the only one writing gc.
func (o *Operator) recordConfig(gc *amkov1alpha1.GSLBConfig) {
	var cfg *StatusConfig
	backend, controller := "", ""
	if gc != nil {
		cfg = &StatusConfig{Name: gc.Name, State: gc.Status.State}
		backend = "avi"
		controller = o.inUse(gc) // an alternate when amko follows one
		if dnsOnly(gc) {
			backend, controller = "dns", ""
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if backend != "" && o.view.backend != "" && backend != o.view.backend {
		// The other backend's services are no longer published.
		o.view.synced, o.view.services, o.view.health = time.Time{}, nil, nil
	}
	if backend != "" {
		o.view.backend = backend
	}
	o.view.config, o.view.controller = cfg, controller
}

// recordServices keeps the services a pass synced and, when the backend
// probes members itself, where their health is read.
func (o *Operator) recordServices(services []*gslb.Service) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.view.synced = time.Now()
	o.view.services = services
	o.view.health, _ = o.state.backend.(provider.HealthReporter)
}

// Status returns a snapshot of what amko did. It is safe for concurrent use;
// the view is built here, not at every pass, as it is rarely asked for.
func (o *Operator) Status() Status {
	clusters := o.members.Status() // under the registry's own lock
	o.mu.Lock()
	v := o.view
	active, role := o.active() && !o.writable.IsZero(), o.role
	haveConfig, synced := o.state.config != nil, o.state.synced
	dnsAddr := o.dnsAddrLocked()
	mirrorAddr, mirrorErr := o.mirrorAddrLocked(), o.state.mirrorErr
	comparison := o.comparison
	reason := o.roleReason
	o.mu.Unlock()
	st := buildStatus(v, active, role, haveConfig, synced, dnsAddr, clusters)
	st.RoleReason = reason
	st.Comparison = comparison
	if st.Backend != nil && st.Backend.Kind == "avi" {
		st.Backend.DNSAddr, st.Backend.Mirror, st.Backend.MirrorError = mirrorAddr, mirrorAddr != "", mirrorErr
	}
	if crds := o.CRDs(); crds.AMKO {
		st.CRDs = &crds
	}
	st.Election = o.electionStatus()
	return st
}

// buildStatus turns the recorded view into a Status.
func buildStatus(v statusView, active bool, role Role, haveConfig, synced bool, dnsAddr string, clusters []members.Status) Status {
	st := Status{Active: active, Role: role.String(), Ready: haveConfig && synced,
		Clusters: []StatusCluster{}, Services: []StatusService{}}
	switch {
	case !haveConfig:
		st.NotReady = "no accepted GSLBConfig"
	case !synced:
		st.NotReady = "not synced with the GSLB backend yet"
	}
	if haveConfig && v.config != nil {
		c := *v.config
		st.GSLBConfig = &c
		st.Backend = &StatusBackend{Kind: v.backend, Controller: v.controller}
		if v.backend == "dns" {
			st.Backend.DNSAddr = dnsAddr
		}
	}
	for _, c := range clusters {
		st.Clusters = append(st.Clusters, StatusCluster{Name: c.Cluster, State: string(c.State), Error: c.Error})
	}
	if !v.synced.IsZero() {
		t := v.synced.UTC().Truncate(time.Second)
		st.LastSynced = &t
		st.HealthSource = "controller"
		if v.health != nil {
			st.HealthSource = "probes"
		}
	}

	services := slices.Clone(v.services)
	slices.SortFunc(services, func(a, b *gslb.Service) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Name, b.Name))
	})
	for _, svc := range services {
		s := StatusService{Name: svc.Name, Tenant: svc.Tenant, DomainNames: slices.Clone(svc.DomainNames),
			TTL: svc.TTL, DownResponse: string(svc.Down.Type), Pools: []StatusPool{},
			HealthMonitors: []StatusMonitor{}, HealthMonitorRefs: slices.Clone(svc.HealthMonitorRefs)}
		if s.DomainNames == nil {
			s.DomainNames = []string{}
		}
		for _, hm := range svc.HealthMonitors {
			s.HealthMonitors = append(s.HealthMonitors, statusMonitor(hm))
		}
		for _, p := range svc.Pools {
			sp := StatusPool{Name: p.Name, Priority: p.Priority, Algorithm: string(p.Algorithm), Members: []StatusMember{}}
			for _, m := range p.Members {
				sm := StatusMember{Cluster: m.Cluster, ID: m.ID, IP: addrString(m.IP), PublicIP: addrString(m.PublicIP),
					Ratio: m.Ratio, Enabled: m.Enabled, Down: m.Down}
				if v.health != nil {
					sm.Health = v.health.MemberHealth(svc, m)
				}
				sp.Members = append(sp.Members, sm)
			}
			s.Pools = append(s.Pools, sp)
		}
		st.Services = append(st.Services, s)
	}
	return st
}

// statusMonitor says what hm probes. The service it was made for, its path
// and template are read from its description ("created by: amko, gsname: <s>,
// path: <p>, protocol: <http|https>[, created from: <template>]", as AMKO
// writes it), which is also what a user sees on the controller.
func statusMonitor(hm gslb.HealthMonitor) StatusMonitor {
	sm := StatusMonitor{Name: hm.Name, Protocol: strings.ToLower(strings.TrimPrefix(hm.Type, "HEALTH_MONITOR_")),
		Port: hm.Port, Request: hm.HTTPRequest, ResponseCodes: slices.Clone(hm.HTTPResponseCodes),
		Shared: hm.Shared, Description: hm.Description}
	if sm.Request == "" {
		sm.Request = hm.UDPRequest
	}
	for _, part := range strings.Split(hm.Description, ", ") {
		key, value, ok := strings.Cut(part, ": ")
		if !ok {
			continue
		}
		switch key {
		case "gsname":
			sm.Service = value
		case "path":
			sm.Path = value
		case "created from":
			sm.Template = value
		}
	}
	if sm.Path == "" && hm.HTTPRequest != "" {
		// "HEAD /cart HTTP/1.0": the path is the request line's second word.
		if f := strings.Fields(hm.HTTPRequest); len(f) > 1 {
			sm.Path = f[1]
		}
	}
	return sm
}

// addrString is a's text, or "" when unset.
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// DNSAddr returns the address the built-in DNS backend serves on, or "".
func (o *Operator) DNSAddr() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dnsAddrLocked()
}

func (o *Operator) dnsAddrLocked() string {
	if a, ok := o.state.backend.(interface{ Addr() string }); ok {
		return a.Addr()
	}
	return ""
}
