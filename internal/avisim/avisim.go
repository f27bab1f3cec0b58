// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package avisim emulates the part of the Avi Controller REST API that a GSLB
// operator uses, as strictly as the real controller: the session protocol of the
// official Go SDK (login, cookies, CSRF, versions, tenants), the objects and their
// validation against the controller's own OpenAPI schema, the controller's rules
// (unique names, references, federation, leader and maintenance states), and the
// answers the Avi DNS virtual service would give for GSLB services.
//
// Tests start a Server in-process (see Start); cmd/avisim serves one for manual use.
// Control methods (Seed, SetLeader, Journal, AddFault, ...) let tests steer it and
// observe every request. The behaviour follows docs/reference avi-api.md; where that
// specification marks a detail as inferred, the choice is noted where it is made.
package avisim

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amko-project/amko/internal/avisim/schema"
	"github.com/amko-project/amko/internal/gslb"
)

// Options configures a Server. The zero value is a strict 31.1.1 controller with
// user admin/avi123 and the default seed objects.
type Options struct {
	// Users maps user names to passwords; default {"admin": "avi123"}.
	Users map[string]string
	// ControllerVersion is the controller's version; default 31.1.1.
	ControllerVersion string
	// NoSeed starts with only the tenant admin instead of the default objects (Seed).
	NoSeed bool
	// DNSDomains are the GSLB DNS subdomains seeded in gslb.dns_configs; default
	// avi.internal, example.com, example.org, com.
	DNSDomains []string
	// PageSize is the default list page size (default 25); MaxPageSize caps it (default 200).
	PageSize, MaxPageSize int
	// Strict holds the strictness knobs; its zero value means DefaultStrictness.
	Strict Strictness
	// IdleTimeout ends sessions unused this long (default 15 minutes); SessionLifetime
	// ends them this long after login (default 24 hours).
	IdleTimeout, SessionLifetime time.Duration
	// DeterministicUUIDs makes generated uuids a counter, for golden tests.
	DeterministicUUIDs bool
	// JournalLimit bounds the journal: past it the oldest half is forgotten.
	// Default 100000 entries.
	JournalLimit int
	// RandSeed seeds fault probabilities; 0 means a fixed default seed.
	RandSeed uint64
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// OnWrite, if set, is called after every successful write with the server's
	// snapshot, so cmd/avisim can persist it.
	OnWrite func(snapshot []byte)
	// Certificate is what Start serves; default: the certificate DefaultCA
	// issued for LoopbackHosts, the same in every Server of the process.
	Certificate *tls.Certificate
	// MaxTLSVersion caps the TLS version Start serves (tls.VersionTLS11 makes
	// an outdated controller); 0: TLS 1.3, at least TLS 1.2.
	MaxTLSVersion uint16
}

// Strictness switches the checks a test may need to relax. Each defaults to the
// real controller's behaviour (true), except RefererCheck.
type Strictness struct {
	// CSRFCheck refuses unsafe requests without the session's X-CSRFToken.
	CSRFCheck bool
	// RefererCheck refuses unsafe requests whose Referer is not this server.
	RefererCheck bool
	// VersionCheck refuses X-Avi-Version newer than the controller.
	VersionCheck bool
	// FieldVersionGate refuses fields introduced after the request's X-Avi-Version.
	FieldVersionGate bool
	// DNSConfigCheck refuses GSLB service domain names outside gslb.dns_configs.
	DNSConfigCheck bool
	// FederatedRefs refuses GSLB service references to non-federated objects.
	FederatedRefs bool
	// AdminFallback resolves a reference by name in tenant admin when the request's
	// tenant has no such object.
	AdminFallback bool
}

// DefaultStrictness is the real controller's behaviour.
func DefaultStrictness() Strictness {
	return Strictness{CSRFCheck: true, VersionCheck: true, FieldVersionGate: true,
		DNSConfigCheck: true, FederatedRefs: true, AdminFallback: true}
}

