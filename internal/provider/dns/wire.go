// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"encoding/binary"
	"net/netip"

	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/gslb"
)

// rawQuery is what the wire reader takes from a message before, and often
// instead of, a full unpack: enough to answer the common query (one question
// for an address type, at most an OPT record) without building a dns.Msg, and
// to check the EDNS records exactly as they were sent, which an unpack hides
// (the number of OPT records, the length of a client-subnet address).
type rawQuery struct {
	id, flags    uint16
	qd, an, ns   uint16
	ar           uint16
	question     []byte // the question section as sent: name, type, class
	name         []byte // canonical: lower case, no trailing dot ("" for the root)
	qtype        uint16
	qclass       uint16
	plain        bool // a single question whose name parsed without pointers or odd bytes
	opts         int  // OPT records in the additional section
	udpSize      uint16
	do           bool
	version      uint8
	ecs          netip.Prefix
	ecsBad       bool // a client-subnet option RFC 7871 §6 says to reject with FORMERR
	otherRecords bool // records other than one OPT: only the full path answers
}

// Header flag bits.
const (
	flagQR     = 1 << 15
	flagAA     = 1 << 10
	flagTC     = 1 << 9
	flagRD     = 1 << 8
	flagCD     = 1 << 4
	opcodeMask = 0xf << 11
)

// parseQuery reads msg's header, question and EDNS records into q, with name
// in scratch. ok is false when the message is too broken to answer at all.
func parseQuery(msg []byte, q *rawQuery, scratch []byte) (ok bool) {
	*q = rawQuery{name: scratch[:0]}
	if len(msg) < 12 {
		return false
	}
	q.id = binary.BigEndian.Uint16(msg)
	q.flags = binary.BigEndian.Uint16(msg[2:])
	q.qd = binary.BigEndian.Uint16(msg[4:])
	q.an = binary.BigEndian.Uint16(msg[6:])
	q.ns = binary.BigEndian.Uint16(msg[8:])
	q.ar = binary.BigEndian.Uint16(msg[10:])
	off := 12
	if q.qd == 1 {
		start := off
		name, end, plain := readName(msg, off, q.name)
		if end < 0 || end+4 > len(msg) {
			return true // the full unpack reports it
		}
		q.name, q.plain = name, plain
		q.qtype = binary.BigEndian.Uint16(msg[end:])
		q.qclass = binary.BigEndian.Uint16(msg[end+2:])
		off = end + 4
		if plain || !hasPointer(msg, start) {
			// Copied into responses as it is: only without pointers, which
			// would point elsewhere in the response.
			q.question = msg[start:off]
		}
	} else {
		q.otherRecords = true
		for range q.qd {
			if off = skipName(msg, off); off < 0 || off+4 > len(msg) {
				return true
			}
			off += 4
		}
	}
	if q.an > 0 || q.ns > 0 {
		q.otherRecords = true
	}
	for i := 0; i < int(q.an)+int(q.ns)+int(q.ar); i++ {
		nameStart := off
		if off = skipName(msg, off); off < 0 || off+10 > len(msg) {
			q.otherRecords = true
			return true
		}
		rtype := binary.BigEndian.Uint16(msg[off:])
		rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
		if off+10+rdlen > len(msg) {
			q.otherRecords = true
			return true
		}
		if i < int(q.an)+int(q.ns) || rtype != dns.TypeOPT {
			q.otherRecords = true
		} else {
			q.opts++
			if q.opts == 1 {
				if off != nameStart+1 {
					q.otherRecords = true // an OPT owner is the root
				}
				q.udpSize = binary.BigEndian.Uint16(msg[off+2:])
				q.version = msg[off+5]
				q.do = msg[off+6]&0x80 != 0
				q.readOptions(msg[off+10 : off+10+rdlen])
			}
		}
		off += 10 + rdlen
	}
	if off != len(msg) {
		q.otherRecords = true // trailing bytes: let the full unpack judge
	}
	return true
}

