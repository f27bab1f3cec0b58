// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/gslb"
)

var client = netip.MustParseAddr("192.0.2.10")

// counts resolves name n times and counts the answered addresses.
func counts(t *testing.T, sim *avisim.Server, name string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		a := sim.Resolve(name, gslb.QTypeA, client)
		if a.Action != gslb.ActionAnswer || len(a.Addrs) != 1 {
			t.Fatalf("answer %+v, want one address", a)
		}
		got[a.Addrs[0].String()]++
	}
	return got
}

// A GSLB service created through the API is answered as the Avi DNS VS would:
// ratio-weighted round robin within the highest priority pool with an up member,
// failover to the next priority, disabled sites left out, TTL 30 by default.
func TestResolveFollowsTheStoredService(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	body := gsBody("web.example.com", nil,
		pool(20, member{"10.0.0.1", 1, "vs-1"}, member{"10.0.0.2", 2, "vs-2"}, member{"10.0.0.3", 3, "vs-3"}),
		pool(10, member{"10.0.1.1", 1, ""}))
	var gs map[string]any
	if err := c.AviSession.Post("/api/gslbservice/", body, &gs); err != nil {
		t.Fatal(err)
	}

	got := counts(t, sim, "web.example.com", 6)
	if got["10.0.0.1"] != 1 || got["10.0.0.2"] != 2 || got["10.0.0.3"] != 3 {
		t.Errorf("one weighted cycle = %v, want 1/2/3", got)
	}
	if a := sim.Resolve("WEB.example.com.", gslb.QTypeA, client); a.TTL != 30 {
		t.Errorf("TTL = %d, want the DNS profile default 30", a.TTL)
	}

	// Members down by IP or by vs_uuid; then the whole top pool: failover.
	sim.SetMemberHealth("10.0.0.3", false)
	sim.SetMemberHealth("vs-2", false)
	if got := counts(t, sim, "web.example.com", 4); got["10.0.0.1"] != 4 {
		t.Errorf("with two members down = %v, want only 10.0.0.1", got)
	}
	if err := sim.SetSiteEnabled("k8s-site", false); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, sim, "web.example.com", 3); got["10.0.1.1"] != 3 {
		t.Errorf("with the leader site disabled = %v, want the priority-10 pool", got)
	}
	if err := sim.SetSiteEnabled("k8s-site", true); err != nil {
		t.Fatal(err)
	}
	sim.SetMemberHealth("10.0.0.3", true)
	sim.SetMemberHealth("vs-2", true)

	// A PUT restarts the cycle with the new ratios.
	body["groups"].([]any)[0].(map[string]any)["members"].([]any)[0].(map[string]any)["ratio"] = 4
	if err := c.AviSession.Put("/api/gslbservice/"+gs["uuid"].(string), body, &gs); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, sim, "web.example.com", 9); got["10.0.0.1"] != 4 || got["10.0.0.2"] != 2 || got["10.0.0.3"] != 3 {
		t.Errorf("cycle after PUT = %v, want 4/2/3", got)
	}
	if a := sim.Resolve("nothing.example.com", gslb.QTypeA, client); a.Action != gslb.ActionDrop {
		t.Errorf("unknown name: %+v, want dropped", a)
	}
}

