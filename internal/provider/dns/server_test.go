// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/gslb"
)

func service(name string, ratios map[string]uint32, opts ...func(*gslb.Service)) *gslb.Service {
	s := &gslb.Service{Name: name, DomainNames: []string{name, "alias-" + name}, Enabled: true, UseECS: true}
	pool := gslb.Pool{Name: "amko-gs-group-10", Priority: 10, Enabled: true}
	for ip, r := range ratios {
		pool.Members = append(pool.Members, gslb.Member{IP: netip.MustParseAddr(ip), Ratio: r, Enabled: true})
	}
	s.Pools = []gslb.Pool{pool}
	for _, o := range opts {
		o(s)
	}
	return s
}

// serve starts a server on loopback with the zone example.com and the services.
func serve(t *testing.T, services ...*gslb.Service) (*Server, string) {
	t.Helper()
	s := New()
	s.Update(Config{Zones: []Zone{{Name: "example.com", Nameservers: []string{"ns1.site-a.net", "ns1.site-b.net"}}, {Name: "sub.example.com"}}},
		services, nil)
	l, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, l.Addr
}

func query(t *testing.T, addr, network, name string, qtype uint16, edns ...dns.EDNS0) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if edns != nil {
		m.SetEdns0(4096, false)
		m.IsEdns0().Option = append(m.IsEdns0().Option, edns...)
	}
	resp, _, err := (&dns.Client{Net: network, Timeout: 2 * time.Second}).Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	return resp
}

func TestAnswers(t *testing.T) {
	_, addr := serve(t,
		service("www.example.com", map[string]uint32{"10.0.0.1": 1, "10.0.0.2": 2, "10.0.0.3": 3}),
		service("v6.example.com", map[string]uint32{"fd00::1": 1, "10.0.1.1": 1}),
		service("outside.example.org", map[string]uint32{"10.9.9.9": 1}))

	// Exact counts over one weighted cycle, over UDP and TCP alike.
	counts := map[string]int{}
	for i := range 6 {
		resp := query(t, addr, []string{"udp", "tcp"}[i%2], "www.example.com.", dns.TypeA)
		if resp.Rcode != dns.RcodeSuccess || !resp.Authoritative || resp.RecursionAvailable || len(resp.Answer) != 1 {
			t.Fatalf("answer %v", resp)
		}
		a := resp.Answer[0].(*dns.A)
		if a.Hdr.Ttl != gslb.DefaultTTL {
			t.Errorf("TTL %d, want %d", a.Hdr.Ttl, gslb.DefaultTTL)
		}
		counts[a.A.String()]++
	}
	if counts["10.0.0.1"] != 1 || counts["10.0.0.2"] != 2 || counts["10.0.0.3"] != 3 {
		t.Errorf("one cycle = %v, want 1/2/3", counts)
	}
	if resp := query(t, addr, "udp", "ALIAS-www.EXAMPLE.com.", dns.TypeA); len(resp.Answer) != 1 {
		t.Errorf("alias, any case: %v", resp)
	}
	if resp := query(t, addr, "udp", "v6.example.com.", dns.TypeAAAA); len(resp.Answer) != 1 || resp.Answer[0].(*dns.AAAA).AAAA.String() != "fd00::1" {
		t.Errorf("AAAA: %v", resp)
	}

	cases := []struct {
		name   string
		qtype  uint16
		rcode  int
		answer int
		soa    bool
	}{
		{"example.com.", dns.TypeSOA, dns.RcodeSuccess, 1, false},
		{"example.com.", dns.TypeNS, dns.RcodeSuccess, 2, false},
		{"sub.example.com.", dns.TypeSOA, dns.RcodeSuccess, 1, false},
		{"example.com.", dns.TypeA, dns.RcodeSuccess, 0, true},
		{"www.example.com.", dns.TypeMX, dns.RcodeSuccess, 0, true},
		{"nothing.example.com.", dns.TypeA, dns.RcodeNameError, 0, true},
		{"deep.nothing.sub.example.com.", dns.TypeA, dns.RcodeNameError, 0, true},
		{"outside.example.org.", dns.TypeA, dns.RcodeRefused, 0, false},
		{"example.net.", dns.TypeNS, dns.RcodeRefused, 0, false},
	}
	for _, tc := range cases {
		resp := query(t, addr, "udp", tc.name, tc.qtype)
		gotSOA := len(resp.Ns) == 1 && resp.Ns[0].Header().Rrtype == dns.TypeSOA
		if resp.Rcode != tc.rcode || len(resp.Answer) != tc.answer || gotSOA != tc.soa {
			t.Errorf("%s %s: rcode %s, %d answers, SOA %v; want %s, %d, %v", tc.name, dns.TypeToString[tc.qtype],
				dns.RcodeToString[resp.Rcode], len(resp.Answer), gotSOA, dns.RcodeToString[tc.rcode], tc.answer, tc.soa)
		}
	}
	soa := query(t, addr, "udp", "nothing.sub.example.com.", dns.TypeA).Ns[0].(*dns.SOA)
	if soa.Hdr.Name != "sub.example.com." || soa.Mbox != "hostmaster.sub.example.com." {
		t.Errorf("NXDOMAIN under the closest zone: %v", soa)
	}
}

