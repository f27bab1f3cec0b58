// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

// Through any sequence of changes, a build reusing the previous one's services
// equals a build from scratch, and reuses the services nothing touched.
func TestBuildWithMemoEqualsBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	newPolicy := func(weight uint32, ttl int) *policy.Policy {
		return &policy.Policy{UUID: "u", Tenant: "admin", Clusters: []string{"c0", "c1"},
			GDP: &amkov1alpha2.GDPSpec{
				MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}},
				MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "c0"}, {Cluster: "c1"}},
				TrafficSplit:  []amkov1alpha2.TrafficSplitElem{{Cluster: "c0", Weight: weight}, {Cluster: "c1", Weight: 1}},
			},
			HostRules: map[string]*amkov1alpha1.GSLBHostRuleSpec{"app-1.example.com": {Fqdn: "app-1.example.com", TTL: &ttl}},
		}
	}
	var records []sources.Record
	for i := range 40 {
		host := fmt.Sprintf("app-%d.example.com", i%20)
		records = append(records, sources.Record{Cluster: fmt.Sprintf("c%d", i%2), Kind: sources.KindIngress,
			Namespace: "default", Name: fmt.Sprintf("app-%d", i), Host: host,
			IP: netip.AddrFrom4([4]byte{10, 0, byte(i % 2), byte(i + 1)}), Labels: map[string]string{"app": "gslb"},
			Paths: []string{"/"}, VSUUID: "vs-" + host, ControllerUUID: "cluster-1", Tenant: "admin"})
	}
	in := Input{Policy: newPolicy(2, 30), Records: records}
	var memo Memo
	prev := BuildWith(in, &memo)
	for step := range 200 {
		in.Records = append([]sources.Record(nil), in.Records...)
		changed := ""
		switch rng.IntN(6) {
		case 0:
			i := rng.IntN(len(in.Records))
			in.Records[i].IP = netip.AddrFrom4([4]byte{10, 9, byte(rng.IntN(3)), byte(rng.IntN(250) + 1)})
			changed = in.Records[i].Host
		case 1:
			i := rng.IntN(len(in.Records))
			in.Records[i].Labels = map[string]string{"app": []string{"gslb", "other"}[rng.IntN(2)]}
			changed = in.Records[i].Host
		case 2:
			i := rng.IntN(len(in.Records))
			in.Records[i].Paths = [][]string{{"/"}, {"/", "/a"}}[rng.IntN(2)]
			changed = in.Records[i].Host
		case 3:
			in.Policy = newPolicy(uint32(rng.IntN(3)+1), rng.IntN(2)*30+30) // a new policy, maybe equal
			changed = "*"
		case 4:
			i := rng.IntN(len(in.Records))
			in.Records = append(in.Records[:i], in.Records[i+1:]...)
			changed = "*" // a removal can change a neighbour's aliases or order
		case 5:
			in.Records[rng.IntN(len(in.Records))].Paths = []string{"/"} // maybe no change at all
			changed = "*"
		}
		got := BuildWith(in, &memo)
		want := Build(in)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d: the memo's build differs from a build from scratch", step)
		}
		if changed != "*" {
			for _, s := range got {
				for _, p := range prev {
					if p.Name == s.Name && s.Name != changed && p != s {
						t.Fatalf("step %d: %s was rebuilt though only %s changed", step, s.Name, changed)
					}
				}
			}
		}
		prev = got
	}
}

// sameMember compares every field: a field it missed would let a changed
// member keep its old service.
func TestSameMemberComparesEveryField(t *testing.T) {
	base := member{Record: sources.Record{Cluster: "c", Kind: sources.KindIngress, Namespace: "n", Name: "a", Host: "h",
		IP: netip.MustParseAddr("10.0.0.1"), Labels: map[string]string{"k": "v"}, Paths: []string{"/"}, TLS: false,
		Passthrough: false, Port: 80, Protocol: "TCP", VSUUID: "vs", ControllerUUID: "cu", Tenant: "t"}}
	rt := reflect.TypeOf(base.Record)
	for i := range rt.NumField() {
		if rt.Field(i).Name == "Backends" {
			// Not part of the service: what the backends' endpoints say
			// reaches it through NoEndpoints, which is compared.
			continue
		}
		m := base
		m.Labels = map[string]string{"k": "v"}
		f := reflect.ValueOf(&m.Record).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Int32:
			f.SetInt(f.Int() + 1)
		case reflect.Map:
			m.Labels = map[string]string{"k": "w"}
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"/other"}))
		case reflect.Struct: // netip.Addr
			f.Set(reflect.ValueOf(netip.MustParseAddr("10.0.0.2")))
		default:
			t.Fatalf("field %s of kind %s: teach this test to change it", rt.Field(i).Name, f.Kind())
		}
		if sameMember(base, m) {
			t.Errorf("sameMember misses Record.%s", rt.Field(i).Name)
		}
	}
	for _, m := range []member{{Record: base.Record, tls: true}, {Record: base.Record, syncVIPOnly: true}} {
		if sameMember(base, m) {
			t.Errorf("sameMember misses %+v", m)
		}
	}
	if !sameMember(base, member{Record: base.Record}) {
		t.Error("a member differs from itself")
	}
}
