// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func u32(v uint32) *uint32 { return &v }

// mem is an enabled member whose ID is its name and whose address is addr.
func mem(id, addr string, ratio uint32) Member {
	return Member{ID: id, IP: ip(addr), Ratio: ratio, Enabled: true}
}

func pool(name string, prio uint32, alg Algorithm, ms ...Member) Pool {
	return Pool{Name: name, Priority: prio, Enabled: true, Algorithm: alg, Members: ms}
}

func svc(pools ...Pool) *Service {
	return &Service{Name: "svc", DomainNames: []string{"app.example.com"}, Enabled: true, Pools: pools}
}

// downIDs marks members down by ID.
type downIDs map[string]bool

func (d downIDs) up(s *Service, p, m int) bool { return !d[s.Pools[p].Members[m].ID] }

func qA(client string) Query { return Query{Name: "app.example.com", Type: QTypeA, Client: ip(client)} }
func qAAAA(client string) Query {
	return Query{Name: "app.example.com", Type: QTypeAAAA, Client: ip(client)}
}

// ids maps answered addresses back to member IDs, so tests read in names.
func ids(t *testing.T, s *Service, a Answer) []string {
	t.Helper()
	var out []string
	for _, addr := range a.Addrs {
		found := ""
		for _, p := range s.Pools {
			for _, m := range p.Members {
				if m.IP == addr || m.PublicIP == addr {
					found = m.ID
				}
			}
		}
		if found == "" {
			found = addr.String()
		}
		out = append(out, found)
	}
	return out
}

// one asks a single-address query and returns the answered member ID.
func one(t *testing.T, e *Engine, s *Service, q Query, up UpFunc) string {
	t.Helper()
	a := e.Answer(s, q, up)
	if a.Action != ActionAnswer || len(a.Addrs) != 1 {
		t.Fatalf("Answer(%v) = %+v, want one address", q, a)
	}
	return ids(t, s, a)[0]
}

// seq asks n queries and returns the answered member IDs.
func seq(t *testing.T, e *Engine, s *Service, q Query, up UpFunc, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = one(t, e, s, q, up)
	}
	return out
}

func counts(xs []string) map[string]int {
	c := make(map[string]int)
	for _, x := range xs {
		c[x]++
	}
	return c
}

func join(xs []string) string { return strings.Join(xs, ",") }

func sortedJoin(xs []string) string {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return join(xs)
}