// A large answer is truncated over UDP without EDNS0 and whole over TCP and
// with a big enough EDNS0 buffer.
func TestTruncation(t *testing.T) {
	ratios := map[string]uint32{}
	for i := range 60 {
		ratios[fmt.Sprintf("10.1.%d.%d", i/200, i%200+1)] = 1
	}
	all := uint32(0)
	_, addr := serve(t, service("big.example.com", ratios, func(s *gslb.Service) { s.NumIPs = &all }))
	m := new(dns.Msg)
	m.SetQuestion("big.example.com.", dns.TypeA)
	udp := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	resp, _, err := udp.Exchange(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Truncated || len(resp.Answer) >= 60 {
		t.Errorf("UDP without EDNS0: truncated %v with %d answers; want TC and fewer than 60", resp.Truncated, len(resp.Answer))
	}
	if resp := query(t, addr, "tcp", "big.example.com.", dns.TypeA); resp.Truncated || len(resp.Answer) != 60 {
		t.Errorf("TCP: truncated %v, %d answers; want all 60", resp.Truncated, len(resp.Answer))
	}
	if resp := query(t, addr, "udp", "big.example.com.", dns.TypeA, &dns.EDNS0_NSID{Code: dns.EDNS0NSID}); resp.Truncated || len(resp.Answer) != 60 || resp.IsEdns0() == nil {
		t.Errorf("UDP with a 4096-byte EDNS0 buffer: truncated %v, %d answers", resp.Truncated, len(resp.Answer))
	}
}

// Consistent hash follows the EDNS client subnet, which is echoed with its scope.
func TestClientSubnet(t *testing.T) {
	svc := service("hash.example.com", map[string]uint32{"10.2.0.1": 1, "10.2.0.2": 1, "10.2.0.3": 1}, func(s *gslb.Service) {
		s.Pools[0].Algorithm, s.Pools[0].HashMask = gslb.ConsistentHash, 24
	})
	_, addr := serve(t, svc)
	subnet := func(a string, bits uint8) *dns.EDNS0_SUBNET {
		return &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: bits, Address: net.ParseIP(a).To4()}
	}
	first := query(t, addr, "udp", "hash.example.com.", dns.TypeA, subnet("198.51.100.0", 24))
	want := first.Answer[0].(*dns.A).A.String()
	for range 5 {
		resp := query(t, addr, "tcp", "hash.example.com.", dns.TypeA, subnet("198.51.100.0", 24))
		if got := resp.Answer[0].(*dns.A).A.String(); got != want {
			t.Fatalf("same subnet: %s then %s", want, got)
		}
	}
	var echoed *dns.EDNS0_SUBNET
	for _, o := range first.IsEdns0().Option {
		if e, ok := o.(*dns.EDNS0_SUBNET); ok {
			echoed = e
		}
	}
	if echoed == nil || echoed.SourceScope != 24 {
		t.Errorf("client subnet option in the answer: %+v", echoed)
	}
	seen := map[string]bool{}
	for i := range 64 {
		resp := query(t, addr, "udp", "hash.example.com.", dns.TypeA, subnet(fmt.Sprintf("203.0.%d.0", i), 24))
		seen[resp.Answer[0].(*dns.A).A.String()] = true
	}
	if len(seen) != 3 {
		t.Errorf("64 subnets reached %d members, want 3", len(seen))
	}
}

