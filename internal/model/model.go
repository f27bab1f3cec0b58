// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package model computes the desired GSLB services from what the member clusters
// offer and the effective policy: (records, namespaces, host rules, policy) →
// []gslb.Service, following AMKO 2.2.1 (amko.md §2.4–§2.10).
//
// Build is a pure, deterministic function: it does no I/O, keeps no state (a
// Memo, given to BuildWith, only saves work), does not modify its input, and gives equal output for the same input in any order
// of its slices. Every choice AMKO leaves to map iteration or event order is made
// here by a fixed order instead; the places are noted where they are made.
package model

import (
	"cmp"
	"maps"
	"reflect"
	"slices"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

// Input is everything the desired state depends on.
type Input struct {
	Policy  *policy.Policy
	Records []sources.Record
	// Groups are more records, grouped by the application object they come
	// from: BuildWith decides again only on the groups whose slice is not one
	// it was given the last time. A group's slice must therefore never be
	// modified once handed in: a changed object gets a new slice.
	Groups     [][]sources.Record
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
func Build(in Input) []*gslb.Service { return BuildWith(in, nil) }

// Memo keeps what the previous BuildWith found, so that the next one redoes
// only what its input changed: between two passes little does, and deciding
// on every record and building every service is most of a pass at scale. The
// services it hands out again are shared: callers must not modify them. The
// zero value is ready; a Memo is not for concurrent use.
type Memo struct {
	policy  *policy.Policy // the policy the entries were built under
	entries map[serviceKey]memoEntry
	// sel is the selection of the last build's groups, nil when it cannot
	// be reused (the last build had loose Records).
	sel *selectionMemo
}

type memoEntry struct {
	members []member
	aliases []string
	service *gslb.Service
}

// BuildWith is Build reusing, through memo (nil: none), the decisions on
// every group of records it was given before (while the policy, namespaces
// and HostRules are equal), and every service whose members, aliases and
// policy are equal to the previous build's. The result is equal to Build's.
func BuildWith(in Input, memo *Memo) []*gslb.Service {
	ix := newIndex(in)
	if memo != nil && len(in.Records) == 0 {
		return memo.buildGroups(ix, in)
	}
	records := in.Records
	if len(in.Groups) > 0 {
		records = flatten(in)
	}
	_, groups := ix.selectAll(records, false)
	var prev map[serviceKey]memoEntry
	if memo != nil {
		// A service depends on the whole policy; members and aliases are
		// compared one by one below.
		if memo.policy != nil && in.Policy != nil && reflect.DeepEqual(memo.policy, in.Policy) {
			prev = memo.entries
		}
		memo.policy, memo.entries, memo.sel = in.Policy, make(map[serviceKey]memoEntry, len(groups)), nil
	}

	keys := make([]serviceKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)

	aliases := ix.assignAliases(keys)
	services := make([]*gslb.Service, 0, len(keys))
	for _, k := range keys {
		members, als := groups[k], aliases[k]
		var svc *gslb.Service
		if e, ok := prev[k]; ok && slices.Equal(e.aliases, als) && slices.EqualFunc(e.members, members, sameMember) {
			svc = e.service
		} else {
			svc = ix.service(k, members, als)
			locate(svc, in.Policy)
		}
		if memo != nil {
			memo.entries[k] = memoEntry{members: members, aliases: als, service: svc}
		}
		services = append(services, svc)
	}
	return services
}

// flatten is every record of in, loose and grouped.
func flatten(in Input) []sources.Record {
	n := len(in.Records)
	for _, g := range in.Groups {
		n += len(g)
	}
	out := make([]sources.Record, 0, n)
	out = append(out, in.Records...)
	for _, g := range in.Groups {
		out = append(out, g...)
	}
	return out
}

// sameMember reports whether two members are equal in every field.
func sameMember(a, b member) bool {
	ra, rb := a.Record, b.Record
	return a.syncVIPOnly == b.syncVIPOnly && a.tls == b.tls &&
		ra.Cluster == rb.Cluster && ra.Kind == rb.Kind && ra.Namespace == rb.Namespace && ra.Name == rb.Name &&
		ra.Host == rb.Host && ra.IP == rb.IP && maps.Equal(ra.Labels, rb.Labels) && slices.Equal(ra.Paths, rb.Paths) &&
		ra.TLS == rb.TLS && ra.Passthrough == rb.Passthrough && ra.Port == rb.Port && ra.Protocol == rb.Protocol &&
		ra.VSUUID == rb.VSUUID && ra.ControllerUUID == rb.ControllerUUID && ra.Tenant == rb.Tenant &&
		ra.NoEndpoints == rb.NoEndpoints && ra.ClusterLost == rb.ClusterLost
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
	decisions, _ := newIndex(in).selectAll(flatten(in), true)
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
	if explain {
		for _, r := range sortedRecords(records) {
			sel, reason := ix.selectRecord(*r)
			d := Decision{Record: *r, Reason: reason}
			if reason == "" {
				groups[sel.key] = append(groups[sel.key], sel.member)
				d.Selected, d.Service = true, sel.key.name
			}
			decisions = append(decisions, d)
		}
		return decisions, groups
	}
	// Each record is decided on its own, so only the order within a group
	// matters: sorting the groups, most of one member, is the same as sorting
	// all the records first, and much cheaper.
	for i := range records {
		if sel, reason := ix.selectRecord(records[i]); reason == "" {
			groups[sel.key] = append(groups[sel.key], sel.member)
		}
	}
	for _, g := range groups {
		if len(g) > 1 {
			slices.SortFunc(g, func(a, b member) int { return compareRecords(&a.Record, &b.Record) })
		}
	}
	return decisions, groups
}
