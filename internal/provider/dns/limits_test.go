// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/test/await"
)

// serveLimited starts a server on 127.0.0.1 with metrics in a registry of its
// own, the rate limit rl and the TCP limits tcp.
func serveLimited(t *testing.T, rl *RateLimit, tcp TCPLimits) (*Server, string, *Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	s.SetMetrics(m)
	s.SetRateLimit(rl)
	s.SetTCPLimits(tcp)
	s.Update(Config{Zones: []Zone{{Name: "example.com"}}}, []*gslb.Service{service("www.example.com", map[string]uint32{"10.0.0.1": 1})}, nil)
	l, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return s, l.Addr, m, reg
}

// flood sends n A queries over UDP from the address from as fast as it can,
// then reads the responses until the server has answered, slipped or dropped
// every one. It returns the full answers and the truncated ones, and the time
// from the first query sent to the last response read.
func flood(t *testing.T, m *Metrics, from, addr string, n int) (answered, truncated int, took time.Duration) {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(from, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	dropped0 := toFloat64(m.rrlDropped)
	start := time.Now()
	for i := range n {
		q := new(dns.Msg)
		q.SetQuestion("www.example.com.", dns.TypeA)
		q.Id = uint16(i)
		buf, _ := q.Pack()
		if _, err := pc.WriteTo(buf, to); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 4096)
	deadline := time.Now().Add(10 * time.Second)
	for answered+truncated+int(toFloat64(m.rrlDropped)-dropped0) < n && time.Now().Before(deadline) {
		_ = pc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		k, _, err := pc.ReadFrom(buf)
		if err != nil {
			continue // the drops are counted after the last response
		}
		took = time.Since(start)
		var resp dns.Msg
		if err := resp.Unpack(buf[:k]); err != nil {
			t.Fatal(err)
		}
		switch {
		case resp.Truncated && len(resp.Answer) == 0 && len(resp.Ns) == 0:
			truncated++
		case !resp.Truncated && len(resp.Answer) == 1:
			answered++
		default:
			t.Fatalf("neither an answer nor a slipped response:\n%v", &resp)
		}
	}
	return answered, truncated, took
}

func TestRateLimit(t *testing.T) {
	const rate, n = 20, 200
	for _, tc := range []struct {
		name string
		rl   *RateLimit
	}{
		{"off", nil},
		{"slip 2", &RateLimit{ResponsesPerSecond: rate, Slip: 2}},
		{"slip 1", &RateLimit{ResponsesPerSecond: rate, Slip: 1}},
		{"slip 0 drops all", &RateLimit{ResponsesPerSecond: rate, Slip: 0}},
		{"slip 3, /16", &RateLimit{ResponsesPerSecond: rate, Slip: 3, IPv4PrefixLength: 16}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr, m, _ := serveLimited(t, tc.rl, TCPLimits{})
			// A flood from 127.0.1.1 (another /24 than 127.0.0.1, the same /16).
			answered, truncated, took := flood(t, m, "127.0.1.1", addr, n)
			dropped := int(toFloat64(m.rrlDropped))
			t.Logf("%d queries in %v: %d answered, %d truncated, %d dropped", n, took, answered, truncated, dropped)
			if tc.rl == nil {
				if answered != n {
					t.Fatalf("answered %d of %d with no rate limit", answered, n)
				}
				return
			}
			// The burst, plus what the bucket refilled while the flood lasted.
			if most := rate + int(took.Seconds()*rate) + 1; answered < rate || answered > most {
				t.Errorf("answered %d, want %d to %d", answered, rate, most)
			}
			over := n - answered
			wantSlipped := 0
			if tc.rl.Slip > 0 {
				wantSlipped = over / tc.rl.Slip
			}
			if truncated != wantSlipped || dropped != over-wantSlipped {
				t.Errorf("over the limit: %d truncated, %d dropped; want %d and %d", truncated, dropped, wantSlipped, over-wantSlipped)
			}
			if got := toFloat64(m.rrlSlipped); int(got) != truncated {
				t.Errorf("amko_dns_rrl_responses_total{action=slipped} = %v, want %d", got, truncated)
			}

			// Another prefix is answered in full, unless the prefix is
			// wide enough to hold both.
			other, otherTC, _ := flood(t, m, "127.0.0.1", addr, rate)
			if tc.rl.IPv4PrefixLength == 16 {
				if other == rate {
					t.Errorf("127.0.0.1 shares 127.0.1.1's /16 yet was answered in full")
				}
			} else if other != rate || otherTC != 0 {
				t.Errorf("another prefix: %d of %d answered, %d truncated", other, rate, otherTC)
			}

			// TCP is never limited, from the limited prefix too.
			c := &dns.Client{Net: "tcp", Timeout: 5 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.1.1")}}}
			conn, err := c.Dial(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for i := range 2 * rate {
				q := new(dns.Msg)
				q.SetQuestion("www.example.com.", dns.TypeA)
				resp, _, err := c.ExchangeWithConn(q, conn)
				if err != nil || resp.Truncated || len(resp.Answer) != 1 {
					t.Fatalf("TCP query %d from the limited prefix: %v %v", i, err, resp)
				}
			}
		})
	}
}

func TestRateLimitReconfigure(t *testing.T) {
	s, addr, m, _ := serveLimited(t, &RateLimit{ResponsesPerSecond: 10, Slip: 0}, TCPLimits{})
	if a, _, _ := flood(t, m, "127.0.1.1", addr, 50); a >= 50 {
		t.Fatalf("not limited: %d answered", a)
	}
	table := s.rrl.Load().table
	// A new rate keeps the prefixes' state.
	s.SetRateLimit(&RateLimit{ResponsesPerSecond: 11, Slip: 0})
	if s.rrl.Load().table != table {
		t.Error("a new rate dropped the table")
	}
	// Off: everything answered, the state dropped.
	s.SetRateLimit(nil)
	if a, _, _ := flood(t, m, "127.0.1.1", addr, 50); a != 50 {
		t.Errorf("rate limit off: %d of 50 answered", a)
	}
	if s.rrl.Load() != nil {
		t.Error("state kept with the rate limit off")
	}
}

func TestRRLTableBound(t *testing.T) {
	now := int64(1)
	r := newRRL(RateLimit{ResponsesPerSecond: 10, Slip: 2}, nil)
	r.now = func() int64 { return now }
	victim := netip.MustParseAddr("192.0.2.7")
	for range 10 {
		if r.check(victim) != rrlPass {
			t.Fatal("the burst was not answered")
		}
	}
	if r.check(victim) == rrlPass {
		t.Fatal("over the burst, answered")
	}
	// A flood from a million random sources, IPv4 and IPv6.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 1_000_000 {
		var a netip.Addr
		if i%2 == 0 {
			a = netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), 1})
		} else {
			var b [16]byte
			for j := range 8 {
				b[j] = byte(rng.Uint32())
			}
			a = netip.AddrFrom16(b)
		}
		r.check(a)
	}
	if n := r.table.entries(); n > rrlTableSize {
		t.Errorf("%d entries, more than the table's %d", n, rrlTableSize)
	} else {
		t.Logf("%d entries after a million sources (table size %d)", n, rrlTableSize)
	}
	// The limited prefix kept its state: sources whose bucket is fuller went first.
	if r.check(netip.MustParseAddr("192.0.2.200")) == rrlPass {
		t.Error("the limited prefix was forgotten in the flood")
	}
	// After a second, its bucket is full again.
	now += int64(time.Second)
	if r.check(victim) != rrlPass {
		t.Error("still limited a second later")
	}
}

