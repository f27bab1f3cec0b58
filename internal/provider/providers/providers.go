// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package providers knows every backend: it builds the one a GSLBConfig names.
// Only programs (cmd/amko, the demo, tests) import it and hand Build to the
// operator, which knows backends by their interface only.
package providers

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/provider"
	"github.com/amko-project/amko/internal/provider/dns"
)

var _ provider.Factory = Build

// Build returns the backend of s.Config: the Avi GSLB leader controller it
// names, else the built-in DNS server of its dns section; with s.Mirror, that
// DNS server beside the controller. A configuration the backend cannot run
// with is a *provider.ConfigError.
func Build(ctx context.Context, s provider.Settings) (provider.Provider, error) {
	gc := s.Config
	if gc.Spec.DNS != nil && (s.Mirror || gc.Spec.GSLBLeader.ControllerIP == "") {
		opts, err := dnsOptions(gc.Spec.DNS)
		if err != nil {
			return nil, &provider.ConfigError{State: "error: dns backend " + err.Error(), Err: err}
		}
		opts.ProbeScale, opts.OnHealth, opts.Log, opts.Registerer = s.ProbeScale, s.OnHealth, s.Log, s.Registerer
		if prev, ok := s.Prev.(*dns.Provider); ok {
			if err := prev.Configure(opts); err != nil {
				return nil, &provider.ConfigError{State: "error: dns backend " + err.Error(), Err: err}
			}
			return prev, nil
		}
		p, err := dns.NewProvider(ctx, opts)
		if err != nil {
			return nil, &provider.ConfigError{State: "error: dns backend " + err.Error(), Err: err}
		}
		return p, nil
	}
	return buildAvi(s)
}

// dnsOptions translates the GSLBConfig's dns section; admission has checked
// its forms, so what fails here is what admission cannot see.
func dnsOptions(spec *amkov1alpha1.DNSConfig) (dns.Options, error) {
	opts := dns.Options{Listen: spec.Listen}
	if spec.TTL != nil {
		opts.Config.DefaultTTL = uint32(*spec.TTL)
	}
	if geo := spec.Geo; geo != nil {
		opts.GeoDatabase = geo.Database
		for _, c := range geo.Clients {
			prefix, err := netip.ParsePrefix(c.Prefix)
			if err != nil {
				return opts, fmt.Errorf("geo client prefix %q: %w", c.Prefix, err)
			}
			loc, ok := gslb.ParseLocation(c.Location.Latitude, c.Location.Longitude)
			if !ok {
				return opts, fmt.Errorf("geo client %s: location %s,%s is not a latitude and longitude", c.Prefix, c.Location.Latitude, c.Location.Longitude)
			}
			opts.Config.Clients = append(opts.Config.Clients, dns.ClientLocation{Prefix: prefix.Masked(), Location: loc})
		}
	}
	if rl := spec.RateLimit; rl != nil {
		opts.RateLimit = &dns.RateLimit{ResponsesPerSecond: int(rl.ResponsesPerSecond), Slip: 2}
		if rl.Slip != nil {
			opts.RateLimit.Slip = int(*rl.Slip)
		}
		if rl.IPv4PrefixLength != nil {
			opts.RateLimit.IPv4PrefixLength = int(*rl.IPv4PrefixLength)
		}
		if rl.IPv6PrefixLength != nil {
			opts.RateLimit.IPv6PrefixLength = int(*rl.IPv6PrefixLength)
		}
	}
	if t := spec.TCP; t != nil {
		if t.MaxConnections != nil {
			opts.TCP.MaxConnections = int(*t.MaxConnections)
		}
		if t.MaxQueriesPerConnection != nil {
			opts.TCP.MaxQueriesPerConnection = int(*t.MaxQueriesPerConnection)
		}
		if t.IdleTimeoutSeconds != nil {
			opts.TCP.IdleTimeout = time.Duration(*t.IdleTimeoutSeconds) * time.Second
		}
	}
	for _, z := range spec.Zones {
		zone := dns.Zone{Name: z.Name, Nameservers: z.Nameservers, Hostmaster: z.Hostmaster}
		if z.NegativeTTL != nil {
			zone.NegativeTTL = uint32(*z.NegativeTTL)
		}
		opts.Config.Zones = append(opts.Config.Zones, zone)
	}
	return opts, nil
}
