// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/gslb"
)

// conformanceServer serves example.com with its default name server and
// services for each RFC point; a fresh one per case keeps round robin's first
// pick known.
func conformanceServer() *Server {
	one := func(name, ip string, opts ...func(*gslb.Service)) *gslb.Service {
		return service(name, map[string]uint32{ip: 1}, opts...)
	}
	paris := gslb.Location{Latitude: 48.86, Longitude: 2.35}
	s := New()
	s.Update(Config{Zones: []Zone{{Name: "example.com"}}}, []*gslb.Service{
		one("www.example.com", "10.0.0.1"),
		one("v6.example.com", "fd00::1"),
		one("deep.a.b.example.com", "10.0.0.2"),
		one("ch.example.com", "10.0.0.3", func(s *gslb.Service) {
			s.Pools[0].Algorithm, s.Pools[0].HashMask = gslb.ConsistentHash, 24
		}),
		one("geo.example.com", "10.0.0.4", func(s *gslb.Service) {
			s.Pools[0].Algorithm = gslb.Geo
			s.Pools[0].Members[0].Location = &paris
		}),
		one("none.example.com", "10.0.0.5", func(s *gslb.Service) { s.Pools[0].Members[0].Enabled = false }),
	}, nil)
	return s
}

// ecsOption is a client-subnet option as raw bytes, so that malformed ones
// can be sent.
func ecsOption(family uint16, source, scope uint8, addr ...byte) dns.EDNS0 {
	return &dns.EDNS0_LOCAL{Code: dns.EDNS0SUBNET, Data: append([]byte{byte(family >> 8), byte(family), source, scope}, addr...)}
}