// Each down response applies when every member is down.
func TestResolveDownResponses(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	cases := []struct {
		name   string
		down   map[string]any
		action gslb.Action
		addrs  []string
	}{
		{"none.example.com", nil, gslb.ActionDrop, nil},
		{"empty.example.com", map[string]any{"type": "GSLB_SERVICE_DOWN_RESPONSE_EMPTY"}, gslb.ActionNoData, nil},
		{"fallback.example.com", map[string]any{"type": "GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP", "fallback_ip": map[string]any{"addr": "192.0.2.99", "type": "V4"}}, gslb.ActionAnswer, []string{"192.0.2.99"}},
		{"all.example.com", map[string]any{"type": "GSLB_SERVICE_DOWN_RESPONSE_ALL_RECORDS"}, gslb.ActionAnswer, []string{"10.5.0.1", "10.5.0.2"}},
	}
	for _, tc := range cases {
		body := gsBody(tc.name, nil, pool(10, member{"10.5.0.1", 1, ""}, member{"10.5.0.2", 1, ""}))
		body["num_dns_ip"] = 0
		body["ttl"] = 5
		if tc.down != nil {
			body["down_response"] = tc.down
		}
		var out map[string]any
		if err := c.AviSession.Post("/api/gslbservice/", body, &out); err != nil {
			t.Fatal(err)
		}
	}
	sim.SetMemberHealth("10.5.0.1", false)
	sim.SetMemberHealth("10.5.0.2", false)
	for _, tc := range cases {
		a := sim.Resolve(tc.name, gslb.QTypeA, client)
		var addrs []string
		for _, ad := range a.Addrs {
			addrs = append(addrs, ad.String())
		}
		if a.Action != tc.action || !a.Down || len(addrs) != len(tc.addrs) || (len(addrs) > 0 && (addrs[0] != tc.addrs[0] || addrs[len(addrs)-1] != tc.addrs[len(tc.addrs)-1])) {
			t.Errorf("%s: %+v, want action %d addrs %v", tc.name, a, tc.action, tc.addrs)
		}
		if a.Action != gslb.ActionDrop && a.TTL != 5 {
			t.Errorf("%s: TTL %d, want 5", tc.name, a.TTL)
		}
	}
}

// The DNS listener serves the same answers over UDP and TCP; consistent hash
// follows the EDNS client subnet; unknown names get no answer.
func TestDNSListener(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	body := gsBody("hash.example.com", nil, pool(10, member{"10.6.0.1", 1, ""}, member{"10.6.0.2", 1, ""}, member{"10.6.0.3", 1, ""}))
	p := body["groups"].([]any)[0].(map[string]any)
	p["algorithm"], p["consistent_hash_mask"] = "GSLB_ALGORITHM_CONSISTENT_HASH", 24
	var out map[string]any
	if err := c.AviSession.Post("/api/gslbservice/", body, &out); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.ServeDNS(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	ask := func(net string, subnet netip.Prefix) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion("hash.example.com.", dns.TypeA)
		if subnet.IsValid() {
			opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
			opt.SetUDPSize(1232)
			opt.Option = append(opt.Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1,
				SourceNetmask: uint8(subnet.Bits()), Address: subnet.Addr().AsSlice()})
			m.Extra = append(m.Extra, opt)
		}
		resp, _, err := (&dns.Client{Net: net, Timeout: 2 * time.Second}).Exchange(m, srv.Addr)
		if err != nil {
			t.Fatalf("%s query: %v", net, err)
		}
		return resp
	}
	first := ask("udp", netip.MustParsePrefix("198.51.100.0/24"))
	if first.Rcode != dns.RcodeSuccess || !first.Authoritative || len(first.Answer) != 1 {
		t.Fatalf("UDP answer: %v", first)
	}
	want := first.Answer[0].(*dns.A).A.String()
	for _, net := range []string{"udp", "tcp"} {
		for range 5 {
			resp := ask(net, netip.MustParsePrefix("198.51.100.0/24"))
			if got := resp.Answer[0].(*dns.A).A.String(); got != want {
				t.Fatalf("%s: the same client subnet got %s then %s", net, want, got)
			}
		}
	}
	// Clients of other subnets spread over the members.
	seen := map[string]bool{}
	for i := range 64 {
		subnet := netip.PrefixFrom(netip.AddrFrom4([4]byte{203, 0, byte(i), 0}), 24)
		seen[ask("udp", subnet).Answer[0].(*dns.A).A.String()] = true
	}
	if len(seen) != 3 {
		t.Errorf("64 client subnets reached %d members, want all 3", len(seen))
	}

	m := new(dns.Msg)
	m.SetQuestion("unknown.example.com.", dns.TypeA)
	_, _, err = (&dns.Client{Net: "udp", Timeout: 300 * time.Millisecond}).Exchange(m, srv.Addr)
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("unknown name: %v, want no answer (timeout)", err)
	}
}
