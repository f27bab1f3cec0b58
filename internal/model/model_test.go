// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

// richInput exercises every rule at once: several tenants, kinds, priorities,
// aliases contested by two services, duplicate addresses, rejected records,
// third-party members at a shared address, and duplicate namespaces and
// HostRules.
func richInput() Input {
	p := basePolicy(
		withGDP(func(g *amkov1alpha2.GDPSpec) {
			g.MatchClusters = append(g.MatchClusters, amkov1alpha2.ClusterProperty{Cluster: "c3", SyncVipOnly: true})
			g.TrafficSplit = []amkov1alpha2.TrafficSplitElem{
				{Cluster: "c1", Weight: 3, Priority: ptr[uint32](20)},
				{Cluster: "c3", Weight: 2},
			}
			g.SitePersistenceRef = ptr("gap")
			g.DownResponse = &amkov1alpha1.DownResponse{Type: amkov1alpha1.DownResponseAllRecords}
		}),
		withGHR("b.com", func(s *amkov1alpha1.GSLBHostRuleSpec) {
			s.ThirdPartyMembers = []amkov1alpha1.ThirdPartyMember{
				{Site: "dc9", VIP: "198.51.100.1"}, {Site: "dc8", VIP: "198.51.100.1"}, {Site: "dc7", VIP: "2001:db8::7"},
			}
			s.TrafficSplit = []amkov1alpha1.TrafficSplitElem{{Cluster: "dc7", Weight: 4, Priority: ptr[uint32](20)}}
			s.PublicIP = []amkov1alpha1.PublicIPElem{{Cluster: "c2", IP: "203.0.113.2"}}
			s.HealthMonitorRefs = []string{"hm-b"}
		}),
		func(p *policy.Policy) { p.DefaultPKIProfile = "pki" },
	)
	return Input{
		Policy: p,
		Records: []sources.Record{
			ingress("c1", "a.com", "10.0.0.1", paths("/", "/cart")),
			ingress("c2", "a.com", "10.0.0.2", paths("/pay"), tls()),
			route("c3", "a.com", "10.0.0.1"),
			route("c3", "a.com", "10.0.0.3", named("rt2"), noUUIDs()),
			lbsvc("c1", "b.com", "10.0.1.1", 80, "TCP"),
			lbsvc("c2", "b.com", "10.0.1.2", 53, "UDP"),
			passthrough("c1", "c.com", "10.0.2.1"),
			ingress("c1", "d.com", "10.0.3.1", inNS("team"), tenant("t1")),
			ingress("c2", "d.com", "10.0.3.2", inNS("team"), tenant("t1")),
			ingress("c2", "d.com", "10.0.3.3", inNS("other"), tenant("t9")),
			ingress("c1", "e.com", "10.0.4.1", labels("app", "no")),
			ingress("c2", "f.com", "10.0.5.1", noUUIDs()),
			ingress("c3", "g.com", "", noUUIDs()),
		},
		Namespaces: []sources.Namespace{
			namespace("c1", "team", "t1"), namespace("c2", "team", "t1"), namespace("c2", "other", "t2"),
			namespace("c1", "default", ""), namespace("c1", "default", "", "dup", "yes"),
		},
		HostRules: []sources.HostRule{
			{Cluster: "c1", Namespace: "default", Name: "a", FQDN: "a.com", Aliases: []string{"shared.com", "a-alias.com"}},
			{Cluster: "c2", Namespace: "default", Name: "b", FQDN: "b.com", Aliases: []string{"shared.com", "a.com"}},
			{Cluster: "c2", Namespace: "x", Name: "b", FQDN: "b.com", Aliases: []string{"b-alias.com"}, TLS: true},
			{Cluster: "c1", Namespace: "team", Name: "d", FQDN: "d.com", Aliases: []string{"shared.com", "d-alias.com"}},
		},
	}
}

func TestDeterminism(t *testing.T) {
	want := Build(richInput())
	wantDecisions := Explain(richInput())
	if len(want) != 4 {
		t.Fatalf("built %v, want 4 services", names(want))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		in := richInput()
		shuffle(rng, in.Records)
		shuffle(rng, in.Namespaces)
		shuffle(rng, in.HostRules)
		shuffle(rng, in.Policy.HostRules["b.com"].ThirdPartyMembers)
		if got := Explain(in); !reflect.DeepEqual(got, wantDecisions) {
			t.Fatalf("shuffle %d: Explain =\n%s\nwant\n%s", i, dump(got), dump(wantDecisions))
		}
		// The order within a record's paths and a HostRule's aliases does not
		// matter either (decisions carry the records as given, so only Build).
		for j := range in.Records {
			shuffle(rng, in.Records[j].Paths)
		}
		for j := range in.HostRules {
			shuffle(rng, in.HostRules[j].Aliases)
		}
		if got := Build(in); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d: Build =\n%s\nwant\n%s", i, dump(got), dump(want))
		}
	}
}

