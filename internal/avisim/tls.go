// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"
)

// The emulator serves HTTPS as a controller does: with a certificate issued by
// a certificate authority, so that clients can verify it (given the CA) or pin
// it. Start serves the certificate DefaultCA issued for the loopback
// addresses, the same in every Server of a process: a client that pinned it
// keeps working with a restarted or another emulator; Options.Certificate or
// Server.SetCertificate serves another one (a pin mismatch, a wrong CA).

// CA is a certificate authority that issues server certificates.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// NewCA makes a CA named name, valid for a year.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("avisim: generating the CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serialNumber(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"avisim"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("avisim: creating the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// PEM is the CA's certificate, PEM-encoded: what a client is given to verify
// the certificates the CA issues.
func (ca *CA) PEM() []byte { return append([]byte(nil), ca.pem...) }

// Issue makes a server certificate for hosts (names or IP addresses), valid
// for a year; its chain holds the leaf only, as a controller serves it.
func (ca *CA) Issue(hosts ...string) (tls.Certificate, error) {
	return issue(&x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature}, hosts, ca.cert, ca.key)
}

// issue makes a server certificate for hosts (names or IP addresses) from
// tmpl, valid for a year and signed by parent's key; a nil parent makes it
// sign itself.
func issue(tmpl *x509.Certificate, hosts []string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("avisim: generating key: %w", err)
	}
	tmpl.SerialNumber = serialNumber()
	tmpl.Subject = pkix.Name{CommonName: "avisim"}
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("avisim: creating certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

func serialNumber() *big.Int {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return serial
}

// LoopbackHosts are the names the default certificate is valid for.
var LoopbackHosts = []string{"127.0.0.1", "::1", "localhost", "avisim"}

var defaultTLS struct {
	once sync.Once
	ca   *CA
	cert tls.Certificate
	err  error
}

func loadDefaults() error {
	defaultTLS.once.Do(func() {
		if defaultTLS.ca, defaultTLS.err = NewCA("avisim test CA"); defaultTLS.err != nil {
			return
		}
		defaultTLS.cert, defaultTLS.err = defaultTLS.ca.Issue(LoopbackHosts...)
	})
	return defaultTLS.err
}

// DefaultCA is the CA of the certificate Start serves by default, made once
// per process.
func DefaultCA() (*CA, error) {
	if err := loadDefaults(); err != nil {
		return nil, err
	}
	return defaultTLS.ca, nil
}

// CAPEM is DefaultCA's certificate, PEM-encoded; nil if it could not be made
// (Start fails then too).
func CAPEM() []byte {
	ca, err := DefaultCA()
	if err != nil {
		return nil
	}
	return ca.PEM()
}

// Fingerprint is the SHA-256 of a certificate's leaf (DER), in hex: what a
// client pins.
func Fingerprint(cert tls.Certificate) string {
	if len(cert.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(cert.Certificate[0])
	return hex.EncodeToString(sum[:])
}

// SetCertificate makes the server present cert from the next TLS handshake
// on (connections already open keep theirs), as a controller whose certificate
// was replaced.
func (s *Server) SetCertificate(cert tls.Certificate) { s.cert.Store(&cert) }

// Certificate is the certificate the server presents.
func (s *Server) Certificate() tls.Certificate {
	if c := s.cert.Load(); c != nil {
		return *c
	}
	return tls.Certificate{}
}

// tlsConfig serves the server's current certificate at every handshake, with
// the versions Options allow.
func (s *Server) tlsConfig() *tls.Config {
	base := func() *tls.Config {
		c := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
		if v := s.opts.MaxTLSVersion; v != 0 {
			c.MaxVersion = v
			if v < tls.VersionTLS12 {
				c.MinVersion = tls.VersionTLS10 //nolint:gosec // a deliberately outdated server, for tests of clients that must refuse it
			}
		}
		return c
	}
	cfg := base()
	cfg.Certificates = []tls.Certificate{s.Certificate()}
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c := base()
		c.Certificates = []tls.Certificate{s.Certificate()}
		return c, nil
	}
	return cfg
}

// selfSigned makes a certificate for hosts (names or IP addresses), valid for a
// year: a CA of its own that issued itself, as many controllers ship.
func selfSigned(hosts []string) (tls.Certificate, error) {
	return issue(&x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true, IsCA: true}, hosts, nil, nil)
}