// tcpQuery sends one query on conn and reads the answer.
func tcpQuery(conn *dns.Conn) error {
	q := new(dns.Msg)
	q.SetQuestion("www.example.com.", dns.TypeA)
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := conn.WriteMsg(q); err != nil {
		return err
	}
	resp, err := conn.ReadMsg()
	if err != nil {
		return err
	}
	if len(resp.Answer) != 1 {
		return fmt.Errorf("no answer: %v", resp)
	}
	return nil
}

func TestTCPConnectionCap(t *testing.T) {
	const maxConns, extra = 3, 4
	s, addr, m, _ := serveLimited(t, nil, TCPLimits{MaxConnections: maxConns})
	var served []*dns.Conn
	for i := range maxConns {
		conn, err := dns.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := tcpQuery(conn); err != nil {
			t.Fatalf("connection %d of %d: %v", i, maxConns, err)
		}
		served = append(served, conn)
	}
	for i := range extra {
		conn, err := dns.Dial("tcp", addr)
		if err != nil {
			continue // refused is fine too
		}
		if err := tcpQuery(conn); err == nil {
			t.Errorf("connection %d over the cap was served", i)
		} else if !isClosed(err) {
			t.Errorf("connection %d over the cap: %v, want it closed", i, err)
		}
		conn.Close()
	}
	if got := toFloat64(m.tcpConns); got != maxConns {
		t.Errorf("amko_dns_tcp_connections = %v, want %d", got, maxConns)
	}
	if got := toFloat64(m.tcpRefused); got != extra {
		t.Errorf("amko_dns_tcp_refused_total = %v, want %d", got, extra)
	}
	// The open ones are still served; one closed makes room for another.
	if err := tcpQuery(served[0]); err != nil {
		t.Fatal(err)
	}
	served[1].Close()
	await.Eventually(t, "a closed connection's place given back", func() error {
		if got := toFloat64(m.tcpConns); got != maxConns-1 {
			return fmt.Errorf("amko_dns_tcp_connections = %v", got)
		}
		return nil
	})
	conn, err := dns.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := tcpQuery(conn); err != nil {
		t.Fatalf("a connection after one closed: %v", err)
	}
	// A higher cap applies live, to the next connection.
	s.SetTCPLimits(TCPLimits{MaxConnections: maxConns + 1})
	conn2, err := dns.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	if err := tcpQuery(conn2); err != nil {
		t.Fatalf("a connection under the raised cap: %v", err)
	}
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) ||
		isReset(err)
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

