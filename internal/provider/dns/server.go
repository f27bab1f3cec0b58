// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package dns is the built-in DNS backend: an authoritative DNS server for the
// GSLB services, answering A and AAAA queries through the shared answer engine
// (internal/gslb) with the members' health from amko's own probes. It serves only
// its zones (REFUSED elsewhere), never recurses, and answers SOA and NS at each
// zone's apex and NXDOMAIN with the SOA for unknown names.
//
// Updates replace an immutable snapshot atomically: a query reads one snapshot
// from start to end, so it never sees half a change, and takes no lock: the
// only state queries share is the engine's round-robin positions, which are
// atomic counters over precomputed sequences.
//
// Exposed to the internet, it limits the UDP responses per client prefix
// (rrl.go: when on, the one lock a query takes, one of 64 shards' held for a
// table lookup), caps the simultaneous TCP connections, the queries per connection
// and the time a connection may idle, and counts requests, responses and their
// latency (metrics.go).
package dns

import (
	"cmp"
	"context"
	"errors"
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
	engine  *gslb.Engine
	snap    atomic.Pointer[snapshot]
	db      atomic.Pointer[geoDB]
	metrics *Metrics
	rrl     atomic.Pointer[rrl]
	// The TCP limits, read live: by the listener at each connection and by
	// each connection at each read.
	tcpMaxConns, tcpMaxQueries, tcpIdle atomic.Int64
}

// TCPLimits bound the server's TCP connections; zero fields take the defaults.
type TCPLimits struct {
	// MaxConnections caps the simultaneous connections; default 1000. A
	// connection over it is closed at once (reset): waiting would hold its
	// resources all the same, and a resolver refused turns to another server
	// or retries.
	MaxConnections int
	// MaxQueriesPerConnection closes a connection after that many queries;
	// default 100.
	MaxQueriesPerConnection int
	// IdleTimeout closes a connection that sends no query for that long,
	// including the first; default 10 s.
	IdleTimeout time.Duration
}

// Default TCP limits.
const (
	DefaultTCPMaxConnections          = 1000
	DefaultTCPMaxQueriesPerConnection = 100
	DefaultTCPIdleTimeout             = 10 * time.Second
)

// SetTCPLimits applies TCP limits live: the cap to the next connections, the
// others to the next query read on every connection, open ones included.
func (s *Server) SetTCPLimits(l TCPLimits) {
	s.tcpMaxConns.Store(int64(cmp.Or(max(l.MaxConnections, 0), DefaultTCPMaxConnections)))
	s.tcpMaxQueries.Store(int64(cmp.Or(max(l.MaxQueriesPerConnection, 0), DefaultTCPMaxQueriesPerConnection)))
	s.tcpIdle.Store(int64(cmp.Or(max(l.IdleTimeout, 0), DefaultTCPIdleTimeout)))
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
	zones   []zone // longest name first, so the first suffix match is the closest zone
	table   *gslb.Table
	up      gslb.UpFunc
	serial  uint32
	clients []ClientLocation // longest prefix first
}

type zone struct {
	name     string // lower case, fully qualified
	soa      *dns.SOA
	ns       []dns.RR
	requests [qtypeLabels]prometheus.Counter // the zone's label children, by query type
}

// New returns a server with nothing to serve: every query is refused until Update.
func New() *Server {
	s := &Server{}
	s.metrics, _ = NewMetrics(nil) // registering nothing, it cannot fail
	s.SetTCPLimits(TCPLimits{})
	s.engine = gslb.NewEngine(gslb.Options{Locate: s.locate})
	s.snap.Store(&snapshot{table: gslb.NewTable(nil)})
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
// health (nil: all up). Queries after it returns see the new state, whole.
func (s *Server) Update(cfg Config, services []*gslb.Service, up gslb.UpFunc) {
	old := s.snap.Load()
	serial := uint32(time.Now().Unix())
	if serial <= old.serial {
		serial = old.serial + 1
	}
	snap := &snapshot{up: up, serial: serial, clients: slices.Clone(cfg.Clients)}
	slices.SortStableFunc(snap.clients, func(a, b ClientLocation) int { return b.Prefix.Bits() - a.Prefix.Bits() })
	for _, z := range cfg.Zones {
		nz := newZone(z, serial)
		nz.requests = s.metrics.zoneCounter(nz.name)
		snap.zones = append(snap.zones, nz)
	}
	// Longest first: a query for a.b.example.com belongs to b.example.com when
	// both zones are served.
	slices.SortStableFunc(snap.zones, func(a, b zone) int { return len(b.name) - len(a.name) })
	if cfg.DefaultTTL > 0 {
		withTTL := make([]*gslb.Service, len(services))
		for i, svc := range services {
			withTTL[i] = svc
			if svc.TTL == nil {
				c := *svc
				ttl := cfg.DefaultTTL
				c.TTL = &ttl
				withTTL[i] = &c
			}
		}
		services = withTTL
	}
	snap.table = gslb.NewTable(services)
	s.snap.Store(snap)
}

// Reset forgets the round-robin state of a service that changed.
func (s *Server) Reset(service string) { s.engine.Reset(service) }

// Forget forgets the round-robin state of the named services, removed or
// replaced: state is kept only for what is served.
func (s *Server) Forget(services map[string]bool) { s.engine.Forget(services) }

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
	nss := z.Nameservers
	if len(nss) == 0 {
		nss = []string{"ns1." + name}
	}
	out := zone{name: name}
	out.soa = &dns.SOA{
		Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:  dns.CanonicalName(nss[0]), Mbox: dns.CanonicalName(strings.ReplaceAll(mbox, "@", ".")),
		Serial: serial, Refresh: 3600, Retry: 600, Expire: 604800, Minttl: ttl,
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
		if name == z.name || strings.HasSuffix(name, "."+z.name) {
			return z
		}
	}
	return nil
}

