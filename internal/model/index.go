// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

// index holds the input arranged for lookups. Where the input holds duplicates
// (two namespaces or HostRules with the same key) the first in a fixed order
// wins, so that the result does not depend on the order of the input slices.
type index struct {
	policy     *policy.Policy
	gdp        *amkov1alpha2.GDPSpec
	members    map[string]bool                         // the GSLBConfig's member clusters
	match      map[string]amkov1alpha2.ClusterProperty // the GDP's matchClusters by cluster
	namespaces map[clusterName]sources.Namespace
	// namespaceList are the namespaces sorted, hostRules the HostRules.
	namespaceList []sources.Namespace
	hostRules     []sources.HostRule                        // sorted
	globalFQDN    map[clusterName]string                    // (cluster, local FQDN) → global FQDN
	tlsHosts      map[clusterName]bool                      // (cluster, local FQDN) made TLS by a HostRule
	ghrs          map[string]*amkov1alpha1.GSLBHostRuleSpec // by service name
}

// clusterName is a name within one member cluster.
type clusterName struct{ cluster, name string }

func newIndex(in Input) *index {
	p := in.Policy
	if p == nil {
		p = &policy.Policy{}
	}
	ix := &index{
		policy:     p,
		gdp:        p.GDP,
		members:    make(map[string]bool, len(p.Clusters)),
		match:      make(map[string]amkov1alpha2.ClusterProperty),
		namespaces: make(map[clusterName]sources.Namespace, len(in.Namespaces)),
		globalFQDN: make(map[clusterName]string),
		tlsHosts:   make(map[clusterName]bool),
		ghrs:       p.HostRules,
	}
	for _, c := range p.Clusters {
		ix.members[c] = true
	}
	if ix.gdp != nil {
		for _, c := range ix.gdp.MatchClusters {
			if _, dup := ix.match[c.Cluster]; !dup {
				ix.match[c.Cluster] = c
			}
		}
	}

	nss := slices.Clone(in.Namespaces)
	slices.SortFunc(nss, func(a, b sources.Namespace) int {
		return orDump(a, b, cmp.Or(cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Tenant, b.Tenant)))
	})
	ix.namespaceList = nss
	for _, ns := range nss {
		k := clusterName{ns.Cluster, ns.Name}
		if _, dup := ix.namespaces[k]; !dup {
			ix.namespaces[k] = ns
		}
	}

	ix.hostRules = slices.Clone(in.HostRules)
	slices.SortFunc(ix.hostRules, func(a, b sources.HostRule) int {
		return orDump(a, b, cmp.Or(cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.Namespace, b.Namespace),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.FQDN, b.FQDN)))
	})
	for _, hr := range ix.hostRules {
		if hr.FQDN == "" {
			continue
		}
		k := clusterName{hr.Cluster, hr.FQDN}
		if _, dup := ix.globalFQDN[k]; !dup && hr.GlobalFQDN != "" {
			ix.globalFQDN[k] = hr.GlobalFQDN
		}
		if hr.TLS {
			ix.tlsHosts[k] = true
		}
	}
	return ix
}

// hasAliases reports whether a HostRule names aliases: without, every
// service has none.
func (ix *index) hasAliases() bool {
	return slices.ContainsFunc(ix.hostRules, func(hr sources.HostRule) bool { return len(hr.Aliases) > 0 })
}

// ghr is the accepted GSLBHostRule of the named service, or nil.
func (ix *index) ghr(name string) *amkov1alpha1.GSLBHostRuleSpec {
	return ix.ghrs[name]
}

// sortedRecords returns pointers to the records in a fixed order: by identity
// first, then by every other field, so that equal inputs in any order sort the
// same. Pointers, because records are large and moving them is most of the cost.
func sortedRecords(in []sources.Record) []*sources.Record {
	ptrs := make([]*sources.Record, len(in))
	for i := range in {
		ptrs[i] = &in[i]
	}
	// The order is total (ties broken by the JSON form), so an unstable sort
	// gives the same result as a stable one, faster.
	slices.SortFunc(ptrs, compareRecords)
	return ptrs
}

// compareRecords is the records' fixed order.
func compareRecords(a, b *sources.Record) int {
	return orDump(a, b, cmp.Or(
		cmp.Compare(a.Cluster, b.Cluster),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Host, b.Host),
		a.IP.Compare(b.IP),
	))
}

// orDump returns byKeys, or, for values equal in every key, the order of their
// JSON forms (maps marshal sorted): a total order on what the model reads. The
// JSON is made only for such ties, which are rare: sorting must stay cheap.
func orDump[T any](a, b T, byKeys int) int {
	if byKeys != 0 {
		return byKeys
	}
	return cmp.Compare(dump(a), dump(b))
}

func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}
