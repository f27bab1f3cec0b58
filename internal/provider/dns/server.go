// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package dns is the built-in DNS backend: an authoritative DNS server for the
// GSLB services, answering A and AAAA queries through the shared answer engine
// (internal/gslb) with the members' health from amko's own probes. It serves only
// its zones (REFUSED elsewhere), never recurses, and answers SOA and NS at each
// zone's apex and NXDOMAIN with the SOA for unknown names; empty non-terminals
// get NODATA (RFC 8020), ANY one RRset (RFC 8482), zone transfers REFUSED.
//
// Updates replace an immutable snapshot atomically: a query reads one snapshot
// from start to end, so it never sees half a change, and takes no lock. The
// snapshot holds every service prepared (gslb.Prepared) with its round-robin
// state, atomic positions in precomputed cycles, so memory is set by the
// services served, not by the names queried. A change makes the next snapshot
// from the last one (index.go): the services it does not touch, and the
// shards of the name index that hold none of its names, are shared.
//
// Queries are read from the wire and, for the common case (one A or AAAA
// question for a served name), answered by writing the response bytes directly
// (wire.go), with no allocation; anything else goes through miekg/dns (full).
// UDP is read inline by a reader per SO_REUSEPORT socket, TCP by a goroutine
// per connection with pipelining (listen.go).
//
// Exposed to the internet, it limits the UDP responses per client prefix
// (rrl.go: when on, the one lock a query takes, one of 64 shards' held for a
// table lookup), caps the simultaneous TCP connections and the time a
// connection may idle or last, and counts requests, responses and their
// latency (metrics.go).
package dns

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/oschwald/maxminddb-golang/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/amko-project/amko/internal/gslb"
)

// Zone is a zone served authoritatively.
type Zone struct {
	// Name is the zone's domain.
	Name string
	// Nameservers are the host names of its NS records; default ns1.<zone>.
	Nameservers []string
	// Hostmaster is the SOA mailbox; default hostmaster.<zone>.
	Hostmaster string
	// NegativeTTL is the SOA minimum and the TTL of the SOA in negative answers;
	// default 30.
	NegativeTTL uint32
}

// Config is what the server serves.
type Config struct {
	Zones []Zone
	// DefaultTTL is the TTL of services that set none; 0 means gslb.DefaultTTL.
	DefaultTTL uint32
	// Clients place client addresses for the geo algorithm; the longest
	// matching prefix wins.
	Clients []ClientLocation
}

// ClientLocation is where the clients of a prefix are.
type ClientLocation struct {
	Prefix   netip.Prefix
	Location gslb.Location
}

// Server answers DNS queries. Its zero value is not usable; use New.
type Server struct {
	engine *gslb.Engine
	snap   atomic.Pointer[snapshot]
	// pubMu orders publications; pub is what they are made from.
	pubMu   sync.Mutex
	pub     *published
	db      atomic.Pointer[geoDB]
	metrics *Metrics
	rrl     atomic.Pointer[rrl]
	// The TCP limits, read live: by the listener at each connection and by
	// each connection at each read.
	tcpMaxConns, tcpMaxQueries, tcpIdle, tcpTotal atomic.Int64
}

// TCPLimits bound the server's TCP connections; zero fields take the defaults.
// A connection carries any number of queries, pipelined or not (RFC 7766
// §6.2.1), answered in the order they came, until a limit closes it.
type TCPLimits struct {
	// MaxConnections caps the simultaneous connections; default 1000. A
	// connection over it is closed at once (reset): waiting would hold its
	// resources all the same, and a resolver refused turns to another server
	// or retries.
	MaxConnections int
	// MaxQueriesPerConnection closes a connection after that many queries;
	// default 0: no limit.
	MaxQueriesPerConnection int
	// IdleTimeout closes a connection that sends no query for that long,
	// including the first (which also has at most 5 s); default 10 s.
	IdleTimeout time.Duration
	// MaxConnectionTime closes a connection that long after it was accepted,
	// whatever it does, once its current query is answered; default 5 min.
	MaxConnectionTime time.Duration
}

