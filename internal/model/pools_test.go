// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"reflect"
	"strconv"
	"testing"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

func gdpSplit(elems ...amkov1alpha2.TrafficSplitElem) func(*policy.Policy) {
	return withGDP(func(g *amkov1alpha2.GDPSpec) { g.TrafficSplit = elems })
}

func ghrSplitOf(fqdn string, elems ...amkov1alpha1.TrafficSplitElem) func(*policy.Policy) {
	return withGHR(fqdn, func(s *amkov1alpha1.GSLBHostRuleSpec) { s.TrafficSplit = elems })
}

func poolNames(s *gslb.Service) []string {
	var out []string
	for _, p := range s.Pools {
		out = append(out, p.Name)
	}
	return out
}

func TestTrafficSplit(t *testing.T) {
	two := []sources.Record{ingress("c1", "a.com", "10.0.0.1"), ingress("c2", "a.com", "10.0.0.2")}
	tests := []struct {
		name      string
		policy    *policy.Policy
		records   []sources.Record
		wantPools []string
		want      []string // "<priority>:<cluster>:<ip>:<ratio>" in pool order
	}{
		{name: "defaults: weight 1, priority 10", policy: basePolicy(), records: two,
			wantPools: []string{"amko-gs-group-10"},
			want:      []string{"10:c1:10.0.0.1:1", "10:c2:10.0.0.2:1"}},
		{name: "GDP weights and priorities, pools by priority descending",
			policy: basePolicy(gdpSplit(
				amkov1alpha2.TrafficSplitElem{Cluster: "c1", Weight: 8, Priority: ptr[uint32](2)},
				amkov1alpha2.TrafficSplitElem{Cluster: "c2", Weight: 2, Priority: ptr[uint32](3)})),
			records: two, wantPools: []string{"amko-gs-group-3", "amko-gs-group-2"},
			want: []string{"3:c2:10.0.0.2:2", "2:c1:10.0.0.1:8"}},
		{name: "GDP same priority shares a pool",
			policy: basePolicy(gdpSplit(
				amkov1alpha2.TrafficSplitElem{Cluster: "c1", Weight: 8, Priority: ptr[uint32](5)},
				amkov1alpha2.TrafficSplitElem{Cluster: "c2", Weight: 2, Priority: ptr[uint32](5)})),
			records: two, wantPools: []string{"amko-gs-group-5"},
			want: []string{"5:c1:10.0.0.1:8", "5:c2:10.0.0.2:2"}},
		{name: "GDP missing priority means 10, missing weight 1",
			policy:  basePolicy(gdpSplit(amkov1alpha2.TrafficSplitElem{Cluster: "c1"})),
			records: two, wantPools: []string{"amko-gs-group-10"},
			want: []string{"10:c1:10.0.0.1:1", "10:c2:10.0.0.2:1"}},
		{name: "GDP priority 0 is a pool",
			policy:  basePolicy(gdpSplit(amkov1alpha2.TrafficSplitElem{Cluster: "c2", Weight: 3, Priority: ptr[uint32](0)})),
			records: two, wantPools: []string{"amko-gs-group-10", "amko-gs-group-0"},
			want: []string{"10:c1:10.0.0.1:1", "0:c2:10.0.0.2:3"}},
		{name: "cluster missing from the GDP split gets the defaults",
			policy:  basePolicy(gdpSplit(amkov1alpha2.TrafficSplitElem{Cluster: "c1", Weight: 4, Priority: ptr[uint32](20)})),
			records: two, wantPools: []string{"amko-gs-group-20", "amko-gs-group-10"},
			want: []string{"20:c1:10.0.0.1:4", "10:c2:10.0.0.2:1"}},
		{name: "GSLBHostRule over GDP, per cluster",
			policy: basePolicy(
				gdpSplit(amkov1alpha2.TrafficSplitElem{Cluster: "c1", Weight: 8, Priority: ptr[uint32](2)},
					amkov1alpha2.TrafficSplitElem{Cluster: "c2", Weight: 2, Priority: ptr[uint32](3)}),
				ghrSplitOf("a.com", amkov1alpha1.TrafficSplitElem{Cluster: "c1", Weight: 15, Priority: ptr[uint32](30)})),
			records: two, wantPools: []string{"amko-gs-group-30", "amko-gs-group-3"},
			want: []string{"30:c1:10.0.0.1:15", "3:c2:10.0.0.2:2"}},
		{name: "GSLBHostRule missing priority means 1",
			policy: basePolicy(
				gdpSplit(amkov1alpha2.TrafficSplitElem{Cluster: "c1", Weight: 8, Priority: ptr[uint32](2)}),
				ghrSplitOf("a.com", amkov1alpha1.TrafficSplitElem{Cluster: "c1", Weight: 6})),
			records: two, wantPools: []string{"amko-gs-group-10", "amko-gs-group-1"},
			want: []string{"10:c2:10.0.0.2:1", "1:c1:10.0.0.1:6"}},
		{name: "GSLBHostRule of another FQDN does not apply",
			policy:  basePolicy(ghrSplitOf("b.com", amkov1alpha1.TrafficSplitElem{Cluster: "c1", Weight: 6, Priority: ptr[uint32](7)})),
			records: two, wantPools: []string{"amko-gs-group-10"},
			want: []string{"10:c1:10.0.0.1:1", "10:c2:10.0.0.2:1"}},
		{name: "members de-duplicated by address, first in order stays",
			policy: basePolicy(gdpSplit(amkov1alpha2.TrafficSplitElem{Cluster: "c2", Weight: 9, Priority: ptr[uint32](9)})),
			records: []sources.Record{ingress("c2", "a.com", "10.0.0.1"), route("c1", "a.com", "10.0.0.1"),
				lbsvc("c1", "a.com", "10.0.0.1", 80, "TCP")},
			wantPools: []string{"amko-gs-group-10"},
			want:      []string{"10:c1:10.0.0.1:1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := only(t, Input{Policy: tc.policy, Records: tc.records})
			if got := poolNames(s); !reflect.DeepEqual(got, tc.wantPools) {
				t.Errorf("pools = %v, want %v", got, tc.wantPools)
			}
			if got := members(s); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("members = %v, want %v", got, tc.want)
			}
			for _, p := range s.Pools {
				if !p.Enabled || p.Name != poolNamePrefix+itoa(p.Priority) {
					t.Errorf("pool %+v: want enabled and named after its priority", p)
				}
				for _, m := range p.Members {
					if !m.Enabled {
						t.Errorf("member %+v not enabled", m)
					}
				}
			}
		})
	}
}

