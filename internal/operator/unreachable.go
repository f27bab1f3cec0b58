// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"net/netip"
	"slices"
	"time"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/members"
)

// reachTracker remembers, for the writes since this amko last became able to
// write, which member clusters have been unreachable since before then.
type reachTracker struct {
	writable time.Time
	// since is when each unreachable cluster was first seen so in a pass;
	// zero: already at the first pass after writable.
	since map[string]time.Time
}

// unreachableBeforeWriting returns the member clusters unreachable now that
// were already unreachable when this amko began writing. Their last known
// objects may be older than the controller's copy, which another writer made
// while this amko could not see them. A cluster lost while this amko writes
// is not among them: its cache was current, and this amko wrote from it.
func (o *Operator) unreachableBeforeWriting() map[string]bool {
	o.mu.Lock()
	writable := o.writable
	o.mu.Unlock()
	t := &o.reach
	first := !t.writable.Equal(writable) || t.since == nil
	if first {
		t.writable, t.since = writable, map[string]time.Time{}
	}
	now := time.Now()
	out := map[string]bool{}
	for _, st := range o.members.Status() {
		if st.State != members.Unreachable {
			delete(t.since, st.Cluster)
			continue
		}
		since, ok := t.since[st.Cluster]
		if !ok {
			if !first {
				since = now
			}
			t.since[st.Cluster] = since
		}
		if since.IsZero() {
			out[st.Cluster] = true
		}
	}
	return out
}

// keepControllerAddresses returns desired with the address of every member
// whose cluster this amko cannot reach now (unreachable) taken from the
// controller's copy of the service, matched by the member's virtual service,
// where the two differ. For such a cluster this amko knows only the last
// addresses its cache saw, and the controller's copy may be fresher: it was
// written by a leader that reached the cluster later (a site cut off keeps
// writing changes in its own cluster until its term lapses; a follower
// promoted by hand or elected never saw them). Writing the cache's address
// back would take a working site out of DNS. Everything else (weights,
// whether a member is enabled, the pools) stays amko's decision; a member
// the controller does not hold is written as amko knows it. desired is not
// modified: changed services are copies.
func keepControllerAddresses(desired []*gslb.Service, unreachable map[string]bool,
	observed func(tenant, name string) (*gslb.Service, bool)) (out []*gslb.Service, kept int) {
	if len(unreachable) == 0 {
		return desired, 0
	}
	out = desired
	for i, s := range desired {
		if !hasMemberOf(s, unreachable) {
			continue
		}
		obs, ok := observed(s.Tenant, s.Name)
		if !ok {
			continue
		}
		type addrs struct{ ip, public netip.Addr }
		held := map[string]addrs{}
		for _, p := range obs.Pools {
			for _, m := range p.Members {
				if m.VSUUID != "" {
					held[m.VSUUID] = addrs{m.IP, m.PublicIP}
				}
			}
		}
		var cp *gslb.Service
		for pi, p := range s.Pools {
			for mi, m := range p.Members {
				a, ok := held[m.VSUUID]
				if !unreachable[m.Cluster] || m.VSUUID == "" || !ok || (a.ip == m.IP && a.public == m.PublicIP) {
					continue
				}
				if cp == nil {
					c := *s
					c.Pools = slices.Clone(s.Pools)
					cp = &c
				}
				if &cp.Pools[pi].Members[0] == &s.Pools[pi].Members[0] {
					cp.Pools[pi].Members = slices.Clone(p.Members)
				}
				cp.Pools[pi].Members[mi].IP, cp.Pools[pi].Members[mi].PublicIP = a.ip, a.public
				kept++
			}
		}
		if cp != nil {
			if &out[0] == &desired[0] {
				out = slices.Clone(desired)
			}
			out[i] = cp
		}
	}
	return out, kept
}

func hasMemberOf(s *gslb.Service, clusters map[string]bool) bool {
	for _, p := range s.Pools {
		for _, m := range p.Members {
			if clusters[m.Cluster] {
				return true
			}
		}
	}
	return false
}