func shuffle[T any](rng *rand.Rand, s []T) {
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// TestRichInput pins the outcome of richInput's contested choices.
func TestRichInput(t *testing.T) {
	svcs := byName(t, richInput())

	domains := map[string][]string{}
	for k, s := range svcs {
		domains[k] = s.DomainNames
	}
	wantDomains := map[string][]string{
		"admin/a.com": {"a.com", "a-alias.com", "shared.com"},
		"admin/b.com": {"b.com", "b-alias.com"},
		"admin/c.com": {"c.com"},
		"t1/d.com":    {"d.com", "d-alias.com"},
	}
	if !reflect.DeepEqual(domains, wantDomains) {
		t.Errorf("domain names = %v, want %v", domains, wantDomains)
	}

	a := svcs["admin/a.com"]
	if got, want := members(a), []string{"20:c1:10.0.0.1:3", "10:c2:10.0.0.2:1", "10:c3:10.0.0.3:2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a.com members = %v, want %v (c3's duplicate address dropped)", got, want)
	}
	if want := (&gslb.SitePersistence{ProfileRef: "gap", PKIProfileRef: "pki"}); !reflect.DeepEqual(a.SitePersistence, want) {
		t.Errorf("a.com site persistence = %+v, want %+v", a.SitePersistence, want)
	}
	if want := "INGRESS/c1/default/ing/a.com,INGRESS/c2/default/ing/a.com,ROUTE/c3/default/rt,ROUTE/c3/default/rt2"; a.Description != want {
		t.Errorf("a.com description = %q, want %q", a.Description, want)
	}

	b := svcs["admin/b.com"]
	if got, want := members(b), []string{"20:c1:10.0.1.1:3", "20:dc7:2001:db8::7:4", "10:c2:10.0.1.2:1", "1:dc8:198.51.100.1:1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("b.com members = %v, want %v", got, want)
	}
	if b.HealthMonitors != nil || !reflect.DeepEqual(b.HealthMonitorRefs, []string{"hm-b"}) {
		t.Errorf("b.com monitors = %v, refs %v; want refs [hm-b] only", b.HealthMonitors, b.HealthMonitorRefs)
	}
	if b.SitePersistence == nil {
		t.Errorf("b.com: a TLS HostRule in the member's cluster should enable site persistence")
	}

	if c := svcs["admin/c.com"]; c.SitePersistence != nil || len(c.HealthMonitors) != 1 || !c.HealthMonitors[0].Shared {
		t.Errorf("c.com = %+v, want one shared monitor and no site persistence", c)
	}
	if got, want := members(svcs["t1/d.com"]), []string{"20:c1:10.0.3.1:3", "10:c2:10.0.3.2:1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("d.com members = %v, want %v", got, want)
	}

	selected := 0
	for _, d := range Explain(richInput()) {
		if d.Selected {
			selected++
		}
	}
	if selected != 9 {
		t.Errorf("selected %d records, want 9", selected)
	}
}

func TestBuildOrderAndPurity(t *testing.T) {
	in := richInput()
	svcs := Build(in)
	if !slices.IsSortedFunc(svcs, func(a, b *gslb.Service) int {
		return compareKeys(serviceKey{a.Tenant, a.Name}, serviceKey{b.Tenant, b.Name})
	}) {
		t.Errorf("services not sorted by (tenant, name): %v", names(svcs))
	}
	if !reflect.DeepEqual(in, richInput()) {
		t.Errorf("Build modified its input")
	}

	// Explain lists every record once, in a fixed order.
	ds := Explain(in)
	if len(ds) != len(in.Records) {
		t.Fatalf("%d decisions for %d records", len(ds), len(in.Records))
	}
	for i := 1; i < len(ds); i++ {
		a, b := ds[i-1].Record, ds[i].Record
		if a.Cluster > b.Cluster || (a.Cluster == b.Cluster && a.Kind > b.Kind) {
			t.Errorf("decisions out of order at %d: %s/%s before %s/%s", i, a.Cluster, a.Kind, b.Cluster, b.Kind)
		}
	}
	if !reflect.DeepEqual(in, richInput()) {
		t.Errorf("Explain modified its input")
	}
}

func TestBuildEmpty(t *testing.T) {
	for name, in := range map[string]Input{
		"zero input":    {},
		"no records":    {Policy: basePolicy()},
		"nothing taken": {Policy: basePolicy(), Records: []sources.Record{ingress("c3", "a.com", "10.0.0.1")}},
	} {
		if got := Build(in); len(got) != 0 {
			t.Errorf("%s: built %v", name, names(got))
		}
	}
}

// Sites placed by the policy place their members, for the geo algorithm.
func TestLocations(t *testing.T) {
	pol := basePolicy()
	pol.Locations = map[string]gslb.Location{"c1": {Latitude: 1, Longitude: 2}}
	services := Build(Input{Policy: pol, Records: []sources.Record{
		ingress("c1", "a.com", "10.0.0.1"), ingress("c2", "a.com", "10.0.0.2"),
	}})
	if len(services) != 1 {
		t.Fatalf("services: %d", len(services))
	}
	for _, m := range services[0].Pools[0].Members {
		switch {
		case m.Cluster == "c1" && (m.Location == nil || *m.Location != (gslb.Location{Latitude: 1, Longitude: 2})):
			t.Errorf("member of c1 at %v", m.Location)
		case m.Cluster == "c2" && m.Location != nil:
			t.Errorf("member of the unplaced c2 at %v", m.Location)
		}
	}
}
