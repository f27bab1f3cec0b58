// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amko-project/amko/internal/gslb"
)

// scale turns AMKO's 10 s interval into 100 ms.
const scale = 0.01

var loopback = netip.MustParseAddr("127.0.0.1")

// monitor is a monitor with fast but distinct counts: down after 3 failures,
// up after 2 successes. The timeout is the interval, to keep slow CI from
// failing probes.
func monitor(typ string, port uint32) gslb.HealthMonitor {
	return gslb.HealthMonitor{
		// The timeout (1 s scaled) is far above the interval (100 ms): a
		// probe that a loaded machine slows must not fail, since the tests
		// count failures by the answers their servers gave.
		Name: "hm", Type: typ, Port: port,
		Interval: 10, Timeout: 100, SuccessfulChecks: 2, FailedChecks: 3,
	}
}

type change struct {
	key string
	up  bool
	// n is what the test's probe counter read when the change was reported.
	n int
}

// start runs a Prober with targets until the test ends.
func start(t *testing.T, opts Options, targets ...Target) *Prober {
	t.Helper()
	if opts.IntervalScale == 0 {
		opts.IntervalScale = scale
	}
	p := New(opts)
	p.Set(targets)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return p
}

// changes returns an OnChange that reports each change, with what count
// reads at that moment, on the returned channel.
func changes(count func() int) (func(string, bool), chan change) {
	ch := make(chan change, 16)
	return func(key string, up bool) {
		n := 0
		if count != nil {
			n = count()
		}
		ch <- change{key, up, n}
	}, ch
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func recv(t *testing.T, ch <-chan change) change {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a state change")
		return change{}
	}
}

func noChange(t *testing.T, ch <-chan change) {
	t.Helper()
	select {
	case c := <-ch:
		t.Fatalf("unexpected state change %+v", c)
	default:
	}
}

func port(t *testing.T, addr net.Addr) uint32 {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	return uint32(ap.Port())
}

// countingDialer dials for real and counts dials per address. It holds its
// lock across the dial so that a test can change a server between dials and
// know exactly how many came before.
type countingDialer struct {
	mu     sync.Mutex
	counts map[string]int
}

func newCountingDialer() *countingDialer { return &countingDialer{counts: make(map[string]int)} }

func (d *countingDialer) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.counts[address]++
	var nd net.Dialer
	return nd.DialContext(ctx, network, address)
}

func (d *countingDialer) count(address string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.counts[address]
}

// locked runs f between dials.
func (d *countingDialer) locked(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f()
}

// request is what an HTTP server saw of one probe.
type request struct {
	line, host, connection, serverName string
}

// httpServer is a test server answering with status and recording requests.
type httpServer struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	seen   []request
}

func newHTTPServer(t *testing.T, secure bool, status int) *httpServer {
	s := &httpServer{}
	s.status.Store(int32(status))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := request{line: r.Method + " " + r.RequestURI + " " + r.Proto, host: r.Host, connection: r.Header.Get("Connection")}
		if r.TLS != nil {
			req.serverName = r.TLS.ServerName
		}
		s.mu.Lock()
		s.seen = append(s.seen, req)
		s.mu.Unlock()
		w.WriteHeader(int(s.status.Load()))
	})
	if secure {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *httpServer) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seen)
}