func TestTCPQueriesPerConnectionAndIdleTimeout(t *testing.T) {
	for _, tc := range []struct {
		name       string
		limits     TCPLimits
		queries    int // served before the server closes
		idleClosed bool
	}{
		{"query count", TCPLimits{MaxQueriesPerConnection: 3, IdleTimeout: time.Minute}, 3, false},
		{"idle timeout", TCPLimits{MaxQueriesPerConnection: 100, IdleTimeout: 300 * time.Millisecond}, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr, m, _ := serveLimited(t, nil, tc.limits)
			conn, err := dns.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for i := range tc.queries {
				if err := tcpQuery(conn); err != nil {
					t.Fatalf("query %d of %d: %v", i+1, tc.queries, err)
				}
			}
			start := time.Now()
			if tc.idleClosed {
				// Send nothing: the server closes the connection after the idle timeout.
				_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, err := conn.ReadMsg()
				idle := time.Since(start)
				if !isClosed(err) {
					t.Fatalf("idle connection: %v, want it closed", err)
				}
				if idle < tc.limits.IdleTimeout-50*time.Millisecond || idle > 5*time.Second {
					t.Errorf("closed after %v idle, want about %v", idle, tc.limits.IdleTimeout)
				}
			} else if err := tcpQuery(conn); err == nil || !isClosed(err) {
				t.Fatalf("query %d on a connection allowed %d: %v, want it closed", tc.queries+1, tc.queries, err)
			}
			await.Eventually(t, "the connection's place given back", func() error {
				if got := toFloat64(m.tcpConns); got != 0 {
					return fmt.Errorf("amko_dns_tcp_connections = %v", got)
				}
				return nil
			})
		})
	}
}

func TestMetrics(t *testing.T) {
	_, addr, m, reg := serveLimited(t, &RateLimit{ResponsesPerSecond: 1000, Slip: 2}, TCPLimits{})
	for range 3 {
		query(t, addr, "udp", "www.example.com.", dns.TypeA)
	}
	query(t, addr, "tcp", "www.example.com.", dns.TypeAAAA)
	query(t, addr, "udp", "example.com.", dns.TypeSOA)
	query(t, addr, "udp", "example.com.", dns.TypeNS)
	query(t, addr, "udp", "nothere.example.com.", dns.TypeMX)
	query(t, addr, "udp", "www.example.org.", dns.TypeA)
	query(t, addr, "tcp", "www.example.org.", dns.TypeTXT)

	for _, c := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{m.requests.WithLabelValues("A", "example.com."), 3},
		{m.requests.WithLabelValues("AAAA", "example.com."), 1},
		{m.requests.WithLabelValues("SOA", "example.com."), 1},
		{m.requests.WithLabelValues("NS", "example.com."), 1},
		{m.requests.WithLabelValues("other", "example.com."), 1},
		{m.requests.WithLabelValues("A", ""), 1},
		{m.requests.WithLabelValues("other", ""), 1},
		{m.responses.WithLabelValues("NOERROR"), 6},
		{m.responses.WithLabelValues("NXDOMAIN"), 1},
		{m.responses.WithLabelValues("REFUSED"), 2},
		{m.rrl.WithLabelValues("dropped"), 0},
		{m.rrl.WithLabelValues("slipped"), 0},
	} {
		if got := toFloat64(c.c); got != c.want {
			desc := make(chan *prometheus.Desc, 1)
			c.c.Describe(desc)
			t.Errorf("%v = %v, want %v", <-desc, got, c.want)
		}
	}
	if got := histogramCount(t, reg, "udp"); got != 7 {
		t.Errorf("udp durations: %d, want 7", got)
	}
	if got := histogramCount(t, reg, "tcp"); got != 2 {
		t.Errorf("tcp durations: %d, want 2", got)
	}
	// The TCP connections were closed by the clients.
	await.Eventually(t, "TCP connections closed", func() error {
		if got := toFloat64(m.tcpConns); got != 0 {
			return fmt.Errorf("amko_dns_tcp_connections = %v", got)
		}
		return nil
	})

	// A second server registering with the same registry counts into the
	// same collectors.
	m2, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m2.requests.WithLabelValues("A", "example.com.").Inc()
	if got := toFloat64(m.requests.WithLabelValues("A", "example.com.")); got != 4 {
		t.Errorf("the collectors were not reused: %v", got)
	}
	if _, err := reg.Gather(); err != nil {
		t.Errorf("gathering: %v", err)
	}
}

