// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package avi is the Avi Controller backend: it reads the GSLB services and
// health monitors this amko owns from the GSLB leader, and writes the changes a
// plan computes, through the official Go SDK configured as AMKO configures it.
// It never writes an object whose created_by (services) or created-by marker
// (health monitors) is not this amko's.
package avi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/alb-sdk/go/session"

	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/provider"
)

// Config locates and authenticates the GSLB leader controller.
type Config struct {
	// Host is the controller's address, host[:port].
	Host     string
	Username string
	Password string
	// Version is sent as X-Avi-Version.
	Version string
	// CreatedBy marks the objects this amko owns: "amko-<uuid>".
	CreatedBy string
	// Timeout bounds each request; default 120 s as in AMKO.
	Timeout time.Duration
	// CABundle is the PEM bundle the controller's certificate must chain to
	// (and name Host); nil: trust on first use, against Pin. See tls.go.
	CABundle []byte
	// Pin is the SHA-256 (hex) of the controller's leaf certificate required
	// without a CA; "": the first certificate seen is pinned.
	Pin string
	// OnPin is told, once, the SHA-256 (hex) of the certificate pinned on
	// first use. It runs during the TLS handshake: it must not block.
	OnPin func(sha256 string)
	// ClearPin says how an operator clears the pin (a kubectl command), for
	// the error a changed certificate gets.
	ClearPin string
	// Concurrency is how many writes Apply sends at once, and so how many
	// sessions a tenant may have open; default DefaultConcurrency. 1 writes
	// one at a time, as AMKO does.
	Concurrency int
	// LoginRetryInterval is how long after the controller refused the
	// credentials no login is tried: every call fails at once with
	// provider.ErrBadCredentials (accounts lock after a few failed logins).
	// Default 5 minutes. New credentials come with a new Provider.
	LoginRetryInterval time.Duration
}

// Provider talks to one controller. It is safe for concurrent use.
type Provider struct {
	cfg       Config
	http      *http.Client
	transport *http.Transport
	// done ends with Close, cancelling every call in flight.
	done   context.Context
	cancel context.CancelFunc
	// login is the gate every login passes, one at a time.
	login chan struct{}
	// trust checks the controller's certificate at every handshake.
	trust *trust

	mu      sync.Mutex
	conns   map[string]*pool // by tenant; "*" reads every tenant
	closed  bool
	refused *credentialsError // the controller's last refusal of the credentials
	// distrusted is the last refusal of the controller's certificate, which
	// calls return without a handshake until distrustedUntil.
	distrusted      *untrustedError
	distrustedUntil time.Time
}

var (
	_ provider.Provider = (*Provider)(nil)
	_ policy.Controller = (*Provider)(nil)
)

