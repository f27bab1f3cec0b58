// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"net/netip"
	"slices"
	"strings"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
)

// service builds the service k from its selected members (amko.md §2.5–§2.8).
func (ix *index) service(k serviceKey, members []member, aliases []string) *gslb.Service {
	ghr := ix.ghr(k.name)
	hm := ix.monitorPolicy(ghr)
	s := &gslb.Service{
		Name:          k.name,
		DomainNames:   append([]string{k.name}, aliases...),
		Enabled:       true,
		TTL:           ix.ttl(ghr),
		UseECS:        true,
		WildcardMatch: false,
		MinMembers:    0,
		Pools:         ix.pools(ghr, members, hm.minUp()),
		Down:          ix.downResponse(ghr),
		Tenant:        k.tenant,
		Description:   description(members),
	}
	if slices.ContainsFunc(members, func(m member) bool { return m.tls }) {
		s.SitePersistence = ix.sitePersistence(ghr)
	}
	s.HealthMonitors, s.HealthMonitorRefs = ix.monitors(k.name, members, hm)
	return s
}

// assignAliases gives each service the aliases its HostRules name (amko.md §2.5):
// in default mode those of the HostRules for its local FQDN, in custom FQDN mode
// those of the HostRules mapping to it with includeAliases. A domain name belongs
// to one service only: an alias that is another service's name, or that an
// earlier service in (tenant, name) order already has, is dropped (AMKO drops the
// later one in event order, with an error log).
func (ix *index) assignAliases(keys []serviceKey) map[serviceKey][]string {
	names := make(map[string]bool, len(keys))
	for _, k := range keys {
		names[k.name] = true
	}
	claimed := make(map[string]bool)
	out := make(map[serviceKey][]string, len(keys))
	for _, k := range keys {
		var candidates []string
		for _, hr := range ix.hostRules {
			if ix.policy.CustomGlobalFQDN {
				if hr.GlobalFQDN == k.name && hr.IncludeAliases {
					candidates = append(candidates, hr.Aliases...)
				}
			} else if hr.FQDN == k.name {
				candidates = append(candidates, hr.Aliases...)
			}
		}
		slices.Sort(candidates)
		candidates = slices.Compact(candidates)
		var aliases []string
		for _, a := range candidates {
			if a == "" || names[a] || claimed[a] {
				continue
			}
			claimed[a] = true
			aliases = append(aliases, a)
		}
		out[k] = aliases
	}
	return out
}

// ttl is the GSLBHostRule's TTL, else the GDP's, else none (the DNS profile's).
func (ix *index) ttl(ghr *amkov1alpha1.GSLBHostRuleSpec) *uint32 {
	var t *int
	switch {
	case ghr != nil && ghr.TTL != nil:
		t = ghr.TTL
	case ix.gdp != nil:
		t = ix.gdp.TTL
	}
	if t == nil || *t < 0 {
		return nil
	}
	v := uint32(*t)
	return &v
}

// sitePersistence applies to TLS services only (the caller checks): a
// GSLBHostRule's sitePersistence block decides when present (disabled turns it
// off whatever the GDP says), else the GDP's sitePersistenceRef. The PKI profile
// is the GSLBHostRule's, else the GDP's, else the controller's default.
func (ix *index) sitePersistence(ghr *amkov1alpha1.GSLBHostRuleSpec) *gslb.SitePersistence {
	var profile string
	var pki *string
	switch {
	case ghr != nil && ghr.SitePersistence != nil:
		if !ghr.SitePersistence.Enabled {
			return nil
		}
		profile = ghr.SitePersistence.ProfileRef
		pki = ghr.SitePersistence.PKIProfileRef
	case ix.gdp != nil && ix.gdp.SitePersistenceRef != nil:
		profile = *ix.gdp.SitePersistenceRef
	}
	if profile == "" {
		return nil
	}
	if (pki == nil || *pki == "") && ix.gdp != nil {
		pki = ix.gdp.PKIProfileRef
	}
	sp := &gslb.SitePersistence{ProfileRef: profile, PKIProfileRef: ix.policy.DefaultPKIProfile}
	if pki != nil && *pki != "" {
		sp.PKIProfileRef = *pki
	}
	return sp
}

// downResponse is the GSLBHostRule's, else the GDP's, else none.
func (ix *index) downResponse(ghr *amkov1alpha1.GSLBHostRuleSpec) gslb.DownResponse {
	var dr *amkov1alpha1.DownResponse
	switch {
	case ghr != nil && ghr.DownResponse != nil:
		dr = ghr.DownResponse
	case ix.gdp != nil:
		dr = ix.gdp.DownResponse
	}
	if dr == nil {
		return gslb.DownResponse{}
	}
	out := gslb.DownResponse{Type: gslb.DownResponseType(dr.Type)}
	if dr.Type != amkov1alpha1.DownResponseFallbackIP {
		return out
	}
	// Beyond AMKO, which always sends the fallback address as V4: an IPv6
	// fallback is answered to AAAA queries.
	if ip, err := netip.ParseAddr(dr.FallbackIP); err == nil {
		ip = ip.Unmap()
		if ip.Is4() {
			out.FallbackIP = ip
		} else {
			out.FallbackIP6 = ip
		}
	}
	return out
}

// description names the application objects behind the service, as AMKO writes
// it: "<KIND>/<cluster>/<namespace>/<object>" comma-joined (sorted here, in event
// order in AMKO).
func description(members []member) string {
	objs := make([]string, 0, len(members))
	for _, m := range members {
		objs = append(objs, string(m.Kind)+"/"+m.Cluster+"/"+m.Namespace+"/"+m.ObjectName())
	}
	slices.Sort(objs)
	return strings.Join(slices.Compact(objs), ",")
}
