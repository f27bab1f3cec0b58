// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/amko-project/amko/internal/gslb"
	dnsprovider "github.com/amko-project/amko/internal/provider/dns"
)

// serveAmko is the `serve-amko` subcommand: amko's built-in DNS server alone
// in its own process, serving the benchmark zone until SIGTERM. The harness
// starts it under taskset like the other servers, so that it has the server
// core to itself (an in-process server would share it with the harness's
// goroutines) and its RSS is the server's alone.
func serveAmko(args []string) error {
	fs := flag.NewFlagSet("serve-amko", flag.ContinueOnError)
	names := fs.Int("names", 1000, "number of names (GSLB services)")
	port := fs.Int("port", 0, "UDP and TCP port on 127.0.0.1")
	weights := fs.String("weights", "3:1", "ratios of each service's two members")
	ips := fs.Int("ips", 0, "addresses per answer (the service's num_dns_ip): 0 all, 1 one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r1, r2, err := parseWeights(*weights)
	if err != nil {
		return err
	}
	s := dnsprovider.New()
	s.Update(dnsprovider.Config{Zones: []dnsprovider.Zone{{Name: zoneName}}}, amkoServices(*names, r1, r2, uint32(*ips)), nil)
	l, err := s.Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		return fmt.Errorf("amko: %w", err)
	}
	fmt.Println("ready", l.Addr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	return l.Close()
}

// amkoServices are the zone's names as GSLB services: one pool of two members
// with the ratios r1 and r2 (round robin weighted by them), at the addresses
// the zone file gives the other servers.
func amkoServices(n int, r1, r2, ips uint32) []*gslb.Service {
	services := make([]*gslb.Service, n)
	for i := range services {
		name := fmt.Sprintf("app-%d.%s", i, zoneName)
		a, b := memberAddrs(i)
		services[i] = &gslb.Service{Name: name, DomainNames: []string{name}, Enabled: true, NumIPs: &ips,
			Pools: []gslb.Pool{{Name: "amko-gs-group-10", Priority: 10, Enabled: true, Members: []gslb.Member{
				{IP: a, Ratio: r1, Enabled: true},
				{IP: b, Ratio: r2, Enabled: true},
			}}}}
	}
	return services
}

// memberAddrs are name i's two addresses, distinct for every i below 2^24.
func memberAddrs(i int) (netip.Addr, netip.Addr) {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
		netip.AddrFrom4([4]byte{11, byte(i >> 16), byte(i >> 8), byte(i)})
}

func parseWeights(s string) (uint32, uint32, error) {
	var a, b uint32
	if _, err := fmt.Sscanf(s, "%d:%d", &a, &b); err != nil || a == 0 || b == 0 || a > 20 || b > 20 {
		return 0, 0, fmt.Errorf("weights %q: want two ratios 1-20 as a:b", s)
	}
	return a, b, nil
}
