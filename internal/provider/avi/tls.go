// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amko-project/amko/internal/provider"
)

// How the controller is trusted.
//
// Every connection of every session is TLS 1.2 or newer and is checked during
// the handshake, before the first request (the login and its password
// included) is written:
//   - with a CA bundle (Config.CABundle), the standard verification: the chain
//     must lead to one of the bundle's certificates and name the controller's
//     address (a DNS name, or an IP address among the IP SANs);
//   - without one, trust on first use: the leaf certificate's SHA-256 must be
//     Config.Pin; with no pin yet, the first certificate seen becomes the pin
//     (Config.OnPin is told, once) and every later handshake must present it.
//
// The pinning path sets InsecureSkipVerify: that only turns off the chain and
// name verification, which cannot succeed against a self-signed controller
// certificate nobody gave a CA for; VerifyConnection, which runs at every
// handshake whatever InsecureSkipVerify says, then compares the exact leaf
// certificate with the pin and fails the handshake on a mismatch.

// trust checks the controller's certificates for one Provider.
type trust struct {
	host    string
	roots   *x509.CertPool // nil: pinning
	onPin   func(string)
	clearAs string // how an operator clears the pin, for the mismatch error

	mu  sync.Mutex
	pin string // guarded by mu

	// verified is set by a handshake verified against roots, cleared by one
	// that failed.
	verified atomic.Bool
}

func newTrust(cfg Config) (*trust, error) {
	t := &trust{host: cfg.Host, onPin: cfg.OnPin, pin: strings.ToLower(strings.TrimSpace(cfg.Pin)), clearAs: cfg.ClearPin}
	if len(cfg.CABundle) > 0 {
		t.roots = x509.NewCertPool()
		if !t.roots.AppendCertsFromPEM(cfg.CABundle) {
			return nil, errors.New("the controller's CA bundle holds no PEM certificate")
		}
	}
	if t.pin != "" {
		if b, err := hex.DecodeString(t.pin); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("the pinned controller certificate %q is not a SHA-256 in hex", cfg.Pin)
		}
	}
	return t, nil
}

// tlsConfig is the client configuration of every connection to the controller.
func (t *trust) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.roots != nil {
		c.RootCAs = t.roots
		c.ServerName = serverName(t.host)
		c.VerifyConnection = func(tls.ConnectionState) error {
			// Called only after the standard verification succeeded.
			t.verified.Store(true)
			return nil
		}
		return c
	}
	// Pinning: see above for why InsecureSkipVerify is safe here.
	c.InsecureSkipVerify = true //nolint:gosec // the leaf is compared with the pin in VerifyConnection
	c.VerifyConnection = t.checkPin
	return c
}

// checkPin accepts the exact certificate pinned, pinning the first one seen.
func (t *trust) checkPin(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return &untrustedError{host: t.host, reason: "it presented no certificate"}
	}
	sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
	got := hex.EncodeToString(sum[:])
	t.mu.Lock()
	pinned, first := t.pin, t.pin == ""
	if first {
		t.pin = got
	}
	t.mu.Unlock()
	if first {
		if t.onPin != nil {
			t.onPin(got)
		}
		return nil
	}
	if got == pinned {
		return nil
	}
	how := t.clearAs
	if how == "" {
		how = "clear the pin"
	}
	return &untrustedError{host: t.host, reason: fmt.Sprintf(
		"its certificate (SHA-256 %s) is not the one pinned on first use (SHA-256 %s); if the controller's certificate was replaced on purpose, %s, or give the CA that issued it",
		got, pinned, how)}
}

// Pinned is the SHA-256 (hex) of the certificate pinned, "" with a CA or
// before the first handshake of a provider given no pin.
func (t *trust) Pinned() string {
	if t.roots != nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pin
}

// untrustedRetry is how long after the controller's certificate was refused
// calls fail at once, without a handshake: passes that follow events do not
// each knock on an untrusted controller. A new CA or pin makes a new Provider.
const untrustedRetry = 10 * time.Second

// distrust records a refusal of the controller's certificate.
func (p *Provider) distrust(ue *untrustedError) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.distrusted, p.distrustedUntil = ue, time.Now().Add(untrustedRetry)
}

// distrustedNow is the refusal of the controller's certificate in force, or nil.
func (p *Provider) distrustedNow() *untrustedError {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.distrusted == nil || !time.Now().Before(p.distrustedUntil) {
		return nil
	}
	return p.distrusted
}

// serverName is the name (or IP address) the certificate must be valid for.
func serverName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

// untrustedError is a controller certificate amko does not trust: nothing
// was sent to the controller.
type untrustedError struct {
	host   string
	reason string
	err    error
}

func (e *untrustedError) Error() string {
	return fmt.Sprintf("avi: the certificate of the controller %s is not trusted, nothing was sent to it: %s", e.host, e.reason)
}

func (e *untrustedError) Is(target error) bool { return target == provider.ErrUntrusted }

func (e *untrustedError) Unwrap() error { return e.err }

// untrusted returns err as an *untrustedError when a handshake refused the
// controller's certificate, else nil.
func (t *trust) untrusted(err error) *untrustedError {
	var ue *untrustedError
	if errors.As(err, &ue) {
		return ue
	}
	var ve *tls.CertificateVerificationError
	if !errors.As(err, &ve) {
		return nil
	}
	t.verified.Store(false)
	reason := ve.Err.Error()
	var (
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
	)
	switch {
	case errors.As(ve.Err, &ua):
		issuer := ""
		if ua.Cert != nil {
			issuer = fmt.Sprintf(" (issuer %q)", ua.Cert.Issuer.String())
		}
		reason = "unknown authority: its certificate" + issuer + " does not chain to the CA bundle given"
	case errors.As(ve.Err, &he):
		reason = "name mismatch: " + strings.TrimPrefix(he.Error(), "x509: ")
	case errors.As(ve.Err, &ci):
		reason = "invalid certificate: " + strings.TrimPrefix(ci.Error(), "x509: ")
	}
	return &untrustedError{host: t.host, reason: reason, err: ve}
}