func (s *httpServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

func TestHTTPHealthyStaysUp(t *testing.T) {
	t.Parallel()
	srv := newHTTPServer(t, false, http.StatusOK)
	hm := monitor(TypeHTTP, port(t, srv.Listener.Addr()))
	hm.HTTPRequest = "HEAD /cart HTTP/1.0"
	hm.HTTPResponseCodes = []string{"HTTP_2XX", "HTTP_3XX"}
	onChange, ch := changes(nil)
	p := start(t, Options{OnChange: onChange}, Target{Key: "m1/hm", Monitor: hm, IP: loopback, Host: "shop.example.com"})

	waitFor(t, "4 probes", func() bool { return srv.count() >= 4 })
	if !p.Up("m1/hm") {
		t.Error("healthy member is down")
	}
	if got := p.States(); len(got) != 1 || !got["m1/hm"] {
		t.Errorf("States() = %v, want m1/hm up", got)
	}
	noChange(t, ch)
	want := request{line: "HEAD /cart HTTP/1.0", host: "shop.example.com", connection: "close"}
	for _, r := range srv.requests() {
		if r != want {
			t.Fatalf("server saw %+v, want %+v", r, want)
		}
	}
}

// TestHTTPSDownAndUp checks that a member goes down after exactly
// FailedChecks failed probes and up after exactly SuccessfulChecks good ones.
func TestHTTPSDownAndUp(t *testing.T) {
	t.Parallel()
	const (
		healthy = iota
		failing
		recovered
	)
	var phase atomic.Int32
	var seen [3]atomic.Int32
	var mu sync.Mutex
	var bad []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if line := r.Method + " " + r.RequestURI + " " + r.Proto; line != "GET /healthz HTTP/1.1" || r.Host != "shop.example.com" || r.TLS.ServerName != "shop.example.com" {
			mu.Lock()
			bad = append(bad, line+" host "+r.Host+" sni "+r.TLS.ServerName)
			mu.Unlock()
		}
		ph := phase.Load()
		seen[ph].Add(1)
		if ph == failing {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)

	hm := monitor(TypeHTTPS, port(t, srv.Listener.Addr()))
	hm.HTTPRequest = "GET /healthz HTTP/1.1"
	hm.HTTPResponseCodes = []string{"HTTP_2XX"}
	// n packs the failing and recovered probe counts.
	onChange, ch := changes(func() int { return int(seen[failing].Load())*100 + int(seen[recovered].Load()) })
	p := start(t, Options{OnChange: onChange}, Target{Key: "m", Monitor: hm, IP: loopback, Host: "shop.example.com"})

	waitFor(t, "2 probes", func() bool { return seen[healthy].Load() >= 2 })
	if !p.Up("m") {
		t.Fatal("healthy member is down")
	}
	noChange(t, ch)

	phase.Store(failing)
	if c := recv(t, ch); c.up || c.n != 300 {
		t.Fatalf("got %+v, want down after 3 failed probes (n=300)", c)
	}
	if p.Up("m") {
		t.Error("Up after going down")
	}

	phase.Store(recovered)
	if c := recv(t, ch); !c.up || c.n != 302 {
		t.Fatalf("got %+v, want up after 2 good probes (n=302)", c)
	}
	waitFor(t, "more probes", func() bool { return seen[recovered].Load() >= 4 })
	if !p.Up("m") {
		t.Error("down after recovering")
	}
	noChange(t, ch)
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("server saw unexpected requests: %q", bad)
	}
}

func TestHTTPResponseClass(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		codes  []string
		up     bool
	}{
		{"redirect not in 2XX", http.StatusMovedPermanently, []string{"HTTP_2XX"}, false},
		{"404 not in default", http.StatusNotFound, nil, false},
		{"302 in default", http.StatusFound, nil, true},
		{"500 in ANY", http.StatusInternalServerError, []string{"HTTP_ANY"}, true},
		{"404 in 4XX", http.StatusNotFound, []string{"HTTP_2XX", "HTTP_4XX"}, true},
		{"200 not in 5XX", http.StatusOK, []string{"HTTP_5XX"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newHTTPServer(t, false, tc.status)
			hm := monitor(TypeHTTP, port(t, srv.Listener.Addr()))
			hm.HTTPRequest = "GET / HTTP/1.0"
			hm.HTTPResponseCodes = tc.codes
			onChange, ch := changes(srv.count)
			p := start(t, Options{OnChange: onChange}, Target{Key: "m", Monitor: hm, IP: loopback})
			if !tc.up {
				// The first result decides: down after one probe.
				if c := recv(t, ch); c.up || c.n != 1 {
					t.Fatalf("got %+v, want down after 1 probe", c)
				}
				return
			}
			// The second probe starts after the first is recorded.
			waitFor(t, "2 probes", func() bool { return srv.count() >= 2 })
			if !p.Up("m") {
				t.Error("member down")
			}
			noChange(t, ch)
		})
	}
}

func acceptAll(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c.Close()
	}
}

