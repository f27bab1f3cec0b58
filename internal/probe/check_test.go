// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package probe

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/amko-project/amko/internal/gslb"
)

func TestBuildRequest(t *testing.T) {
	for _, tc := range []struct {
		spec, want string
		err        bool
	}{
		{spec: "HEAD /cart HTTP/1.0", want: "HEAD /cart HTTP/1.0\r\nHost: h.example\r\nConnection: close\r\n\r\n"},
		{spec: "", want: "GET / HTTP/1.0\r\nHost: h.example\r\nConnection: close\r\n\r\n"},
		{spec: "GET /x", want: "GET /x HTTP/1.0\r\nHost: h.example\r\nConnection: close\r\n\r\n"},
		{spec: "GET / HTTP/1.1\r\nHost: other\r\nX-A: b", want: "GET / HTTP/1.1\r\nHost: other\r\nX-A: b\r\nConnection: close\r\n\r\n"},
		{spec: "GET / HTTP/1.1\nconnection: keep-alive\n", want: "GET / HTTP/1.1\r\nconnection: keep-alive\r\nHost: h.example\r\n\r\n"},
		{spec: "GET", err: true},
		{spec: "GET / HTTP/1.0 extra", err: true},
		{spec: "GET / FTP/1.0", err: true},
		{spec: "GET / HTTP/1.0\r\nno colon", err: true},
		{spec: " GET  /a\tHTTP/1.1 ", want: "GET /a HTTP/1.1\r\nHost: h.example\r\nConnection: close\r\n\r\n"},
	} {
		got, err := buildRequest(tc.spec, "h.example")
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("buildRequest(%q) = %q, %v; want %q, error %v", tc.spec, got, err, tc.want, tc.err)
		}
	}
}

func TestParseStatusLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		code int // 0: error
	}{
		{"HTTP/1.1 200 OK\r\n", 200},
		{"HTTP/1.0 302 Found\n", 302},
		{"HTTP/1.1 404", 404},
		{"HTTP/1.1 599 x", 599},
		{"HTTP/1.1 600 x", 0},
		{"HTTP/1.1 99 x", 0},
		{"HTTP/1.1 2000 x", 0},
		{"HTTP/1.1 +20 x", 0},
		{"SSH-2.0-OpenSSH\r\n", 0},
		{"", 0},
	} {
		code, err := parseStatusLine(tc.line)
		if code != tc.code || (err != nil) != (tc.code == 0) {
			t.Errorf("parseStatusLine(%q) = %d, %v; want %d", tc.line, code, err, tc.code)
		}
	}
}

