// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package clusters starts real member clusters for tests: each is a kube-apiserver
// and an etcd (built from source by hack/k8s) run by controller-runtime's envtest,
// with amko's CRDs and AKO's installed (and OpenShift's Route, and the Gateway
// API's, where asked) and the avi-system namespace created. One merged kubeconfig names each cluster's context as AMKO's
// gslb-members file does.
//
// Start clusters once per test package, from TestMain with Main, and stop them
// there: starting a cluster takes seconds, a test should take milliseconds.
package clusters

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/amko-project/amko/api"
	"github.com/amko-project/amko/config/crd"
)

// Namespace is where AMKO keeps its configuration in every cluster.
const Namespace = "avi-system"

// ContextName is the kubeconfig context of the i-th cluster (from 1), named like
// the contexts in AMKO's documentation: cluster1-admin, cluster2-admin, ...
func ContextName(i int) string { return fmt.Sprintf("cluster%d-admin", i) }

// Options changes how Start starts clusters.
type Options struct {
	// Contexts names the clusters' contexts; by default ContextName(1..n).
	Contexts []string
	// AssetsDir holds the kube-apiserver and etcd binaries; by default
	// $KUBEBUILDER_ASSETS, else hack/k8s/bin in this repository.
	AssetsDir string
	// StartTimeout bounds the start of each API server and etcd; default 60s.
	StartTimeout time.Duration
	// OpenShift lists the clusters (by index, from 0) that serve OpenShift's
	// Route API. amko, like AMKO, reads Routes instead of Ingresses there.
	OpenShift []int
	// GatewayAPI maps clusters (by index, from 0) to the Gateway API release
	// channel whose upstream CRDs they get, GatewayStandard or
	// GatewayExperimental; the others have no Gateway API.
	GatewayAPI map[int]string
	// Setup, when set, runs once the clusters are up, before the tests (Main).
	Setup func(ctx context.Context, s *Set) error
	// Spare starts this many more clusters, in Set.Spare (contexts named on
	// from the set's, plain Kubernetes), outside the set's contexts and
	// kubeconfig: for the few tests of a package that need a larger
	// federation than the rest, without a package of clusters of their own.
	Spare int
}

// Cluster is one running member cluster.
type Cluster struct {
	// Context is the cluster's context name in the Set's kubeconfig.
	Context string
	// Config reaches the API server as a cluster administrator.
	Config *rest.Config
	// Client is a client for Config that knows amko's kinds and the foreign ones.
	Client client.Client

	env   *envtest.Environment
	proxy *proxy // between the kubeconfig's context and the API server
}

// SetReachable makes the cluster reachable through the Set's kubeconfig, or cuts
// it off as an outage would: open connections drop and new ones are refused.
// Config and Client reach the API server directly and keep working.
func (c *Cluster) SetReachable(reachable bool) { c.proxy.setDown(!reachable) }

// Set is a group of clusters started together.
type Set struct {
	Clusters []*Cluster
	// Spare are the clusters Options.Spare asked for.
	Spare []*Cluster
	// Scheme knows the built-in kinds, CustomResourceDefinitions, amko's kinds and
	// the foreign ones.
	Scheme *k8sruntime.Scheme
	// Kubeconfig holds one context, cluster and user per cluster, each named by
	// the cluster's context name; it is also written to KubeconfigPath.
	Kubeconfig     []byte
	KubeconfigPath string

	dir string
}

// Start starts n clusters in parallel and returns when every API server answers
// and every CRD is established. On error, whatever had started is stopped.
func Start(ctx context.Context, n int, opts Options) (*Set, error) {
	if n < 1 {
		return nil, fmt.Errorf("clusters: need at least one cluster, got %d", n)
	}
	contexts := opts.Contexts
	if len(contexts) == 0 {
		for i := 1; i <= n; i++ {
			contexts = append(contexts, ContextName(i))
		}
	}
	if len(contexts) != n {
		return nil, fmt.Errorf("clusters: %d context names for %d clusters", len(contexts), n)
	}
	for i := range opts.Spare {
		contexts = append(contexts, ContextName(n+i+1))
	}
	assets, err := assetsDir(opts.AssetsDir)
	if err != nil {
		return nil, err
	}
	scheme, err := api.NewScheme()
	if err == nil {
		err = apiextensionsv1.AddToScheme(scheme)
	}
	if err == nil {
		err = gatewayv1.Install(scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("clusters: building scheme: %w", err)
	}
	dir, err := os.MkdirTemp("", "amko-clusters-")
	if err != nil {
		return nil, fmt.Errorf("clusters: %w", err)
	}
	apiserver, etcd, err := binaries(dir, assets)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}

	s := &Set{Scheme: scheme, dir: dir}
	all := make([]*Cluster, len(contexts))
	errs := make([]error, len(contexts))
	var wg sync.WaitGroup
	for i := range contexts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			all[i], errs[i] = startOne(ctx, contexts[i], scheme, apiserver, etcd, timeout, i < n && slices.Contains(opts.OpenShift, i),
				opts.GatewayAPI[i])
		}()
	}
	wg.Wait()
	s.Clusters, s.Spare = all[:n], all[n:]
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	if err := s.writeKubeconfig(); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