// ServeDNS answers one message.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	start := time.Now()
	ra := w.RemoteAddr()
	tcp := ra.Network() != "udp"
	client := remoteAddr(ra)
	resp := s.answer(req, client, tcp)
	if resp == nil {
		return // a down response of NONE: no answer at all, as the Avi DNS service does
	}
	m := s.metrics
	if r := s.rrl.Load(); r != nil && !tcp {
		switch r.check(client) {
		case rrlDrop:
			m.rrlDropped.Inc()
			return
		case rrlSlip:
			m.rrlSlipped.Inc()
			resp = slipped(req)
		}
	}
	_ = w.WriteMsg(resp)
	m.response(resp.Rcode)
	if tcp {
		m.tcp.Observe(time.Since(start).Seconds())
	} else {
		m.udp.Observe(time.Since(start).Seconds())
	}
}

// slipped is the response over the rate limit that is sent: truncated, with no
// records, so that a real resolver retries over TCP.
func slipped(req *dns.Msg) *dns.Msg {
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.RecursionAvailable = false
	resp.Truncated = true
	return resp
}

// answer builds the response to req from client and counts the request; nil
// means no response.
func (s *Server) answer(req *dns.Msg, client netip.Addr, tcp bool) *dns.Msg {
	resp := new(dns.Msg)
	if req.Opcode != dns.OpcodeQuery {
		s.metrics.refused[qtypeLabels-1].Inc()
		resp.SetRcode(req, dns.RcodeNotImplemented)
		return resp
	}
	if len(req.Question) != 1 || req.Response {
		s.metrics.refused[qtypeLabels-1].Inc()
		resp.SetRcode(req, dns.RcodeFormatError)
		return resp
	}
	resp.SetReply(req)
	resp.RecursionAvailable = false
	opt := req.IsEdns0()
	size := uint16(dns.MinMsgSize)
	var ecs netip.Prefix
	if opt != nil {
		if opt.Version() != 0 {
			s.metrics.refused[qtypeLabels-1].Inc()
			resp.SetRcode(req, dns.RcodeBadVers)
			resp.SetEdns0(1232, false)
			return resp
		}
		size = max(min(opt.UDPSize(), 4096), dns.MinMsgSize)
		ecs = clientSubnet(opt)
	}

	snap := s.snap.Load()
	q := req.Question[0]
	name := strings.ToLower(dns.Fqdn(q.Name))
	z := snap.zoneOf(name)
	if z == nil || q.Qclass != dns.ClassINET {
		s.metrics.refused[qtypeIndex(q.Qtype)].Inc()
		resp.SetRcode(req, dns.RcodeRefused)
		return finish(resp, req, size, tcp, ecs)
	}
	z.requests[qtypeIndex(q.Qtype)].Inc()
	resp.Authoritative = true

	svc := snap.table.Lookup(name)
	switch {
	case svc != nil && (q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA):
		ans := s.engine.Answer(svc, gslb.Query{Name: name, Type: gslb.QType(q.Qtype), Client: client, ECS: ecs}, snap.up)
		switch ans.Action {
		case gslb.ActionDrop:
			return nil
		case gslb.ActionNoData:
			resp.Ns = append(resp.Ns, z.soa)
		default:
			for _, a := range ans.Addrs {
				resp.Answer = append(resp.Answer, addressRR(q.Name, a, ans.TTL))
			}
			if len(resp.Answer) == 0 {
				resp.Ns = append(resp.Ns, z.soa)
			}
		}
	case name == z.name && q.Qtype == dns.TypeSOA:
		resp.Answer = append(resp.Answer, z.soa)
	case name == z.name && q.Qtype == dns.TypeNS:
		resp.Answer = append(resp.Answer, z.ns...)
	case svc != nil || name == z.name:
		resp.Ns = append(resp.Ns, z.soa) // the name exists, the type does not: NODATA
	default:
		resp.SetRcode(req, dns.RcodeNameError)
		resp.Ns = append(resp.Ns, z.soa)
	}
	return finish(resp, req, size, tcp, ecs)
}

