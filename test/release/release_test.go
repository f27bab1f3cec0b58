// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package release tests amko's release as a user meets it: the multi-arch image
// built without a container engine (hack/release/cmd/amko-image) and the chart,
// pushed to a real OCI registry (distribution/distribution's, hack/release/cmd/
// registry) that serves HTTPS with a user and password on loopback, then used
// from there with helm as AMKO's install guide does: helm registry login, helm
// show chart/values, helm pull, helm template --include-crds and helm install
// --version onto a real API server; and a classic chart repository (index.yaml)
// with helm repo add, helm search repo and helm show values <repo>/amko. The
// image is checked from the registry's own answers: an OCI index with
// linux/amd64 and linux/arm64, each with the Dockerfile's user, entrypoint and
// ports and a static ELF binary of its architecture, which runs and accepts the
// arguments the chart gives it.
//
// The programs come from make test-tools: bin/helm, bin/registry,
// bin/amko-image and bin/linux_{amd64,arm64}/amko (AMKO_TEST_HELM,
// AMKO_TEST_REGISTRY, AMKO_TEST_AMKO_IMAGE and AMKO_TEST_LINUX_BINARIES, a
// folder, override them). A missing one fails the package: run make test-tools.
package release

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/amko-project/amko/test/clusters"
)

var (
	set  *clusters.Set
	root string // the repository

	// The programs under test, from make test-tools.
	helmBin, amkoImageBin string
	linuxBinaries         = map[string]string{} // GOARCH → amko for linux/GOARCH

	work    string // the package's scratch folder
	caFile  string // PEM of the CA that signed tlsCert: helm's only trusted root
	tlsCert tls.Certificate
	caPool  *x509.CertPool

	reg registry // the OCI registry
)

// The registry's user; its password is made up at each run.
const regUser = "amko-release"

// platforms are the image's, as make image builds it.
var platforms = []string{"amd64", "arm64"}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, "test/release:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(work) }()
	stop, err := startRegistry()
	if err != nil {
		fmt.Fprintln(os.Stderr, "test/release:", err)
		return 1
	}
	code := clusters.Main(m, 1, &set, clusters.Options{})
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "test/release: stopping the registry:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// setup finds the programs and makes the TLS material.
func setup() error {
	var err error
	if root, err = filepath.Abs("../.."); err != nil {
		return err
	}
	var missing []string
	find := func(env, def string) string {
		p := os.Getenv(env)
		if p == "" {
			p = filepath.Join(root, def)
		}
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			missing = append(missing, fmt.Sprintf("%s (%s)", p, env))
		}
		return p
	}
	helmBin = find("AMKO_TEST_HELM", "bin/helm")
	amkoImageBin = find("AMKO_TEST_AMKO_IMAGE", "bin/amko-image")
	reg.bin = find("AMKO_TEST_REGISTRY", "bin/registry")
	dir := os.Getenv("AMKO_TEST_LINUX_BINARIES")
	if dir == "" {
		dir = filepath.Join(root, "bin")
	}
	for _, arch := range platforms {
		p := filepath.Join(dir, "linux_"+arch, "amko")
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			missing = append(missing, p+" (AMKO_TEST_LINUX_BINARIES)")
		}
		linuxBinaries[arch] = p
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing programs, built by `make test-tools` (make test runs it first):\n  %s", strings.Join(missing, "\n  "))
	}
	if work, err = os.MkdirTemp("", "amko-release-"); err != nil {
		return err
	}
	return makeTLS()
}

// makeTLS makes a CA and a certificate for 127.0.0.1 that it signed, for the
// registry and the chart repository. helm trusts that CA through
// SSL_CERT_FILE, as it trusts a public registry's through the system's roots,
// so the guide's commands run unchanged: no --plain-http, no --ca-file.
func makeTLS() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "amko release test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("server certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	caFile = filepath.Join(work, "ca.pem")
	files := map[string][]byte{
		caFile:                         pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		filepath.Join(work, "tls.crt"): certPEM,
		filepath.Join(work, "tls.key"): keyPEM,
	}
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
	}
	if tlsCert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return err
	}
	caPool = x509.NewCertPool()
	caPool.AddCert(ca)
	return nil
}

// registry is the running OCI registry.
type registry struct {
	bin      string
	addr     string // host:port
	password string
	log      syncBuffer
}

// startRegistry starts the registry over HTTPS with a user and password,
// storing in the scratch folder, and returns how to stop it.
func startRegistry() (func() error, error) {
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		return nil, err
	}
	reg.password = hex.EncodeToString(pw)
	addrFile := filepath.Join(work, "registry.addr")
	cmd := exec.Command(reg.bin, "-addr", "127.0.0.1:0", "-addr-file", addrFile,
		"-root", filepath.Join(work, "registry"), "-tls-cert", filepath.Join(work, "tls.crt"),
		"-tls-key", filepath.Join(work, "tls.key"), "-user", regUser)
	cmd.Env = append(os.Environ(), "AMKO_REGISTRY_PASSWORD="+reg.password)
	cmd.Stdout, cmd.Stderr = &reg.log, &reg.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", reg.bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				return fmt.Errorf("registry: %w\n%s", err, reg.log.String())
			}
			return nil
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			return errors.New("registry did not stop within 10 s of SIGTERM")
		}
	}
	// It writes its address once it accepts connections.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil {
			reg.addr = string(b)
			break
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("registry exited: %v\n%s", err, reg.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, errors.Join(errors.New("registry wrote no address within 30 s"), stop())
		}
	}
	// Unauthenticated, the API answers 401 with a basic challenge: it is up
	// and it does ask for the password.
	resp, err := reg.do(context.Background(), http.MethodGet, "/v2/", "", false)
	if err != nil {
		return nil, errors.Join(err, stop())
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Www-Authenticate"), "Basic") {
		return nil, errors.Join(fmt.Errorf("registry /v2/ without credentials: %s, challenge %q; want 401 Basic", resp.Status, resp.Header.Get("Www-Authenticate")), stop())
	}
	return stop, nil
}