// Default TCP limits.
const (
	DefaultTCPMaxConnections          = 1000
	DefaultTCPMaxQueriesPerConnection = 0 // no limit
	DefaultTCPIdleTimeout             = 10 * time.Second
	DefaultTCPMaxConnectionTime       = 5 * time.Minute
)

// SetTCPLimits applies TCP limits live: the cap to the next connections, the
// others to the next query read on every connection, open ones included.
func (s *Server) SetTCPLimits(l TCPLimits) {
	s.tcpMaxConns.Store(int64(cmp.Or(max(l.MaxConnections, 0), DefaultTCPMaxConnections)))
	s.tcpMaxQueries.Store(int64(cmp.Or(max(l.MaxQueriesPerConnection, 0), DefaultTCPMaxQueriesPerConnection)))
	s.tcpIdle.Store(int64(cmp.Or(max(l.IdleTimeout, 0), DefaultTCPIdleTimeout)))
	s.tcpTotal.Store(int64(cmp.Or(max(l.MaxConnectionTime, 0), DefaultTCPMaxConnectionTime)))
}

// SetRateLimit turns response rate limiting on with cfg, or off with nil; it
// applies to the next response. A new rate or slip keeps the prefixes' state,
// new prefix lengths start afresh, and off drops it.
func (s *Server) SetRateLimit(cfg *RateLimit) {
	if cfg == nil {
		s.rrl.Store(nil)
		return
	}
	s.rrl.Store(newRRL(*cfg, s.rrl.Load()))
}

// SetMetrics makes the server count into m (see NewMetrics) instead of the
// unregistered metrics New gives it. Call it before Update and Listen.
func (s *Server) SetMetrics(m *Metrics) { s.metrics = m }

// geoDB is a MaxMind database held in memory, so a replaced one can simply be
// dropped while queries may still read it.
type geoDB struct {
	path   string
	reader *maxminddb.Reader
}

// SetDatabase makes the geo algorithm place the clients the client table does
// not by a MaxMind database: GeoIP2 or GeoLite2 City, or any MMDB whose records
// carry location.latitude and location.longitude. "" turns it off. The file is
// read again only when the path changes.
func (s *Server) SetDatabase(path string) error {
	if cur := s.db.Load(); (cur == nil && path == "") || (cur != nil && cur.path == path) {
		return nil
	}
	if path == "" {
		s.db.Store(nil)
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("dns: reading the geo database: %w", err)
	}
	reader, err := maxminddb.OpenBytes(data)
	if err != nil {
		return fmt.Errorf("dns: opening the geo database %s: %w", path, err)
	}
	s.db.Store(&geoDB{path: path, reader: reader})
	return nil
}

// cityRecord is the part of a GeoIP2 City record the geo algorithm reads.
type cityRecord struct {
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
}

// snapshot is everything one query reads; it is never modified once published.
type snapshot struct {
	zones []zone // longest name first, so the first suffix match is the closest zone
	// names holds every service prepared (gslb.Prepared), with its
	// round-robin state, so state lives and dies with the snapshots that
	// serve it; and the empty non-terminals.
	names   names
	serial  uint32
	clients []ClientLocation // longest prefix first
}

type zone struct {
	name     string // lower case, fully qualified
	bare     string // name without the trailing dot ("" for the root)
	soa      *dns.SOA
	soaWire  []byte // the SOA record packed, for negative answers on the fast path
	ns       []dns.RR
	selfNS   string                          // "ns1.<zone>." when it is the default name server, else ""
	requests [qtypeLabels]prometheus.Counter // the zone's label children, by query type
}

// New returns a server with nothing to serve: every query is refused until Update.
func New() *Server {
	s := &Server{}
	s.metrics, _ = NewMetrics(nil) // registering nothing, it cannot fail
	s.SetTCPLimits(TCPLimits{})
	s.engine = gslb.NewEngine(gslb.Options{Locate: s.locate})
	s.snap.Store(&snapshot{})
	return s
}

