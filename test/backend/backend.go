// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package backend runs stand-ins for applications' endpoints in tests, so that
// health probes have something real to find up or down, and finds free ports
// for servers under test.
package backend

import (
	"net"
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