// Down responses: members left out by health; NONE gives no answer at all,
// EMPTY an authoritative NODATA, FALLBACK_IP the fallback address.
func TestHealthAndDownResponses(t *testing.T) {
	s, addr := serve(t)
	down := map[string]bool{}
	var mu sync.Mutex
	up := func(svc *gslb.Service, p, m int) bool {
		mu.Lock()
		defer mu.Unlock()
		return !down[svc.Pools[p].Members[m].IP.String()]
	}
	svcs := []*gslb.Service{
		service("a.example.com", map[string]uint32{"10.3.0.1": 1, "10.3.0.2": 1}),
		service("none.example.com", map[string]uint32{"10.3.1.1": 1}),
		service("empty.example.com", map[string]uint32{"10.3.2.1": 1}, func(s *gslb.Service) { s.Down.Type = gslb.DownEmpty }),
		service("fallback.example.com", map[string]uint32{"10.3.3.1": 1}, func(s *gslb.Service) {
			s.Down = gslb.DownResponse{Type: gslb.DownFallbackIP, FallbackIP: netip.MustParseAddr("192.0.2.53")}
		}),
	}
	s.Update(Config{Zones: []Zone{{Name: "example.com"}}, DefaultTTL: 5}, svcs, up)
	mu.Lock()
	for _, ip := range []string{"10.3.0.1", "10.3.1.1", "10.3.2.1", "10.3.3.1"} {
		down[ip] = true
	}
	mu.Unlock()
	// Health is read when published, as the provider publishes each change.
	s.Update(Config{Zones: []Zone{{Name: "example.com"}}, DefaultTTL: 5}, svcs, up)
	for range 4 {
		resp := query(t, addr, "udp", "a.example.com.", dns.TypeA)
		if a := resp.Answer[0].(*dns.A); a.A.String() != "10.3.0.2" || a.Hdr.Ttl != 5 {
			t.Fatalf("with 10.3.0.1 down: %v", resp.Answer)
		}
	}
	m := new(dns.Msg)
	m.SetQuestion("none.example.com.", dns.TypeA)
	_, _, err := (&dns.Client{Net: "udp", Timeout: 300 * time.Millisecond}).Exchange(m, addr)
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("down response NONE: %v, want no answer", err)
	}
	if resp := query(t, addr, "udp", "empty.example.com.", dns.TypeA); resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 0 || len(resp.Ns) != 1 {
		t.Errorf("down response EMPTY: %v", resp)
	}
	if resp := query(t, addr, "udp", "fallback.example.com.", dns.TypeA); len(resp.Answer) != 1 || resp.Answer[0].(*dns.A).A.String() != "192.0.2.53" {
		t.Errorf("down response FALLBACK_IP: %v", resp)
	}
}

// An update is atomic: while configurations alternate, every answer comes
// whole from one of them.
func TestAtomicUpdates(t *testing.T) {
	all := uint32(0)
	a := service("flip.example.com", map[string]uint32{"10.4.0.1": 1, "10.4.0.2": 1}, func(s *gslb.Service) { s.NumIPs = &all })
	b := service("flip.example.com", map[string]uint32{"10.5.0.1": 1, "10.5.0.2": 1}, func(s *gslb.Service) { s.NumIPs = &all })
	s := New()
	cfg := Config{Zones: []Zone{{Name: "example.com"}}}
	s.Update(cfg, []*gslb.Service{a}, nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Update(cfg, []*gslb.Service{[]*gslb.Service{a, b}[i%2]}, nil)
		}
	}()
	req := new(dns.Msg)
	req.SetQuestion("flip.example.com.", dns.TypeA)
	for range 2000 {
		resp := exchange(t, s, req, netip.MustParseAddr("192.0.2.1"), true)
		if len(resp.Answer) != 2 {
			t.Fatalf("answer %v", resp.Answer)
		}
		p0 := resp.Answer[0].(*dns.A).A.To4()[1]
		p1 := resp.Answer[1].(*dns.A).A.To4()[1]
		if p0 != p1 {
			t.Fatalf("an answer mixed two configurations: %v", resp.Answer)
		}
	}
	close(stop)
	wg.Wait()
}

// FuzzServeDNS feeds arbitrary messages to the handler: it must never panic and
// every response must be a well-formed message with the query's ID.
func FuzzServeDNS(f *testing.F) {
	s := New()
	s.Update(Config{Zones: []Zone{{Name: "example.com"}}},
		[]*gslb.Service{service("www.example.com", map[string]uint32{"10.0.0.1": 1, "fd00::1": 2})}, nil)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{"www.example.com.", dns.TypeA}, {"example.com.", dns.TypeSOA}, {"x.example.org.", dns.TypeAAAA}} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		m.SetEdns0(1232, true)
		b, _ := m.Pack()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tcp := range []bool{false, true} {
			out := s.handle(data, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.53"), tcp, nil, nil)
			if out == nil {
				continue
			}
			resp := new(dns.Msg)
			if err := resp.Unpack(out); err != nil {
				t.Fatalf("the response does not unpack: %v\n%x", err, out)
			}
			if len(data) >= 2 && resp.Id != uint16(data[0])<<8|uint16(data[1]) {
				t.Fatalf("response ID %d for query %x", resp.Id, data[:2])
			}
		}
	})
}