// finish adds EDNS0 to a response to an EDNS0 query and truncates a UDP answer
// that does not fit, so the client retries over TCP.
func finish(resp, req *dns.Msg, size uint16, tcp bool, ecs netip.Prefix) *dns.Msg {
	if opt := req.IsEdns0(); opt != nil {
		resp.SetEdns0(1232, opt.Do())
		if ecs.IsValid() {
			// Answers depend on the subnet at the precision it was given (RFC 7871).
			family := uint16(1)
			if ecs.Addr().Is6() {
				family = 2
			}
			out := resp.IsEdns0()
			out.Option = append(out.Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: family,
				SourceNetmask: uint8(ecs.Bits()), SourceScope: uint8(ecs.Bits()), Address: ecs.Addr().AsSlice()})
		}
	}
	if !tcp {
		resp.Truncate(int(size))
	}
	return resp
}

// clientSubnet reads the EDNS client subnet option.
func clientSubnet(opt *dns.OPT) netip.Prefix {
	for _, o := range opt.Option {
		if e, ok := o.(*dns.EDNS0_SUBNET); ok {
			if a, ok := netip.AddrFromSlice(e.Address); ok {
				if p, err := a.Unmap().Prefix(int(e.SourceNetmask)); err == nil {
					return p
				}
			}
		}
	}
	return netip.Prefix{}
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

// Listener serves a Server over UDP and TCP on one address.
type Listener struct {
	// Addr is the bound address (with the port chosen when it was 0).
	Addr    string
	servers []*dns.Server
	wg      sync.WaitGroup
}

// Listen binds addr over UDP and TCP (TCP on the port UDP got) and serves s
// until Close.
func (s *Server) Listen(addr string) (*Listener, error) {
	pc, l, err := ListenBoth(addr)
	if err != nil {
		return nil, err
	}
	// The TCP limits are applied here rather than by dns.Server's fields,
	// which it reads unsynchronised, so that they change live: the listener
	// caps the connections, and each connection's reader counts its queries
	// and sets its idle timeout. MaxTCPQueries -1 leaves the count to it.
	ln := &Listener{Addr: pc.LocalAddr().String(), servers: []*dns.Server{
		{PacketConn: pc, Handler: s},
		{Listener: &limitListener{Listener: l, s: s}, Handler: s, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
			MaxTCPQueries: -1, DecorateReader: func(r dns.Reader) dns.Reader { return &tcpReader{Reader: r, s: s} }},
	}}
	var started sync.WaitGroup
	for _, srv := range ln.servers {
		started.Add(1)
		ln.wg.Add(1)
		srv.NotifyStartedFunc = started.Done
		go func() {
			defer ln.wg.Done()
			_ = srv.ActivateAndServe()
		}()
	}
	started.Wait()
	return ln, nil
}

// ListenBoth binds addr over UDP and TCP on one port, as a DNS server needs.
// With port 0 the port UDP got may be taken over TCP by someone else: then it
// tries other ports.
func ListenBoth(addr string) (net.PacketConn, net.Listener, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dns: listen address %s: %w", addr, err)
	}
	for attempt := 0; ; attempt++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dns: listening on udp %s: %w", addr, err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		_ = pc.Close()
		if port != "0" || attempt == 20 {
			return nil, nil, fmt.Errorf("dns: listening on tcp %s: %w", pc.LocalAddr(), err)
		}
	}
}

// Close stops serving and waits for the servers to end.
func (l *Listener) Close() error {
	var errs []error
	for _, srv := range l.servers {
		if err := srv.ShutdownContext(context.Background()); err != nil {
			errs = append(errs, err)
		}
	}
	l.wg.Wait()
	return errors.Join(errs...)
}

// limitListener closes at once the connections over the server's cap.
type limitListener struct {
	net.Listener
	s    *Server
	open atomic.Int64
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.s.tcpMaxConns.Load() {
			l.open.Add(-1)
			l.s.metrics.tcpRefused.Inc()
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // a reset: nothing left in TIME_WAIT
			}
			_ = c.Close()
			continue
		}
		l.s.metrics.tcpConns.Inc()
		return &limitConn{Conn: c, l: l}, nil
	}
}

// limitConn gives its place back when closed, once.
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		c.l.s.metrics.tcpConns.Dec()
	})
	return err
}

// errQueryLimit ends a connection that had its queries.
var errQueryLimit = errors.New("dns: the connection had its maximum of queries")

// tcpReader reads one TCP connection's queries: at most the server's maximum,
// each within the idle timeout.
type tcpReader struct {
	dns.Reader
	s       *Server
	queries int64
}

func (r *tcpReader) ReadTCP(conn net.Conn, timeout time.Duration) ([]byte, error) {
	if r.queries >= r.s.tcpMaxQueries.Load() {
		return nil, errQueryLimit
	}
	idle := time.Duration(r.s.tcpIdle.Load())
	if r.queries == 0 {
		idle = min(idle, timeout) // the first query: within the read timeout too
	}
	r.queries++
	return r.Reader.ReadTCP(conn, idle)
}
