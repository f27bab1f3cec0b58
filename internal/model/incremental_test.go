// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

// Through random sequences of changes to objects (new, changed, gone), to
// namespaces, HostRules and the policy, a build from groups through a memo
// equals a build from scratch of the same records, and keeps the service
// objects of the services no change touched.
func TestBuildGroupsEqualsBuild(t *testing.T) {
	for seed := range uint64(10) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { groupsRun(t, seed) })
	}
}

func groupsRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	clusters := []string{"c0", "c1", "c2"}
	newPolicy := func() *policy.Policy {
		ttl := 30 * (1 + rng.IntN(2))
		p := &policy.Policy{UUID: "u", Tenant: "admin", Clusters: clusters[:2+rng.IntN(2)],
			GDP: &amkov1alpha2.GDPSpec{
				MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}},
				MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "c0"}, {Cluster: "c1"}, {Cluster: "c2"}},
			},
			HostRules: map[string]*amkov1alpha1.GSLBHostRuleSpec{"h1.example.com": {Fqdn: "h1.example.com", TTL: &ttl}},
		}
		if rng.IntN(3) == 0 {
			p.GDP.MatchRules.NamespaceSelector.Label = map[string]string{"gslb": "yes"}
		}
		return p
	}
	// An object has one or two hosts; hosts repeat across objects, so that
	// services have several members.
	objectGroup := func(i int) []sources.Record {
		var g []sources.Record
		for h := range 1 + rng.IntN(2) {
			host := fmt.Sprintf("h%d.example.com", (i+h*7)%15)
			r := sources.Record{Cluster: clusters[i%3], Kind: sources.KindIngress, Namespace: []string{"default", "team"}[i%2],
				Name: fmt.Sprintf("obj-%d", i), Host: host,
				IP:     netip.AddrFrom4([4]byte{10, byte(i % 3), byte(rng.IntN(2)), byte(i%5 + 1)}), // shared by objects: the first in order stays
				Labels: map[string]string{"app": []string{"gslb", "gslb", "gslb", "other"}[rng.IntN(4)]},
				Paths:  [][]string{{"/"}, {"/", "/a"}}[rng.IntN(2)], VSUUID: "vs-" + host, ControllerUUID: "cluster-1"}
			if rng.IntN(8) == 0 {
				r.NoEndpoints = "no ready endpoint"
			}
			if rng.IntN(10) == 0 {
				r.IP = netip.Addr{} // not selected
			}
			g = append(g, r)
		}
		return g
	}
	newNamespaces := func() []sources.Namespace {
		var out []sources.Namespace
		for _, c := range clusters {
			for _, n := range []string{"default", "team"} {
				ns := sources.Namespace{Cluster: c, Name: n, Labels: map[string]string{"gslb": []string{"yes", "no"}[rng.IntN(2)]}}
				if n == "team" && rng.IntN(2) == 0 {
					ns.Tenant = "t1"
				}
				out = append(out, ns)
			}
		}
		return out
	}
	newHostRules := func() []sources.HostRule {
		var out []sources.HostRule
		for range rng.IntN(3) {
			h := rng.IntN(15)
			hr := sources.HostRule{Cluster: clusters[rng.IntN(3)], Namespace: "default", Name: fmt.Sprintf("hr-%d", h),
				FQDN: fmt.Sprintf("h%d.example.com", h), TLS: rng.IntN(2) == 0}
			if rng.IntN(2) == 0 {
				// Aliases may name another service or collide between rules.
				hr.Aliases = []string{fmt.Sprintf("alias-%d.example.com", rng.IntN(3)), fmt.Sprintf("h%d.example.com", rng.IntN(15))}
			}
			out = append(out, hr)
		}
		return out
	}

	objects := map[int][]sources.Record{}
	for i := range 40 {
		objects[i] = objectGroup(i)
	}
	pol, nss, hrs := newPolicy(), newNamespaces(), []sources.HostRule(nil)
	input := func() Input {
		in := Input{Policy: pol, Namespaces: nss, HostRules: hrs}
		for _, g := range objects {
			in.Groups = append(in.Groups, g) // map order: random
		}
		return in
	}
	var memo Memo
	prev := BuildWith(input(), &memo)
	for step := range 200 {
		touched := map[string]bool{} // hosts of changed objects; nil: anything
		note := func(g []sources.Record) {
			for _, r := range g {
				if touched != nil {
					touched[r.Host] = true
				}
			}
		}
		for range 1 + rng.IntN(3) {
			i := rng.IntN(50)
			switch rng.IntN(12) {
			case 0:
				pol = newPolicy()
				touched = nil
			case 1:
				nss = newNamespaces()
				touched = nil
			case 2:
				hrs = newHostRules()
				touched = nil
			case 3, 4:
				note(objects[i])
				delete(objects, i)
			case 5:
				memo.Reselect() // as at a resync
				cp := *pol      // an equal policy in another object
				pol = &cp
			default:
				note(objects[i])
				objects[i] = objectGroup(i)
				note(objects[i])
			}
		}
		in := input()
		got := BuildWith(in, &memo)
		want := Build(Input{Policy: in.Policy, Records: flatten(in), Namespaces: in.Namespaces, HostRules: in.HostRules})
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d: the incremental build differs from a build from scratch:\n got %s\nwant %s", step, serviceNames(got), serviceNames(want))
		}
		if touched != nil && len(hrs) == 0 {
			for _, s := range got {
				if i := slices.IndexFunc(prev, func(p *gslb.Service) bool { return p.Name == s.Name && p.Tenant == s.Tenant }); i >= 0 &&
					!touched[s.Name] && prev[i] != s {
					t.Fatalf("step %d: %s was rebuilt though no object of it changed", step, s.Name)
				}
			}
		}
		prev = got
	}
}

