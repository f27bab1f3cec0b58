// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"crypto/sha1"
	"fmt"
	"io"
	"net/netip"
	"testing"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

// testUUID is the amko UUID of the test policies.
const testUUID = "8a3d5c1e-0000-4000-8000-000000000001"

// basePolicy selects app=gslb in clusters c1 and c2 (c3 is a member cluster
// the GDP does not match).
func basePolicy(mods ...func(*policy.Policy)) *policy.Policy {
	p := &policy.Policy{
		UUID:     testUUID,
		Tenant:   "admin",
		Clusters: []string{"c1", "c2", "c3"},
		GDP: &amkov1alpha2.GDPSpec{
			MatchRules: amkov1alpha2.MatchRules{
				AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}},
			},
			MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "c1"}, {Cluster: "c2"}},
		},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

// withGHR adds an accepted GSLBHostRule for fqdn.
func withGHR(fqdn string, mod func(*amkov1alpha1.GSLBHostRuleSpec)) func(*policy.Policy) {
	return func(p *policy.Policy) {
		if p.HostRules == nil {
			p.HostRules = map[string]*amkov1alpha1.GSLBHostRuleSpec{}
		}
		s := &amkov1alpha1.GSLBHostRuleSpec{Fqdn: fqdn}
		mod(s)
		p.HostRules[fqdn] = s
	}
}

func withGDP(mod func(*amkov1alpha2.GDPSpec)) func(*policy.Policy) {
	return func(p *policy.Policy) { mod(p.GDP) }
}

type recordMod func(*sources.Record)

func record(kind sources.Kind, cluster, name, host, ip string, mods ...recordMod) sources.Record {
	r := sources.Record{
		Cluster:        cluster,
		Kind:           kind,
		Namespace:      "default",
		Name:           name,
		Host:           host,
		Labels:         map[string]string{"app": "gslb"},
		VSUUID:         "vs-" + cluster + "-" + name,
		ControllerUUID: "ctrl-" + cluster,
	}
	if ip != "" {
		r.IP = netip.MustParseAddr(ip)
	}
	if kind != sources.KindLBSvc {
		r.Paths = []string{"/"}
	}
	for _, m := range mods {
		m(&r)
	}
	return r
}

func ingress(cluster, host, ip string, mods ...recordMod) sources.Record {
	return record(sources.KindIngress, cluster, "ing", host, ip, mods...)
}

func route(cluster, host, ip string, mods ...recordMod) sources.Record {
	return record(sources.KindRoute, cluster, "rt", host, ip, mods...)
}

func lbsvc(cluster, host, ip string, port int32, protocol string, mods ...recordMod) sources.Record {
	mods = append([]recordMod{func(r *sources.Record) { r.Port, r.Protocol = port, protocol }}, mods...)
	return record(sources.KindLBSvc, cluster, "svc", host, ip, mods...)
}

func passthrough(cluster, host, ip string, mods ...recordMod) sources.Record {
	mods = append([]recordMod{func(r *sources.Record) {
		r.Passthrough, r.Paths, r.Port, r.Protocol = true, nil, 443, "TCP"
	}}, mods...)
	return record(sources.KindRoute, cluster, "pt", host, ip, mods...)
}

// passthroughAnnotated is an Ingress annotated passthrough.ako.vmware.com/enabled:
// flagged, with its paths and TLS.
func passthroughAnnotated() recordMod { return func(r *sources.Record) { r.Passthrough = true } }

func inNS(ns string) recordMod      { return func(r *sources.Record) { r.Namespace = ns } }
func named(name string) recordMod   { return func(r *sources.Record) { r.Name = name } }
func paths(p ...string) recordMod   { return func(r *sources.Record) { r.Paths = p } }
func tls() recordMod                { return func(r *sources.Record) { r.TLS = true } }
func tenant(t string) recordMod     { return func(r *sources.Record) { r.Tenant = t } }
func labels(kv ...string) recordMod { return func(r *sources.Record) { r.Labels = labelMap(kv...) } }
func noUUIDs() recordMod            { return func(r *sources.Record) { r.VSUUID, r.ControllerUUID = "", "" } }
func uuids(ctrl, vs string) recordMod {
	return func(r *sources.Record) { r.ControllerUUID, r.VSUUID = ctrl, vs }
}

func labelMap(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func namespace(cluster, name, tenant string, kv ...string) sources.Namespace {
	return sources.Namespace{Cluster: cluster, Name: name, Tenant: tenant, Labels: labelMap(kv...)}
}

func ptr[T any](v T) *T { return &v }

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// byName builds in and indexes the services by "<tenant>/<name>".
func byName(t *testing.T, in Input) map[string]*gslb.Service {
	t.Helper()
	out := map[string]*gslb.Service{}
	for _, s := range Build(in) {
		k := s.Tenant + "/" + s.Name
		if _, dup := out[k]; dup {
			t.Fatalf("service %s built twice", k)
		}
		out[k] = s
	}
	return out
}

// only builds in and returns its one service.
func only(t *testing.T, in Input) *gslb.Service {
	t.Helper()
	svcs := Build(in)
	if len(svcs) != 1 {
		t.Fatalf("built %d services, want 1: %s", len(svcs), names(svcs))
	}
	return svcs[0]
}

func names(svcs []*gslb.Service) []string {
	out := make([]string, 0, len(svcs))
	for _, s := range svcs {
		out = append(out, s.Tenant+"/"+s.Name)
	}
	return out
}

// sha1Name computes an amko monitor name independently of the package.
func sha1Name(s string) string {
	h := sha1.New()
	_, _ = io.WriteString(h, s)
	return fmt.Sprintf("amko--%x", h.Sum(nil))
}

// members lists the pool members as "<priority>:<cluster>:<ip>:<ratio>".
func members(s *gslb.Service) []string {
	var out []string
	for _, p := range s.Pools {
		for _, m := range p.Members {
			out = append(out, fmt.Sprintf("%d:%s:%s:%d", p.Priority, m.Cluster, m.IP, m.Ratio))
		}
	}
	return out
}