// toFloat64 is the value of a counter or gauge (prometheus/testutil's, which
// would need one more module).
func toFloat64(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		panic(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// histogramCount reads the sample count of the request duration histogram
// by proto from the registry's exposition.
func histogramCount(t *testing.T, reg *prometheus.Registry, proto string) int {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	prefix := `amko_dns_request_duration_seconds_count{proto="` + proto + `"} `
	for line := range strings.Lines(rec.Body.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	return 0
}

func TestProviderLimits(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := prometheus.NewRegistry()
	opts := Options{Listen: "127.0.0.1:0", Log: quiet, Config: Config{Zones: []Zone{{Name: "example.com"}}},
		RateLimit: &RateLimit{ResponsesPerSecond: 5}, TCP: TCPLimits{MaxConnections: 7}, Registerer: reg}
	p, err := NewProvider(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	addr := p.Addr()
	if r := p.server.rrl.Load(); r == nil || r.cfg.ResponsesPerSecond != 5 {
		t.Fatalf("rate limit not applied: %+v", r)
	}
	if got := p.server.tcpMaxConns.Load(); got != 7 {
		t.Errorf("max connections %d, want 7", got)
	}
	// Reconfigured in place: the limits off and back to the defaults, the
	// listener kept.
	opts.RateLimit, opts.TCP = nil, TCPLimits{}
	if err := p.Configure(opts); err != nil {
		t.Fatal(err)
	}
	if p.server.rrl.Load() != nil || p.server.tcpMaxConns.Load() != DefaultTCPMaxConnections || p.Addr() != addr {
		t.Errorf("after Configure: rrl %v, max connections %d, addr %s (was %s)", p.server.rrl.Load(), p.server.tcpMaxConns.Load(), p.Addr(), addr)
	}
	// A second provider on the same registry reuses the metrics.
	p2, err := NewProvider(ctx, opts)
	if err != nil {
		t.Fatalf("a second provider on the same registry: %v", err)
	}
	defer p2.Close()
}

// RFC 7766 §6.2.1: a connection carries any number of queries, here sent all
// at once (pipelined) and answered in order, with no limit by default; the
// connection's total time closes it even while it is busy.
func TestTCPPipeliningAndTotalTime(t *testing.T) {
	_, addr, m, _ := serveLimited(t, nil, TCPLimits{})
	conn, err := dns.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 1000 // far beyond miekg/dns's 128 and the old default of 100
	var batch []byte
	for i := range n {
		q := new(dns.Msg)
		q.SetQuestion("www.example.com.", dns.TypeA)
		q.Id = uint16(i)
		b, err := q.Pack()
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, byte(len(b)>>8), byte(len(b)))
		batch = append(batch, b...)
	}
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = conn.Conn.Write(batch) }()
	for i := range n {
		resp, err := conn.ReadMsg()
		if err != nil {
			t.Fatalf("response %d of %d pipelined: %v", i+1, n, err)
		}
		if resp.Id != uint16(i) || len(resp.Answer) != 1 {
			t.Fatalf("response %d: ID %d, %d answers", i, resp.Id, len(resp.Answer))
		}
	}
	if err := tcpQuery(conn); err != nil {
		t.Fatalf("the connection after %d queries: %v", n, err)
	}
	_ = conn.Close()
	await.Eventually(t, "the connection's place given back", func() error {
		if got := toFloat64(m.tcpConns); got != 0 {
			return fmt.Errorf("amko_dns_tcp_connections = %v", got)
		}
		return nil
	})

	// A busy connection still ends at its total time.
	_, addr, m, _ = serveLimited(t, nil, TCPLimits{IdleTimeout: time.Minute, MaxConnectionTime: 400 * time.Millisecond})
	busy, err := dns.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	start := time.Now()
	for {
		err := tcpQuery(busy)
		if err != nil {
			if !isClosed(err) {
				t.Fatalf("after %v: %v, want the connection closed", time.Since(start), err)
			}
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("a connection with a total time of 400 ms still open after 10 s")
		}
		time.Sleep(20 * time.Millisecond) // the client's pace between queries
	}
	if took := time.Since(start); took < 350*time.Millisecond {
		t.Errorf("closed after %v, before its total time of 400 ms", took)
	}
	await.Eventually(t, "the busy connection's place given back", func() error {
		if got := toFloat64(m.tcpConns); got != 0 {
			return fmt.Errorf("amko_dns_tcp_connections = %v", got)
		}
		return nil
	})
}
