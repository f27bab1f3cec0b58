// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package backend runs stand-ins for applications' endpoints in tests, so that
// health probes have something real to find up or down, and finds free ports
// for servers under test.
package backend

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TCP accepts connections on addr and closes them at once, until the listener
// is closed (by the caller, to make the member fail its probes, or at the end
// of the test): a member a TCP probe finds up.
func TCP(tb testing.TB, addr string) net.Listener {
	tb.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return l
}

// FreePort returns a port on host that is free for both TCP and UDP just now,
// for a server that binds both on one port (DNS) where port 0 would give it
// two different ones.
func FreePort(tb testing.TB, host string) string {
	tb.Helper()
	for range 20 {
		u, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
		if err != nil {
			tb.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(u.LocalAddr().String())
		l, err := net.Listen("tcp", net.JoinHostPort(host, port))
		_ = u.Close()
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	tb.Fatal("no port free for both UDP and TCP")
	return ""
}

// HTTP is an application endpoint answering every HTTP request with a status
// the test sets, over TLS when secure (a self-signed certificate, as monitors
// do not check identity): a member an HTTP(S) probe finds up or down while its
// port stays open, which no TCP probe could tell.
type HTTP struct {
	status atomic.Int32
}

// SetStatus sets the status code every later request gets.
func (h *HTTP) SetStatus(code int) { h.status.Store(int32(code)) }

// ServeHTTP answers with the status set.
func (h *HTTP) ServeHTTP(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(int(h.status.Load())) }

// NewHTTP serves on addr, answering 200 until told otherwise, until the test
// ends.
func NewHTTP(tb testing.TB, addr string, secure bool) *HTTP {
	tb.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	h := &HTTP{}
	h.SetStatus(http.StatusOK)
	srv := httptest.NewUnstartedServer(h)
	_ = srv.Listener.Close()
	srv.Listener = l
	if secure {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	tb.Cleanup(srv.Close)
	return h
}

// UDP echoes every datagram on addr until the returned connection is closed
// (by the caller, to make the member fail its probes: the closed port answers
// ICMP port unreachable) or the test ends.
func UDP(tb testing.TB, addr string) net.PacketConn {
	tb.Helper()
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteTo(buf[:n], from)
		}
	}()
	return c
}