func itoa(u uint32) string { return strconv.FormatUint(uint64(u), 10) }

func TestThirdPartyMembers(t *testing.T) {
	tp := func(elems []amkov1alpha1.TrafficSplitElem, members ...amkov1alpha1.ThirdPartyMember) func(*policy.Policy) {
		return withGHR("a.com", func(s *amkov1alpha1.GSLBHostRuleSpec) {
			s.ThirdPartyMembers = members
			s.TrafficSplit = elems
		})
	}
	site := func(name, vip, public string) amkov1alpha1.ThirdPartyMember {
		return amkov1alpha1.ThirdPartyMember{Site: name, VIP: vip, PublicIP: public}
	}
	one := []sources.Record{ingress("c1", "a.com", "10.0.0.1")}
	tests := []struct {
		name    string
		policy  *policy.Policy
		records []sources.Record
		want    []gslb.Pool // only Name, Priority and Members compared
	}{
		{name: "default weight 1 and priority 1", policy: basePolicy(tp(nil, site("dc9", "198.51.100.1", ""))), records: one,
			want: []gslb.Pool{
				{Name: "amko-gs-group-10", Priority: 10, Members: []gslb.Member{k8s("c1", "10.0.0.1", 1)}},
				{Name: "amko-gs-group-1", Priority: 1, Members: []gslb.Member{third("dc9", "198.51.100.1", "", 1)}},
			}},
		{name: "weight and priority from the GSLBHostRule's split by site",
			policy: basePolicy(tp([]amkov1alpha1.TrafficSplitElem{{Cluster: "dc9", Weight: 5, Priority: ptr[uint32](10)}},
				site("dc9", "198.51.100.1", "203.0.113.1"), site("dc8", "2001:db8::8", ""))),
			records: one,
			want: []gslb.Pool{
				{Name: "amko-gs-group-10", Priority: 10, Members: []gslb.Member{
					k8s("c1", "10.0.0.1", 1), third("dc9", "198.51.100.1", "203.0.113.1", 5)}},
				{Name: "amko-gs-group-1", Priority: 1, Members: []gslb.Member{third("dc8", "2001:db8::8", "", 1)}},
			}},
		{name: "the GDP's split does not apply to sites",
			policy: basePolicy(gdpSplit(amkov1alpha2.TrafficSplitElem{Cluster: "dc9", Weight: 7, Priority: ptr[uint32](7)}),
				tp(nil, site("dc9", "198.51.100.1", ""))),
			records: one,
			want: []gslb.Pool{
				{Name: "amko-gs-group-10", Priority: 10, Members: []gslb.Member{k8s("c1", "10.0.0.1", 1)}},
				{Name: "amko-gs-group-1", Priority: 1, Members: []gslb.Member{third("dc9", "198.51.100.1", "", 1)}},
			}},
		{name: "a site at a Kubernetes member's address is dropped",
			policy:  basePolicy(tp(nil, site("dc9", "10.0.0.1", ""))),
			records: one,
			want: []gslb.Pool{
				{Name: "amko-gs-group-10", Priority: 10, Members: []gslb.Member{k8s("c1", "10.0.0.1", 1)}},
			}},
		{name: "no service from third-party members alone", policy: basePolicy(tp(nil, site("dc9", "198.51.100.1", ""))),
			records: []sources.Record{ingress("c3", "a.com", "10.0.0.1")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svcs := Build(Input{Policy: tc.policy, Records: tc.records})
			if tc.want == nil {
				if len(svcs) != 0 {
					t.Fatalf("built %v, want nothing", names(svcs))
				}
				return
			}
			if len(svcs) != 1 {
				t.Fatalf("built %v, want one service", names(svcs))
			}
			var got []gslb.Pool
			for _, p := range svcs[0].Pools {
				got = append(got, gslb.Pool{Name: p.Name, Priority: p.Priority, Members: p.Members})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("pools =\n%s\nwant\n%s", dump(got), dump(tc.want))
			}
		})
	}
}

