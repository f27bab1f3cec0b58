// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/backend"
)

// served is the sorted set of A records of eight answers for name: each
// answer may hold one member of several.
func served(t *testing.T, addr, name string) []string {
	t.Helper()
	var out []string
	for range 8 {
		for _, rr := range query(t, addr, "udp", name, dns.TypeA).Answer {
			if a, ok := rr.(*dns.A); ok && !slices.Contains(out, a.A.String()) {
				out = append(out, a.A.String())
			}
		}
	}
	sort.Strings(out)
	return out
}

var quiet = slog.New(slog.DiscardHandler)

// roundRobinStates counts the engine's round-robin states of a service.
func roundRobinStates(s *Server, name string) int {
	n := s.engine.States(name)
	s.eachPrepared(func(p *gslb.Prepared) {
		if p.Service().Name == name {
			n += p.RoundRobinStates()
		}
	})
	return n
}

// The DNS backend goes through the plan like any other: what it observes is
// what it serves, applying swaps the snapshot, and a removed service takes its
// round-robin state with it.
func TestProvider(t *testing.T) {
	ctx := context.Background()
	var p provider.Provider
	dp, err := NewProvider(ctx, Options{Listen: "127.0.0.1:0", Log: quiet, Config: Config{Zones: []Zone{{Name: "example.com"}}}})
	if err != nil {
		t.Fatal(err)
	}
	p = dp
	defer func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}()
	addr := dp.Addr()
	if p.Shared() || p.Kind() != "dns" || p.Controller() != nil {
		t.Errorf("kind %s shared %v controller %v", p.Kind(), p.Shared(), p.Controller())
	}

	a := service("a.example.com", map[string]uint32{"10.0.0.1": 1, "10.0.0.2": 1})
	a.Tenant = "admin"
	apply := func(desired ...*gslb.Service) []plan.Change {
		t.Helper()
		obs, err := p.Observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		changes := plan.Compute(desired, obs, p.Equality())
		for _, r := range p.Apply(ctx, changes) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		return changes
	}
	if ch := apply(a); len(ch) != 1 || ch[0].Op != plan.Create {
		t.Fatalf("changes %+v", ch)
	}
	if got := served(t, addr, "a.example.com."); !slices.Equal(got, []string{"10.0.0.1", "10.0.0.2"}) {
		t.Errorf("answer %v", got)
	}
	// Observed is what is served: the same plan again changes nothing.
	if ch := apply(a); len(ch) != 0 {
		t.Errorf("a second plan changes %+v", ch)
	}
	if roundRobinStates(dp.server, "a.example.com") == 0 {
		t.Fatal("no round-robin state after queries")
	}

	b := service("a.example.com", map[string]uint32{"10.0.0.3": 1})
	b.Tenant = "admin"
	if ch := apply(b); len(ch) != 1 || ch[0].Op != plan.Update {
		t.Fatalf("changes %+v", ch)
	}
	if got := served(t, addr, "a.example.com."); !slices.Equal(got, []string{"10.0.0.3"}) {
		t.Errorf("answer after the update %v", got)
	}
	if ch := apply(); len(ch) != 1 || ch[0].Op != plan.Delete {
		t.Fatalf("changes %+v", ch)
	}
	if r := query(t, addr, "udp", "a.example.com.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Errorf("rcode %s after the delete", dns.RcodeToString[r.Rcode])
	}
	if n := roundRobinStates(dp.server, "a.example.com"); n != 0 {
		t.Errorf("%d round-robin states left of a deleted service", n)
	}
}

// A member whose probe fails leaves the answers at once, with no new plan, and
// the caller is told; MemberHealth reports it.
func TestProviderHealth(t *testing.T) {
	ctx := context.Background()
	up := backend.TCP(t, "127.0.0.41:0")
	port := uint32(up.Addr().(*net.TCPAddr).Port)
	var mu sync.Mutex
	var told []string
	dp, err := NewProvider(ctx, Options{Listen: "127.0.0.1:0", Log: quiet, Config: Config{Zones: []Zone{{Name: "example.com"}}}, ProbeScale: 0.01,
		OnHealth: func(service, member, monitor string, isUp bool) {
			mu.Lock()
			defer mu.Unlock()
			told = append(told, fmt.Sprintf("%s %s %s %v", service, member, monitor, isUp))
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = dp.Close() }()
	svc := service("h.example.com", map[string]uint32{"127.0.0.41": 1, "127.0.0.42": 1}) // nothing listens on .42
	svc.Tenant = "admin"
	svc.HealthMonitors = []gslb.HealthMonitor{{Name: "tcp", Type: "HEALTH_MONITOR_TCP", Port: port}}
	obs, _ := dp.Observe(ctx)
	dp.Apply(ctx, plan.Compute([]*gslb.Service{svc}, obs, dp.Equality()))
	await.Eventually(t, "the dead member leaves the answers", func() error {
		if got := served(t, dp.Addr(), "h.example.com."); !slices.Equal(got, []string{"127.0.0.41"}) {
			return fmt.Errorf("answer %v", got)
		}
		return nil
	})
	mu.Lock()
	if !slices.Contains(told, "admin/h.example.com 127.0.0.42 tcp false") {
		t.Errorf("told %v", told)
	}
	mu.Unlock()
	for ip, want := range map[string]string{"127.0.0.41": provider.HealthUp, "127.0.0.42": provider.HealthDown} {
		if got := dp.MemberHealth(svc, gslb.Member{IP: netip.MustParseAddr(ip)}); got != want {
			t.Errorf("%s: %s, want %s", ip, got, want)
		}
	}
	if got := dp.MemberHealth(svc, gslb.Member{IP: netip.MustParseAddr("127.0.0.43")}); got != provider.HealthUnknown {
		t.Errorf("unprobed member: %s", got)
	}
}

func TestSameListen(t *testing.T) {
	for _, tc := range []struct {
		bound, listen string
		want          bool
	}{
		{"127.0.0.1:53", "127.0.0.1:53", true},
		{"127.0.0.1:40123", "127.0.0.1:0", true},
		{"127.0.0.1:40123", "127.0.0.2:0", false},
		{"[::]:53", ":53", true},
		{"[::]:53", ":5353", false},
		{"127.0.0.1:53", ":53", false},
		{"[::1]:53", "[::1]:53", true},
	} {
		if got := sameListen(tc.bound, tc.listen); got != tc.want {
			t.Errorf("sameListen(%q, %q) = %v, want %v", tc.bound, tc.listen, got, tc.want)
		}
	}
}