// readOptions reads the EDNS options of the first OPT record.
func (q *rawQuery) readOptions(b []byte) {
	for len(b) >= 4 {
		code := binary.BigEndian.Uint16(b)
		n := int(binary.BigEndian.Uint16(b[2:]))
		if 4+n > len(b) {
			q.ecsBad = q.ecsBad || code == dns.EDNS0SUBNET
			return
		}
		if code == dns.EDNS0SUBNET {
			q.ecs, q.ecsBad = readECS(b[4 : 4+n])
		}
		b = b[4+n:]
	}
}

// readECS reads a client-subnet option; bad when RFC 7871 §6 says FORMERR:
// an unknown family, a source prefix longer than the family's addresses, a
// scope other than 0 in a query, more address octets than the source prefix
// needs, or bits set beyond it.
func readECS(b []byte) (netip.Prefix, bool) {
	if len(b) < 4 {
		return netip.Prefix{}, true
	}
	family, source, scope, addr := binary.BigEndian.Uint16(b), int(b[2]), b[3], b[4:]
	var full [16]byte
	var a netip.Addr
	switch family {
	case 1:
		if source > 32 {
			return netip.Prefix{}, true
		}
		copy(full[:4], addr)
		a = netip.AddrFrom4([4]byte(full[:4]))
	case 2:
		if source > 128 {
			return netip.Prefix{}, true
		}
		copy(full[:], addr)
		a = netip.AddrFrom16(full)
	case 0:
		// dig sends family 0 with prefix 0 to say "no subnet"; miekg accepts it.
		if source != 0 || len(addr) != 0 {
			return netip.Prefix{}, true
		}
		return netip.Prefix{}, false
	default:
		return netip.Prefix{}, true
	}
	if scope != 0 || len(addr) != (source+7)/8 {
		return netip.Prefix{}, true
	}
	p := netip.PrefixFrom(a, source)
	if p.Masked().Addr() != a {
		return netip.Prefix{}, true
	}
	return p, false
}

// readName reads the uncompressed name at off into dst, lower-cased, labels
// joined by dots, with no trailing dot. plain is false when the name has a
// compression pointer or a byte that its presentation form would escape (the
// full path handles those).
func readName(msg []byte, off int, dst []byte) (name []byte, end int, plain bool) {
	plain = true
	for {
		if off >= len(msg) {
			return dst, -1, false
		}
		n := int(msg[off])
		switch {
		case n == 0:
			return dst, off + 1, plain
		case n&0xc0 == 0xc0:
			return dst, skipName(msg, off), false
		case n&0xc0 != 0 || off+1+n > len(msg):
			return dst, -1, false
		}
		if len(dst) > 0 {
			dst = append(dst, '.')
		}
		for _, c := range msg[off+1 : off+1+n] {
			switch {
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '*':
			default:
				plain = false
			}
			dst = append(dst, c)
		}
		off += 1 + n
	}
}

// hasPointer reports whether the name at off has a compression pointer.
func hasPointer(msg []byte, off int) bool {
	for off < len(msg) {
		n := int(msg[off])
		if n == 0 {
			return false
		}
		if n&0xc0 != 0 {
			return true
		}
		off += 1 + n
	}
	return false
}

// skipName returns the offset after the (possibly compressed) name at off, or -1.
func skipName(msg []byte, off int) int {
	for {
		if off >= len(msg) {
			return -1
		}
		n := int(msg[off])
		switch {
		case n == 0:
			return off + 1
		case n&0xc0 == 0xc0:
			if off+2 > len(msg) {
				return -1
			}
			return off + 2
		case n&0xc0 != 0:
			return -1
		}
		off += 1 + n
	}
}

// header writes a response header for q into out[:12].
func header(out []byte, q *rawQuery, flags uint16, an, ns, ar uint16) []byte {
	out = append(out[:0], byte(q.id>>8), byte(q.id), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0)
	flags |= flagQR | q.flags&(opcodeMask|flagRD|flagCD)
	binary.BigEndian.PutUint16(out[2:], flags)
	binary.BigEndian.PutUint16(out[6:], an)
	binary.BigEndian.PutUint16(out[8:], ns)
	binary.BigEndian.PutUint16(out[10:], ar)
	return out
}

