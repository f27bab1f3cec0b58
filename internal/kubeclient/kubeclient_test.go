// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package kubeclient

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// base is a kubeconfig of two contexts, a and b, each with its own cluster and
// user entries.
func base() *clientcmdapi.Config {
	kc := clientcmdapi.NewConfig()
	for _, n := range []string{"a", "b"} {
		kc.Clusters["cl-"+n] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443", CertificateAuthorityData: []byte("ca-" + n)}
		kc.AuthInfos["user-"+n] = &clientcmdapi.AuthInfo{Token: "token-" + n}
		kc.Contexts[n] = &clientcmdapi.Context{Cluster: "cl-" + n, AuthInfo: "user-" + n}
	}
	kc.CurrentContext = "a"
	return kc
}

func fingerprintOf(t *testing.T, kc *clientcmdapi.Config, name string) string {
	t.Helper()
	data, err := clientcmd.Write(*kc)
	if err != nil {
		t.Fatal(err)
	}
	k, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Context(name)
	if err != nil {
		t.Fatalf("context %s: %v", name, err)
	}
	if c.Name != name || c.Config() == nil {
		t.Fatalf("context %s: %+v", name, c)
	}
	return c.Fingerprint
}

// Every setting of how a context connects changes its fingerprint.
func TestFingerprintChanges(t *testing.T) {
	// ClientConfig reads the files a kubeconfig names: they must exist.
	dir := t.TempDir()
	file := func(name string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	caFile, tokenFile, certFile, keyFile := file("ca.crt"), file("token"), file("tls.crt"), file("tls.key")
	cluster := func(kc *clientcmdapi.Config) *clientcmdapi.Cluster { return kc.Clusters["cl-a"] }
	user := func(kc *clientcmdapi.Config) *clientcmdapi.AuthInfo { return kc.AuthInfos["user-a"] }
	for _, tc := range []struct {
		name   string
		change func(*clientcmdapi.Config)
	}{
		{"server", func(kc *clientcmdapi.Config) { cluster(kc).Server = "https://localhost:6443" }},
		{"CA data", func(kc *clientcmdapi.Config) { cluster(kc).CertificateAuthorityData = []byte("ca-a\nca-extra") }},
		{"CA file", func(kc *clientcmdapi.Config) {
			cluster(kc).CertificateAuthorityData, cluster(kc).CertificateAuthority = nil, caFile
		}},
		{"insecure", func(kc *clientcmdapi.Config) {
			cluster(kc).CertificateAuthorityData, cluster(kc).InsecureSkipTLSVerify = nil, true
		}},
		{"TLS server name", func(kc *clientcmdapi.Config) { cluster(kc).TLSServerName = "kubernetes.default" }},
		{"proxy", func(kc *clientcmdapi.Config) { cluster(kc).ProxyURL = "http://proxy:3128" }},
		{"compression", func(kc *clientcmdapi.Config) { cluster(kc).DisableCompression = true }},
		{"cluster extension", func(kc *clientcmdapi.Config) {
			cluster(kc).Extensions = map[string]runtime.Object{"client.authentication.k8s.io/exec": &runtime.Unknown{Raw: []byte(`{"audience":"x"}`)}}
		}},
		{"token", func(kc *clientcmdapi.Config) { user(kc).Token = "token-a2" }},
		{"token file", func(kc *clientcmdapi.Config) { user(kc).Token, user(kc).TokenFile = "", tokenFile }},
		{"client certificate data", func(kc *clientcmdapi.Config) {
			user(kc).Token, user(kc).ClientCertificateData, user(kc).ClientKeyData = "", []byte("cert"), []byte("key")
		}},
		{"client certificate files", func(kc *clientcmdapi.Config) {
			user(kc).Token, user(kc).ClientCertificate, user(kc).ClientKey = "", certFile, keyFile
		}},
		{"basic auth", func(kc *clientcmdapi.Config) {
			user(kc).Token, user(kc).Username, user(kc).Password = "", "admin", "pw"
		}},
		{"impersonation", func(kc *clientcmdapi.Config) { user(kc).Impersonate = "system:serviceaccount:avi-system:amko" }},
		{"impersonated uid", func(kc *clientcmdapi.Config) { user(kc).Impersonate, user(kc).ImpersonateUID = "u", "1" }},
		{"impersonated groups", func(kc *clientcmdapi.Config) { user(kc).Impersonate, user(kc).ImpersonateGroups = "u", []string{"g"} }},
		{"impersonated extra", func(kc *clientcmdapi.Config) {
			user(kc).Impersonate, user(kc).ImpersonateUserExtra = "u", map[string][]string{"scopes": {"view"}}
		}},
		{"auth provider", func(kc *clientcmdapi.Config) {
			user(kc).Token, user(kc).AuthProvider = "", &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"client-id": "amko"}}
		}},
		{"exec", func(kc *clientcmdapi.Config) {
			user(kc).Token, user(kc).Exec = "", &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1",
				Command: "/bin/cred", InteractiveMode: clientcmdapi.NeverExecInteractiveMode}
		}},
		{"exec args", func(kc *clientcmdapi.Config) {
			user(kc).Token, user(kc).Exec = "", &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1",
				Command: "/bin/cred", Args: []string{"--role", "x"}, InteractiveMode: clientcmdapi.NeverExecInteractiveMode}
		}},
		{"exec env", func(kc *clientcmdapi.Config) {
			user(kc).Token, user(kc).Exec = "", &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1",
				Command: "/bin/cred", Env: []clientcmdapi.ExecEnvVar{{Name: "ROLE", Value: "x"}}, InteractiveMode: clientcmdapi.NeverExecInteractiveMode}
		}},
		{"exec cluster info", func(kc *clientcmdapi.Config) {
			user(kc).Token, user(kc).Exec = "", &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1",
				Command: "/bin/cred", ProvideClusterInfo: true, InteractiveMode: clientcmdapi.NeverExecInteractiveMode}
		}},
		{"another cluster entry", func(kc *clientcmdapi.Config) { kc.Contexts["a"].Cluster = "cl-b" }},
		{"another user entry", func(kc *clientcmdapi.Config) { kc.Contexts["a"].AuthInfo = "user-b" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := base()
			before := fingerprintOf(t, kc, "a")
			tc.change(kc)
			if after := fingerprintOf(t, kc, "a"); after == before {
				t.Errorf("the fingerprint did not change")
			}
		})
	}

	// From one exec plugin to another.
	kc := base()
	kc.AuthInfos["user-a"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1",
		Command: "/bin/cred", InteractiveMode: clientcmdapi.NeverExecInteractiveMode}}
	before := fingerprintOf(t, kc, "a")
	kc.AuthInfos["user-a"].Exec.Command = "/bin/cred2"
	if fingerprintOf(t, kc, "a") == before {
		t.Errorf("a different exec command left the fingerprint as it was")
	}
}

