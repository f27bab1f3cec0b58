// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package gslb is the backend-neutral model of a GSLB service and the DNS
// answer engine that decides what each query for one of its names gets.
//
// The semantics follow §4 of the Avi API reference (shared/reference/avi-api.md):
// a service has prioritised pools of members; the highest-priority pool with an
// eligible (enabled and up) member answers, members are picked by the pool's
// algorithm, and when no member is eligible the service's down response
// applies. Where Avi leaves details open the emulator's deterministic choices
// are implemented; they are noted on the functions that make them.
//
// Enum values are the Avi names verbatim so that converters from Avi objects
// can assign them without a mapping table.
package gslb

import (
	"net/netip"
	"strconv"
)

// Algorithm is a pool's member-selection algorithm (Avi GslbAlgorithm).
type Algorithm string

// Pool algorithms. Any other value, including "", behaves as RoundRobin.
const (
	RoundRobin      Algorithm = "GSLB_ALGORITHM_ROUND_ROBIN"
	ConsistentHash  Algorithm = "GSLB_ALGORITHM_CONSISTENT_HASH"
	Geo             Algorithm = "GSLB_ALGORITHM_GEO"
	Topology        Algorithm = "GSLB_ALGORITHM_TOPOLOGY" // no topology rules are modelled: round robin
	PreferenceOrder Algorithm = "GSLB_ALGORITHM_PREFERENCE_ORDER"
)

// DownResponseType is what a DOWN service answers (Avi GslbServiceDownResponseType).
type DownResponseType string

// Down response types. "" behaves as DownNone, as does any unknown value.
const (
	DownNone       DownResponseType = "GSLB_SERVICE_DOWN_RESPONSE_NONE"
	DownAllRecords DownResponseType = "GSLB_SERVICE_DOWN_RESPONSE_ALL_RECORDS"
	DownFallbackIP DownResponseType = "GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP"
	DownEmpty      DownResponseType = "GSLB_SERVICE_DOWN_RESPONSE_EMPTY"
)

// DefaultTTL is the TTL in seconds used when a service sets none; it is the
// Avi DNS application profile default.
const DefaultTTL = 30

// Service is one GSLB service. It must not be modified while an Engine or a
// Table may be using it; build a new one instead (and call Engine.Reset).
type Service struct {
	Name          string
	DomainNames   []string // every entry is answered identically (aliases)
	Enabled       bool
	TTL           *uint32 // nil: DefaultTTL
	NumIPs        *uint32 // addresses per answer; nil: 1, 0: all
	UseECS        bool    // use the EDNS client subnet address for consistent hash and geo
	WildcardMatch bool
	MinMembers    uint32 // 0: disabled
	Pools         []Pool
	Down          DownResponse

	// The fields below describe the service to a backend that manages it; the
	// answer engine does not read them.

	// Tenant is the Avi tenant of the service.
	Tenant string
	// Description names the application objects behind the members.
	Description string
	// HealthMonitors are the monitors the operator creates and owns for the
	// service; HealthMonitorRefs name monitors someone else owns.
	HealthMonitors    []HealthMonitor
	HealthMonitorRefs []string
	// SitePersistence keeps clients on one site; nil disables it.
	SitePersistence *SitePersistence
}

// HealthMonitor is a data-plane monitor of a service's members, as AMKO names
// and configures them (amko.md §2.7).
type HealthMonitor struct {
	Name string
	// Type is the Avi type: HEALTH_MONITOR_HTTP, _HTTPS, _TCP or _UDP.
	Type string
	// Port is the monitored port; 0 means the member's own.
	Port uint32
	// HTTPRequest and HTTPResponseCodes configure HTTP(S) monitors, e.g.
	// "HEAD /cart HTTP/1.0" and [HTTP_2XX HTTP_3XX].
	HTTPRequest       string
	HTTPResponseCodes []string
	// UDPRequest is sent by UDP monitors.
	UDPRequest string
	// Description says which service and path the monitor is for.
	Description string
	// Interval, Timeout, SuccessfulChecks and FailedChecks pace the probes
	// (seconds and counts; AMKO's are 10, 4, 3, 3).
	Interval, Timeout, SuccessfulChecks, FailedChecks uint32
	// Shared monitors serve several services and outlive any one of them.
	Shared bool
}