// formErr is the FORMERR response to q: the header, with the question when it
// could be read.
func formErr(q *rawQuery, out []byte) []byte {
	out = header(out, q, dns.RcodeFormatError, 0, 0, 0)
	if q.question == nil {
		out[5] = 0 // no question
		return out
	}
	return append(out, q.question...)
}

// appendAddr appends an A or AAAA record for the question's name (a pointer
// to offset 12).
func appendAddr(out []byte, a netip.Addr, ttl uint32) []byte {
	if a.Is4() {
		v := a.As4()
		out = append(out, 0xc0, 12, 0, byte(dns.TypeA), 0, 1, byte(ttl>>24), byte(ttl>>16), byte(ttl>>8), byte(ttl), 0, 4)
		return append(out, v[:]...)
	}
	v := a.As16()
	out = append(out, 0xc0, 12, 0, byte(dns.TypeAAAA), 0, 1, byte(ttl>>24), byte(ttl>>16), byte(ttl>>8), byte(ttl), 0, 16)
	return append(out, v[:]...)
}

// appendOPT appends the response's OPT record: our UDP size, the DO bit
// echoed and, when the query had one, the client-subnet option with scope.
func appendOPT(out []byte, q *rawQuery, scope uint8) []byte {
	var do byte
	if q.do {
		do = 0x80
	}
	out = append(out, 0, 0, byte(dns.TypeOPT), byte(ednsSize>>8), byte(ednsSize&0xff), 0, 0, do, 0)
	if !q.ecs.IsValid() {
		return append(out, 0, 0)
	}
	a, bits := q.ecs.Addr(), q.ecs.Bits()
	n := (bits + 7) / 8
	family := byte(1)
	var raw []byte
	if a.Is4() {
		v := a.As4()
		raw = v[:n]
	} else {
		family = 2
		v := a.As16()
		raw = v[:n]
	}
	l := 4 + n
	out = append(out, byte((4+l)>>8), byte(4+l), 0, byte(dns.EDNS0SUBNET), byte(l>>8), byte(l), 0, family, byte(bits), scope)
	return append(out, raw...)
}

// ednsSize is the UDP payload size we advertise (the DNS flag day 2020 value).
const ednsSize = 1232

// fast answers q when it is a plain address query for a served name,
// appending the response to out[:0]; handled is false when the full path must
// answer it instead. A nil response with handled true means no response.
func (s *Server) fast(q *rawQuery, snap *snapshot, client netip.Addr, tcp bool, out []byte) (resp []byte, handled bool) {
	if q.flags&(flagQR|opcodeMask) != 0 || q.qd != 1 || !q.plain || q.otherRecords || q.opts > 1 ||
		q.ecsBad || (q.opts == 1 && q.version != 0) || q.qclass != dns.ClassINET ||
		(q.qtype != dns.TypeA && q.qtype != dns.TypeAAAA) {
		return nil, false
	}
	z := snap.zoneOfBytes(q.name)
	if z == nil {
		return nil, false
	}
	p := snap.names.lookupBytes(q.name)
	if p == nil {
		return nil, false
	}
	z.requests[qtypeIndex(q.qtype)].Inc()
	ans := p.Answer(gslb.Query{Type: gslb.QType(q.qtype), Client: client, ECS: q.ecs})
	if ans.Action == gslb.ActionDrop {
		return nil, true
	}
	var ar uint16
	if q.opts == 1 {
		ar = 1
	}
	if len(ans.Addrs) == 0 {
		out = header(out, q, flagAA, 0, 1, ar)
		out = append(out, q.question...)
		out = append(out, z.soaWire...)
	} else {
		out = header(out, q, flagAA, uint16(len(ans.Addrs)), 0, ar)
		out = append(out, q.question...)
		for _, a := range ans.Addrs {
			out = appendAddr(out, a, ans.TTL)
		}
	}
	if ar == 1 {
		out = appendOPT(out, q, ans.Scope)
	}
	if !tcp && len(out) > udpLimit(q) {
		return nil, false // the full path truncates
	}
	return out, true
}

// udpLimit is the largest UDP response q allows.
func udpLimit(q *rawQuery) int {
	if q.opts == 0 {
		return dns.MinMsgSize
	}
	return int(max(min(q.udpSize, 4096), dns.MinMsgSize))
}
