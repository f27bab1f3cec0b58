// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
)

// Start serves the default certificate, which CAPEM verifies for the loopback
// address; SetCertificate changes it for the next handshake.
func TestStartServesVerifiableCertificate(t *testing.T) {
	s, srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(CAPEM()) {
		t.Fatal("CAPEM holds no certificate")
	}
	handshake := func(cfg *tls.Config) (*tls.Conn, error) {
		return tls.Dial("tcp", Host(srv), cfg)
	}
	conn, err := handshake(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	got := conn.ConnectionState().PeerCertificates[0]
	_ = conn.Close()
	if want := Fingerprint(s.Certificate()); Fingerprint(tls.Certificate{Certificate: [][]byte{got.Raw}}) != want {
		t.Fatal("the certificate served is not Certificate()")
	}

	other, err := NewCA("other")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := other.Issue(LoopbackHosts...)
	if err != nil {
		t.Fatal(err)
	}
	s.SetCertificate(cert)
	if _, err := handshake(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}); err == nil {
		t.Fatal("the new certificate verified against the old CA")
	}
	otherRoots := x509.NewCertPool()
	otherRoots.AppendCertsFromPEM(other.PEM())
	conn, err = handshake(&tls.Config{RootCAs: otherRoots, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()

	// Every Server of the process serves the same default certificate.
	s2, srv2, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	if Fingerprint(s2.Certificate()) == Fingerprint(cert) || Fingerprint(s2.Certificate()) == "" {
		t.Fatal("a new Server does not serve the default certificate")
	}
}