// k8s is the member of a default ingress record in cluster.
func k8s(cluster, ip string, ratio uint32) gslb.Member {
	return gslb.Member{ID: "ctrl-" + cluster + "/vs-" + cluster + "-ing", IP: addr(ip), Ratio: ratio, Enabled: true,
		Cluster: cluster, ClusterUUID: "ctrl-" + cluster, VSUUID: "vs-" + cluster + "-ing"}
}

// third is the member of a third-party site.
func third(site, ip, public string, ratio uint32) gslb.Member {
	m := gslb.Member{ID: addr(ip).String(), IP: addr(ip), Ratio: ratio, Enabled: true, Cluster: site}
	if public != "" {
		m.PublicIP = addr(public)
	}
	return m
}

func TestPublicIPs(t *testing.T) {
	pub := func(fqdn string, elems ...amkov1alpha1.PublicIPElem) func(*policy.Policy) {
		return withGHR(fqdn, func(s *amkov1alpha1.GSLBHostRuleSpec) { s.PublicIP = elems })
	}
	records := []sources.Record{ingress("c1", "a.com", "10.0.0.1"), ingress("c2", "a.com", "fd00::2")}
	tests := []struct {
		name   string
		policy *policy.Policy
		want   map[string]string // cluster → public IP ("" none)
	}{
		{"none", basePolicy(), map[string]string{"c1": "", "c2": ""}},
		{"per cluster", basePolicy(pub("a.com", amkov1alpha1.PublicIPElem{Cluster: "c1", IP: "203.0.113.1"})),
			map[string]string{"c1": "203.0.113.1", "c2": ""}},
		{"IPv6 public address", basePolicy(pub("a.com", amkov1alpha1.PublicIPElem{Cluster: "c2", IP: "2001:db8::2"},
			amkov1alpha1.PublicIPElem{Cluster: "c1", IP: "203.0.113.1"})),
			map[string]string{"c1": "203.0.113.1", "c2": "2001:db8::2"}},
		{"GSLBHostRule of another FQDN", basePolicy(pub("b.com", amkov1alpha1.PublicIPElem{Cluster: "c1", IP: "203.0.113.1"})),
			map[string]string{"c1": "", "c2": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := only(t, Input{Policy: tc.policy, Records: records})
			got := map[string]string{}
			for _, p := range s.Pools {
				for _, m := range p.Members {
					got[m.Cluster] = ""
					if m.PublicIP.IsValid() {
						got[m.Cluster] = m.PublicIP.String()
					}
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("public IPs = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIPv6Members(t *testing.T) {
	s := only(t, Input{Policy: basePolicy(withGDP(func(g *amkov1alpha2.GDPSpec) { g.MatchClusters[0].SyncVipOnly = true })),
		Records: []sources.Record{
			ingress("c1", "a.com", "2001:db8::1"),
			ingress("c1", "a.com", "::ffff:192.0.2.7", named("mapped")),
			ingress("c2", "a.com", "2001:db8::2"),
		}})
	want := []gslb.Member{
		{ID: "192.0.2.7", IP: addr("192.0.2.7"), Ratio: 1, Enabled: true, Cluster: "c1"},
		{ID: "2001:db8::1", IP: addr("2001:db8::1"), Ratio: 1, Enabled: true, Cluster: "c1"},
		{ID: "ctrl-c2/vs-c2-ing", IP: addr("2001:db8::2"), Ratio: 1, Enabled: true, Cluster: "c2",
			ClusterUUID: "ctrl-c2", VSUUID: "vs-c2-ing"},
	}
	if got := s.Pools[0].Members; !reflect.DeepEqual(got, want) {
		t.Errorf("members =\n%s\nwant\n%s", dump(got), dump(want))
	}
	if !s.Pools[0].Members[1].IP.Is6() {
		t.Errorf("IPv6 member became %v", s.Pools[0].Members[1].IP)
	}
}

func TestPoolAlgorithm(t *testing.T) {
	gdp := func(s *amkov1alpha1.PoolAlgorithmSettings) func(*policy.Policy) {
		return withGDP(func(g *amkov1alpha2.GDPSpec) { g.PoolAlgorithmSettings = s })
	}
	ghr := func(s *amkov1alpha1.PoolAlgorithmSettings) func(*policy.Policy) {
		return withGHR("a.com", func(g *amkov1alpha1.GSLBHostRuleSpec) { g.PoolAlgorithmSettings = s })
	}
	ch := &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmConsistentHash, HashMask: ptr(24)}
	geoCH := &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmGeo,
		FallbackAlgorithm: &amkov1alpha1.GeoFallback{LBAlgorithm: "GSLB_ALGORITHM_CONSISTENT_HASH", HashMask: ptr(16)}}
	geoRR := &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmGeo,
		FallbackAlgorithm: &amkov1alpha1.GeoFallback{LBAlgorithm: "GSLB_ALGORITHM_ROUND_ROBIN"}}
	topo := &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmTopology}
	rr := &amkov1alpha1.PoolAlgorithmSettings{LBAlgorithm: amkov1alpha1.PoolAlgorithmRoundRobin}

	type algo struct {
		Algorithm        gslb.Algorithm
		HashMask         int
		Fallback         gslb.Algorithm
		FallbackHashMask int
	}
	tests := []struct {
		name   string
		policy *policy.Policy
		want   algo
	}{
		{"default round robin", basePolicy(), algo{Algorithm: gslb.RoundRobin}},
		{"empty settings", basePolicy(gdp(&amkov1alpha1.PoolAlgorithmSettings{})), algo{Algorithm: gslb.RoundRobin}},
		{"GDP consistent hash", basePolicy(gdp(ch)), algo{Algorithm: gslb.ConsistentHash, HashMask: 24}},
		{"GDP geo, consistent hash fallback", basePolicy(gdp(geoCH)),
			algo{Algorithm: gslb.Geo, Fallback: gslb.ConsistentHash, FallbackHashMask: 16}},
		{"GDP geo, round robin fallback", basePolicy(gdp(geoRR)), algo{Algorithm: gslb.Geo, Fallback: gslb.RoundRobin}},
		{"GDP topology", basePolicy(gdp(topo)), algo{Algorithm: gslb.Topology}},
		{"GSLBHostRule over GDP", basePolicy(gdp(ch), ghr(rr)), algo{Algorithm: gslb.RoundRobin}},
		{"GSLBHostRule without settings inherits GDP", basePolicy(gdp(geoCH), ghr(nil)),
			algo{Algorithm: gslb.Geo, Fallback: gslb.ConsistentHash, FallbackHashMask: 16}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			p.GDP.TrafficSplit = []amkov1alpha2.TrafficSplitElem{{Cluster: "c2", Weight: 1, Priority: ptr[uint32](1)}}
			s := only(t, Input{Policy: p, Records: []sources.Record{ingress("c1", "a.com", "10.0.0.1"), ingress("c2", "a.com", "10.0.0.2")}})
			if len(s.Pools) != 2 {
				t.Fatalf("pools = %v, want two", poolNames(s))
			}
			for _, pool := range s.Pools {
				got := algo{pool.Algorithm, pool.HashMask, pool.Fallback, pool.FallbackHashMask}
				if got != tc.want {
					t.Errorf("pool %s algorithm = %+v, want %+v", pool.Name, got, tc.want)
				}
			}
		})
	}
}