// geoService has a member in Paris (10.7.0.1) and one in Tokyo (10.7.0.2),
// chosen by geo with a round-robin fallback.
func geoService() *gslb.Service {
	paris, tokyo := gslb.Location{Latitude: 48.86, Longitude: 2.35}, gslb.Location{Latitude: 35.68, Longitude: 139.69}
	return service("geo.example.com", nil, func(s *gslb.Service) {
		s.Pools[0].Algorithm, s.Pools[0].Fallback = gslb.Geo, gslb.RoundRobin
		s.Pools[0].Members = []gslb.Member{
			{IP: netip.MustParseAddr("10.7.0.1"), Ratio: 1, Enabled: true, Location: &paris},
			{IP: netip.MustParseAddr("10.7.0.2"), Ratio: 1, Enabled: true, Location: &tokyo},
		}
	})
}

// Geo: a placed client gets the nearest member; an unplaced one the fallback.
func TestGeo(t *testing.T) {
	svc := geoService()
	s := New()
	s.Update(Config{Zones: []Zone{{Name: "example.com"}}, Clients: []ClientLocation{
		{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Location: gslb.Location{Latitude: 50.85, Longitude: 4.35}},     // Brussels
		{Prefix: netip.MustParsePrefix("192.0.2.128/25"), Location: gslb.Location{Latitude: 37.57, Longitude: 126.98}}, // Seoul, more specific
	}}, []*gslb.Service{svc}, nil)
	req := new(dns.Msg)
	req.SetQuestion("geo.example.com.", dns.TypeA)
	for client, want := range map[string]string{"192.0.2.10": "10.7.0.1", "192.0.2.200": "10.7.0.2"} {
		for range 3 {
			resp := exchange(t, s, req, netip.MustParseAddr(client), true)
			if got := resp.Answer[0].(*dns.A).A.String(); got != want {
				t.Errorf("client %s got %s, want the nearest %s", client, got, want)
			}
		}
	}
	seen := map[string]bool{}
	for range 4 {
		resp := exchange(t, s, req, netip.MustParseAddr("203.0.113.7"), true)
		seen[resp.Answer[0].(*dns.A).A.String()] = true
	}
	if len(seen) != 2 {
		t.Errorf("an unplaced client: %v, want the round robin fallback over both", seen)
	}
}

// Clients the table does not place are placed by a MaxMind database.
func TestGeoDatabase(t *testing.T) {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "Test-City", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	_, tokyoNet, _ := net.ParseCIDR("198.51.100.0/24")
	if err := tree.Insert(tokyoNet, mmdbtype.Map{"location": mmdbtype.Map{
		"latitude": mmdbtype.Float64(35.68), "longitude": mmdbtype.Float64(139.69)}}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "city.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	svc := geoService()
	s := New()
	if err := s.SetDatabase(path); err != nil {
		t.Fatal(err)
	}
	s.Update(Config{Zones: []Zone{{Name: "example.com"}}}, []*gslb.Service{svc}, nil)
	req := new(dns.Msg)
	req.SetQuestion("geo.example.com.", dns.TypeA)
	for range 3 {
		if got := exchange(t, s, req, netip.MustParseAddr("198.51.100.9"), true).Answer[0].(*dns.A).A.String(); got != "10.7.0.2" {
			t.Errorf("a client the database places in Tokyo got %s, want 10.7.0.2", got)
		}
	}
	if err := s.SetDatabase(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("a missing database was accepted")
	}
	if err := s.SetDatabase(""); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 4 {
		seen[exchange(t, s, req, netip.MustParseAddr("198.51.100.9"), true).Answer[0].(*dns.A).A.String()] = true
	}
	if len(seen) != 2 {
		t.Errorf("without the database the client is unplaced: %v, want the fallback over both", seen)
	}
}

// A fixed port whose TCP side is taken is refused, naming TCP; port 0 finds a
// port free for both, however many are taken over TCP.
func TestListenNeedsBothProtocols(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	if _, err := New().Listen(taken.Addr().String()); err == nil || !strings.Contains(err.Error(), "listening on tcp") {
		t.Errorf("Listen on a port taken over TCP: %v", err)
	}
	for range 50 {
		l, err := New().Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// exchange answers req as the listeners do (packed, through the wire handler)
// and returns the response unpacked, nil when there is none.
func exchange(t testing.TB, s *Server, req *dns.Msg, client netip.Addr, tcp bool) *dns.Msg {
	t.Helper()
	msg, err := req.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return exchangeBytes(t, s, msg, client, tcp)
}

func exchangeBytes(t testing.TB, s *Server, msg []byte, client netip.Addr, tcp bool) *dns.Msg {
	t.Helper()
	out := s.handle(msg, client, netip.MustParseAddr("192.0.2.53"), tcp, nil, nil)
	if out == nil {
		return nil
	}
	resp := new(dns.Msg)
	if err := resp.Unpack(out); err != nil {
		t.Fatalf("response does not unpack: %v", err)
	}
	return resp
}
