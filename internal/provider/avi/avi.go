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
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vmware/alb-sdk/go/clients"
	"github.com/vmware/alb-sdk/go/session"

	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
)

// Substrings of the controller's refusals that change what amko does
// (amko.md §2.12, avi-api.md §3.3).
const (
	msgNotLeader   = "Config Operations can be done ONLY on leader"
	msgMaintenance = "GSLB system is in maintenance mode."
	msgInvalidCred = "Invalid credentials"
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
	// Scheme is https (default) or http.
	Scheme string
}

// Provider talks to one controller. It is safe for concurrent use.
type Provider struct {
	cfg Config

	mu      sync.Mutex
	clients map[string]*clients.AviClient // by tenant; "*" reads every tenant
}

// New returns a Provider; sessions are opened on first use, one per tenant.
func New(cfg Config) (*Provider, error) {
	if cfg.Host == "" || cfg.Username == "" {
		return nil, errors.New("avi: the controller address and user name are required")
	}
	if cfg.CreatedBy == "" {
		return nil, errors.New("avi: created_by is required to tell this amko's objects from others'")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 120 * time.Second
	}
	return &Provider{cfg: cfg, clients: map[string]*clients.AviClient{}}, nil
}

// client returns the session of a tenant, logging in when there is none.
func (p *Provider) client(tenant string) (*clients.AviClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.clients[tenant]; c != nil {
		return c, nil
	}
	opts := []func(*session.AviSession) error{
		session.SetPassword(p.cfg.Password),
		session.SetTenant(tenant),
		session.SetInsecure,
		session.SetTimeout(p.cfg.Timeout),
		session.DisableControllerStatusCheckOnFailure(true),
		session.SetUserHeader(map[string]string{"X-Avi-UserAgent": "AMKO"}),
	}
	if p.cfg.Scheme == "http" {
		opts = append(opts, session.SetScheme("http"))
	}
	c, err := clients.NewAviClient(p.cfg.Host, p.cfg.Username, opts...)
	if err != nil {
		return nil, fmt.Errorf("avi: logging in to %s for tenant %s: %w", p.cfg.Host, tenant, err)
	}
	if p.cfg.Version != "" {
		if err := session.SetVersion(p.cfg.Version)(c.AviSession); err != nil {
			return nil, err
		}
	}
	p.clients[tenant] = c
	return c, nil
}

// Error is a refusal by the controller.
type Error struct {
	Status  int
	Message string
	Op      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: controller answered %d: %s", e.Op, e.Status, e.Message)
}

// NotLeader reports whether the controller refused because it is not the GSLB leader.
func (e *Error) NotLeader() bool { return strings.Contains(e.Message, msgNotLeader) }

// Maintenance reports whether the controller refused because GSLB is in maintenance mode.
func (e *Error) Maintenance() bool { return strings.Contains(e.Message, msgMaintenance) }

// BadCredentials reports whether the login was refused.
func (e *Error) BadCredentials() bool {
	return e.Status == 401 && strings.Contains(e.Message, msgInvalidCred)
}

// wrap turns the SDK's errors into *Error where the controller answered.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae session.AviError
	if errors.As(err, &ae) {
		msg := ""
		if ae.Message != nil {
			msg = *ae.Message
		}
		return &Error{Status: ae.HttpStatusCode, Message: msg, Op: op}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// StatusOf returns the HTTP status of a controller refusal, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// list reads every page of a collection, following next links as AMKO does.
func (p *Provider) list(ctx context.Context, tenant, kind string, query url.Values) ([]map[string]any, error) {
	c, err := p.client(tenant)
	if err != nil {
		return nil, err
	}
	uri := "/api/" + kind + "?" + query.Encode()
	var out []map[string]any
	for uri != "" {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := c.AviSession.GetCollectionRaw(uri)
		if err != nil {
			return nil, wrap("listing "+kind, err)
		}
		var page []map[string]any
		if len(res.Results) > 0 {
			if err := json.Unmarshal(res.Results, &page); err != nil {
				return nil, fmt.Errorf("listing %s: %w", kind, err)
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
		obs.Services = append(obs.Services, plan.ObservedService{UUID: str(o["uuid"]), Service: parseService(o)})
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
			UUID: str(o["uuid"]), Tenant: refName(str(o["tenant_ref"])), Monitor: parseMonitor(o),
		})
	}
	return obs, nil
}

// Apply writes the changes in order. A failed change does not stop the others
// (they may not depend on it); the caller plans again later.
func (p *Provider) Apply(ctx context.Context, changes []plan.Change) []plan.Result {
	results := make([]plan.Result, 0, len(changes))
	for _, ch := range changes {
		if err := ctx.Err(); err != nil {
			results = append(results, plan.Result{Change: ch, Err: err})
			continue
		}
		results = append(results, p.apply(ch))
	}
	return results
}

func (p *Provider) apply(ch plan.Change) plan.Result {
	res := plan.Result{Change: ch}
	c, err := p.client(ch.Tenant)
	if err != nil {
		res.Err = err
		return res
	}
	op := fmt.Sprintf("%s %s %s/%s", ch.Op, ch.Kind, ch.Tenant, ch.Name)
	kind := "gslbservice"
	if ch.Kind == plan.KindMonitor {
		kind = "healthmonitor"
	}
	var body map[string]any
	if ch.Op != plan.Delete {
		if ch.Kind == plan.KindService {
			body = serviceBody(ch.Service, p.cfg.CreatedBy)
		} else {
			body = monitorBody(ch.Monitor, ch.Tenant, p.cfg.CreatedBy)
		}
	}
	var out map[string]any
	switch ch.Op {
	case plan.Create:
		err = c.AviSession.Post("/api/"+kind+"/", body, &out)
	case plan.Update:
		err = c.AviSession.Put("/api/"+kind+"/"+ch.UUID, body, &out)
	case plan.Delete:
		err = c.AviSession.Delete("/api/" + kind + "/" + ch.UUID)
	}
	if err != nil {
		res.Err = wrap(op, err)
		return res
	}
	if ch.Op == plan.Delete {
		return res
	}
	uuid := str(out["uuid"])
	if ch.Kind == plan.KindService {
		res.Service = &plan.ObservedService{UUID: uuid, Service: parseService(out)}
	} else {
		res.Monitor = &plan.ObservedMonitor{UUID: uuid, Tenant: ch.Tenant, Monitor: parseMonitor(out)}
	}
	return res
}

var _ policy.Controller = (*Provider)(nil)

// IsLeader reports whether the controller leads the GSLB federation: its
// cluster uuid is the gslb object's leader_cluster_uuid.
func (p *Provider) IsLeader(ctx context.Context) (bool, error) {
	c, err := p.client("admin")
	if err != nil {
		return false, err
	}
	var cluster map[string]any
	if err := c.AviSession.Get("/api/cluster", &cluster); err != nil {
		return false, wrap("reading the controller cluster", err)
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
	c, err := p.client(tenant)
	if err != nil {
		return "", err
	}
	res, err := c.AviSession.GetCollectionRaw("/api/pkiprofile?is_federated=true&page_size=10")
	if err != nil {
		return "", wrap("listing PKI profiles", err)
	}
	var page []map[string]any
	if len(res.Results) > 0 {
		if err := json.Unmarshal(res.Results, &page); err != nil {
			return "", err
		}
	}
	if len(page) == 0 {
		return "", nil
	}
	return str(page[0]["name"]), nil
}
