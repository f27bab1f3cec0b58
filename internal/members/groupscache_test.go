// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package members

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/amko-project/amko/internal/sources"
)

// The groups a pass gets while nothing changed (kept from the last walk) are
// those a walk of every object gives, through random adds, updates,
// deletions, health that is and is not the same for every record, clusters
// lost and found, and default domains.
func TestGroupsKeptEqualWalk(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 3))
		s := newAppStore("c1", nil)
		h := s.handler(func() {})
		ips := map[int]string{}
		down := map[string]string{}
		lost, domain := "", ""
		for step := range 200 {
			switch r.IntN(20) {
			default:
				i := r.IntN(15)
				ips[i] = fmt.Sprintf("10.0.%d.%d", step%200, i+1)
				h.OnAdd(ingress(fmt.Sprint(i), fmt.Sprint(step), fmt.Sprintf("h%d.example.com", i), ips[i]), false)
			case 0, 1, 2, 3, 4, 5:
				i := r.IntN(15)
				if _, ok := ips[i]; ok {
					delete(ips, i)
					h.OnDelete(ingress(fmt.Sprint(i), "", "", ""))
				}
			case 6:
				// Now and then a Service is down for a step or so.
				if len(down) == 0 {
					down[fmt.Sprintf("h%d.example.com", r.IntN(15))] = "no ready endpoint"
				} else {
					clear(down)
				}
			case 7:
				lost = []string{"", "ClusterLost since then"}[r.IntN(2)]
			case 8:
				domain = []string{"", "apps.example.com"}[r.IntN(2)]
			}
			uniform := len(down) == 0
			health := func(rec *sources.Record) (string, string) { return down[rec.Host], lost }
			// What the last step kept, if it still may be used.
			first, _ := s.groupsOf(domain, health, uniform, lost, nil)
			kept, _ := s.groupsOf(domain, health, uniform, lost, nil)
			// A walk of every object, leaving what is kept as it was.
			saved := s.last
			walked, _ := s.groupsOf(domain, health, false, lost, nil)
			s.last = saved
			ids := func(gs [][]sources.Record) []string {
				var out []string
				for _, g := range gs {
					out = append(out, fmt.Sprintf("%p", &g[0]))
					for _, rec := range g {
						if rec.IP.String() != ips[hostIndex(rec.Host)] || rec.NoEndpoints != down[rec.Host] || rec.ClusterLost != lost {
							t.Fatalf("seed %d step %d: %s served as %s %q %q", seed, step, rec.Host, rec.IP, rec.NoEndpoints, rec.ClusterLost)
						}
					}
				}
				slices.Sort(out)
				return out
			}
			if a, b, c := ids(first), ids(kept), ids(walked); !slices.Equal(a, c) || !slices.Equal(b, c) || len(c) != len(ips) {
				t.Fatalf("seed %d step %d: groups %v, kept %v, walked %v, want %d", seed, step, a, b, c, len(ips))
			}
		}
	}
}

func hostIndex(host string) int {
	var i int
	_, _ = fmt.Sscanf(host, "h%d.example.com", &i)
	return i
}