// New returns a Provider; sessions are opened on first use, one per tenant.
func New(cfg Config) (*Provider, error) {
	if cfg.Host == "" || cfg.Username == "" {
		return nil, errors.New("avi: the controller address and user name are required")
	}
	if cfg.CreatedBy == "" {
		return nil, errors.New("avi: created_by is required to tell this amko's objects from others'")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 120 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.LoginRetryInterval <= 0 {
		cfg.LoginRetryInterval = 5 * time.Minute
	}
	t, err := newTrust(cfg)
	if err != nil {
		return nil, fmt.Errorf("avi: %w", err)
	}
	p := &Provider{cfg: cfg, login: make(chan struct{}, 1), conns: map[string]*pool{}, trust: t}
	p.http, p.transport = newHTTPClient(cfg.Timeout, t.tlsConfig())
	p.done, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// Verified reports whether the controller's certificate was verified against
// the CA bundle at the last handshake: false without a CA (pinned only), or
// when the last verification failed.
func (p *Provider) Verified() bool { return p.trust.verified.Load() }

// Pinned is the SHA-256 (hex) of the controller certificate pinned without a
// CA: Config.Pin, or the one first seen; "" with a CA or before any handshake.
func (p *Provider) Pinned() string { return p.trust.Pinned() }

// CloseIdleConnections closes the connections to the controller not in use:
// the next request makes a new one, with a new handshake.
func (p *Provider) CloseIdleConnections() { p.transport.CloseIdleConnections() }

// Kind is "avi".
func (p *Provider) Kind() string { return "avi" }

// Shared is true: every amko of a federation reaches the same controller.
func (p *Provider) Shared() bool { return true }

// Leading reports whether the controller is the GSLB leader (IsLeader).
func (p *Provider) Leading(ctx context.Context) (bool, error) { return p.IsLeader(ctx) }

// Equality compares as the controller stores: see ServiceEqual and MonitorEqual.
func (p *Provider) Equality() plan.Options {
	return plan.Options{ServiceEqual: ServiceEqual, MonitorEqual: MonitorEqual}
}

// Controller is the provider itself: it looks up the objects policies name.
func (p *Provider) Controller() policy.Controller { return p }

// list reads every page of a collection, following next links as AMKO does.
func (p *Provider) list(ctx context.Context, tenant, kind string, query url.Values) ([]map[string]any, error) {
	uri := "/api/" + kind + "?" + query.Encode()
	var out []map[string]any
	for uri != "" {
		var res session.AviCollectionResult
		err := p.call(ctx, tenant, "listing "+kind, func(s *session.AviSession) error {
			var err error
			res, err = s.GetCollectionRaw(uri)
			return err
		})
		if err != nil {
			return nil, err
		}
		var page []map[string]any
		if len(res.Results) > 0 {
			if err := json.Unmarshal(res.Results, &page); err != nil {
				return nil, p.classify(ctx, "listing "+kind, err)
			}
		}
		out = append(out, page...)
		uri = ""
		if res.Next != "" {
			if _, rest, ok := strings.Cut(res.Next, "/api/"+kind); ok {
				uri = "/api/" + kind + rest
			}
		}
	}
	return out, nil
}

// Observe reads the services and monitors this amko owns, in every tenant.
func (p *Provider) Observe(ctx context.Context) (plan.Observed, error) {
	var obs plan.Observed
	services, err := p.list(ctx, "*", "gslbservice", url.Values{
		"created_by": {p.cfg.CreatedBy}, "include_name": {""}, "page_size": {"100"},
	})
	if err != nil {
		return obs, err
	}
	for _, o := range services {
		if str(o["created_by"]) != p.cfg.CreatedBy {
			continue
		}
		obs.Services = append(obs.Services, plan.ObservedService{UUID: str(o["uuid"]), Service: parseService(o), Term: termOf(o)})
	}
	monitors, err := p.list(ctx, "*", "healthmonitor", url.Values{
		"is_federated": {"true"}, "include_name": {""}, "page_size": {"100"},
	})
	if err != nil {
		return obs, err
	}
	for _, o := range monitors {
		if !strings.HasPrefix(str(o["name"]), "amko--") || createdByOf(o) != p.cfg.CreatedBy {
			continue
		}
		obs.Monitors = append(obs.Monitors, plan.ObservedMonitor{
			UUID: str(o["uuid"]), Tenant: refName(str(o["tenant_ref"])), Monitor: parseMonitor(o), Term: termOf(o),
		})
	}
	return obs, nil
}

// DefaultConcurrency is how many writes Apply sends at once by default,
// chosen by measurement (bench/README.md, BenchmarkAviSync): against a
// controller taking 5 ms a write, 8 made the cold sync 4x faster than one at
// a time, 4 and 16 less; on loopback 8 was as good as 4.
const DefaultConcurrency = 8

// Apply writes the changes, up to Config.Concurrency at once, in the plan's
// order: the plan lists its changes in stages (monitor creates and updates,
// service creates and updates, service deletes, monitor deletes), and a stage
// starts only when every write of the one before has been answered, so that
// a service is written after the monitors it refers to exist, and a monitor
// is deleted after the services that used it are updated or deleted. Within
// a stage the writes are independent but for one case: a service may take a
// domain another service of the stage gives up, which the controller refuses
// until that other write is done; such refusals are tried again once, one at
// a time in the plan's order, after the rest of the stage (when an update of
// the stage succeeded: only an update gives a domain up). A failed change
// does not stop the others (they may not depend on it); the caller plans
// again later. The results are the changes', in their order.
func (p *Provider) Apply(ctx context.Context, changes []plan.Change) []plan.Result {
	results := make([]plan.Result, len(changes))
	for start := 0; start < len(changes); {
		end := start + 1
		for end < len(changes) && stageOf(changes[end]) == stageOf(changes[start]) {
			end++
		}
		p.applyStage(ctx, changes[start:end], results[start:end])
		start = end
	}
	return results
}

// stage is what the writes of one stage of a plan have in common.
type stage struct {
	kind   plan.Kind
	delete bool
}

func stageOf(ch plan.Change) stage { return stage{ch.Kind, ch.Op == plan.Delete} }

// applyStage writes one stage's changes, up to Config.Concurrency at once,
// taken in order, into results.
func (p *Provider) applyStage(ctx context.Context, changes []plan.Change, results []plan.Result) {
	workers := min(p.cfg.Concurrency, len(changes))
	if workers <= 1 {
		for i, ch := range changes {
			results[i] = p.apply(ctx, ch)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(changes) {
					return
				}
				results[i] = p.apply(ctx, changes[i])
			}
		}()
	}
	wg.Wait()
	// Only an update gives domains up: without one that succeeded, a refusal
	// stands (a domain held outside the plan is not written for twice).
	released := false
	for i, ch := range changes {
		released = released || (ch.Op == plan.Update && results[i].Err == nil)
	}
	for i, ch := range changes {
		if released && domainTaken(results[i].Err) {
			results[i] = p.apply(ctx, ch)
		}
	}
}

// domainTaken reports whether the controller refused a service write because
// another service holds one of its domains.
func domainTaken(err error) bool {
	var e *Error
	return errors.As(err, &e) && strings.Contains(e.Message, msgDomainConflict)
}

func (p *Provider) apply(ctx context.Context, ch plan.Change) plan.Result {
	res := plan.Result{Change: ch}
	op := fmt.Sprintf("%s %s %s/%s", ch.Op, ch.Kind, ch.Tenant, ch.Name)
	kind := "gslbservice"
	if ch.Kind == plan.KindMonitor {
		kind = "healthmonitor"
	}
	var body map[string]any
	if ch.Op != plan.Delete {
		if ch.Kind == plan.KindService {
			body = serviceBody(ch.Service, p.cfg.CreatedBy, ch.Term)
		} else {
			body = monitorBody(ch.Monitor, ch.Tenant, p.cfg.CreatedBy, ch.Term)
		}
	}
	var out map[string]any
	err := p.call(ctx, ch.Tenant, op, func(s *session.AviSession) error {
		out = nil
		switch ch.Op {
		case plan.Create:
			return s.Post("/api/"+kind+"/", body, &out)
		case plan.Update:
			return s.Put("/api/"+kind+"/"+ch.UUID, body, &out)
		case plan.Delete:
			return s.Delete("/api/" + kind + "/" + ch.UUID)
		}
		return fmt.Errorf("unknown change %q", ch.Op)
	})
	if err != nil {
		res.Err = err
		return res
	}
	if ch.Op == plan.Delete {
		return res
	}
	uuid := str(out["uuid"])
	if ch.Kind == plan.KindService {
		res.Service = &plan.ObservedService{UUID: uuid, Service: parseService(out), Term: termOf(out)}
	} else {
		res.Monitor = &plan.ObservedMonitor{UUID: uuid, Tenant: ch.Tenant, Monitor: parseMonitor(out), Term: termOf(out)}
	}
	return res
}

// IsLeader reports whether the controller leads the GSLB federation: its
// cluster uuid is the gslb object's leader_cluster_uuid.
func (p *Provider) IsLeader(ctx context.Context) (bool, error) {
	var cluster map[string]any
	if err := p.call(ctx, "admin", "reading the controller cluster", func(s *session.AviSession) error {
		return s.Get("/api/cluster", &cluster)
	}); err != nil {
		return false, err
	}
	g, err := p.gslbConfig(ctx)
	if err != nil {
		return false, err
	}
	return str(g["leader_cluster_uuid"]) == str(cluster["uuid"]), nil
}

func (p *Provider) gslbConfig(ctx context.Context) (map[string]any, error) {
	objs, err := p.list(ctx, "admin", "gslb", url.Values{})
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, errors.New("reading the GSLB configuration: the controller has none")
	}
	return objs[0], nil
}

