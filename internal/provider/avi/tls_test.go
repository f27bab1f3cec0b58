// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/provider"
	"github.com/amko-project/amko/internal/provider/avi"
)

// startSim serves an emulator with opts and returns it with its address.
func startSim(t *testing.T, opts avisim.Options) (*avisim.Server, string) {
	t.Helper()
	sim, srv, err := avisim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return sim, avisim.Host(srv)
}

// newCertificate is a certificate for the loopback addresses from a new CA:
// the controller's certificate after a change.
func newCertificate(t *testing.T) tls.Certificate {
	t.Helper()
	ca, err := avisim.NewCA("a new CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(avisim.LoopbackHosts...)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func tlsProvider(t *testing.T, cfg avi.Config) *avi.Provider {
	t.Helper()
	cfg.Password = "avi123" // the emulator's default
	return connect(t, cfg)
}

func TestVerifiedWithCA(t *testing.T) {
	sim, host := startSim(t, avisim.Options{})
	pinned := 0
	p := tlsProvider(t, avi.Config{Host: host, CABundle: avisim.CAPEM(), OnPin: func(string) { pinned++ }})
	if p.Verified() {
		t.Fatal("verified before any handshake")
	}
	if _, err := p.Leading(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !p.Verified() || p.Pinned() != "" || pinned != 0 {
		t.Fatalf("verified %v, pinned %q, OnPin called %d times; want verified, no pin", p.Verified(), p.Pinned(), pinned)
	}
	if logins(sim) != 1 {
		t.Fatalf("%d logins, want 1", logins(sim))
	}

	// By name too: "localhost" is among the certificate's names.
	_, port, _ := strings.Cut(host, ":")
	p = tlsProvider(t, avi.Config{Host: "localhost:" + port, CABundle: avisim.CAPEM()})
	if _, err := p.Leading(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestWrongCARefusedBeforeLogin(t *testing.T) {
	sim, host := startSim(t, avisim.Options{})
	other, err := avisim.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	p := tlsProvider(t, avi.Config{Host: host, CABundle: other.PEM()})
	_, err = p.Leading(context.Background())
	if !errors.Is(err, provider.ErrUntrusted) || provider.Class(err) != provider.ErrUntrusted {
		t.Fatalf("got %v, want an error of class ErrUntrusted", err)
	}
	if errors.Is(err, provider.ErrUnavailable) || errors.Is(err, provider.ErrBadCredentials) {
		t.Fatalf("%v is of another class too", err)
	}
	if !strings.Contains(err.Error(), "unknown authority") || !strings.Contains(err.Error(), host) {
		t.Fatalf("the error does not say what failed: %v", err)
	}
	if p.Verified() {
		t.Fatal("verified after a refusal")
	}
	if n := len(sim.Journal()); n != 0 {
		t.Fatalf("the emulator received %d requests (%d logins), want none", n, logins(sim))
	}
	// Every call, the writes included, is refused the same way.
	if _, err := p.Observe(context.Background()); !errors.Is(err, provider.ErrUntrusted) {
		t.Fatalf("Observe: %v", err)
	}
	if len(sim.Journal()) != 0 {
		t.Fatal("a request reached the emulator")
	}
}

func TestNameMismatchRefused(t *testing.T) {
	ca, err := avisim.DefaultCA()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("controller.example.com")
	if err != nil {
		t.Fatal(err)
	}
	sim, host := startSim(t, avisim.Options{Certificate: &cert})
	p := tlsProvider(t, avi.Config{Host: host, CABundle: ca.PEM()})
	_, err = p.Leading(context.Background())
	if !errors.Is(err, provider.ErrUntrusted) || !strings.Contains(err.Error(), "name mismatch") ||
		!strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("got %v, want a name mismatch of class ErrUntrusted", err)
	}
	if logins(sim) != 0 {
		t.Fatal("the login reached the emulator")
	}
}

func TestTrustOnFirstUse(t *testing.T) {
	sim, host := startSim(t, avisim.Options{})
	var (
		mu   sync.Mutex
		pins []string
	)
	p := tlsProvider(t, avi.Config{Host: host, OnPin: func(sum string) {
		mu.Lock()
		defer mu.Unlock()
		pins = append(pins, sum)
	}})
	if _, err := p.Leading(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := avisim.Fingerprint(sim.Certificate())
	if len(pins) != 1 || pins[0] != want || p.Pinned() != want {
		t.Fatalf("OnPin got %v, Pinned %q; want once %s", pins, p.Pinned(), want)
	}
	if p.Verified() {
		t.Fatal("a pinned certificate counts as verified")
	}
	// Sessions of other tenants, and new connections, check the same pin.
	if _, err := p.Observe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(pins) != 1 {
		t.Fatalf("OnPin called %d times", len(pins))
	}

	// The controller's certificate changes: this provider refuses it.
	cert := newCertificate(t)
	sim.SetCertificate(cert)
	p2 := tlsProvider(t, avi.Config{Host: host, Pin: want, ClearPin: "run the command"})
	sim.ClearJournal()
	_, err := p2.Leading(context.Background())
	if !errors.Is(err, provider.ErrUntrusted) {
		t.Fatalf("got %v, want ErrUntrusted", err)
	}
	for _, s := range []string{want, avisim.Fingerprint(cert), "run the command"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the error does not say %q: %v", s, err)
		}
	}
	if n := len(sim.Journal()); n != 0 {
		t.Fatalf("the emulator received %d requests", n)
	}
	// The first provider, on a new connection, refuses it too.
	p.Close()
	p = tlsProvider(t, avi.Config{Host: host, Pin: want})
	if _, err := p.Observe(context.Background()); !errors.Is(err, provider.ErrUntrusted) {
		t.Fatalf("got %v, want ErrUntrusted", err)
	}
	if logins(sim) != 0 {
		t.Fatal("the login reached the emulator")
	}
}

func TestPinnedInstanceRefusesChange(t *testing.T) {
	sim, host := startSim(t, avisim.Options{})
	p := tlsProvider(t, avi.Config{Host: host})
	if _, err := p.Leading(context.Background()); err != nil {
		t.Fatal(err)
	}
	cert := newCertificate(t)
	sim.SetCertificate(cert)
	// The open connection is kept; a fresh one must refuse the new certificate.
	p.CloseIdleConnections()
	sim.ClearJournal()
	if _, err := p.Leading(context.Background()); !errors.Is(err, provider.ErrUntrusted) {
		t.Fatalf("got %v, want ErrUntrusted", err)
	}
	if logins(sim) != 0 {
		t.Fatal("the login reached the emulator")
	}
}

func TestInvalidTrustConfig(t *testing.T) {
	for _, cfg := range []avi.Config{
		{Host: "h", CABundle: []byte("not PEM")},
		{Host: "h", Pin: "abc"},
	} {
		cfg.Username, cfg.CreatedBy = "admin", createdBy
		if _, err := avi.New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestTLS11Refused(t *testing.T) {
	sim, err := avisim.New(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(sim)
	cert := sim.Certificate()
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11} //nolint:gosec // the outdated server under test
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for _, cfg := range []avi.Config{{Host: avisim.Host(srv)}, {Host: avisim.Host(srv), CABundle: avisim.CAPEM()}} {
		p := tlsProvider(t, cfg)
		_, err := p.Leading(context.Background())
		if err == nil || !strings.Contains(err.Error(), "protocol version") {
			t.Fatalf("got %v, want a refused protocol version", err)
		}
		if p.Pinned() != "" {
			t.Fatal("a TLS 1.1 server's certificate was pinned")
		}
	}
	if n := len(sim.Journal()); n != 0 {
		t.Fatalf("the emulator received %d requests", n)
	}
}

func TestMaxTLSVersionOption(t *testing.T) {
	sim, host := startSim(t, avisim.Options{MaxTLSVersion: tls.VersionTLS11})
	p := tlsProvider(t, avi.Config{Host: host})
	if _, err := p.Leading(context.Background()); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
	if len(sim.Journal()) != 0 {
		t.Fatal("a request reached the emulator")
	}
}
