// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Monitor types, the Avi names.
const (
	TypeHTTP  = "HEALTH_MONITOR_HTTP"
	TypeHTTPS = "HEALTH_MONITOR_HTTPS"
	TypeTCP   = "HEALTH_MONITOR_TCP"
	TypeUDP   = "HEALTH_MONITOR_UDP"
)

const (
	// defaultRequest is Avi's http_request default.
	defaultRequest = "GET / HTTP/1.0"
	// maxStatusLine bounds what a probe reads of a response.
	maxStatusLine = 4096
	// maxDatagram is the most of a UDP reply a probe reads; any reply will do.
	maxDatagram = 2048
)

// codeClass is the status class an Avi response-code name accepts; 0
// accepts every class.
func codeClass(name string) (int, bool) {
	switch name {
	case "HTTP_ANY":
		return 0, true
	case "HTTP_1XX", "HTTP_2XX", "HTTP_3XX", "HTTP_4XX", "HTTP_5XX":
		return int(name[5] - '0'), true
	}
	return 0, false
}

// Validate reports why t cannot be probed, or nil. Set leaves out such
// targets.
func Validate(t Target) error {
	if t.Key == "" {
		return errors.New("empty key")
	}
	if !t.IP.IsValid() {
		return fmt.Errorf("%s: no IP address", t.Key)
	}
	// Host goes into a header line and the SNI.
	if strings.ContainsFunc(t.Host, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%s: bad host name %q", t.Key, t.Host)
	}
	hm := t.Monitor
	if hm.Port > 65535 {
		return fmt.Errorf("%s: port %d out of range", t.Key, hm.Port)
	}
	switch hm.Type {
	case TypeHTTP, TypeHTTPS:
		if _, err := buildRequest(hm.HTTPRequest, "h"); err != nil {
			return fmt.Errorf("%s: %w", t.Key, err)
		}
		for _, c := range hm.HTTPResponseCodes {
			if _, ok := codeClass(c); !ok {
				return fmt.Errorf("%s: unknown response code %q", t.Key, c)
			}
		}
	case TypeTCP, TypeUDP:
		// Avi would use the member's port, which a GSLB member does not have.
		if hm.Port == 0 {
			return fmt.Errorf("%s: %s monitor without a port", t.Key, hm.Type)
		}
	default:
		return fmt.Errorf("%s: unsupported monitor type %q", t.Key, hm.Type)
	}
	return nil
}

// check runs one probe of t, bounded by ctx; nil means success.
func (p *Prober) check(ctx context.Context, t Target) error {
	hm := t.Monitor
	port := uint16(hm.Port)
	switch {
	case port != 0:
	case hm.Type == TypeHTTP:
		port = 80
	case hm.Type == TypeHTTPS:
		port = 443
	}
	addr := netip.AddrPortFrom(t.IP.Unmap(), port).String()
	switch hm.Type {
	case TypeHTTP, TypeHTTPS:
		return p.checkHTTP(ctx, addr, t, hm.Type == TypeHTTPS)
	case TypeTCP:
		conn, err := p.dial(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	case TypeUDP:
		return p.checkUDP(ctx, addr, hm.UDPRequest)
	}
	return fmt.Errorf("unsupported monitor type %q", hm.Type)
}

// checkHTTP sends the monitor's request, over TLS if secure, and accepts the
// response's status class. The request is written by hand because the
// request line must be exactly the monitor's (HEAD with HTTP/1.0, say).
func (p *Prober) checkHTTP(ctx context.Context, addr string, t Target, secure bool) error {
	host := t.Host
	if host == "" {
		host = t.IP.Unmap().String()
		if t.IP.Unmap().Is6() {
			host = "[" + host + "]"
		}
	}
	req, err := buildRequest(t.Monitor.HTTPRequest, host)
	if err != nil {
		return err
	}
	raw, err := p.dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	// Closing the raw connection, not the TLS one, skips a close_notify the
	// member does not need and that could block.
	defer raw.Close()
	defer bound(ctx, raw)()
	conn := raw
	if secure {
		tc := tls.Client(raw, &tls.Config{
			// Monitors check liveness, not identity, as Avi's do by default;
			// members often serve certificates for names other than the one
			// probed, or self-signed ones.
			InsecureSkipVerify: true,
			ServerName:         t.Host,
		})
		if err := tc.HandshakeContext(ctx); err != nil {
			return err
		}
		conn = tc
	}
	if _, err := io.WriteString(conn, req); err != nil {
		return err
	}
	line, err := bufio.NewReader(io.LimitReader(conn, maxStatusLine)).ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return fmt.Errorf("reading status line: %w", err)
	}
	code, err := parseStatusLine(line)
	if err != nil {
		return err
	}
	if !codeAccepted(code, t.Monitor.HTTPResponseCodes) {
		return fmt.Errorf("status %d not in %v", code, responseCodes(t.Monitor.HTTPResponseCodes))
	}
	return nil
}