func TestConformance(t *testing.T) {
	const soa = "example.com.\t30\tIN\tSOA\tns1.example.com. hostmaster.example.com. SERIAL 3600 600 604800 30"
	type want struct {
		none   bool // no response at all
		rcode  int
		aa     bool
		answer []string
		ns     []string
		opt    bool
		scope  int // the ECS scope answered; -1: no ECS option
	}
	for _, tc := range []struct {
		name  string
		qname string
		qtype uint16
		tcp   bool
		edns  []dns.EDNS0 // an OPT record with these options (nil: no OPT)
		opts  int         // OPT records (default 1 when edns is set)
		want  want
	}{
		// RFC 8020: a name with served names below it exists.
		{name: "empty non-terminal", qname: "b.example.com.", qtype: dns.TypeA,
			want: want{aa: true, ns: []string{soa}, scope: -1}},
		{name: "deeper empty non-terminal", qname: "a.b.example.com.", qtype: dns.TypeAAAA,
			want: want{aa: true, ns: []string{soa}, scope: -1}},
		{name: "below an empty non-terminal", qname: "x.b.example.com.", qtype: dns.TypeA,
			want: want{rcode: dns.RcodeNameError, aa: true, ns: []string{soa}, scope: -1}},
		{name: "the served name below", qname: "deep.a.b.example.com.", qtype: dns.TypeA,
			want: want{aa: true, answer: []string{"deep.a.b.example.com.\t30\tIN\tA\t10.0.0.2"}, scope: -1}},
		// No zone transfers.
		{name: "AXFR", qname: "example.com.", qtype: dns.TypeAXFR, tcp: true,
			want: want{rcode: dns.RcodeRefused, scope: -1}},
		{name: "IXFR", qname: "example.com.", qtype: dns.TypeIXFR, tcp: true,
			want: want{rcode: dns.RcodeRefused, scope: -1}},
		// RFC 8482: ANY gets one RRset.
		{name: "ANY for a service", qname: "www.example.com.", qtype: dns.TypeANY,
			want: want{aa: true, answer: []string{"www.example.com.\t30\tIN\tA\t10.0.0.1"}, scope: -1}},
		{name: "ANY for an IPv6 service", qname: "v6.example.com.", qtype: dns.TypeANY,
			want: want{aa: true, answer: []string{"v6.example.com.\t30\tIN\tAAAA\tfd00::1"}, scope: -1}},
		{name: "ANY at the apex", qname: "example.com.", qtype: dns.TypeANY,
			want: want{aa: true, answer: []string{soa}, scope: -1}},
		{name: "ANY for an empty non-terminal", qname: "b.example.com.", qtype: dns.TypeANY,
			want: want{aa: true, ns: []string{soa}, scope: -1}},
		// RFC 6891 §6.1.1: more than one OPT is a format error.
		{name: "two OPT records", qname: "www.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{}, opts: 2,
			want: want{rcode: dns.RcodeFormatError, scope: -1}},
		// RFC 7871 §6: malformed client subnets are format errors.
		{name: "ECS unknown family", qname: "www.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(3, 8, 0, 10)},
			want: want{rcode: dns.RcodeFormatError, scope: -1}},
		{name: "ECS prefix too long", qname: "www.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(1, 33, 0, 10, 0, 0, 0, 0)},
			want: want{rcode: dns.RcodeFormatError, scope: -1}},
		{name: "ECS scope in a query", qname: "www.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(1, 24, 24, 192, 0, 2)},
			want: want{rcode: dns.RcodeFormatError, scope: -1}},
		{name: "ECS too many address octets", qname: "www.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(1, 24, 0, 192, 0, 2, 0)},
			want: want{rcode: dns.RcodeFormatError, scope: -1}},
		{name: "ECS bits beyond the prefix", qname: "www.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(1, 20, 0, 192, 0, 15)},
			want: want{rcode: dns.RcodeFormatError, scope: -1}},
		// RFC 7871 §7.2.1: the scope says what the answer depends on.
		{name: "ECS round robin: scope 0", qname: "www.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(1, 24, 0, 192, 0, 2)},
			want: want{aa: true, answer: []string{"www.example.com.\t30\tIN\tA\t10.0.0.1"}, opt: true, scope: 0}},
		{name: "ECS consistent hash: scope of the hash mask", qname: "ch.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(1, 28, 0, 192, 0, 2, 16)},
			want: want{aa: true, answer: []string{"ch.example.com.\t30\tIN\tA\t10.0.0.3"}, opt: true, scope: 24}},
		{name: "ECS consistent hash: scope of a shorter source", qname: "ch.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(1, 16, 0, 192, 0)},
			want: want{aa: true, answer: []string{"ch.example.com.\t30\tIN\tA\t10.0.0.3"}, opt: true, scope: 16}},
		{name: "ECS geo: scope of the source", qname: "geo.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(2, 48, 0, 0x20, 1, 0xd, 0xb8, 0, 1)},
			want: want{aa: true, answer: []string{"geo.example.com.\t30\tIN\tA\t10.0.0.4"}, opt: true, scope: 48}},
		{name: "ECS NXDOMAIN: scope 0", qname: "nx.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(1, 24, 0, 192, 0, 2)},
			want: want{rcode: dns.RcodeNameError, aa: true, ns: []string{soa}, opt: true, scope: 0}},
		{name: "ECS REFUSED: scope 0", qname: "www.example.org.", qtype: dns.TypeA, edns: []dns.EDNS0{ecsOption(1, 24, 0, 192, 0, 2)},
			want: want{rcode: dns.RcodeRefused, opt: true, scope: 0}},
		// The default name server is this server, at the address asked.
		{name: "default name server A", qname: "ns1.example.com.", qtype: dns.TypeA,
			want: want{aa: true, answer: []string{"ns1.example.com.\t3600\tIN\tA\t192.0.2.53"}, scope: -1}},
		{name: "default name server AAAA", qname: "ns1.example.com.", qtype: dns.TypeAAAA,
			want: want{aa: true, ns: []string{soa}, scope: -1}},
		{name: "NS at the apex", qname: "example.com.", qtype: dns.TypeNS,
			want: want{aa: true, answer: []string{"example.com.\t3600\tIN\tNS\tns1.example.com."}, scope: -1}},
		// An all-down service whose down response is NONE: no reply, as Avi.
		{name: "all down, NONE", qname: "none.example.com.", qtype: dns.TypeA, want: want{none: true}},
		{name: "all down, NONE, with EDNS", qname: "none.example.com.", qtype: dns.TypeA, edns: []dns.EDNS0{}, want: want{none: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := conformanceServer()
			req := new(dns.Msg)
			req.SetQuestion(tc.qname, tc.qtype)
			if tc.edns != nil {
				for range max(tc.opts, 1) {
					opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
					opt.SetUDPSize(4096)
					opt.Option = tc.edns
					req.Extra = append(req.Extra, opt)
				}
			}
			resp := exchange(t, s, req, netip.MustParseAddr("198.51.100.7"), tc.tcp)
			if tc.want.none {
				if resp != nil {
					t.Fatalf("a response, want none:\n%v", resp)
				}
				return
			}
			if resp == nil {
				t.Fatal("no response")
			}
			w := tc.want
			if resp.Rcode != w.rcode || resp.Authoritative != w.aa || resp.Truncated || resp.RecursionAvailable ||
				!resp.Response || resp.Id != req.Id {
				t.Errorf("rcode %s aa %v tc %v ra %v qr %v id %v, want rcode %s aa %v",
					dns.RcodeToString[resp.Rcode], resp.Authoritative, resp.Truncated, resp.RecursionAvailable,
					resp.Response, resp.Id == req.Id, dns.RcodeToString[w.rcode], w.aa)
			}
			if len(resp.Question) != 1 || resp.Question[0] != req.Question[0] {
				t.Errorf("question %v", resp.Question)
			}
			if got := rrStrings(resp.Answer); !slices.Equal(got, w.answer) {
				t.Errorf("answer\n%q\nwant\n%q", got, w.answer)
			}
			if got := rrStrings(resp.Ns); !slices.Equal(got, w.ns) {
				t.Errorf("authority\n%q\nwant\n%q", got, w.ns)
			}
			opt := resp.IsEdns0()
			if (opt != nil) != w.opt {
				t.Fatalf("OPT %v, want %v", opt, w.opt)
			}
			scope := -1
			if opt != nil {
				for _, o := range opt.Option {
					if e, ok := o.(*dns.EDNS0_SUBNET); ok {
						scope = int(e.SourceScope)
					}
				}
			}
			if scope != w.scope {
				t.Errorf("ECS scope %d, want %d (-1: none)", scope, w.scope)
			}
		})
	}
}