// What does not change how a context connects leaves its fingerprint alone:
// the other contexts, the order of the file, the names of the entries, the
// context's namespace, the current context.
func TestFingerprintStable(t *testing.T) {
	want := fingerprintOf(t, base(), "a")
	for _, tc := range []struct {
		name   string
		change func(*clientcmdapi.Config)
	}{
		{"another context changed", func(kc *clientcmdapi.Config) {
			kc.Clusters["cl-b"].Server = "https://10.0.0.1"
			kc.AuthInfos["user-b"].Token = "other"
		}},
		{"another context added", func(kc *clientcmdapi.Config) {
			kc.Clusters["cl-c"] = &clientcmdapi.Cluster{Server: "https://10.0.0.3"}
			kc.AuthInfos["user-c"] = &clientcmdapi.AuthInfo{Token: "c"}
			kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "cl-c", AuthInfo: "user-c"}
		}},
		{"another context removed", func(kc *clientcmdapi.Config) { delete(kc.Contexts, "b") }},
		{"entries renamed", func(kc *clientcmdapi.Config) {
			kc.Clusters["renamed"], kc.AuthInfos["renamed"] = kc.Clusters["cl-a"], kc.AuthInfos["user-a"]
			delete(kc.Clusters, "cl-a")
			delete(kc.AuthInfos, "user-a")
			kc.Contexts["a"] = &clientcmdapi.Context{Cluster: "renamed", AuthInfo: "renamed"}
		}},
		{"namespace", func(kc *clientcmdapi.Config) { kc.Contexts["a"].Namespace = "team-a" }},
		{"current context", func(kc *clientcmdapi.Config) { kc.CurrentContext = "b" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := base()
			tc.change(kc)
			if got := fingerprintOf(t, kc, "a"); got != want {
				t.Errorf("the fingerprint changed")
			}
		})
	}

	// The same file in another order (clientcmd writes its lists sorted).
	reordered := `apiVersion: v1
kind: Config
current-context: b
contexts:
- name: b
  context: {cluster: cl-b, user: user-b}
- name: a
  context: {cluster: cl-a, user: user-a}
users:
- name: user-b
  user: {token: token-b}
- name: user-a
  user: {token: token-a}
clusters:
- name: cl-b
  cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: Y2EtYg==}
- name: cl-a
  cluster: {certificate-authority-data: Y2EtYQ==, server: "https://127.0.0.1:6443"}
`
	k, err := Parse([]byte(reordered))
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Context("a")
	if err != nil {
		t.Fatal(err)
	}
	if c.Fingerprint != want {
		t.Errorf("the same context in a reordered file has another fingerprint")
	}
	if !c.Same(Context{Fingerprint: want}) {
		t.Errorf("Same disagrees with the fingerprints")
	}
	if cfg := c.Config(); cfg.Host != "https://127.0.0.1:6443" || cfg.BearerToken != "token-a" || string(cfg.CAData) != "ca-a" {
		t.Errorf("config = %+v", cfg)
	}
}

// A missing or unusable context is an error, not an empty configuration.
func TestContextErrors(t *testing.T) {
	kc := base()
	kc.Contexts["broken"] = &clientcmdapi.Context{Cluster: "missing", AuthInfo: "user-a"}
	data, err := clientcmd.Write(*kc)
	if err != nil {
		t.Fatal(err)
	}
	k, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"nothing", "broken"} {
		if _, err := k.Context(name); err == nil {
			t.Errorf("context %s: no error", name)
		}
	}
	if _, err := Parse([]byte("{not yaml")); err == nil {
		t.Errorf("parsing garbage: %v", err)
	}
}
