// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"maps"
	"reflect"
	"slices"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/sources"
)

// selectionMemo is the selection of the last build's groups of records, kept
// so that the next build decides only on the groups that are new (a changed
// object's group is a new slice) and forgets those that are gone, and then
// builds only the services whose members those touched. Valid while the
// policy, namespaces and HostRules the decisions depend on are equal.
type selectionMemo struct {
	namespaces []sources.Namespace // as the index sorted them
	hostRules  []sources.HostRule
	// objs are the groups, by their slice's first record.
	objs map[*sources.Record]*groupState
	// groups are the selected members by service.
	groups map[serviceKey][]owned
	// order is the last build's services, sorted by key.
	order []keyed
	// aliases are the last assignment's, nil when no HostRule has aliases.
	aliases map[serviceKey][]string
	gen     uint64
}

// groupState is one group's: its length, the services its selected records
// went to, and the last build that was given it.
type groupState struct {
	n    int
	keys []serviceKey
	gen  uint64
}

// owned is a selected member with the group it comes from.
type owned struct {
	member
	from *sources.Record
}

type keyed struct {
	key serviceKey
	svc *gslb.Service
}

// Reselect makes the next build decide on every record again, as if the
// memo held no selection, while still reusing the services that come out
// equal. The operator calls it at each periodic resync: a pass then compares
// everything, what the memo kept included.
func (memo *Memo) Reselect() { memo.sel = nil }

// sameIndex reports whether ix holds the namespaces and HostRules the memo's
// decisions were made with.
func (m *selectionMemo) sameIndex(ix *index) bool {
	return slices.EqualFunc(m.namespaces, ix.namespaceList, func(a, b sources.Namespace) bool {
		return a.Cluster == b.Cluster && a.Name == b.Name && a.Tenant == b.Tenant && maps.Equal(a.Labels, b.Labels)
	}) && slices.EqualFunc(m.hostRules, ix.hostRules, func(a, b sources.HostRule) bool {
		return a.Cluster == b.Cluster && a.Namespace == b.Namespace && a.Name == b.Name && a.FQDN == b.FQDN &&
			slices.Equal(a.Aliases, b.Aliases) && a.GlobalFQDN == b.GlobalFQDN && a.IncludeAliases == b.IncludeAliases && a.TLS == b.TLS
	})
}