// locate places a client by the current snapshot's client table, else by the
// geo database.
func (s *Server) locate(a netip.Addr) (gslb.Location, bool) {
	for _, c := range s.snap.Load().clients {
		if c.Prefix.Contains(a) {
			return c.Location, true
		}
	}
	db := s.db.Load()
	if db == nil {
		return gslb.Location{}, false
	}
	var rec cityRecord
	res := db.reader.Lookup(a)
	if !res.Found() || res.Decode(&rec) != nil || rec.Location.Latitude == nil || rec.Location.Longitude == nil {
		return gslb.Location{}, false
	}
	return gslb.Location{Latitude: *rec.Location.Latitude, Longitude: *rec.Location.Longitude}, true
}

// Update publishes a new configuration and set of services; up reports member
// health (nil: all up), read during Update: a change of health is published by
// another Update or Change. Queries after it returns see the new state, whole.
// When several services claim the same name, the first by tenant, then name,
// answers it; of two services with the same tenant and name, the last given.
//
// Each service is prepared (gslb.Prepared) here rather than at its first
// query: the snapshot's size is set by the services, not by the names asked
// for. A service published again as the same *Service keeps its round-robin
// positions; one that changed starts its cycles afresh.
func (s *Server) Update(cfg Config, services []*gslb.Service, up gslb.UpFunc) {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	old := s.pub
	s.pub = &published{cfg: cfg, services: make(map[ServiceKey]*servedSvc, len(services)),
		exact: map[string][]ServiceKey{}, wild: map[string][]ServiceKey{}, ents: map[string]int{}}
	if old != nil {
		// What was served lends its prepared answers (and round-robin
		// positions) to the same *Service.
		for k, sv := range old.services {
			s.pub.services[k] = &servedSvc{prep: sv.prep}
		}
	}
	snap := s.nextSnapshot()
	// A service of the old set that is not given again is withdrawn with
	// nothing to unclaim: only its prepared answer was carried over.
	var removed []ServiceKey
	given := make(map[ServiceKey]bool, len(services))
	for _, svc := range services {
		if svc != nil {
			given[keyOf(svc)] = true
		}
	}
	for k := range s.pub.services {
		if !given[k] {
			removed = append(removed, k)
		}
	}
	s.apply(s.pub, nil, snap, services, removed, up)
	s.snap.Store(snap)
}

// Change publishes a change to the services of the last Update: set are new
// or changed services (or unchanged ones whose members' health changed), with
// up reporting that health for them; removed are withdrawn. It costs what it
// changes: the other services' prepared answers, and the parts of the name
// index that hold none of the changed names, are shared with the snapshot
// before.
func (s *Server) Change(set []*gslb.Service, removed []ServiceKey, up gslb.UpFunc) {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if s.pub == nil {
		s.pub = &published{services: map[ServiceKey]*servedSvc{},
			exact: map[string][]ServiceKey{}, wild: map[string][]ServiceKey{}, ents: map[string]int{}}
	}
	snap := s.nextSnapshot()
	prev := s.snap.Load().names
	s.apply(s.pub, &prev, snap, set, removed, up)
	s.snap.Store(snap)
}

// nextSnapshot is a snapshot with the last configuration (s.pub's), a new
// serial and no names yet. s.pubMu is held.
func (s *Server) nextSnapshot() *snapshot {
	old := s.snap.Load()
	serial := uint32(time.Now().Unix())
	if serial <= old.serial {
		serial = old.serial + 1
	}
	var cfg Config
	if s.pub != nil {
		cfg = s.pub.cfg
	}
	snap := &snapshot{serial: serial, clients: slices.Clone(cfg.Clients)}
	slices.SortStableFunc(snap.clients, func(a, b ClientLocation) int { return b.Prefix.Bits() - a.Prefix.Bits() })
	for _, z := range cfg.Zones {
		nz := newZone(z, serial)
		nz.requests = s.metrics.zoneCounter(nz.name)
		snap.zones = append(snap.zones, nz)
	}
	// Longest first: a query for a.b.example.com belongs to b.example.com when
	// both zones are served.
	slices.SortStableFunc(snap.zones, func(a, b zone) int { return len(b.name) - len(a.name) })
	return snap
}

