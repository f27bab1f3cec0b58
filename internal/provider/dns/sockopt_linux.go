// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

//go:build linux && (amd64 || arm64)

package dns

import "syscall"

// soReusePort is SO_REUSEPORT, which package syscall does not name (15 on
// the architectures we build for; golang.org/x/sys is not a direct dependency).
const soReusePort = 0xf

// socketOptions sets SO_REUSEPORT on the UDP sockets, so that one per reader
// can share the port, and on a wildcard address asks for each packet's
// destination. The larger receive buffer absorbs bursts a reader falls behind.
func socketOptions(wildcard bool) func(network, address string, c syscall.RawConn) error {
	return func(network, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			f := int(fd)
			if serr = syscall.SetsockoptInt(f, syscall.SOL_SOCKET, soReusePort, 1); serr != nil {
				return
			}
			_ = syscall.SetsockoptInt(f, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<20)
			if wildcard {
				_ = syscall.SetsockoptInt(f, syscall.IPPROTO_IP, syscall.IP_PKTINFO, 1)
				if network != "udp4" {
					_ = syscall.SetsockoptInt(f, syscall.IPPROTO_IPV6, syscall.IPV6_RECVPKTINFO, 1)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}