// rrStrings presents records with the SOA serial, which changes, masked.
func rrStrings(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if soa, ok := rr.(*dns.SOA); ok {
			c := *soa
			c.Serial = 0
			out = append(out, strings.Replace(c.String(), " 0 3600", " SERIAL 3600", 1))
			continue
		}
		out = append(out, rr.String())
	}
	return out
}

// TestFastPathMatchesFullPath: every query the wire fast path answers gets the
// same response (header, records, OPT) from the full unpack-and-pack path, the
// round-robin positions included.
func TestFastPathMatchesFullPath(t *testing.T) {
	two := uint32(2)
	services := func() []*gslb.Service {
		return []*gslb.Service{
			service("www.example.com", map[string]uint32{"10.0.0.1": 3, "10.0.0.2": 1, "fd00::1": 2}),
			service("multi.example.com", map[string]uint32{"10.0.1.1": 1, "10.0.1.2": 2, "10.0.1.3": 1}, func(s *gslb.Service) { s.NumIPs = &two }),
			service("ch.example.com", map[string]uint32{"10.0.2.1": 1, "10.0.2.2": 1}, func(s *gslb.Service) { s.Pools[0].Algorithm = gslb.ConsistentHash }),
			service("empty.example.com", map[string]uint32{"10.0.3.1": 1}, func(s *gslb.Service) {
				s.Pools[0].Members[0].Enabled = false
				s.Down.Type = gslb.DownEmpty
			}),
		}
	}
	fast, full := New(), New()
	cfg := Config{Zones: []Zone{{Name: "example.com"}}, DefaultTTL: 7}
	// The same services (service() orders members by map iteration), each
	// server with its own round-robin state.
	svcs := services()
	fast.Update(cfg, svcs, nil)
	full.Update(cfg, svcs, nil)
	client := netip.MustParseAddr("198.51.100.7")
	local := netip.MustParseAddr("192.0.2.53")
	served := 0
	for i := range 60 {
		req := new(dns.Msg)
		name := []string{"www", "WWW", "multi", "ch", "empty", "alias-www"}[i%6] + ".example.com."
		req.SetQuestion(name, []uint16{dns.TypeA, dns.TypeAAAA}[i/6%2])
		req.RecursionDesired = i%3 == 0
		req.CheckingDisabled = i%5 == 0
		switch i / 12 % 3 {
		case 1:
			req.SetEdns0(1232, i%2 == 0)
		case 2:
			req.SetEdns0(4096, false)
			req.IsEdns0().Option = append(req.IsEdns0().Option, ecsOption(1, 24, 0, 198, 51, byte(i)))
		}
		msg, err := req.Pack()
		if err != nil {
			t.Fatal(err)
		}
		var q rawQuery
		var scratch [256]byte
		parseQuery(msg, &q, scratch[:])
		a, handled := fast.fast(&q, fast.snap.Load(), client, false, nil)
		if !handled {
			t.Fatalf("%s %s: not answered by the fast path", name, dns.TypeToString[req.Question[0].Qtype])
		}
		served++
		b, _ := full.full(msg, &q, full.snap.Load(), client, local, false, nil)
		ra, rb := new(dns.Msg), new(dns.Msg)
		if err := ra.Unpack(a); err != nil {
			t.Fatal(err)
		}
		if err := rb.Unpack(b); err != nil {
			t.Fatal(err)
		}
		if ra.String() != rb.String() {
			t.Fatalf("query %d: fast path\n%v\nfull path\n%v", i, ra, rb)
		}
	}
	if served == 0 {
		t.Fatal("nothing compared")
	}
}