// Reset forgets the round-robin state of a service that changed (that the
// engine holds: rotation between pools and the client-dependent algorithms'
// fallbacks; a prepared service's own state goes with its snapshot).
func (s *Server) Reset(service string) { s.engine.Reset(service) }

// Forget forgets the round-robin state of the named services, removed or
// replaced: state is kept only for what is served.
func (s *Server) Forget(services map[string]bool) { s.engine.Forget(services) }

// RoundRobinStates counts the round-robin states the server holds, in its
// current snapshot and its engine: bounded by the services served.
func (s *Server) RoundRobinStates() int {
	n := 0
	s.eachPrepared(func(p *gslb.Prepared) {
		n += p.RoundRobinStates()
		n += s.engine.States(p.Service().Name)
	})
	return n
}

// eachPrepared calls f with each service's prepared answer as published.
func (s *Server) eachPrepared(f func(*gslb.Prepared)) {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if s.pub == nil {
		return
	}
	for _, sv := range s.pub.services {
		f(sv.prep)
	}
}

func newZone(z Zone, serial uint32) zone {
	name := dns.CanonicalName(z.Name)
	ttl := z.NegativeTTL
	if ttl == 0 {
		ttl = gslb.DefaultTTL
	}
	mbox := z.Hostmaster
	if mbox == "" {
		mbox = "hostmaster." + name
	}
	out := zone{name: name, bare: strings.TrimSuffix(name, ".")}
	nss := z.Nameservers
	if len(nss) == 0 {
		// The default name server is the server itself: it answers its own
		// name with the address the query reached it on.
		out.selfNS = dns.CanonicalName("ns1." + name)
		nss = []string{out.selfNS}
	}
	out.soa = &dns.SOA{
		Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:  dns.CanonicalName(nss[0]), Mbox: dns.CanonicalName(strings.ReplaceAll(mbox, "@", ".")),
		Serial: serial, Refresh: 3600, Retry: 600, Expire: 604800, Minttl: ttl,
	}
	buf := make([]byte, dns.Len(out.soa))
	if n, err := dns.PackRR(out.soa, buf, 0, nil, false); err == nil {
		out.soaWire = buf[:n]
	}
	for _, ns := range nss {
		out.ns = append(out.ns, &dns.NS{
			Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 3600},
			Ns:  dns.CanonicalName(ns),
		})
	}
	return out
}

// zoneOf returns the closest served zone of a name, or nil.
func (snap *snapshot) zoneOf(name string) *zone {
	for i := range snap.zones {
		z := &snap.zones[i]
		if name == z.name || strings.HasSuffix(name, "."+z.name) || z.name == "." {
			return z
		}
	}
	return nil
}

// zoneOfBytes is zoneOf for a canonical name without its trailing dot.
func (snap *snapshot) zoneOfBytes(name []byte) *zone {
	for i := range snap.zones {
		z := &snap.zones[i]
		b := z.bare
		if b == "" || string(name) == b ||
			(len(name) > len(b) && name[len(name)-len(b)-1] == '.' && string(name[len(name)-len(b):]) == b) {
			return z
		}
	}
	return nil
}

// ServeDNS answers one message given as a dns.Msg (tests, in-process
// benchmarks): it is packed and answered as the listeners answer bytes.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	msg, err := req.Pack()
	if err != nil {
		return
	}
	tcp := w.RemoteAddr().Network() != "udp"
	resp := s.handle(msg, remoteAddr(w.RemoteAddr()), remoteAddr(w.LocalAddr()), tcp, make([]byte, 0, 512), make([]byte, 0, 256))
	if resp != nil {
		_, _ = w.Write(resp)
	}
}

