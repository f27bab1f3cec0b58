// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package model computes the desired GSLB services from what the member clusters
// offer and the effective policy: (records, namespaces, host rules, policy) →
// []gslb.Service, following AMKO 2.2.1 (amko.md §2.4–§2.10).
//
// Build is a pure, deterministic function: it does no I/O, keeps no state, does
// not modify its input, and gives equal output for the same input in any order
// of its slices. Every choice AMKO leaves to map iteration or event order is made
// here by a fixed order instead; the places are noted where they are made.
package model

import (
	"cmp"
	"slices"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

// Input is everything the desired state depends on.
type Input struct {
	Policy     *policy.Policy
	Records    []sources.Record
	Namespaces []sources.Namespace
	HostRules  []sources.HostRule
}

// Decision says whether a record is selected and, if not, why (for status,
// events and debugging).
type Decision struct {
	Record   sources.Record
	Selected bool
	// Reason says why the record was not selected; empty when it was.
	Reason string
	// Service is the name of the GSLB service the record is a member of, when
	// selected.
	Service string
}

// Build returns the desired services sorted by (Tenant, Name). Pure and
// deterministic: the same input (in any order of its slices) gives equal output.
func Build(in Input) []*gslb.Service {
	ix := newIndex(in)
	_, groups := ix.selectAll(in.Records, false)

	keys := make([]serviceKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)

	aliases := ix.assignAliases(keys)
	services := make([]*gslb.Service, 0, len(keys))
	for _, k := range keys {
		svc := ix.service(k, groups[k], aliases[k])
		locate(svc, in.Policy)
		services = append(services, svc)
	}
	return services
}

// locate places members at their site's location, for the geo algorithm.
func locate(svc *gslb.Service, pol *policy.Policy) {
	if pol == nil || len(pol.Locations) == 0 {
		return
	}
	for p := range svc.Pools {
		for m := range svc.Pools[p].Members {
			if loc, ok := pol.Locations[svc.Pools[p].Members[m].Cluster]; ok {
				svc.Pools[p].Members[m].Location = &loc
			}
		}
	}
}

// Explain returns one decision per record, in a fixed order (by cluster, kind,
// namespace, name and host).
func Explain(in Input) []Decision {
	decisions, _ := newIndex(in).selectAll(in.Records, true)
	return decisions
}

// serviceKey identifies a service: the same name in two tenants is two services.
type serviceKey struct{ tenant, name string }

func compareKeys(a, b serviceKey) int {
	return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.name, b.name))
}

// member is a selected record with what selection learnt about it.
type member struct {
	sources.Record
	syncVIPOnly bool
	tls         bool // the record's own TLS flag or its HostRule's
}

// selectAll decides on every record, in a fixed order, and groups the selected
// ones by service; it returns the decisions too when explain is set.
func (ix *index) selectAll(records []sources.Record, explain bool) ([]Decision, map[serviceKey][]member) {
	var decisions []Decision
	if explain {
		decisions = make([]Decision, 0, len(records))
	}
	groups := make(map[serviceKey][]member, len(records))
	for _, r := range sortedRecords(records) {
		sel, reason := ix.selectRecord(*r)
		if reason == "" {
			groups[sel.key] = append(groups[sel.key], sel.member)
		}
		if explain {
			d := Decision{Record: *r, Reason: reason}
			if reason == "" {
				d.Selected, d.Service = true, sel.key.name
			}
			decisions = append(decisions, d)
		}
	}
	return decisions, groups
}
