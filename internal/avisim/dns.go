// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/amko-project/amko/internal/gslb"
	dnsprovider "github.com/amko-project/amko/internal/provider/dns"
)

// This file answers DNS for the stored GSLB services as the Avi DNS virtual
// service would (avi-api.md §4), through the shared answer engine in internal/gslb.

// dnsState is the DNS view of the store, rebuilt when the store changes.
type dnsState struct {
	table *gslb.Table
	// sites maps a member's cluster_uuid to whether its site is enabled.
	sites map[string]bool
	// public classifies clients for members' public IPs; nil: all private.
	public func(netip.Addr) bool
}

// Resolve answers a query for name of type qtype from client, as the GSLB DNS
// virtual service would. An unknown name is dropped (the DNS profile's default
// error response, DNS_ERROR_RESPONSE_NONE).
func (s *Server) Resolve(name string, qtype gslb.QType, client netip.Addr) gslb.Answer {
	return s.resolveQuery(gslb.Query{Name: name, Type: qtype, Client: client})
}

func (s *Server) resolveQuery(q gslb.Query) gslb.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.dnsView()
	svc := st.table.Lookup(q.Name)
	if svc == nil {
		return gslb.Answer{Action: gslb.ActionDrop}
	}
	if st.public != nil {
		addr := q.Client
		if svc.UseECS && q.ECS.IsValid() {
			addr = q.ECS.Addr()
		}
		q.Public = st.public(addr)
	}
	return s.engine.Answer(svc, q, func(_ *gslb.Service, p, m int) bool {
		member := svc.Pools[p].Members[m]
		cluster, vs, _ := strings.Cut(member.ID, "/")
		if enabled, known := st.sites[cluster]; known && !enabled {
			return false
		}
		if up, ok := s.health[member.IP.String()]; ok && !up {
			return false
		}
		if up, ok := s.health[vs]; vs != "" && ok && !up {
			return false
		}
		return true
	})
}

// serves reports whether name belongs to a GSLB service.
func (s *Server) serves(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dnsView().table.Lookup(name) != nil
}

// dnsView returns the DNS view, rebuilding it after writes. s.mu is held.
func (s *Server) dnsView() *dnsState {
	if s.dns != nil && s.dnsVersion == s.store.version {
		return s.dns
	}
	s.engine.Forget(s.dnsReset)
	clear(s.dnsReset)
	st := &dnsState{sites: map[string]bool{}}
	var services []*gslb.Service
	for _, o := range s.store.list("gslbservice") {
		services = append(services, toService(o))
	}
	st.table = gslb.NewTable(services)
	if g := s.gslbObject(); g != nil {
		for _, field := range []string{"sites", "third_party_sites"} {
			list, _ := g.Data[field].([]any)
			for _, it := range list {
				site, _ := it.(map[string]any)
				st.sites[str(site["cluster_uuid"])] = site["enabled"] != false
			}
		}
		st.public = clientClassifier(g.Data["client_ip_addr_group"])
	}
	s.dns, s.dnsVersion = st, s.store.version
	return st
}

// toService converts a stored gslbservice into the answer engine's model.
func toService(o *object) *gslb.Service {
	d := o.Data
	svc := &gslb.Service{
		Name:          o.name(),
		DomainNames:   stringList(d["domain_names"]),
		Enabled:       d["enabled"] != false,
		UseECS:        d["use_edns_client_subnet"] != false,
		WildcardMatch: d["wildcard_match"] == true,
	}
	if n, ok := number(d["ttl"]); ok {
		ttl := uint32(n)
		svc.TTL = &ttl
	}
	if n, ok := number(d["num_dns_ip"]); ok {
		num := uint32(n)
		svc.NumIPs = &num
	}
	if n, ok := number(d["min_members"]); ok {
		svc.MinMembers = uint32(n)
	}
	if dr, ok := d["down_response"].(map[string]any); ok {
		svc.Down.Type = gslb.DownResponseType(str(dr["type"]))
		svc.Down.FallbackIP = ipOf(dr["fallback_ip"])
		svc.Down.FallbackIP6 = ipOf(dr["fallback_ip6"])
	}
	pools, _ := d["groups"].([]any)
	for _, p := range pools {
		pm, _ := p.(map[string]any)
		pool := gslb.Pool{
			Name:      str(pm["name"]),
			Enabled:   pm["enabled"] != false,
			Algorithm: gslb.Algorithm(str(pm["algorithm"])),
			Fallback:  gslb.Algorithm(str(pm["fallback_algorithm"])),
		}
		if n, ok := number(pm["priority"]); ok {
			pool.Priority = uint32(n)
		}
		if n, ok := number(pm["consistent_hash_mask"]); ok {
			pool.HashMask, pool.FallbackHashMask = int(n), int(n)
		}
		if n, ok := number(pm["consistent_hash_mask6"]); ok {
			pool.HashMask6 = int(n)
		}
		members, _ := pm["members"].([]any)
		for _, m := range members {
			mm, _ := m.(map[string]any)
			member := gslb.Member{
				IP:       ipOf(mm["ip"]),
				Enabled:  mm["enabled"] != false,
				Ratio:    1,
				Location: locationOf(mm["location"]),
			}
			if pub, ok := mm["public_ip"].(map[string]any); ok {
				member.PublicIP = ipOf(pub["ip"])
			}
			if n, ok := number(mm["ratio"]); ok {
				member.Ratio = uint32(n)
			}
			if n, ok := number(mm["preference_order"]); ok {
				member.Preference = uint32(n)
			}
			member.ID = str(mm["cluster_uuid"]) + "/" + str(mm["vs_uuid"])
			if member.ID == "/" {
				member.ID = member.IP.String()
			}
			pool.Members = append(pool.Members, member)
		}
		svc.Pools = append(svc.Pools, pool)
	}
	return svc
}