// handle answers the message msg from client, received on local over TCP or
// UDP; the response is appended to out[:0], nil when none is sent. It counts
// the request, the response and the time taken. scratch holds the query name
// (a reader's own, so that nothing is allocated per query).
func (s *Server) handle(msg []byte, client, local netip.Addr, tcp bool, out, scratch []byte) []byte {
	start := time.Now()
	var q rawQuery
	if !parseQuery(msg, &q, scratch) || q.flags&flagQR != 0 {
		return nil // too short to reply to, or a response: replying could loop or amplify
	}
	snap := s.snap.Load()
	resp, handled := s.fast(&q, snap, client, tcp, out)
	rcode := dns.RcodeSuccess
	if !handled {
		resp, rcode = s.full(msg, &q, snap, client, local, tcp, out)
	}
	if resp == nil {
		return nil // a down response of NONE: no answer at all, as the Avi DNS service does
	}
	m := s.metrics
	if r := s.rrl.Load(); r != nil && !tcp {
		switch r.check(client) {
		case rrlDrop:
			m.rrlDropped.Inc()
			return nil
		case rrlSlip:
			m.rrlSlipped.Inc()
			resp = slipped(&q, resp)
			rcode = int(resp[3] & 0xf)
		}
	}
	m.response(rcode)
	if tcp {
		m.tcp.Observe(time.Since(start).Seconds())
	} else {
		m.udp.Observe(time.Since(start).Seconds())
	}
	return resp
}

// slipped turns a response over the rate limit into the one that is sent:
// truncated, with no records, so that a real resolver retries over TCP.
func slipped(q *rawQuery, resp []byte) []byte {
	flags := binary.BigEndian.Uint16(resp[2:])
	out := header(resp[:0], q, flags&(flagAA|0xf)|flagTC, 0, 0, 0)
	if q.question == nil {
		out[5] = 0
		return out
	}
	return append(out, q.question...)
}

// full answers any message through a full unpack and pack: what the fast path
// leaves (other types, other names, errors, truncation).
func (s *Server) full(msg []byte, q *rawQuery, snap *snapshot, client, local netip.Addr, tcp bool, out []byte) ([]byte, int) {
	req := new(dns.Msg)
	if err := req.Unpack(msg); err != nil {
		s.metrics.refused[qtypeLabels-1].Inc()
		return formErr(q, out), dns.RcodeFormatError
	}
	resp := s.answer(req, q, snap, client, local, tcp)
	if resp == nil {
		return nil, 0
	}
	b, err := resp.PackBuffer(out[:cap(out)])
	if err != nil {
		return nil, 0
	}
	return b, resp.Rcode
}

