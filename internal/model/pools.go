// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/sources"
)

// poolNamePrefix starts the name of every pool amko writes: one pool per
// priority, "amko-gs-group-<priority>".
const poolNamePrefix = "amko-gs-group-"

// Traffic split defaults (amko.md §2.6): a cluster missing from every
// trafficSplit gets weight 1 and priority 10; a GSLBHostRule entry without a
// priority, and a third-party site, priority 1.
const (
	defaultWeight      = 1
	defaultPriority    = 10
	defaultGHRPriority = 1
)

// split is the weight and priority of a member.
type split struct{ weight, priority uint32 }

// poolMember is a member with its priority, before it is put into its pool.
type poolMember struct {
	gslb.Member
	priority uint32
}

// pools groups the service's members into one pool per priority, highest first
// (amko.md §2.6). Members are de-duplicated by address: the first in record
// order stays, Kubernetes members before third-party ones.
func (ix *index) pools(ghr *amkov1alpha1.GSLBHostRuleSpec, members []member, minUp uint32) []gslb.Pool {
	seen := make(map[netip.Addr]int, len(members)) // index in all
	var all []poolMember
	add := func(m poolMember) {
		if !m.IP.IsValid() {
			return
		}
		if i, ok := seen[m.IP]; ok {
			// Of two objects at one address, one whose Services are ready
			// keeps the address in: the address serves both.
			if all[i].Down != "" && m.Down == "" {
				all[i] = m
			}
			return
		}
		seen[m.IP] = len(all)
		all = append(all, m)
	}
	for _, m := range members {
		add(ix.k8sMember(ghr, m))
	}
	// Third-party members join services that have a selected Kubernetes member
	// only. AMKO keeps a service whose Kubernetes members are all gone while it
	// has third-party members (they count as members); here a service exists iff
	// one of its Kubernetes objects is selected, so that the desired state stays
	// a function of the current objects.
	if ghr != nil {
		// Sorted, so that of two sites at one address the same one stays
		// whatever the order of the list.
		tps := slices.Clone(ghr.ThirdPartyMembers)
		slices.SortFunc(tps, func(a, b amkov1alpha1.ThirdPartyMember) int {
			return cmp.Or(cmp.Compare(a.Site, b.Site), cmp.Compare(a.VIP, b.VIP), cmp.Compare(a.PublicIP, b.PublicIP))
		})
		for _, t := range tps {
			add(thirdPartyMember(ghr, t))
		}
	}

	algo := ix.poolAlgorithm(ghr)
	byPriority := make(map[uint32][]gslb.Member)
	for _, m := range all {
		byPriority[m.priority] = append(byPriority[m.priority], m.Member)
	}
	pools := make([]gslb.Pool, 0, len(byPriority))
	for prio, ms := range byPriority {
		slices.SortFunc(ms, func(a, b gslb.Member) int {
			return cmp.Or(a.IP.Compare(b.IP), cmp.Compare(a.Cluster, b.Cluster))
		})
		p := algo
		p.Name = poolNamePrefix + strconv.FormatUint(uint64(prio), 10)
		p.Priority = prio
		p.Enabled = true
		p.Members = ms
		// AMKO sets min_health_monitors_up for custom refs on groups[0] only, an
		// arbitrary pool (map order); every pool gets it here.
		p.MinHealthMonitorsUp = minUp
		pools = append(pools, p)
	}
	slices.SortFunc(pools, func(a, b gslb.Pool) int { return cmp.Compare(b.Priority, a.Priority) })
	return pools
}

// k8sMember is the pool member of a selected record.
func (ix *index) k8sMember(ghr *amkov1alpha1.GSLBHostRuleSpec, m member) poolMember {
	sp := ix.clusterSplit(ghr, m.Cluster)
	pm := gslb.Member{
		IP:      m.IP.Unmap(),
		Ratio:   sp.weight,
		Enabled: true,
		Cluster: m.Cluster,
	}
	if !m.syncVIPOnly {
		pm.ClusterUUID = m.ControllerUUID
		pm.VSUUID = m.VSUUID
	}
	pm.ID = memberID(pm)
	if pm.Down = ix.memberDown(ghr, m.Record); pm.Down != "" {
		pm.Enabled = false
	}
	if ghr != nil {
		for _, p := range ghr.PublicIP {
			if p.Cluster == m.Cluster {
				pm.PublicIP = parseAddr(p.IP)
				break
			}
		}
	}
	return poolMember{Member: pm, priority: sp.priority}
}