// SitePersistence names the federated profiles of cookie-based site persistence.
type SitePersistence struct {
	ProfileRef    string
	PKIProfileRef string
}

// Pool is a group of members sharing a priority and an algorithm.
type Pool struct {
	Name             string
	Priority         uint32 // 0: never chosen; higher wins
	Enabled          bool
	Algorithm        Algorithm // "": RoundRobin
	HashMask         int       // IPv4 prefix length for consistent hash (1-31); otherwise 32
	HashMask6        int       // IPv6 prefix length (1-127); otherwise 128
	Fallback         Algorithm // used by Geo when no location decides; ConsistentHash or round robin
	FallbackHashMask int       // IPv4 prefix length for a ConsistentHash fallback
	Members          []Member
	// MinHealthMonitorsUp is how many health signals must be up for a member to
	// be up (a backend setting; 0 means all).
	MinHealthMonitorsUp uint32
}

// Member is one answerable address of a pool.
type Member struct {
	ID         string     // stable identity used for hashing; "" falls back to the IP
	IP         netip.Addr // private address, answered to non-public clients
	PublicIP   netip.Addr // answered to public clients when valid
	Ratio      uint32     // weight 1-20; 0 is treated as 1
	Enabled    bool
	Preference uint32    // PreferenceOrder: lowest wins; 0 is treated as 1
	Location   *Location // Geo; nil: unknown

	// Cluster is the member cluster (kubeconfig context) or third-party site the
	// member comes from; ClusterUUID and VSUUID are the Avi controller cluster
	// and virtual service behind it (empty for address-only members).
	Cluster     string
	ClusterUUID string
	VSUUID      string
	// Down says why the operator wrote the member disabled although its
	// object is selected: its Services have no ready endpoint, or its
	// cluster has been unreachable too long. "" when it did not. Backends
	// store Enabled only; this is for status and events.
	Down string
}

// Location is a point on Earth in decimal degrees.
type Location struct{ Latitude, Longitude float64 }

// ParseLocation reads a latitude and a longitude in decimal degrees, as the
// GSLBConfig's geo tables give them (admission checked their form and range).
func ParseLocation(latitude, longitude string) (Location, bool) {
	lat, err1 := strconv.ParseFloat(latitude, 64)
	long, err2 := strconv.ParseFloat(longitude, 64)
	return Location{Latitude: lat, Longitude: long}, err1 == nil && err2 == nil
}

// DownResponse is the answer given while the service is DOWN.
type DownResponse struct {
	Type        DownResponseType // "": DownNone
	FallbackIP  netip.Addr       // A answer for DownFallbackIP
	FallbackIP6 netip.Addr       // AAAA answer for DownFallbackIP
}

// ttl is the TTL answered for s, whatever the action.
func (s *Service) ttl() uint32 {
	if s == nil || s.TTL == nil {
		return DefaultTTL
	}
	return *s.TTL
}

// count is how many addresses to answer out of avail candidates.
func (s *Service) count(avail int) int {
	if s.NumIPs == nil {
		return min(1, avail)
	}
	n := *s.NumIPs
	if n == 0 || uint64(n) > uint64(avail) {
		return avail
	}
	return int(n)
}

func (p *Pool) eligibleAsPool() bool { return p.Enabled && p.Priority > 0 }

func (m *Member) weight() int64 {
	if m.Ratio == 0 {
		return 1
	}
	return int64(m.Ratio)
}

func (m *Member) preference() uint32 {
	if m.Preference == 0 {
		return 1
	}
	return m.Preference
}

// hashID is the member identity fed to consistent hashing.
func (m *Member) hashID() string {
	if m.ID != "" {
		return m.ID
	}
	return m.IP.String()
}

// answerAddr is the address answered for m: the public one for public
// clients when set. Addresses are unmapped and unzoned so that family checks
// and comparisons are exact.
func (m *Member) answerAddr(public bool) netip.Addr {
	a := m.IP
	if public && m.PublicIP.IsValid() {
		a = m.PublicIP
	}
	return normAddr(a)
}

func normAddr(a netip.Addr) netip.Addr { return a.Unmap().WithZone("") }