// answer builds the response to req from client and counts the request; nil
// means no response. q is what the wire reader saw of req.
func (s *Server) answer(req *dns.Msg, q *rawQuery, snap *snapshot, client, local netip.Addr, tcp bool) *dns.Msg {
	resp := new(dns.Msg)
	if req.Opcode != dns.OpcodeQuery {
		s.metrics.refused[qtypeLabels-1].Inc()
		resp.SetRcode(req, dns.RcodeNotImplemented)
		return resp
	}
	if len(req.Question) != 1 || q.opts > 1 || q.ecsBad {
		// Two OPT records (RFC 6891 §6.1.1) or a malformed client subnet
		// (RFC 7871 §6): FORMERR, with no OPT since the query's is in doubt.
		s.metrics.refused[qtypeLabels-1].Inc()
		resp.SetRcode(req, dns.RcodeFormatError)
		resp.Extra = nil
		return resp
	}
	resp.SetReply(req)
	resp.RecursionAvailable = false
	opt := req.IsEdns0()
	size := uint16(dns.MinMsgSize)
	if opt != nil {
		if opt.Version() != 0 {
			s.metrics.refused[qtypeLabels-1].Inc()
			resp.SetRcode(req, dns.RcodeBadVers)
			resp.SetEdns0(ednsSize, false)
			return resp
		}
		size = max(min(opt.UDPSize(), 4096), dns.MinMsgSize)
	}
	ecs := q.ecs
	var scope uint8

	qq := req.Question[0]
	name := strings.ToLower(dns.Fqdn(qq.Name))
	z := snap.zoneOf(name)
	if z == nil || qq.Qclass != dns.ClassINET {
		s.metrics.refused[qtypeIndex(qq.Qtype)].Inc()
		resp.SetRcode(req, dns.RcodeRefused)
		return finish(resp, req, size, tcp, ecs, 0)
	}
	z.requests[qtypeIndex(qq.Qtype)].Inc()
	if qq.Qtype == dns.TypeAXFR || qq.Qtype == dns.TypeIXFR {
		// No zone transfers: the zone is synthesised per query.
		resp.SetRcode(req, dns.RcodeRefused)
		return finish(resp, req, size, tcp, ecs, 0)
	}
	resp.Authoritative = true

	p := snap.names.lookup(strings.TrimSuffix(name, "."))
	switch {
	case p != nil && (qq.Qtype == dns.TypeA || qq.Qtype == dns.TypeAAAA || qq.Qtype == dns.TypeANY):
		gq := gslb.Query{Name: name, Type: gslb.QType(qq.Qtype), Client: client, ECS: ecs}
		if qq.Qtype == dns.TypeANY {
			// RFC 8482 §4.2: one RRset, as Knot answers ANY: the addresses an
			// A query would get, else those of an AAAA query.
			gq.Type = gslb.QTypeA
		}
		ans := p.Answer(gq)
		if qq.Qtype == dns.TypeANY && ans.Action == gslb.ActionAnswer && len(ans.Addrs) == 0 {
			gq.Type = gslb.QTypeAAAA
			ans = p.Answer(gq)
		}
		switch ans.Action {
		case gslb.ActionDrop:
			return nil
		case gslb.ActionNoData:
			resp.Ns = append(resp.Ns, z.soa)
		default:
			scope = ans.Scope
			for _, a := range ans.Addrs {
				resp.Answer = append(resp.Answer, addressRR(qq.Name, a, ans.TTL))
			}
			if len(resp.Answer) == 0 {
				resp.Ns = append(resp.Ns, z.soa)
			}
		}
	case name == z.name && (qq.Qtype == dns.TypeSOA || qq.Qtype == dns.TypeANY):
		resp.Answer = append(resp.Answer, z.soa) // ANY: the SOA alone (RFC 8482)
	case name == z.name && qq.Qtype == dns.TypeNS:
		resp.Answer = append(resp.Answer, z.ns...)
	case p == nil && name == z.selfNS:
		// The default name server is this server: its address is the one the
		// query reached.
		a := local.Unmap()
		if a.IsValid() && !a.IsUnspecified() && (qq.Qtype == dns.TypeANY ||
			(qq.Qtype == dns.TypeA && a.Is4()) || (qq.Qtype == dns.TypeAAAA && a.Is6())) {
			resp.Answer = append(resp.Answer, addressRR(qq.Name, a, 3600))
		} else {
			resp.Ns = append(resp.Ns, z.soa)
		}
	case p != nil || name == z.name || snap.names.isENT(name):
		resp.Ns = append(resp.Ns, z.soa) // the name exists, the type does not: NODATA
	default:
		resp.SetRcode(req, dns.RcodeNameError)
		resp.Ns = append(resp.Ns, z.soa)
	}
	return finish(resp, req, size, tcp, ecs, scope)
}

// finish adds EDNS0 to a response to an EDNS0 query, with the client subnet
// and the scope the answer has, and truncates a UDP answer that does not fit,
// so the client retries over TCP.
func finish(resp, req *dns.Msg, size uint16, tcp bool, ecs netip.Prefix, scope uint8) *dns.Msg {
	if opt := req.IsEdns0(); opt != nil {
		resp.SetEdns0(ednsSize, opt.Do())
		if ecs.IsValid() {
			family := uint16(1)
			if ecs.Addr().Is6() {
				family = 2
			}
			out := resp.IsEdns0()
			out.Option = append(out.Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: family,
				SourceNetmask: uint8(ecs.Bits()), SourceScope: scope, Address: ecs.Addr().AsSlice()})
		}
	}
	if !tcp {
		resp.Truncate(int(size))
	}
	return resp
}

func addressRR(name string, a netip.Addr, ttl uint32) dns.RR {
	if a.Is4() {
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: a.AsSlice()}
	}
	return &dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl}, AAAA: a.AsSlice()}
}

func remoteAddr(a net.Addr) netip.Addr {
	var ip net.IP
	switch t := a.(type) {
	case *net.UDPAddr:
		ip = t.IP
	case *net.TCPAddr:
		ip = t.IP
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap()
}