func startOne(ctx context.Context, name string, scheme *k8sruntime.Scheme, apiserver, etcd string, timeout time.Duration, openshift bool,
	gatewayChannel string) (*Cluster, error) {
	all, err := crd.All()
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, c := range all {
		if c.Spec.Group != crd.RouteGroup || openshift {
			crds = append(crds, c)
		}
	}
	if gatewayChannel != "" {
		gw, err := GatewayAPICRDs(gatewayChannel)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", name, err)
		}
		crds = append(crds, gw...)
	}
	env := &envtest.Environment{
		Scheme:                   scheme,
		CRDs:                     crds,
		ControlPlaneStartTimeout: timeout,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	env.ControlPlane.GetAPIServer().Path = apiserver
	env.ControlPlane.Etcd = &envtest.Etcd{Path: etcd}
	cfg, err := env.Start()
	if err != nil {
		// envtest leaves a half-started control plane running on error.
		return nil, errors.Join(fmt.Errorf("cluster %s: starting: %w", name, err), env.Stop())
	}
	// Local servers: no client-side throttling, which would slow discovery.
	cfg.QPS, cfg.Burst = 1000, 2000
	host, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("cluster %s: %w", name, err), env.Stop())
	}
	px, err := newProxy(host.Host)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("cluster %s: proxy: %w", name, err), env.Stop())
	}
	c := &Cluster{Context: name, Config: cfg, env: env, proxy: px}
	if c.Client, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		px.close()
		return nil, errors.Join(fmt.Errorf("cluster %s: client: %w", name, err), env.Stop())
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}
	if err := c.Client.Create(ctx, ns); err != nil {
		px.close()
		return nil, errors.Join(fmt.Errorf("cluster %s: creating namespace %s: %w", name, Namespace, err), env.Stop())
	}
	return c, nil
}

// Cluster returns the cluster whose context is name, or nil.
func (s *Set) Cluster(name string) *Cluster {
	for _, c := range s.Clusters {
		if c != nil && c.Context == name {
			return c
		}
	}
	return nil
}

// Contexts returns the clusters' context names in order.
func (s *Set) Contexts() []string {
	names := make([]string, len(s.Clusters))
	for i, c := range s.Clusters {
		names[i] = c.Context
	}
	return names
}

// Stop stops every cluster, the spare ones too, and removes the Set's files.
func (s *Set) Stop() error {
	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range slices.Concat(s.Clusters, s.Spare) {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.proxy.close()
			if err := c.env.Stop(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("cluster %s: stopping: %w", c.Context, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Set) writeKubeconfig() error {
	kc := clientcmdapi.NewConfig()
	for _, c := range s.Clusters {
		kc.Clusters[c.Context] = &clientcmdapi.Cluster{
			Server:                   "https://" + c.proxy.addr(),
			CertificateAuthorityData: c.Config.CAData,
		}
		kc.AuthInfos[c.Context] = &clientcmdapi.AuthInfo{
			ClientCertificateData: c.Config.CertData,
			ClientKeyData:         c.Config.KeyData,
			Token:                 c.Config.BearerToken,
		}
		kc.Contexts[c.Context] = &clientcmdapi.Context{Cluster: c.Context, AuthInfo: c.Context}
	}
	kc.CurrentContext = s.Clusters[0].Context
	data, err := clientcmd.Write(*kc)
	if err != nil {
		return fmt.Errorf("clusters: writing kubeconfig: %w", err)
	}
	s.Kubeconfig = data
	s.KubeconfigPath = filepath.Join(s.dir, "gslb-members")
	if err := os.WriteFile(s.KubeconfigPath, data, 0o600); err != nil {
		return fmt.Errorf("clusters: %w", err)
	}
	return nil
}

// Main starts n clusters, runs the package's tests and stops the clusters, also
// when tests fail; it returns the exit code for os.Exit. *set is filled before the
// tests run. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(clusters.Main(m, 3, &set, clusters.Options{})) }
func Main(m *testing.M, n int, set **Set, opts Options) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := Start(ctx, n, opts)
	if err == nil && opts.Setup != nil {
		if err = opts.Setup(ctx, s); err != nil {
			_ = s.Stop()
		}
	}
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*set = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// assetsDir finds the folder with kube-apiserver and etcd, and says how to build
// them when they are missing.
func assetsDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			return "", errors.New("clusters: cannot locate the repository; set KUBEBUILDER_ASSETS")
		}
		dir = filepath.Join(filepath.Dir(file), "..", "..", "hack", "k8s", "bin")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("clusters: %s not found in %s: build it with `make k8s-bin` (hack/k8s/build.sh)", bin, dir)
		}
	}
	return filepath.Abs(dir)
}

// binaries returns the commands to run for kube-apiserver and etcd. Where setpriv
// exists they are wrappers that make the kernel kill the server when the test
// process dies, so a panicking or timed-out test leaves no servers behind.
func binaries(dir, assets string) (apiserver, etcd string, err error) {
	apiserver, etcd = filepath.Join(assets, "kube-apiserver"), filepath.Join(assets, "etcd")
	setpriv, lookErr := exec.LookPath("setpriv")
	if lookErr != nil {
		return apiserver, etcd, nil
	}
	wrap := func(bin string) (string, error) {
		path := filepath.Join(dir, filepath.Base(bin))
		script := fmt.Sprintf("#!/bin/sh\nexec %q --pdeathsig KILL %q \"$@\"\n", setpriv, bin)
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			return "", fmt.Errorf("clusters: %w", err)
		}
		return path, nil
	}
	if apiserver, err = wrap(apiserver); err != nil {
		return "", "", err
	}
	if etcd, err = wrap(etcd); err != nil {
		return "", "", err
	}
	return apiserver, etcd, nil
}