// ThirdPartySites returns the names of the GSLB configuration's third-party sites.
func (p *Provider) ThirdPartySites(ctx context.Context) ([]string, error) {
	g, err := p.gslbConfig(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	sites, _ := g["third_party_sites"].([]any)
	for _, s := range sites {
		m, _ := s.(map[string]any)
		names = append(names, str(m["name"]))
	}
	return names, nil
}

// Lookup finds an object of kind ("healthmonitor", "applicationpersistenceprofile",
// "pkiprofile") by name in a tenant; found is false when there is none.
func (p *Provider) Lookup(ctx context.Context, kind, tenant, name string) (obj policy.Object, found bool, err error) {
	objs, err := p.list(ctx, tenant, kind, url.Values{"name": {name}})
	if err != nil || len(objs) == 0 {
		return policy.Object{}, false, err
	}
	o := objs[0]
	hm := parseMonitor(o)
	return policy.Object{Federated: o["is_federated"] == true, Type: hm.Type,
		HTTPRequest: hm.HTTPRequest, HTTPResponseCodes: hm.HTTPResponseCodes}, true, nil
}

// DefaultPKIProfile returns the controller's first federated PKI profile, which
// AMKO uses for site persistence when the policy names none.
func (p *Provider) DefaultPKIProfile(ctx context.Context, tenant string) (string, error) {
	var res session.AviCollectionResult
	if err := p.call(ctx, tenant, "listing PKI profiles", func(s *session.AviSession) error {
		var err error
		res, err = s.GetCollectionRaw("/api/pkiprofile?is_federated=true&page_size=10")
		return err
	}); err != nil {
		return "", err
	}
	var page []map[string]any
	if len(res.Results) > 0 {
		if err := json.Unmarshal(res.Results, &page); err != nil {
			return "", p.classify(ctx, "listing PKI profiles", err)
		}
	}
	if len(page) == 0 {
		return "", nil
	}
	return str(page[0]["name"]), nil
}
