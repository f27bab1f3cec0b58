// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/probe"
	"github.com/amko-project/amko/internal/provider"
)

// The built-in DNS backend as a provider: what it observes is what it serves,
// and applying a plan swaps the served snapshot. It goes through the same plan
// as the Avi backend, so an unchanged service costs nothing, and removed
// services take their round-robin state with them.

// Options configure a Provider.
type Options struct {
	// Listen is the address served over UDP and TCP; default ":53".
	Listen string
	// Config holds the zones, the default TTL and the client locations.
	Config Config
	// GeoDatabase is a MaxMind database placing clients; "" for none.
	GeoDatabase string
	// ProbeScale multiplies the probes' intervals and timeouts (tests and
	// demos speed them up); 0 means 1.
	ProbeScale float64
	// OnHealth is told when a member's health by one monitor changes, after
	// the answers follow it: service is "tenant/name".
	OnHealth func(service, member, monitor string, up bool)
	Log      *slog.Logger
	// RateLimit limits the UDP responses per client prefix; nil: off.
	RateLimit *RateLimit
	// TCP bounds the TCP connections; zero fields take the defaults.
	TCP TCPLimits
	// Registerer receives the server's metrics; nil registers none. Read by
	// NewProvider only: the metrics stay where they were first registered.
	Registerer prometheus.Registerer
}

// Provider serves the GSLB services it is given over DNS, with the members'
// health from its own probes.
type Provider struct {
	server *Server
	prober *probe.Prober
	cancel context.CancelFunc
	log    *slog.Logger

	mu       sync.Mutex // guards the fields below and orders publications
	opts     Options
	listener *Listener
	services map[svcKey]*gslb.Service
	monitors map[svcKey]gslb.HealthMonitor
}

type svcKey struct{ tenant, name string }

var _ provider.Provider = (*Provider)(nil)

// NewProvider starts serving (nothing yet) on opts.Listen and probing. ctx
// bounds the prober; Close stops both.
func NewProvider(ctx context.Context, opts Options) (*Provider, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	metrics, err := NewMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	p := &Provider{server: New(), cancel: cancel, log: opts.Log,
		services: map[svcKey]*gslb.Service{}, monitors: map[svcKey]gslb.HealthMonitor{}}
	p.server.SetMetrics(metrics)
	p.prober = probe.New(probe.Options{IntervalScale: opts.ProbeScale, OnChange: p.healthChanged})
	if err := p.Configure(opts); err != nil {
		cancel()
		return nil, err
	}
	go p.prober.Run(pctx)
	return p, nil
}