// deadAddr is a loopback TCP address nothing listens on.
func deadAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestTCPDownAndUp(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go acceptAll(ln)
	addr := ln.Addr().String()
	d := newCountingDialer()
	var base atomic.Int64 // dials before the last server change
	onChange, ch := changes(func() int { return d.count(addr) - int(base.Load()) })
	p := start(t, Options{OnChange: onChange, Dial: d.Dial}, Target{Key: "m", Monitor: monitor(TypeTCP, port(t, ln.Addr())), IP: loopback})

	waitFor(t, "2 probes", func() bool { return d.count(addr) >= 2 })
	noChange(t, ch)
	d.locked(func() {
		_ = ln.Close()
		base.Store(int64(d.counts[addr]))
	})
	if c := recv(t, ch); c.up || c.n != 3 {
		t.Fatalf("got %+v, want down after 3 refused connects", c)
	}
	if p.Up("m") {
		t.Error("Up after going down")
	}

	d.locked(func() {
		ln, err = net.Listen("tcp", addr)
		base.Store(int64(d.counts[addr]))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go acceptAll(ln)
	if c := recv(t, ch); !c.up || c.n != 2 {
		t.Fatalf("got %+v, want up after 2 connects", c)
	}
	noChange(t, ch)
}

// TestFirstProbeDecides checks that a member dead at start goes down after one
// probe and a live one is never reported down.
func TestFirstProbeDecides(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go acceptAll(ln)
	dead := deadAddr(t)
	d := newCountingDialer()
	onChange, ch := changes(func() int { return d.count(dead.String()) })
	p := start(t, Options{OnChange: onChange, Dial: d.Dial},
		Target{Key: "live", Monitor: monitor(TypeTCP, port(t, ln.Addr())), IP: loopback},
		Target{Key: "dead", Monitor: monitor(TypeTCP, uint32(dead.Port())), IP: loopback},
	)
	if c := recv(t, ch); c != (change{"dead", false, 1}) {
		t.Fatalf("got %+v, want dead down after 1 probe", c)
	}
	waitFor(t, "2 probes of the live member", func() bool { return d.count(ln.Addr().String()) >= 2 })
	if got, want := p.States(), map[string]bool{"live": true, "dead": false}; !mapsEqual(got, want) {
		t.Errorf("States() = %v, want %v", got, want)
	}
	noChange(t, ch)
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestSetChangeKeepsState checks that a target whose settings change keeps
// its state: once down, it needs SuccessfulChecks good probes on the new
// settings to come up.
func TestSetChangeKeepsState(t *testing.T) {
	t.Parallel()
	dead := deadAddr(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go acceptAll(ln)
	live := ln.Addr().String()
	d := newCountingDialer()
	onChange, ch := changes(func() int { return d.count(live) })
	p := start(t, Options{OnChange: onChange, Dial: d.Dial})

	// Set while running.
	p.Set([]Target{{Key: "m", Monitor: monitor(TypeTCP, uint32(dead.Port())), IP: loopback}})
	if c := recv(t, ch); c.up {
		t.Fatalf("got %+v, want down", c)
	}
	p.Set([]Target{{Key: "m", Monitor: monitor(TypeTCP, port(t, ln.Addr())), IP: loopback}})
	if p.Up("m") {
		t.Error("up right after the change")
	}
	if c := recv(t, ch); !c.up || c.n != 2 {
		t.Fatalf("got %+v, want up after 2 probes", c)
	}
	noChange(t, ch)
}

func TestSetRemoveStopsProbes(t *testing.T) {
	t.Parallel()
	var keep, drop atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/drop" {
			drop.Add(1)
		} else {
			keep.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	target := func(path string) Target {
		hm := monitor(TypeHTTP, port(t, srv.Listener.Addr()))
		hm.HTTPRequest = "HEAD " + path + " HTTP/1.0"
		return Target{Key: path, Monitor: hm, IP: loopback}
	}
	p := New(Options{IntervalScale: scale})
	p.Set([]Target{target("/keep"), target("/drop")}) // before Run
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	waitFor(t, "probes of /drop", func() bool { return drop.Load() >= 2 })
	p.Set([]Target{target("/keep")})
	atRemoval := drop.Load()
	if got := p.States(); !mapsEqual(got, map[string]bool{"/keep": true}) {
		t.Errorf("States() = %v, want only /keep", got)
	}
	if !p.Up("/drop") {
		t.Error("removed key is not up")
	}
	// /keep's probes are the clock: one probe of /drop may have been in
	// flight at removal, none may follow.
	k := keep.Load()
	waitFor(t, "3 more probes of /keep", func() bool { return keep.Load() >= k+3 })
	afterStop := drop.Load()
	if afterStop > atRemoval+1 {
		t.Errorf("/drop probed %d times after removal", afterStop-atRemoval)
	}
	k = keep.Load()
	waitFor(t, "3 more probes of /keep", func() bool { return keep.Load() >= k+3 })
	if got := drop.Load(); got != afterStop {
		t.Errorf("/drop still probed: %d more", got-afterStop)
	}

	// Run stops every probe.
	cancel()
	<-done
	k = keep.Load()
	if got := p.States(); !mapsEqual(got, map[string]bool{"/keep": true}) {
		t.Errorf("States() after Run = %v, want /keep kept", got)
	}
	// A fresh prober on the same server is the clock now.
	q := start(t, Options{}, target("/other"))
	waitFor(t, "3 probes by another prober", func() bool { return keep.Load() >= k+3 })
	if q.States()["/other"] != true {
		t.Error("other prober's target down")
	}
	if got := drop.Load(); got != afterStop {
		t.Errorf("/drop probed after Run returned")
	}
}

func udpListen(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// udpServe counts datagrams, checks their payload and echoes them if echo.
func udpServe(pc net.PacketConn, want string, echo bool, n, bad *atomic.Int32) {
	buf := make([]byte, 2048)
	for {
		m, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if string(buf[:m]) != want {
			bad.Add(1)
		}
		n.Add(1)
		if echo {
			_, _ = pc.WriteTo(buf[:m], from)
		}
	}
}

func TestUDP(t *testing.T) {
	t.Parallel()
	const payload = "created_by: amko, request string not required"
	udpMonitor := func(port uint32) gslb.HealthMonitor {
		hm := monitor(TypeUDP, port)
		hm.UDPRequest = payload
		hm.Timeout = 5 // a silent member costs a timeout per probe
		return hm
	}
	for _, echo := range []bool{true, false} {
		name := "silent member is up"
		if echo {
			name = "answering member is up"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pc := udpListen(t)
			var n, bad atomic.Int32
			go udpServe(pc, payload, echo, &n, &bad)
			onChange, ch := changes(nil)
			p := start(t, Options{OnChange: onChange}, Target{Key: "m", Monitor: udpMonitor(port(t, pc.LocalAddr())), IP: loopback})
			waitFor(t, "3 probes", func() bool { return n.Load() >= 3 })
			if !p.Up("m") {
				t.Error("member down")
			}
			noChange(t, ch)
			if bad.Load() > 0 {
				t.Error("server got a datagram other than the request")
			}
		})
	}
	t.Run("closed port is down", func(t *testing.T) {
		t.Parallel()
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().String()
		_ = pc.Close()
		d := newCountingDialer()
		onChange, ch := changes(func() int { return d.count(addr) })
		p := start(t, Options{OnChange: onChange, Dial: d.Dial}, Target{Key: "m", Monitor: udpMonitor(port(t, pc.LocalAddr())), IP: loopback})
		if c := recv(t, ch); c.up || c.n != 1 {
			t.Fatalf("got %+v, want down after 1 probe", c)
		}
		if p.Up("m") {
			t.Error("member up")
		}
	})
}

func TestUnknownAndInvalidTargetsAreUp(t *testing.T) {
	t.Parallel()
	p := New(Options{})
	p.Set([]Target{{Key: "ping", Monitor: gslb.HealthMonitor{Type: "HEALTH_MONITOR_PING"}, IP: loopback}})
	if !p.Up("nobody") || !p.Up("ping") {
		t.Error("unknown or unprobeable key is down")
	}
	if got := p.States(); len(got) != 0 {
		t.Errorf("States() = %v, want none", got)
	}
}
