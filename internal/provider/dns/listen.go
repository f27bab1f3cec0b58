// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// firstQueryTimeout bounds the wait for a connection's first query, whatever
// the idle timeout: a connection that never asks holds a place for nothing.
const firstQueryTimeout = 5 * time.Second

// tcpWriteTimeout bounds the write of one batch of responses.
const tcpWriteTimeout = 5 * time.Second

// Listener serves a Server over UDP and TCP on one address.
//
// UDP is read by one goroutine per socket, one socket per CPU the process may
// use (SO_REUSEPORT: the kernel spreads clients over them), each answering the
// packets it reads inline with its own buffers: no goroutine, no allocation
// per query on the common path. TCP is a goroutine per connection.
type Listener struct {
	// Addr is the bound address (with the port chosen when it was 0).
	Addr string

	s    *Server
	udp  []*net.UDPConn
	tcp  net.Listener
	open atomic.Int64 // TCP connections open
	mu   sync.Mutex
	conn map[net.Conn]struct{}
	wg   sync.WaitGroup
}

// Listen binds addr over UDP and TCP (TCP on the port UDP got) and serves s
// until Close.
func (s *Server) Listen(addr string) (*Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dns: listen address %s: %w", addr, err)
	}
	ip, _ := netip.ParseAddr(host)
	wildcard := host == "" || ip.IsUnspecified()
	lc := net.ListenConfig{Control: socketOptions(wildcard)}
	ctx := context.Background()
	var udp []*net.UDPConn
	var tcp net.Listener
	for attempt := 0; ; attempt++ {
		pc, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			return nil, fmt.Errorf("dns: listening on udp %s: %w", addr, err)
		}
		tcp, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			udp = append(udp, pc.(*net.UDPConn))
			break
		}
		_ = pc.Close()
		if port != "0" || attempt == 20 {
			return nil, fmt.Errorf("dns: listening on tcp %s: %w", pc.LocalAddr(), err)
		}
	}
	bound := udp[0].LocalAddr().String()
	for range readers() - 1 {
		pc, err := lc.ListenPacket(ctx, "udp", bound)
		if err != nil {
			break // one socket still serves: SO_REUSEPORT is an optimisation
		}
		udp = append(udp, pc.(*net.UDPConn))
	}
	ln := &Listener{Addr: bound, s: s, udp: udp, tcp: tcp, conn: make(map[net.Conn]struct{})}
	local := netip.Addr{}
	if !wildcard {
		local = ip.Unmap()
	}
	for _, c := range udp {
		ln.wg.Add(1)
		go ln.serveUDPBatch(c, local, wildcard)
	}
	ln.wg.Add(1)
	go ln.serveTCP()
	return ln, nil
}

// readers is the number of UDP sockets and readers: one per CPU Go may run on
// (a server pinned to one core gets one, and no contention).
func readers() int { return max(1, runtime.GOMAXPROCS(0)) }

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

// udpBatch is how many packets a reader takes from the socket in one system
// call (recvmmsg) and answers in one (sendmmsg): under load the system calls,
// not the answers, are most of a query's cost.
const udpBatch = 32

// batchConn reads and writes UDP packets in batches: an ipv4.PacketConn or
// an ipv6.PacketConn (whose Message is the same type).
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// serveUDPBatch reads and answers one socket's packets, in batches, until it
// is closed. On a wildcard address the destination of each packet
// (IP_PKTINFO, IPV6_PKTINFO on a dual-stack socket) is the server's own
// address, which the default name server's record answers and the reply
// leaves from. A query longer than 4,096 bytes is cut there and answered
// FORMERR.
func (ln *Listener) serveUDPBatch(c *net.UDPConn, local netip.Addr, pktinfo bool) {
	defer ln.wg.Done()
	var pc batchConn = ipv6.NewPacketConn(c) // a dual-stack or IPv6 socket, as Go binds ":53"
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() != nil {
		pc = ipv4.NewPacketConn(c)
	}
	in := make([]ipv4.Message, udpBatch)
	out := make([]ipv4.Message, udpBatch)
	outBufs := make([][]byte, udpBatch)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, 4096)}
		if pktinfo {
			in[i].OOB = make([]byte, 128)
		}
		out[i].Buffers = make([][]byte, 1)
		outBufs[i] = make([]byte, 0, 1232)
	}
	scratch := make([]byte, 0, 256)
	var src sourceCache
	for {
		n, err := pc.ReadBatch(in, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		k := 0
		for i := range n {
			m := &in[i]
			from, ok := m.Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			dst := local
			if pktinfo {
				dst = destination(m.OOB[:m.NN])
			}
			client := from.AddrPort().Addr().Unmap()
			resp := ln.s.handle(m.Buffers[0][:m.N], client, dst, false, outBufs[k], scratch)
			if resp == nil {
				continue
			}
			if cap(resp) > cap(outBufs[k]) {
				outBufs[k] = resp[:0]
			}
			out[k].Buffers[0], out[k].Addr = resp, m.Addr
			if pktinfo {
				out[k].OOB = src.oob(dst)
			}
			k++
		}
		for sent := 0; sent < k; {
			w, err := pc.WriteBatch(out[sent:k], 0)
			if err != nil {
				break // the client's problem (or closing): the next batch goes on
			}
			sent += w
		}
	}
}