func TestCodeAccepted(t *testing.T) {
	for _, tc := range []struct {
		code  int
		codes []string
		want  bool
	}{
		{200, nil, true},
		{399, nil, true},
		{404, nil, false},
		{101, []string{"HTTP_1XX"}, true},
		{503, []string{"HTTP_ANY"}, true},
		{503, []string{"HTTP_2XX", "HTTP_5XX"}, true},
		{200, []string{"HTTP_3XX"}, false},
		{200, []string{"BOGUS"}, false},
	} {
		if got := codeAccepted(tc.code, tc.codes); got != tc.want {
			t.Errorf("codeAccepted(%d, %v) = %v, want %v", tc.code, tc.codes, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ip := netip.MustParseAddr("10.0.0.1")
	for _, tc := range []struct {
		name string
		t    Target
		ok   bool
	}{
		{"http default port", Target{Key: "k", IP: ip, Monitor: gslb.HealthMonitor{Type: TypeHTTP, HTTPRequest: "HEAD / HTTP/1.0"}}, true},
		{"https codes", Target{Key: "k", IP: ip, Monitor: gslb.HealthMonitor{Type: TypeHTTPS, HTTPResponseCodes: []string{"HTTP_ANY"}}}, true},
		{"tcp", Target{Key: "k", IP: ip, Monitor: gslb.HealthMonitor{Type: TypeTCP, Port: 443}}, true},
		{"udp", Target{Key: "k", IP: ip, Monitor: gslb.HealthMonitor{Type: TypeUDP, Port: 53}}, true},
		{"bad host", Target{Key: "k", IP: ip, Host: "a\r\nX: y", Monitor: gslb.HealthMonitor{Type: TypeTCP, Port: 1}}, false},
		{"no key", Target{IP: ip, Monitor: gslb.HealthMonitor{Type: TypeTCP, Port: 1}}, false},
		{"no ip", Target{Key: "k", Monitor: gslb.HealthMonitor{Type: TypeTCP, Port: 1}}, false},
		{"tcp without port", Target{Key: "k", IP: ip, Monitor: gslb.HealthMonitor{Type: TypeTCP}}, false},
		{"port too big", Target{Key: "k", IP: ip, Monitor: gslb.HealthMonitor{Type: TypeTCP, Port: 70000}}, false},
		{"ping", Target{Key: "k", IP: ip, Monitor: gslb.HealthMonitor{Type: "HEALTH_MONITOR_PING"}}, false},
		{"bad request", Target{Key: "k", IP: ip, Monitor: gslb.HealthMonitor{Type: TypeHTTP, HTTPRequest: "GET"}}, false},
		{"bad code", Target{Key: "k", IP: ip, Monitor: gslb.HealthMonitor{Type: TypeHTTP, HTTPResponseCodes: []string{"HTTP_200"}}}, false},
	} {
		if err := Validate(tc.t); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestRecord walks the state machine: the first result decides, then
// FailedChecks (3) failures in a row take it down and SuccessfulChecks (2)
// successes in a row bring it up.
func TestRecord(t *testing.T) {
	s := settings{successfulChecks: 2, failedChecks: 3}
	for _, tc := range []struct {
		name    string
		results string // o: success, x: failure
		states  string // state after each result: U or D; * marks a change
	}{
		{"live at start", "oo", "U U "},
		{"dead at start", "xx", "D*D "},
		{"goes down", "oxxoxxx", "U U U U U U D*"},
		{"comes back", "xoxooo", "D*D D D U*U "},
		{"flapping stays", "oxoxxoxx", "U U U U U U U U "},
	} {
		p := New(Options{})
		r := &runner{}
		e := &entry{up: true, runner: r}
		var got strings.Builder
		for _, c := range tc.results {
			up, changed := p.record(e, r, c == 'o', s)
			got.WriteString(map[bool]string{true: "U", false: "D"}[up])
			got.WriteString(map[bool]string{true: "*", false: " "}[changed])
		}
		if got.String() != tc.states {
			t.Errorf("%s: %s gave %q, want %q", tc.name, tc.results, got.String(), tc.states)
		}
		// A goroutine no longer probing the entry changes nothing.
		before := e.up
		for range 5 {
			if _, changed := p.record(e, &runner{}, !before, s); changed {
				t.Errorf("%s: stale result changed the state", tc.name)
			}
		}
		if e.up != before {
			t.Errorf("%s: stale results changed the state", tc.name)
		}
	}
}

// TestStalledServer checks that a probe of a member that accepts but never
// answers ends at the timeout and fails, for HTTP and for a TLS handshake.
func TestStalledServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	for _, typ := range []string{TypeHTTP, TypeHTTPS} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			hm := monitor(typ, port(t, ln.Addr()))
			hm.Timeout = 4
			onChange, ch := changes(nil)
			start(t, Options{OnChange: onChange}, Target{Key: "m", Monitor: hm, IP: loopback, Host: "h.example"})
			if c := recv(t, ch); c.up {
				t.Fatalf("got %+v, want down", c)
			}
		})
	}
}

func FuzzParseStatusLine(f *testing.F) {
	for _, s := range []string{"HTTP/1.1 200 OK\r\n", "HTTP/1.0 404", "HTTP/2 5xx", "garbage"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		code, err := parseStatusLine(line)
		if err == nil && (code < 100 || code > 599) {
			t.Errorf("parseStatusLine(%q) = %d", line, code)
		}
	})
}

func FuzzBuildRequest(f *testing.F) {
	for _, s := range []string{"HEAD /cart HTTP/1.0", "", "GET / HTTP/1.1\r\nHost: x", "GET /\n\nA: b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		req, err := buildRequest(spec, "h.example")
		if err != nil {
			return
		}
		// One request: header lines end in CRLF, no bare CR or LF, one blank
		// line at the end.
		head, ok := strings.CutSuffix(req, "\r\n\r\n")
		if !ok || strings.Contains(head, "\r\n\r\n") {
			t.Fatalf("buildRequest(%q) = %q: not one request", spec, req)
		}
		for l := range strings.SplitSeq(head, "\r\n") {
			if strings.ContainsAny(l, "\r\n") {
				t.Fatalf("buildRequest(%q) = %q: bare CR or LF", spec, req)
			}
		}
	})
}