// do sends a request to the registry's API, authenticated when auth is set.
func (r *registry) do(ctx context.Context, method, path, accept string, auth bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "https://"+r.addr+path, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if auth {
		req.SetBasicAuth(regUser, r.password)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool, MinVersion: tls.VersionTLS12}}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("registry %s %s: %w", method, path, err)
	}
	return resp, nil
}

// helmHome is a private helm configuration: its own repositories, cache and
// registry logins, and only the test CA trusted.
type helmHome struct {
	dir string
	env []string
}

func newHelmHome(t testing.TB, dir string) *helmHome {
	t.Helper()
	return &helmHome{dir: dir, env: append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(dir, "config"),
		"HELM_CACHE_HOME="+filepath.Join(dir, "cache"),
		"HELM_DATA_HOME="+filepath.Join(dir, "data"),
		"HELM_REGISTRY_CONFIG="+filepath.Join(dir, "registry.json"),
		"HELM_REPOSITORY_CONFIG="+filepath.Join(dir, "repositories.yaml"),
		"SSL_CERT_FILE="+caFile,
		"SSL_CERT_DIR="+filepath.Join(dir, "no-certs"),
		"KUBECONFIG="+set.KubeconfigPath,
	)}
}

// commandTimeout bounds each program a test runs.
const commandTimeout = 2 * time.Minute

// run runs a program in the repository with the home's environment, stdin
// from stdin, and returns its stdout; it fails the test when the program does.
func (h *helmHome) run(t testing.TB, stdin string, bin string, args ...string) string {
	t.Helper()
	out, _, err := h.try(stdin, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// try runs a program as run does, and returns its stdout and stderr.
func (h *helmHome) try(stdin string, bin string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = root
	cmd.Env = h.env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), stderr.String(), fmt.Errorf("%s %s: %w\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String(), nil
}

// helm runs helm and returns its stdout.
func (h *helmHome) helm(t testing.TB, args ...string) string {
	t.Helper()
	return h.run(t, "", helmBin, args...)
}

// helmBoth runs helm and returns its stdout and stderr, where helm tells of
// registry operations.
func (h *helmHome) helmBoth(t testing.TB, args ...string) (string, string) {
	t.Helper()
	out, errOut, err := h.try("", helmBin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out, errOut
}

// login logs the home in to the registry as the guide's users log in to
// theirs; amko-image push uses the same stored credentials.
func (h *helmHome) login(t testing.TB) {
	t.Helper()
	h.run(t, reg.password, helmBin, "registry", "login", reg.addr, "--username", regUser, "--password-stdin")
	data, err := os.ReadFile(filepath.Join(h.dir, "registry.json"))
	if err != nil || !strings.Contains(string(data), reg.addr) {
		t.Fatalf("helm registry login stored no credentials for %s in HELM_REGISTRY_CONFIG: %v %s", reg.addr, err, data)
	}
}

// chartVersion is charts/amko's appVersion: what make release tags the image
// and versions the chart with by default.
func chartVersion(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "charts/amko/Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Version    string `json:"version"`
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("charts/amko/Chart.yaml: %v", err)
	}
	if c.AppVersion == "" {
		t.Fatal("charts/amko/Chart.yaml has no appVersion: the chart's default image tag")
	}
	return c.AppVersion
}

// pushed is the image make release would push, pushed once for every test
// that needs it.
var pushed struct {
	once   sync.Once
	ref    string // registry/amko:version
	digest string // the index's
	err    error
}

// The revision the test builds the image with, to find in its labels.
const testRevision = "0123456789abcdef0123456789abcdef01234567"

// pushImage builds the image with amko-image as make image does and pushes it
// as make release does, with the credentials of helm registry login.
func pushImage(t testing.TB) (ref, digest string) {
	t.Helper()
	version := chartVersion(t)
	pushed.once.Do(func() {
		h := newHelmHome(t, filepath.Join(work, "image-push"))
		layout := filepath.Join(work, "image-layout")
		args := []string{"build", "-layout", layout, "-version", version, "-revision", testRevision,
			"-created", "1700000000"}
		for _, arch := range platforms {
			args = append(args, "-binary", "linux/"+arch+"="+linuxBinaries[arch])
		}
		if _, _, err := h.try("", amkoImageBin, args...); err != nil {
			pushed.err = err
			return
		}
		if _, _, err := h.try(reg.password, helmBin, "registry", "login", reg.addr, "--username", regUser, "--password-stdin"); err != nil {
			pushed.err = err
			return
		}
		pushed.ref = reg.addr + "/amko:" + version
		out, _, err := h.try("", amkoImageBin, "push", "-layout", layout, pushed.ref)
		if err != nil {
			pushed.err = err
			return
		}
		_, d, ok := strings.Cut(strings.TrimSpace(out), "@")
		if !ok || !strings.HasPrefix(d, "sha256:") {
			pushed.err = fmt.Errorf("amko-image push said %q, want ...@sha256:...", out)
			return
		}
		pushed.digest = d
	})
	if pushed.err != nil {
		t.Fatalf("building and pushing the image: %v", pushed.err)
	}
	return pushed.ref, pushed.digest
}

// syncBuffer is a bytes.Buffer for a process's output, read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