// ipOf reads an IpAddr {addr, type}; the zero Addr when absent or invalid.
func ipOf(v any) netip.Addr {
	m, _ := v.(map[string]any)
	addr, _ := netip.ParseAddr(str(m["addr"]))
	return addr
}

// locationOf reads a member's GslbGeoLocation {location: {latitude, longitude}}.
func locationOf(v any) *gslb.Location {
	m, _ := v.(map[string]any)
	loc, _ := m["location"].(map[string]any)
	lat, okLat := float(loc["latitude"])
	long, okLong := float(loc["longitude"])
	if !okLat || !okLong {
		return nil
	}
	return &gslb.Location{Latitude: lat, Longitude: long}
}

func float(v any) (float64, bool) {
	switch n := v.(type) {
	case interface{ Float64() (float64, error) }:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

// clientClassifier returns whether a client is public under the gslb object's
// client_ip_addr_group: a PUBLIC group lists the public clients, a PRIVATE group
// the private ones (everything else is public). No group: nil.
func clientClassifier(v any) func(netip.Addr) bool {
	group, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var prefixes []netip.Prefix
	for _, a := range func() []any { l, _ := group["addrs"].([]any); return l }() {
		if addr := ipOf(a); addr.IsValid() {
			prefixes = append(prefixes, netip.PrefixFrom(addr, addr.BitLen()))
		}
	}
	list, _ := group["prefixes"].([]any)
	for _, p := range list {
		pm, _ := p.(map[string]any)
		addr := ipOf(pm["ip_addr"])
		if n, ok := number(pm["mask"]); ok && addr.IsValid() {
			prefixes = append(prefixes, netip.PrefixFrom(addr, int(n)).Masked())
		}
	}
	if len(prefixes) == 0 {
		return nil
	}
	listed := func(a netip.Addr) bool {
		for _, p := range prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if group["type"] == "GSLB_IP_PRIVATE" {
		return func(a netip.Addr) bool { return !listed(a) }
	}
	return listed
}

// locate places a client for the geo algorithm from SetClientLocation's table,
// the most specific prefix winning.
func (s *Server) locate(a netip.Addr) (gslb.Location, bool) {
	// Called by the engine with s.mu held (from resolveQuery).
	best, bestBits, found := gslb.Location{}, -1, false
	for p, loc := range s.locations {
		if p.Contains(a) && p.Bits() > bestBits {
			best, bestBits, found = loc, p.Bits(), true
		}
	}
	return best, found
}

// DNSServer serves Resolve over UDP and TCP.
type DNSServer struct {
	// Addr is the address both listeners are bound to.
	Addr    string
	servers []*dns.Server
}

// ServeDNS starts UDP and TCP DNS listeners on addr (use 127.0.0.1:0 for a free
// port, the same for both). Stop them with Close or by cancelling ctx.
func (s *Server) ServeDNS(ctx context.Context, addr string) (*DNSServer, error) {
	pc, l, err := dnsprovider.ListenBoth(addr)
	if err != nil {
		return nil, fmt.Errorf("avisim: %w", err)
	}
	handler := dns.HandlerFunc(s.handleDNS)
	d := &DNSServer{Addr: pc.LocalAddr().String(), servers: []*dns.Server{
		{PacketConn: pc, Handler: handler},
		{Listener: l, Handler: handler},
	}}
	var started sync.WaitGroup
	for _, srv := range d.servers {
		started.Add(1)
		srv.NotifyStartedFunc = started.Done
		go func() { _ = srv.ActivateAndServe() }()
	}
	started.Wait()
	go func() {
		<-ctx.Done()
		_ = d.Close()
	}()
	return d, nil
}

// Close stops the listeners.
func (d *DNSServer) Close() error {
	var errs []error
	for _, srv := range d.servers {
		if err := srv.Shutdown(); err != nil && !strings.Contains(err.Error(), "not started") {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// handleDNS answers one DNS message: A and AAAA from Resolve, the GSLB service
// authoritatively; an unanswerable query is dropped like the Avi DNS VS's default.
func (s *Server) handleDNS(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeNotImplemented)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	query := gslb.Query{Name: q.Name, Type: gslb.QType(q.Qtype)}
	if addr, ok := netip.AddrFromSlice(remoteIP(w.RemoteAddr())); ok {
		query.Client = addr.Unmap()
	}
	if opt := req.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if ecs, ok := o.(*dns.EDNS0_SUBNET); ok {
				if addr, ok := netip.AddrFromSlice(ecs.Address); ok {
					query.ECS = netip.PrefixFrom(addr.Unmap(), int(ecs.SourceNetmask)).Masked()
				}
			}
		}
	}
	if q.Qtype != dns.TypeA && q.Qtype != dns.TypeAAAA {
		// Only address records are served: a known name gets NODATA.
		if !s.serves(q.Name) {
			return
		}
		m := new(dns.Msg)
		m.SetReply(req)
		m.Authoritative = true
		_ = w.WriteMsg(m)
		return
	}
	ans := s.resolveQuery(query)
	if ans.Action == gslb.ActionDrop {
		return
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	for _, a := range ans.Addrs {
		hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: ans.TTL}
		if a.Is4() {
			hdr.Rrtype = dns.TypeA
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: a.AsSlice()})
		} else {
			hdr.Rrtype = dns.TypeAAAA
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: a.AsSlice()})
		}
	}
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(opt.UDPSize(), false)
	}
	_ = w.WriteMsg(m)
}

func remoteIP(a net.Addr) net.IP {
	switch t := a.(type) {
	case *net.UDPAddr:
		return t.IP
	case *net.TCPAddr:
		return t.IP
	}
	return nil
}