// Configure applies new settings in place: the listener moves only when the
// address changes, and the served services and their health carry on. The
// rate limit and the TCP limits apply live, to the next response and the next
// connection or query (open connections included), with no new listener.
func (p *Provider) Configure(opts Options) error {
	if opts.Listen == "" {
		opts.Listen = ":53"
	}
	if opts.Log == nil {
		opts.Log = p.log
	}
	if err := p.server.SetDatabase(opts.GeoDatabase); err != nil {
		return fmt.Errorf("geo database, %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.server.SetRateLimit(opts.RateLimit)
	p.server.SetTCPLimits(opts.TCP)
	if p.listener == nil || !sameListen(p.listener.Addr, opts.Listen) {
		if p.listener != nil {
			_ = p.listener.Close()
			p.listener = nil
		}
		l, err := p.server.Listen(opts.Listen)
		if err != nil {
			return fmt.Errorf("cannot listen, %w", err)
		}
		p.listener = l
		p.log.Info("serving DNS", "addr", l.Addr)
	}
	p.opts = opts
	p.publishLocked()
	return nil
}

// Addr is the address the server listens on.
func (p *Provider) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener == nil {
		return ""
	}
	return p.listener.Addr
}

// Kind is "dns".
func (p *Provider) Kind() string { return "dns" }

// Shared is false: every amko serves DNS from its own view of the member
// clusters, leader or follower, active replica or standby.
func (p *Provider) Shared() bool { return false }

// Leading is always true: no other writer shares this server.
func (p *Provider) Leading(context.Context) (bool, error) { return true, nil }

// Observe returns what is served.
func (p *Provider) Observe(context.Context) (plan.Observed, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var obs plan.Observed
	for k, s := range p.services {
		obs.Services = append(obs.Services, plan.ObservedService{UUID: k.tenant + "/" + k.name, Service: s})
	}
	for k, m := range p.monitors {
		obs.Monitors = append(obs.Monitors, plan.ObservedMonitor{UUID: k.tenant + "/" + k.name, Tenant: k.tenant, Monitor: m})
	}
	slices.SortFunc(obs.Services, func(a, b plan.ObservedService) int { return cmp.Compare(a.UUID, b.UUID) })
	slices.SortFunc(obs.Monitors, func(a, b plan.ObservedMonitor) int { return cmp.Compare(a.UUID, b.UUID) })
	return obs, nil
}

// Apply makes the changes and publishes the result as one snapshot: queries
// see all of a plan or none of it. The snapshot is made from the one before,
// with only the changed services prepared again and probed anew.
func (p *Provider) Apply(ctx context.Context, changes []plan.Change) []plan.Result {
	results := make([]plan.Result, 0, len(changes))
	p.mu.Lock()
	defer p.mu.Unlock()
	forget := map[string]bool{}
	before := map[svcKey]*gslb.Service{} // of each changed service, nil when new
	for _, ch := range changes {
		res := plan.Result{Change: ch}
		k := svcKey{ch.Tenant, ch.Name}
		uuid := ch.Tenant + "/" + ch.Name
		if ch.Kind == plan.KindService && ctx.Err() == nil {
			if _, seen := before[k]; !seen {
				before[k] = p.services[k]
			}
		}
		switch {
		case ctx.Err() != nil:
			res.Err = ctx.Err()
		case ch.Kind == plan.KindService && ch.Op == plan.Delete:
			delete(p.services, k)
			forget[ch.Name] = true
		case ch.Kind == plan.KindService:
			if ch.Op == plan.Update {
				forget[ch.Name] = true // new pools or weights start fresh cycles
			}
			p.services[k] = ch.Service
			res.Service = &plan.ObservedService{UUID: uuid, Service: ch.Service}
		case ch.Op == plan.Delete:
			delete(p.monitors, k)
		default:
			p.monitors[k] = *ch.Monitor
			res.Monitor = &plan.ObservedMonitor{UUID: uuid, Tenant: ch.Tenant, Monitor: *ch.Monitor}
		}
		results = append(results, res)
	}
	if len(before) > 0 {
		p.changeLocked(before)
	}
	// After the new snapshot is out, so that no query recreates the state of
	// a removed service from the old one.
	p.server.Forget(forget)
	return results
}

// changeLocked publishes the services that changed (before holds what each
// was, nil when new): their probes follow their members, and they are
// prepared again with their current health. p.mu is held.
func (p *Provider) changeLocked(before map[svcKey]*gslb.Service) {
	var (
		remove  []string
		add     []probe.Target
		set     []*gslb.Service
		removed []ServiceKey
	)
	for k, old := range before {
		if old != nil {
			remove = appendTargetKeys(remove, old)
		}
		if svc := p.services[k]; svc != nil {
			add = appendTargets(add, svc)
			set = append(set, svc)
		} else {
			removed = append(removed, ServiceKey{k.tenant, k.name})
		}
	}
	p.prober.Change(remove, add)
	p.server.Change(set, removed, p.upOf(add))
}

// upOf reports the members' health as the prober has it now for targets
// (every monitor of the services about to be prepared): a copy, so that
// queries read it without locks.
func (p *Provider) upOf(targets []probe.Target) gslb.UpFunc {
	down := map[string]bool{}
	for _, t := range targets {
		if !p.prober.Up(t.Key) {
			down[t.Key] = true
		}
	}
	if len(down) == 0 {
		return nil // every member up
	}
	return func(svc *gslb.Service, pi, mi int) bool {
		member := svc.Pools[pi].Members[mi]
		for _, hm := range svc.HealthMonitors {
			if down[ProbeKey(svc, member, hm.Name)] {
				return false
			}
		}
		return true
	}
}

// appendTargets appends the probes of svc: each member by each monitor.
func appendTargets(targets []probe.Target, svc *gslb.Service) []probe.Target {
	for _, pool := range svc.Pools {
		for _, m := range pool.Members {
			for _, hm := range svc.HealthMonitors {
				targets = append(targets, probe.Target{Key: ProbeKey(svc, m, hm.Name), Monitor: hm, IP: m.IP, Host: svc.Name})
			}
		}
	}
	return targets
}

// appendTargetKeys appends the keys of svc's probes.
func appendTargetKeys(keys []string, svc *gslb.Service) []string {
	for _, pool := range svc.Pools {
		for _, m := range pool.Members {
			for _, hm := range svc.HealthMonitors {
				keys = append(keys, ProbeKey(svc, m, hm.Name))
			}
		}
	}
	return keys
}

// publishLocked points the prober at the served members and publishes the
// services with their current health, all of them: for a new configuration.
// p.mu is held.
func (p *Provider) publishLocked() {
	services := make([]*gslb.Service, 0, len(p.services))
	for _, s := range p.services {
		services = append(services, s)
	}
	slices.SortFunc(services, func(a, b *gslb.Service) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Name, b.Name))
	})
	var targets []probe.Target
	for _, svc := range services {
		targets = appendTargets(targets, svc)
	}
	p.prober.Set(targets)
	p.server.Update(p.opts.Config, services, p.upOf(targets))
}