// checkUDP sends the request and waits for a reply. A reply, or none within
// the timeout, is success; an error, in practice "connection refused" from an
// ICMP port unreachable, is failure. That is the safest reading that works:
// a UDP service need not answer an arbitrary datagram, but a closed port says
// so.
func (p *Prober) checkUDP(ctx context.Context, addr, request string) error {
	conn, err := p.dial(ctx, "udp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer bound(ctx, conn)()
	if _, err := io.WriteString(conn, request); err != nil {
		return err
	}
	buf := make([]byte, maxDatagram)
	if _, err := conn.Read(buf); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	return nil
}

// bound makes conn's I/O end when ctx does, at its deadline or when it is
// cancelled; the returned function releases the watch.
func bound(ctx context.Context, conn net.Conn) func() bool {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	return context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
}

// buildRequest is the HTTP request for a monitor's http_request: its first
// line is the request line as given ("GET / HTTP/1.0" if empty, HTTP/1.0
// added if it has no version), further CRLF-separated lines are headers, and
// Host and Connection: close are added unless given.
func buildRequest(spec, host string) (string, error) {
	lines := strings.Split(strings.ReplaceAll(spec, "\r\n", "\n"), "\n")
	first := strings.TrimSpace(lines[0])
	if first == "" {
		first = defaultRequest
	}
	// Rebuilt from its fields so that stray whitespace cannot reach the wire.
	fields := strings.Fields(first)
	switch len(fields) {
	case 2:
		fields = append(fields, "HTTP/1.0")
	case 3:
		if !strings.HasPrefix(fields[2], "HTTP/") {
			return "", fmt.Errorf("request line %q: bad version", first)
		}
	default:
		return "", fmt.Errorf("request line %q: want METHOD PATH [VERSION]", first)
	}
	first = strings.Join(fields, " ")

	var b strings.Builder
	b.WriteString(first)
	b.WriteString("\r\n")
	hasHost, hasConn := false, false
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		name, _, ok := strings.Cut(l, ":")
		if !ok || strings.TrimSpace(name) == "" || strings.ContainsAny(l, "\r") {
			return "", fmt.Errorf("header %q: want NAME: VALUE", l)
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "host":
			hasHost = true
		case "connection":
			hasConn = true
		}
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	if !hasHost {
		b.WriteString("Host: " + host + "\r\n")
	}
	if !hasConn {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	return b.String(), nil
}

// parseStatusLine returns the status code of an HTTP status line such as
// "HTTP/1.1 200 OK\r\n".
func parseStatusLine(line string) (int, error) {
	line = strings.TrimRight(line, "\r\n")
	proto, rest, _ := strings.Cut(line, " ")
	if !strings.HasPrefix(proto, "HTTP/") {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	codeText, _, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
	if len(codeText) != 3 {
		return 0, fmt.Errorf("bad status code in %q", line)
	}
	code, err := strconv.Atoi(codeText)
	if err != nil || code < 100 || code > 599 {
		return 0, fmt.Errorf("bad status code in %q", line)
	}
	return code, nil
}

// responseCodes are the accepted response codes, AMKO's when none are given.
func responseCodes(codes []string) []string {
	if len(codes) == 0 {
		return []string{"HTTP_2XX", "HTTP_3XX"}
	}
	return codes
}

// codeAccepted reports whether code's class is among codes.
func codeAccepted(code int, codes []string) bool {
	for _, c := range responseCodes(codes) {
		class, ok := codeClass(c)
		if ok && (class == 0 || class == code/100) {
			return true
		}
	}
	return false
}