// Server is an emulated Avi Controller. It is an http.Handler; all methods are safe
// for concurrent use.
type Server struct {
	opts     Options
	registry *schema.Registry
	engine   *gslb.Engine
	refs     map[string][]schema.RefField // refFields by kind

	mu         sync.Mutex // guards everything below
	version    schema.Version
	store      *store
	sessions   map[string]*session
	journal    []JournalEntry
	faults     []*faultRule
	nextFault  int
	rng        *rand.Rand
	health     map[string]bool // member IP or vs_uuid → up
	dns        *dnsState
	dnsVersion uint64 // store.version dns was built from
	// dnsReset names the GSLB services written since dns was built, whose
	// round-robin state the engine forgets before the next answer.
	dnsReset  map[string]bool
	locations map[netip.Prefix]gslb.Location

	cert atomic.Pointer[tls.Certificate] // served by Start's server
}

// New returns a Server holding the default seed objects (unless NoSeed).
func New(opts Options) (*Server, error) {
	if opts.Users == nil {
		opts.Users = map[string]string{"admin": "avi123"}
	}
	if opts.ControllerVersion == "" {
		opts.ControllerVersion = "31.1.1"
	}
	if opts.DNSDomains == nil {
		opts.DNSDomains = []string{"avi.internal", "example.com", "example.org", "com"}
	}
	if opts.PageSize == 0 {
		opts.PageSize = 25
	}
	if opts.MaxPageSize == 0 {
		opts.MaxPageSize = 200
	}
	if opts.Strict == (Strictness{}) {
		opts.Strict = DefaultStrictness()
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 15 * time.Minute
	}
	if opts.SessionLifetime == 0 {
		opts.SessionLifetime = 24 * time.Hour
	}
	if opts.JournalLimit == 0 {
		opts.JournalLimit = 100000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	seed := opts.RandSeed
	if seed == 0 {
		seed = 1
	}
	version, err := schema.ParseVersion(opts.ControllerVersion)
	if err != nil {
		return nil, fmt.Errorf("avisim: controller version: %w", err)
	}
	registry, err := schema.Load()
	if err != nil {
		return nil, fmt.Errorf("avisim: loading the controller's schema: %w", err)
	}
	s := &Server{
		opts:      opts,
		registry:  registry,
		refs:      refFieldsOf(registry),
		dnsReset:  map[string]bool{},
		version:   version,
		sessions:  map[string]*session{},
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		health:    map[string]bool{},
		locations: map[netip.Prefix]gslb.Location{},
	}
	if opts.Certificate != nil {
		s.SetCertificate(*opts.Certificate)
	} else {
		if err := loadDefaults(); err != nil {
			return nil, err
		}
		s.SetCertificate(defaultTLS.cert)
	}
	s.engine = gslb.NewEngine(gslb.Options{Locate: s.locate})
	s.store = newStore(opts.DeterministicUUIDs, s.objectRefs)
	if err := s.seed(!opts.NoSeed); err != nil {
		return nil, fmt.Errorf("avisim: seeding: %w", err)
	}
	return s, nil
}

// Start serves a new Server over TLS on a loopback port, as tests need it; stop it
// with the returned server's Close. Host returns the address for the SDK. It
// presents Options.Certificate, by default one DefaultCA issued (CAPEM
// verifies it); SetCertificate replaces it.
func Start(opts Options) (*Server, *httptest.Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, nil, err
	}
	srv := httptest.NewUnstartedServer(s)
	// Faults drop connections on purpose; the server's complaints are noise.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = s.tlsConfig()
	srv.StartTLS()
	return s, srv, nil
}

// Host returns the host:port of a test server, the form the SDK takes.
func Host(srv *httptest.Server) string {
	return srv.Listener.Addr().String()
}

// TLSConfig returns a TLS configuration with a fresh self-signed certificate for
// the given hosts, for cmd/avisim when no certificate is given.
func TLSConfig(hosts ...string) (*tls.Config, error) {
	cert, err := selfSigned(hosts)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// dropConnection closes the client's connection without a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 cannot hijack; a panic with ErrAbortHandler aborts the stream instead.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