func serviceNames(services []*gslb.Service) string {
	var out []string
	for _, s := range services {
		out = append(out, fmt.Sprintf("%s/%s:%d", s.Tenant, s.Name, len(s.Pools)))
	}
	return fmt.Sprint(out)
}

// A build after one object changed decides on that object's records only.
func TestBuildGroupsDecidesOnNewGroupsOnly(t *testing.T) {
	pol := &policy.Policy{UUID: "u", Tenant: "admin", Clusters: []string{"c0"},
		GDP: &amkov1alpha2.GDPSpec{
			MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}},
			MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "c0"}},
		}}
	rec := func(i int, ip byte) []sources.Record {
		host := fmt.Sprintf("h%d.example.com", i)
		return []sources.Record{{Cluster: "c0", Kind: sources.KindIngress, Namespace: "default", Name: fmt.Sprint(i), Host: host,
			IP: netip.AddrFrom4([4]byte{10, 0, 0, ip}), Labels: map[string]string{"app": "gslb"}, Paths: []string{"/"},
			VSUUID: "vs", ControllerUUID: "cu"}}
	}
	groups := [][]sources.Record{rec(0, 1), rec(1, 2), rec(2, 3)}
	var memo Memo
	first := BuildWith(Input{Policy: pol, Groups: groups}, &memo)
	groups[1] = rec(1, 9)
	second := BuildWith(Input{Policy: pol, Groups: groups}, &memo)
	if first[0] != second[0] || first[2] != second[2] || first[1] == second[1] {
		t.Fatal("expected only h1's service rebuilt")
	}
	if got := second[1].Pools[0].Members[0].IP.String(); got != "10.0.0.9" {
		t.Fatalf("h1's member is at %s", got)
	}
	if len(memo.sel.objs) != 3 {
		t.Fatalf("the memo keeps %d groups, want 3: the replaced one is forgotten", len(memo.sel.objs))
	}
	third := BuildWith(Input{Policy: pol, Groups: groups[:2]}, &memo)
	if len(third) != 2 || third[0] != second[0] || third[1] != second[1] || len(memo.sel.objs) != 2 {
		t.Fatal("a gone group's service should go, the others stay as they were")
	}
}