// thirdPartyMember is the address-only member of a non-Avi site; its weight and
// priority come from the GSLBHostRule's trafficSplit entry for the site only.
func thirdPartyMember(ghr *amkov1alpha1.GSLBHostRuleSpec, t amkov1alpha1.ThirdPartyMember) poolMember {
	sp := split{weight: defaultWeight, priority: defaultGHRPriority}
	if e, ok := ghrSplit(ghr, t.Site); ok {
		sp = e
	}
	pm := gslb.Member{
		IP:       parseAddr(t.VIP),
		PublicIP: parseAddr(t.PublicIP),
		Ratio:    sp.weight,
		Enabled:  true,
		Cluster:  t.Site,
	}
	pm.ID = memberID(pm)
	return poolMember{Member: pm, priority: sp.priority}
}

// clusterSplit is the weight and priority of a cluster's members: the
// GSLBHostRule's trafficSplit entry, else the GDP's, else 1 and 10.
func (ix *index) clusterSplit(ghr *amkov1alpha1.GSLBHostRuleSpec, cluster string) split {
	if sp, ok := ghrSplit(ghr, cluster); ok {
		return sp
	}
	if ix.gdp != nil {
		for _, e := range ix.gdp.TrafficSplit {
			if e.Cluster == cluster {
				return split{weight: weightOrDefault(e.Weight), priority: deref(e.Priority, defaultPriority)}
			}
		}
	}
	return split{weight: defaultWeight, priority: defaultPriority}
}

// ghrSplit is the GSLBHostRule's trafficSplit entry for a cluster or site.
func ghrSplit(ghr *amkov1alpha1.GSLBHostRuleSpec, cluster string) (split, bool) {
	if ghr == nil {
		return split{}, false
	}
	for _, e := range ghr.TrafficSplit {
		if e.Cluster == cluster {
			return split{weight: weightOrDefault(e.Weight), priority: deref(e.Priority, defaultGHRPriority)}, true
		}
	}
	return split{}, false
}

// poolAlgorithm is the pool settings of the GSLBHostRule, else the GDP's, else
// round robin.
func (ix *index) poolAlgorithm(ghr *amkov1alpha1.GSLBHostRuleSpec) gslb.Pool {
	var s *amkov1alpha1.PoolAlgorithmSettings
	switch {
	case ghr != nil && ghr.PoolAlgorithmSettings != nil:
		s = ghr.PoolAlgorithmSettings
	case ix.gdp != nil:
		s = ix.gdp.PoolAlgorithmSettings
	}
	p := gslb.Pool{Algorithm: gslb.RoundRobin}
	if s == nil || s.LBAlgorithm == "" {
		return p
	}
	p.Algorithm = gslb.Algorithm(s.LBAlgorithm)
	switch s.LBAlgorithm {
	case amkov1alpha1.PoolAlgorithmConsistentHash:
		p.HashMask = deref(s.HashMask, 0)
	case amkov1alpha1.PoolAlgorithmGeo:
		if f := s.FallbackAlgorithm; f != nil {
			p.Fallback = gslb.Algorithm(f.LBAlgorithm)
			if f.LBAlgorithm == amkov1alpha1.FallbackAlgorithm(amkov1alpha1.PoolAlgorithmConsistentHash) {
				p.FallbackHashMask = deref(f.HashMask, 0)
			}
		}
	}
	return p
}

// memberID is the member's identity for consistent hashing: the Avi virtual
// service when known, else the address.
func memberID(m gslb.Member) string {
	if m.ClusterUUID != "" && m.VSUUID != "" {
		return m.ClusterUUID + "/" + m.VSUUID
	}
	return m.IP.String()
}

// parseAddr parses an address the policy validated; "" and invalid give the zero
// Addr (no address).
func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// weightOrDefault maps an unset weight (the CRD defaults it) to 1.
func weightOrDefault(w uint32) uint32 {
	if w == 0 {
		return defaultWeight
	}
	return w
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// memberDown says why a selected record's member is written disabled: its
// cluster lost for longer than the GSLBConfig allows (the registry only says
// so when it is configured), or, where endpoint health is on, no ready
// endpoint behind it. "" when it is enabled.
func (ix *index) memberDown(ghr *amkov1alpha1.GSLBHostRuleSpec, r sources.Record) string {
	if r.ClusterLost != "" {
		return r.ClusterLost
	}
	if r.NoEndpoints != "" && ix.endpointHealth(ghr) {
		return r.NoEndpoints
	}
	return ""
}

// endpointHealth reports whether members follow their EndpointSlices: as the
// GSLBHostRule's endpointHealth says, else the GDP's, else on with the
// built-in DNS backend (address-only members), which has no controller's
// monitors to defer to, and off with an Avi Controller, as AMKO leaves
// health to its monitors.
func (ix *index) endpointHealth(ghr *amkov1alpha1.GSLBHostRuleSpec) bool {
	if ghr != nil && ghr.EndpointHealth != nil {
		return ghr.EndpointHealth.Enabled
	}
	if ix.gdp != nil && ix.gdp.EndpointHealth != nil && ix.gdp.EndpointHealth.Enabled != nil {
		return *ix.gdp.EndpointHealth.Enabled
	}
	return ix.policy.AddressOnly
}