// The default name server answers the address the query reached, over UDP and
// TCP, on a wildcard listener too (the packet's destination, IP_PKTINFO). On a
// wildcard listener the UDP reply also leaves from that address: a resolver
// (here a connected socket) drops a reply from another one, which the kernel's
// own choice of source gives on a host with several addresses (127.0.0.2
// answered from 127.0.0.1).
func TestDefaultNameServerAddress(t *testing.T) {
	for _, c := range []struct{ listen, ask string }{
		// ":0" is a dual-stack IPv6 socket where the machine has IPv6: its
		// IPv4 queries come v4-mapped, through the IPv6 batch reader.
		{"127.0.0.1:0", "127.0.0.1"}, {"0.0.0.0:0", "127.0.0.1"}, {"0.0.0.0:0", "127.0.0.2"}, {":0", "127.0.0.2"},
	} {
		s := New()
		s.Update(Config{Zones: []Zone{{Name: "example.com"}}}, nil, nil)
		l, err := s.Listen(c.listen)
		if err != nil {
			t.Fatal(err)
		}
		_, port, err := net.SplitHostPort(l.Addr)
		if err != nil {
			t.Fatal(err)
		}
		for _, network := range []string{"udp", "tcp"} {
			resp := query(t, net.JoinHostPort(c.ask, port), network, "ns1.example.com.", dns.TypeA)
			if got := rrStrings(resp.Answer); !slices.Equal(got, []string{"ns1.example.com.\t3600\tIN\tA\t" + c.ask}) {
				t.Errorf("listening on %s, asked at %s over %s: %q", c.listen, c.ask, network, got)
			}
		}
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	}
}