// sourceCache holds the control message that makes a reply leave from the
// address its query came to, for the last such address: on a wildcard socket
// the kernel would otherwise pick the source by route, and a resolver drops a
// reply from an address it did not ask (a host with several addresses). Most
// packets come to the same address, so the message is built once.
type sourceCache struct {
	addr netip.Addr
	msg  []byte
}

// oob returns the IP_PKTINFO (IPV6_PKTINFO) control message setting the
// reply's source to dst; nil, the kernel's choice, when dst is not known.
func (c *sourceCache) oob(dst netip.Addr) []byte {
	if !dst.IsValid() {
		return nil
	}
	if dst != c.addr || c.msg == nil {
		if dst.Is4() {
			c.msg = (&ipv4.ControlMessage{Src: dst.AsSlice()}).Marshal()
		} else {
			c.msg = (&ipv6.ControlMessage{Src: dst.AsSlice()}).Marshal()
		}
		c.addr = dst
	}
	return c.msg
}

// destination reads the destination address from IP_PKTINFO or
// IPV6_PKTINFO control messages.
func destination(oob []byte) netip.Addr {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return netip.Addr{}
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == syscall.IPPROTO_IP && m.Header.Type == syscall.IP_PKTINFO && len(m.Data) >= 12:
			return netip.AddrFrom4([4]byte(m.Data[8:12]))
		case m.Header.Level == syscall.IPPROTO_IPV6 && m.Header.Type == syscall.IPV6_PKTINFO && len(m.Data) >= 16:
			return netip.AddrFrom16([16]byte(m.Data[:16])).Unmap()
		}
	}
	return netip.Addr{}
}

// serveTCP accepts connections until the listener is closed, closing at once
// those over the server's cap.
func (ln *Listener) serveTCP() {
	defer ln.wg.Done()
	s := ln.s
	for {
		c, err := ln.tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // out of descriptors: let some close
			continue
		}
		if ln.open.Add(1) > s.tcpMaxConns.Load() {
			ln.open.Add(-1)
			s.metrics.tcpRefused.Inc()
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // a reset: nothing left in TIME_WAIT
			}
			_ = c.Close()
			continue
		}
		s.metrics.tcpConns.Inc()
		ln.mu.Lock()
		ln.conn[c] = struct{}{}
		ln.mu.Unlock()
		ln.wg.Add(1)
		go ln.serveConn(c)
	}
}

// serveConn answers one connection's queries in the order they come, writing
// the responses to pipelined queries in one batch, until a limit or the
// client ends it.
func (ln *Listener) serveConn(c net.Conn) {
	s := ln.s
	defer func() {
		_ = c.Close()
		ln.mu.Lock()
		delete(ln.conn, c)
		ln.mu.Unlock()
		ln.open.Add(-1)
		s.metrics.tcpConns.Dec()
		ln.wg.Done()
	}()
	var client, local netip.Addr
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		client = a.AddrPort().Addr().Unmap()
	}
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		local = a.AddrPort().Addr().Unmap()
	}
	accepted := time.Now()
	r := bufio.NewReaderSize(c, 4096)
	w := bufio.NewWriterSize(c, 4096)
	flush := func() bool {
		if w.Buffered() == 0 {
			return true
		}
		_ = c.SetWriteDeadline(time.Now().Add(tcpWriteTimeout))
		return w.Flush() == nil
	}
	msg := make([]byte, 0, 512)
	out := make([]byte, 0, 4096)
	scratch := make([]byte, 0, 256)
	var length [2]byte
	for n := int64(0); ; n++ {
		if limit := s.tcpMaxQueries.Load(); limit > 0 && n >= limit {
			flush()
			return
		}
		// Answer what was asked before waiting for more.
		if r.Buffered() == 0 && !flush() {
			return
		}
		now := time.Now()
		idle := time.Duration(s.tcpIdle.Load())
		if n == 0 {
			idle = min(idle, firstQueryTimeout)
		}
		deadline := now.Add(idle)
		if end := accepted.Add(time.Duration(s.tcpTotal.Load())); end.Before(deadline) {
			deadline = end
		}
		_ = c.SetReadDeadline(deadline)
		if _, err := io.ReadFull(r, length[:]); err != nil {
			flush()
			return
		}
		size := int(binary.BigEndian.Uint16(length[:]))
		if cap(msg) < size {
			msg = make([]byte, size)
		}
		msg = msg[:size]
		if _, err := io.ReadFull(r, msg); err != nil {
			return
		}
		resp := s.handle(msg, client, local, true, out, scratch)
		if resp == nil {
			continue
		}
		binary.BigEndian.PutUint16(length[:], uint16(len(resp)))
		_, _ = w.Write(length[:])
		if _, err := w.Write(resp); err != nil {
			return
		}
		if cap(resp) > cap(out) {
			out = resp[:0]
		}
	}
}

// Close stops serving: it closes the sockets and the open connections and
// waits for their goroutines to end.
func (l *Listener) Close() error {
	var errs []error
	if err := l.tcp.Close(); err != nil {
		errs = append(errs, err)
	}
	for _, c := range l.udp {
		if err := c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	l.mu.Lock()
	for c := range l.conn {
		_ = c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return errors.Join(errs...)
}
