// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	certutil "k8s.io/client-go/util/cert"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// serviceAccountToken makes a ServiceAccount in avi-system allowed to GET the
// given non-resource paths (none: no rights at all) and returns a token of it.
func serviceAccountToken(ctx context.Context, cl *clusters.Cluster, name string, paths ...string) (string, error) {
	objs := []client.Object{&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: name}}}
	if len(paths) > 0 {
		objs = append(objs,
			&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "test-" + name},
				Rules: []rbacv1.PolicyRule{{NonResourceURLs: paths, Verbs: []string{"get"}}}},
			&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-" + name},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "test-" + name},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: clusters.Namespace, Name: name}}})
	}
	for _, obj := range objs {
		if err := cl.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("creating %s: %w", obj.GetName(), err)
		}
	}
	exp := int64(3600)
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}
	if err := cl.Client.SubResource("token").Create(ctx, objs[0], tr); err != nil {
		return "", fmt.Errorf("requesting a token of %s: %w", name, err)
	}
	return tr.Status.Token, nil
}

// /metrics and /status answer only an authenticated client allowed their
// path, over HTTPS; health answers anyone, on its own port and nothing else.
func TestEndpoints(t *testing.T) {
	ctx := context.Background()
	cl := set.Clusters[0]
	if err := set.ConfigureDNS(ctx, "127.0.0.1:0", "gslb.example.com"); err != nil {
		t.Fatal(err)
	}
	nobody, err := serviceAccountToken(ctx, cl, "endpoints-nobody")
	if err != nil {
		t.Fatal(err)
	}
	metricsOnly, err := serviceAccountToken(ctx, cl, "endpoints-metrics", "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	ls, stop := startAmko(t, "127.0.0.1")
	defer stop()
	base, health := "https://"+ls.Main.Addr().String(), "http://"+ls.Health.Addr().String()
	await.Eventually(t, "amko ready on its health port", func() error { _, err := get(health+"/readyz", ""); return err })

	for _, c := range []struct {
		url, token string
		want       string // the start of get's error, "" for 200
	}{
		{base + "/status", "", "401"},
		{base + "/metrics", "", "401"},
		{base + "/status", "not-a-token", "401"},
		{base + "/status", nobody, "403"},
		{base + "/metrics", nobody, "403"},
		{base + "/status", metricsOnly, "403"},
		{base + "/metrics", metricsOnly, ""},
		{base + "/status", readerToken, ""},
		{base + "/metrics", readerToken, ""},
		{base + "/debug/pprof/", readerToken, "403"}, // the reader is allowed /status and /metrics only
		{base + "/healthz", readerToken, "404"},      // allowed to everyone by the API server's defaults, but not here
		{health + "/healthz", "", ""},
		{health + "/readyz", "", ""},
		{health + "/metrics", readerToken, "404"},
		{health + "/status", readerToken, "404"},
	} {
		_, err := get(c.url, c.token)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("GET %s: %v", c.url, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("GET %s: %v, want %s", c.url, err, c.want)
		}
	}
	// The token also passes the API server's service proxy in its own header.
	req, _ := http.NewRequest(http.MethodGet, base+"/status", nil)
	req.Header.Set("X-Amko-Authorization", "Bearer "+readerToken)
	if resp, err := insecureClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/status with the token in X-Amko-Authorization: %v %v", resp, err)
	} else {
		_ = resp.Body.Close()
	}
	// Plain HTTP to the HTTPS port is refused; TLS below 1.2 too.
	if body, err := get("http://"+ls.Main.Addr().String()+"/status", readerToken); err == nil {
		t.Errorf("plain HTTP to the HTTPS port answered: %s", body)
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get(base + "/healthz"); err == nil {
		_ = resp.Body.Close()
		t.Error("TLS 1.1 accepted")
	}
}

// --insecure-endpoints serves everything on one plain HTTP port to anyone, as
// before the guard, for local use.
func TestInsecureEndpoints(t *testing.T) {
	if err := set.ConfigureDNS(context.Background(), "127.0.0.1:0", "gslb.example.com"); err != nil {
		t.Fatal(err)
	}
	ls, stop := startAmko(t, "127.0.0.1", "--insecure-endpoints")
	defer stop()
	base := "http://" + ls.Main.Addr().String()
	await.Eventually(t, "amko serving", func() error { _, err := get(base+"/readyz", ""); return err })
	for _, p := range []string{"/status", "/metrics", "/healthz"} {
		if _, err := get(base+p, ""); err != nil {
			t.Errorf("GET %s without a token: %v", p, err)
		}
	}
	if out, err := statusCmd("--addr", base); err != nil || !strings.Contains(out, "ROLE:") {
		t.Errorf("amko status --addr %s: %v\n%s", base, err, out)
	}
}

// A mounted certificate is served, and its renewal (new files in place) is
// picked up without a restart.
func TestServingCertificate(t *testing.T) {
	if err := set.ConfigureDNS(context.Background(), "127.0.0.1:0", "gslb.example.com"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	issue := func() *x509.CertPool {
		t.Helper()
		// A self-signed CA and the serving certificate it signs, first in the file.
		certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey("127.0.0.1", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Write to temporary names and rename, as a Secret volume's update does.
		for name, data := range map[string][]byte{certFile: certPEM, keyFile: keyPEM} {
			if err := os.WriteFile(name+".new", data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(name+".new", name); err != nil {
				t.Fatal(err)
			}
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(certPEM)
		return pool
	}
	first := issue()
	ls, stop := startAmko(t, "127.0.0.1", "--tls-cert-file", certFile, "--tls-key-file", keyFile)
	defer stop()
	base := "https://" + ls.Main.Addr().String()
	verified := func(pool *x509.CertPool) error {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
		req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+readerToken)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %s", resp.Status)
		}
		return nil
	}
	await.Eventually(t, "the mounted certificate served", func() error { return verified(first) })
	second := issue()
	await.Eventually(t, "the renewed certificate served", func() error { return verified(second) })
	if err := verified(first); err == nil {
		t.Error("the old certificate is still served")
	}
	// amko status verifies with --certificate-authority.
	ca := filepath.Join(dir, "ca.crt")
	data, _ := os.ReadFile(certFile)
	if err := os.WriteFile(ca, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := statusCmd("--addr", base, "--certificate-authority", ca); err != nil || !bytes.Contains([]byte(out), []byte("ROLE:")) {
		t.Errorf("amko status with --certificate-authority: %v\n%s", err, out)
	}
	if out, err := statusCmd("--addr", base); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("amko status trusted an unknown certificate: %v\n%s", err, out)
	}
}