// buildGroups is BuildWith for an input of groups only.
func (memo *Memo) buildGroups(ix *index, in Input) []*gslb.Service {
	samePolicy := memo.policy != nil && in.Policy != nil && reflect.DeepEqual(memo.policy, in.Policy)
	sel := memo.sel
	fresh := sel == nil || !samePolicy || !sel.sameIndex(ix)
	prev := memo.entries
	if !samePolicy {
		prev = nil // a service depends on the whole policy
	}
	if fresh {
		sel = &selectionMemo{namespaces: ix.namespaceList, hostRules: ix.hostRules,
			objs: make(map[*sources.Record]*groupState, len(in.Groups)), groups: make(map[serviceKey][]owned, len(in.Groups))}
		memo.entries = make(map[serviceKey]memoEntry, len(in.Groups))
	}
	memo.policy, memo.sel = in.Policy, sel
	sel.gen++

	// Decide on the new groups; forget the gone ones.
	dirty := map[serviceKey]bool{}
	kept, before := 0, len(sel.objs)
	for _, g := range in.Groups {
		if len(g) == 0 {
			continue
		}
		first := &g[0]
		if st, ok := sel.objs[first]; ok {
			if st.gen == sel.gen {
				// The same slice twice: not what callers do; decide afresh.
				memo.sel = nil
				return BuildWith(Input{Policy: in.Policy, Records: flatten(in), Namespaces: in.Namespaces, HostRules: in.HostRules}, memo)
			}
			if st.n == len(g) {
				st.gen = sel.gen
				kept++
				continue
			}
			sel.drop(first, st, dirty) // modified in place, against the rules: decide again
			before--
		}
		st := &groupState{n: len(g), gen: sel.gen}
		for i := range g {
			if s, reason := ix.selectRecord(g[i]); reason == "" {
				sel.groups[s.key] = append(sel.groups[s.key], owned{member: s.member, from: first})
				st.keys = append(st.keys, s.key)
				dirty[s.key] = true
			}
		}
		sel.objs[first] = st
	}
	if kept < before {
		for first, st := range sel.objs {
			if st.gen != sel.gen {
				sel.drop(first, st, dirty)
			}
		}
	}

	// The services' order, and their aliases, which depend on every name.
	keysChanged := fresh
	for k := range dirty {
		_, found := sel.find(k)
		if found != (len(sel.groups[k]) > 0) {
			keysChanged = true
			break
		}
	}
	if keysChanged {
		if len(dirty) > len(sel.order)/8 || fresh {
			sel.order = sel.order[:0]
			for k := range sel.groups {
				sel.order = append(sel.order, keyed{key: k})
			}
			slices.SortFunc(sel.order, func(a, b keyed) int { return compareKeys(a.key, b.key) })
			for i := range sel.order {
				// Unchanged services: only the dirty ones are built below.
				sel.order[i].svc = memo.entries[sel.order[i].key].service
			}
		} else {
			for k := range dirty {
				i, found := sel.find(k)
				switch has := len(sel.groups[k]) > 0; {
				case has && !found:
					sel.order = slices.Insert(sel.order, i, keyed{key: k})
				case !has && found:
					sel.order = slices.Delete(sel.order, i, i+1)
				}
			}
		}
		if ix.hasAliases() {
			keys := make([]serviceKey, len(sel.order))
			for i := range sel.order {
				keys[i] = sel.order[i].key
			}
			aliases := ix.assignAliases(keys)
			for _, k := range keys {
				if !slices.Equal(aliases[k], sel.aliases[k]) {
					dirty[k] = true
				}
			}
			sel.aliases = aliases
		} else {
			sel.aliases = nil
		}
	}
	if fresh {
		for _, o := range sel.order {
			dirty[o.key] = true
		}
	}

	// Build the services whose members or aliases changed.
	for k := range dirty {
		i, found := sel.find(k)
		group := sel.groups[k]
		if !found {
			delete(memo.entries, k)
			continue
		}
		if len(group) > 1 {
			slices.SortFunc(group, func(a, b owned) int { return compareRecords(&a.Record, &b.Record) })
		}
		members := make([]member, len(group))
		for j := range group {
			members[j] = group[j].member
		}
		als := sel.aliases[k]
		var svc *gslb.Service
		if e, ok := prev[k]; ok && slices.Equal(e.aliases, als) && slices.EqualFunc(e.members, members, sameMember) {
			svc = e.service
		} else {
			svc = ix.service(k, members, als)
			locate(svc, in.Policy)
		}
		memo.entries[k] = memoEntry{members: members, aliases: als, service: svc}
		sel.order[i].svc = svc
	}
	services := make([]*gslb.Service, len(sel.order))
	for i := range sel.order {
		services[i] = sel.order[i].svc
	}
	return services
}

// find is where k is, or would be, in the order.
func (m *selectionMemo) find(k serviceKey) (int, bool) {
	return slices.BinarySearchFunc(m.order, k, func(o keyed, k serviceKey) int { return compareKeys(o.key, k) })
}

// drop forgets a group and its members, noting the services they were in.
func (m *selectionMemo) drop(first *sources.Record, st *groupState, dirty map[serviceKey]bool) {
	for _, k := range st.keys {
		dirty[k] = true
		g := slices.DeleteFunc(m.groups[k], func(o owned) bool { return o.from == first })
		if len(g) == 0 {
			delete(m.groups, k)
		} else {
			m.groups[k] = g
		}
	}
	delete(m.objs, first)
}