// healthChanged republishes the service with the new health, then tells the
// caller: the answers follow a probe at once, with no pass of the operator.
func (p *Provider) healthChanged(key string, up bool) {
	service, member, monitor := splitProbeKey(key)
	tenant, name, _ := strings.Cut(service, "/")
	p.mu.Lock()
	if svc := p.services[svcKey{tenant, name}]; svc != nil {
		p.server.Change([]*gslb.Service{svc}, nil, p.upOf(appendTargets(nil, svc)))
	}
	onHealth := p.opts.OnHealth
	p.mu.Unlock()
	if onHealth != nil {
		onHealth(service, member, monitor, up)
	}
}

// MemberHealth is "up", "down" or "unknown" (no monitor has probed it yet):
// down when any monitor finds it down.
func (p *Provider) MemberHealth(svc *gslb.Service, m gslb.Member) string {
	// A lookup per monitor, not a copy of every target's state: the status
	// asks for every member.
	h := provider.HealthUnknown
	for _, hm := range svc.HealthMonitors {
		up, known := p.prober.State(ProbeKey(svc, m, hm.Name))
		if !known {
			continue
		}
		if !up {
			return provider.HealthDown
		}
		h = provider.HealthUp
	}
	return h
}

// Equality compares whole objects: this backend stores exactly what it is given.
func (p *Provider) Equality() plan.Options { return plan.Options{} }

// Controller is nil: there is no controller whose objects a policy could name.
func (p *Provider) Controller() policy.Controller { return nil }

// DefaultPKIProfile is "": site persistence is the controller's business.
func (p *Provider) DefaultPKIProfile(context.Context, string) (string, error) { return "", nil }

// Close stops probing and serving.
func (p *Provider) Close() error {
	p.cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener == nil {
		return nil
	}
	err := p.listener.Close()
	p.listener = nil
	if err != nil {
		return fmt.Errorf("closing the DNS listener: %w", err)
	}
	return nil
}

// ProbeKey names one member's probe by one monitor.
func ProbeKey(svc *gslb.Service, m gslb.Member, monitor string) string {
	return svc.Tenant + "/" + svc.Name + "|" + m.IP.String() + "|" + monitor
}

func splitProbeKey(key string) (service, member, monitor string) {
	parts := strings.SplitN(key, "|", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return parts[0], parts[1], parts[2]
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
