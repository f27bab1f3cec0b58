// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/probe"
	dnsprovider "github.com/amko-project/amko/internal/provider/dns"
)

// The built-in DNS backend: amko serves the desired services itself and probes
// their members, instead of writing them to a controller. Every amko serves
// from its own view of the member clusters, leader or not, so a zone delegated
// to several sites keeps answering when one is lost.

// dnsBackend is the running DNS server, its listener and the prober.
type dnsBackend struct {
	server   *dnsprovider.Server
	listener *dnsprovider.Listener
	prober   *probe.Prober
	cancel   context.CancelFunc
}

// startDNS starts the server and the prober on first use.
func (o *Operator) startDNS(ctx context.Context) *dnsBackend {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dns != nil {
		return o.dns
	}
	pctx, cancel := context.WithCancel(ctx)
	d := &dnsBackend{server: dnsprovider.New(), cancel: cancel}
	d.prober = probe.New(probe.Options{
		IntervalScale: o.opts.ProbeScale,
		OnChange: func(key string, up bool) {
			o.metrics.probeChange(up)
			o.probeEvent(key, up)
			o.Poke()
		},
	})
	go d.prober.Run(pctx)
	o.dns = d
	return d
}

func (o *Operator) stopDNS() {
	o.mu.Lock()
	d := o.dns
	o.dns = nil
	o.mu.Unlock()
	if d == nil {
		return
	}
	d.cancel()
	if d.listener != nil {
		if err := d.listener.Close(); err != nil {
			o.log.Warn("closing the DNS listener", "err", err)
		}
	}
}

// DNSAddr returns the address the DNS backend serves on, or "".
func (o *Operator) DNSAddr() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dns == nil || o.dns.listener == nil {
		return ""
	}
	return o.dns.listener.Addr
}

// syncDNS publishes the desired services to the DNS server, with the members'
// health as last probed, and points the prober at their monitors.
func (o *Operator) syncDNS(ctx context.Context, gc *amkov1alpha1.GSLBConfig, pol *policy.Policy) error {
	spec := gc.Spec.DNS
	d := o.startDNS(ctx)
	listen := spec.Listen
	if listen == "" {
		listen = ":53"
	}
	if d.listener == nil || !sameListen(d.listener.Addr, listen) {
		if d.listener != nil {
			_ = d.listener.Close()
		}
		l, err := d.server.Listen(listen)
		if err != nil {
			o.mu.Lock()
			d.listener = nil
			o.mu.Unlock()
			o.setConfigStatus(ctx, gc, "error: dns backend cannot listen, "+err.Error())
			return err
		}
		o.mu.Lock()
		d.listener = l
		o.mu.Unlock()
		o.log.Info("serving DNS", "addr", l.Addr)
	}

	desired := o.desired(ctx, pol)

	var targets []probe.Target
	for _, svc := range desired {
		for _, p := range svc.Pools {
			for _, m := range p.Members {
				for _, hm := range svc.HealthMonitors {
					targets = append(targets, probe.Target{Key: probeKey(svc, m, hm.Name), Monitor: hm, IP: m.IP, Host: svc.Name})
				}
			}
		}
	}
	d.prober.Set(targets)
	health := d.prober.States() // a copy: queries read it without locks
	up := func(svc *gslb.Service, p, m int) bool {
		member := svc.Pools[p].Members[m]
		for _, hm := range svc.HealthMonitors {
			if ok, known := health[probeKey(svc, member, hm.Name)]; known && !ok {
				return false
			}
		}
		return true
	}

	cfg := dnsprovider.Config{}
	if spec.TTL != nil {
		cfg.DefaultTTL = uint32(*spec.TTL)
	}
	database := ""
	if spec.Geo != nil {
		database = spec.Geo.Database
	}
	if err := d.server.SetDatabase(database); err != nil {
		o.setConfigStatus(ctx, gc, "error: dns backend geo database, "+err.Error())
		return err
	}
	if geo := spec.Geo; geo != nil {
		for _, c := range geo.Clients {
			prefix, err := netip.ParsePrefix(c.Prefix)
			loc, ok := parseLocation(c.Location)
			if err != nil || !ok {
				o.log.Warn("ignoring an invalid geo client entry", "prefix", c.Prefix)
				continue
			}
			cfg.Clients = append(cfg.Clients, dnsprovider.ClientLocation{Prefix: prefix.Masked(), Location: loc})
		}
	}
	for _, z := range spec.Zones {
		zone := dnsprovider.Zone{Name: z.Name, Nameservers: z.Nameservers, Hostmaster: z.Hostmaster}
		if z.NegativeTTL != nil {
			zone.NegativeTTL = uint32(*z.NegativeTTL)
		}
		cfg.Zones = append(cfg.Zones, zone)
	}
	d.server.Update(cfg, desired, up)
	o.recordServices(desired, health, true)
	return nil
}

// siteLocations maps the sites of the geo table to their locations.
func siteLocations(geo *amkov1alpha1.DNSGeo) map[string]gslb.Location {
	if geo == nil {
		return nil
	}
	out := map[string]gslb.Location{}
	for _, site := range geo.Sites {
		if loc, ok := parseLocation(site.Location); ok {
			out[site.Name] = loc
		}
	}
	return out
}

// parseLocation reads a location; admission checked its form and range.
func parseLocation(l amkov1alpha1.GeoLocation) (gslb.Location, bool) {
	lat, err1 := strconv.ParseFloat(l.Latitude, 64)
	long, err2 := strconv.ParseFloat(l.Longitude, 64)
	return gslb.Location{Latitude: lat, Longitude: long}, err1 == nil && err2 == nil
}

// probeKey names one member's probe by one monitor.
func probeKey(svc *gslb.Service, m gslb.Member, monitor string) string {
	return svc.Tenant + "/" + svc.Name + "|" + m.IP.String() + "|" + monitor
}

// sameListen reports whether a bound address serves what listen asks for: the
// same host (an empty one binds every address, reported as "::") and the same
// port, any port for port 0.
func sameListen(bound, listen string) bool {
	bh, bp, err1 := net.SplitHostPort(bound)
	lh, lp, err2 := net.SplitHostPort(listen)
	if err1 != nil || err2 != nil {
		return bound == listen
	}
	sameHost := bh == lh || (lh == "" && (bh == "::" || bh == "0.0.0.0"))
	return sameHost && (bp == lp || lp == "0")
}

// probeEvent records a member's health change on the accepted GSLBConfig.
func (o *Operator) probeEvent(key string, up bool) {
	o.mu.Lock()
	gc := o.state.config
	o.mu.Unlock()
	if gc == nil {
		return
	}
	parts := strings.SplitN(key, "|", 3)
	if len(parts) != 3 {
		return
	}
	if up {
		o.recorder.Event(gc, corev1.EventTypeNormal, "MemberUp",
			fmt.Sprintf("member %s of %s passes health monitor %s again: back in DNS answers", parts[1], parts[0], parts[2]))
		return
	}
	o.recorder.Event(gc, corev1.EventTypeWarning, "MemberDown",
		fmt.Sprintf("member %s of %s fails health monitor %s: left out of DNS answers", parts[1], parts[0], parts[2]))
}
