// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package members watches the member clusters named by the GSLBConfig, through
// the contexts of the gslb-members kubeconfig: per cluster an informer cache of
// Ingresses (or, where the Route API exists, OpenShift Routes), Services,
// Namespaces and AKO HostRules. A cluster that cannot be reached is retried with
// backoff and joins when it answers; one that becomes unreachable later keeps
// what its cache last held, so no member is dropped because an API server is down.
package members

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	routev1 "github.com/amko-project/amko/api/route/v1"
	"github.com/amko-project/amko/internal/sources"
)

// State is a member cluster's connection state.
type State string

// States.
const (
	// Pending: not synced yet (never reached).
	Pending State = "Pending"
	// Ready: synced and answering.
	Ready State = "Ready"
	// Unreachable: synced once, not answering now; its last known objects stay.
	Unreachable State = "Unreachable"
)

// Status is a member cluster's state for status, events and metrics.
type Status struct {
	Cluster   string
	State     State
	OpenShift bool
	Error     string
}

// Options configure a Registry.
type Options struct {
	// Scheme must know the built-in kinds, HostRule and Route.
	Scheme *runtime.Scheme
	// OnChange is called (cheaply, often) when a watched object or a cluster's
	// state changes.
	OnChange func()
	Log      *slog.Logger
	// RetryMin and RetryMax bound the backoff of a cluster that cannot be reached
	// (defaults 500 ms and 1 min); SyncTimeout bounds one attempt (default 30 s);
	// HealthInterval paces the health check of a synced cluster (default 10 s).
	RetryMin, RetryMax, SyncTimeout, HealthInterval time.Duration
}

// Registry is the set of watched member clusters.
type Registry struct {
	opts Options

	mu       sync.Mutex
	clusters map[string]*cluster
}

// New returns an empty Registry.
func New(opts Options) *Registry {
	if opts.OnChange == nil {
		opts.OnChange = func() {}
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.RetryMin == 0 {
		opts.RetryMin = 500 * time.Millisecond
	}
	if opts.RetryMax == 0 {
		opts.RetryMax = time.Minute
	}
	if opts.SyncTimeout == 0 {
		opts.SyncTimeout = 30 * time.Second
	}
	if opts.HealthInterval == 0 {
		opts.HealthInterval = 10 * time.Second
	}
	return &Registry{opts: opts, clusters: map[string]*cluster{}}
}

// Set makes the registry watch exactly the given contexts of kubeconfig: new
// ones start, removed ones stop, and those whose connection settings changed
// restart. It fails, changing nothing, when a context is missing or invalid.
func (r *Registry) Set(ctx context.Context, kubeconfig []byte, contexts []string) error {
	raw, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return fmt.Errorf("parsing the gslb-members kubeconfig: %w", err)
	}
	configs := map[string]*rest.Config{}
	for _, name := range contexts {
		cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
		if err != nil {
			return fmt.Errorf("error in building context config for kubernetes cluster %s: %w", name, err)
		}
		cfg.QPS, cfg.Burst = 100, 100
		configs[name] = cfg
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for name, c := range r.clusters {
		if cfg, keep := configs[name]; !keep || !sameConfig(cfg, c.cfg) {
			c.stop()
			delete(r.clusters, name)
			changed = true
		}
	}
	for name, cfg := range configs {
		if _, ok := r.clusters[name]; ok {
			continue
		}
		c := &cluster{name: name, cfg: cfg, opts: r.opts, state: Pending, done: make(chan struct{}), recheck: make(chan struct{}, 1)}
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c.cancel = cancel
		r.clusters[name] = c
		go c.run(cctx)
		changed = true
	}
	if changed {
		// Only a real change asks for a pass: the operator calls Set on every
		// pass, and an unconditional poke would keep it busy forever.
		r.opts.OnChange()
	}
	return nil
}

// sameConfig reports whether two contexts reach the same server the same way.
func sameConfig(a, b *rest.Config) bool {
	return a.Host == b.Host && a.BearerToken == b.BearerToken && a.Username == b.Username &&
		string(a.CertData) == string(b.CertData) && string(a.KeyData) == string(b.KeyData) &&
		string(a.CAData) == string(b.CAData) && a.CertFile == b.CertFile && a.KeyFile == b.KeyFile
}

// Stop stops watching every cluster and waits for it.
func (r *Registry) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, c := range r.clusters {
		c.stop()
		delete(r.clusters, name)
	}
}

// Status returns each cluster's state, by name.
func (r *Registry) Status() []Status {
	r.mu.Lock()
	list := make([]*cluster, 0, len(r.clusters))
	for _, c := range r.clusters {
		list = append(list, c)
	}
	r.mu.Unlock()
	out := make([]Status, 0, len(list))
	for _, c := range list {
		out = append(out, c.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cluster < out[j].Cluster })
	return out
}

// Inputs is what the model reads from the member clusters.
type Inputs struct {
	Records    []sources.Record
	Namespaces []sources.Namespace
	HostRules  []sources.HostRule
}

// Inputs reads every cluster's cache, as last synced. defaultDomain completes
// Routes that name only a subdomain.
func (r *Registry) Inputs(ctx context.Context, defaultDomain string) (Inputs, error) {
	r.mu.Lock()
	list := make([]*cluster, 0, len(r.clusters))
	for _, c := range r.clusters {
		list = append(list, c)
	}
	r.mu.Unlock()
	var in Inputs
	var errs []error
	for _, c := range list {
		if err := c.inputs(ctx, defaultDomain, &in); err != nil {
			errs = append(errs, fmt.Errorf("cluster %s: %w", c.name, err))
		}
	}
	return in, errors.Join(errs...)
}

// cluster is one watched member cluster.
type cluster struct {
	name   string
	cfg    *rest.Config
	opts   Options
	cancel context.CancelFunc
	done   chan struct{}
	// recheck asks for a health check now: an informer's request failed.
	recheck chan struct{}

	mu        sync.Mutex
	cache     cache.Cache // nil until the first sync
	stopCache context.CancelFunc
	openshift bool
	state     State
	err       string

	apps *appStore // the Services, Ingresses and Routes of cache
}

// appStore holds a cache's application objects (Services, Ingresses, Routes)
// as its informers deliver them, with their records converted once per
// change: listing and converting every object on every pass was most of a
// pass's cost at scale (AKO's annotations are JSON).
type appStore struct {
	mu   sync.Mutex
	objs map[types.UID]*appEntry
}

type appEntry struct {
	obj client.Object
	// records are obj's, converted for defaultDomain; nil until a pass needs them.
	records       []sources.Record
	converted     bool
	defaultDomain string
}

func newAppStore() *appStore { return &appStore{objs: map[types.UID]*appEntry{}} }

// handler keeps the store in step with an informer, then calls onChange: the
// store changes before the pass it asks for reads it.
func (s *appStore) handler(onChange func()) toolscache.ResourceEventHandlerFuncs {
	set := func(obj any) {
		if o, ok := obj.(client.Object); ok {
			s.mu.Lock()
			s.objs[o.GetUID()] = &appEntry{obj: o}
			s.mu.Unlock()
		}
		onChange()
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    set,
		UpdateFunc: func(_, obj any) { set(obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if o, ok := obj.(client.Object); ok {
				s.mu.Lock()
				delete(s.objs, o.GetUID())
				s.mu.Unlock()
			}
			onChange()
		},
	}
}

// records appends every object's records, converting those that changed.
func (s *appStore) records(cluster, defaultDomain string, out []sources.Record) []sources.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.objs {
		if !e.converted || e.defaultDomain != defaultDomain {
			switch o := e.obj.(type) {
			case *corev1.Service:
				e.records = sources.FromService(cluster, o)
			case *networkingv1.Ingress:
				e.records = sources.FromIngress(cluster, o)
			case *routev1.Route:
				e.records = sources.FromRoute(cluster, o, defaultDomain)
			}
			e.converted, e.defaultDomain = true, defaultDomain
		}
		out = append(out, e.records...)
	}
	return out
}

func (c *cluster) stop() {
	c.cancel()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopCache != nil {
		c.stopCache()
	}
}

func (c *cluster) status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Status{Cluster: c.name, State: c.state, OpenShift: c.openshift, Error: c.err}
}

func (c *cluster) setState(s State, err error) {
	c.mu.Lock()
	changed := c.state != s
	c.state, c.err = s, ""
	if err != nil {
		c.err = err.Error()
	}
	c.mu.Unlock()
	if changed {
		c.opts.Log.Info("member cluster state", "cluster", c.name, "state", s, "err", err)
		c.opts.OnChange()
	}
}

// run syncs the cluster, retrying with backoff, then checks its health until
// stopped.
func (c *cluster) run(ctx context.Context) {
	defer close(c.done)
	wait := c.opts.RetryMin
	for {
		err := c.sync(ctx)
		if err == nil {
			break
		}
		c.setState(c.stateOnFailure(), err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, c.opts.RetryMax)
	}
	c.setState(Ready, nil)
	// Checked every HealthInterval, at once when an informer's request fails,
	// and every RetryMin while unreachable: an outage and the recovery show within a
	// second, not at the next period.
	next := time.NewTimer(c.opts.HealthInterval)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-next.C:
		case <-c.recheck:
		}
		period := c.opts.HealthInterval
		if err := c.healthy(ctx); err != nil {
			c.setState(Unreachable, err)
			period = min(period, c.opts.RetryMin)
		} else {
			c.setState(Ready, nil)
		}
		next.Reset(period)
	}
}

// noticeErrors wraps the informers' transport: a request that fails (a broken
// watch being re-established, say) asks for a health check now. Health checks
// use their own transport, so they do not ask for themselves.
func (c *cluster) noticeErrors(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		if err != nil && req.Context().Err() == nil {
			select {
			case c.recheck <- struct{}{}:
			default:
			}
		}
		return resp, err
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func (c *cluster) stateOnFailure() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache != nil {
		return Unreachable
	}
	return Pending
}

// healthy asks the API server for its version.
func (c *cluster) healthy(ctx context.Context) error {
	cfg := rest.CopyConfig(c.cfg)
	cfg.Timeout = 5 * time.Second
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	// One attempt: client-go would retry a reset connection for seconds, and
	// the answer is wanted now.
	return dc.RESTClient().Get().AbsPath("/version").MaxRetries(0).Do(ctx).Error()
}

// sync starts the informers and waits for their first list.
func (c *cluster) sync(ctx context.Context) error {
	cfg := rest.CopyConfig(c.cfg)
	cfg.Timeout = c.opts.SyncTimeout
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("discovery client: %w", err)
	}
	openshift := false
	if _, err := dc.ServerResourcesForGroupVersion(routev1.GroupVersion.String()); err == nil {
		openshift = true
	}
	if _, err := dc.ServerResourcesForGroupVersion(akov1beta1.GroupVersion.String()); err != nil {
		return fmt.Errorf("HostRule API not available for cluster %s: %w", c.name, err)
	}
	cacheCfg := rest.CopyConfig(c.cfg)
	cacheCfg.Wrap(c.noticeErrors)
	ca, err := cache.New(cacheCfg, cache.Options{Scheme: c.opts.Scheme})
	if err != nil {
		return fmt.Errorf("creating the cache: %w", err)
	}
	objs := []client.Object{&corev1.Service{}, &corev1.Namespace{}, &akov1beta1.HostRule{}}
	if openshift {
		objs = append(objs, &routev1.Route{})
	} else {
		objs = append(objs, &networkingv1.Ingress{})
	}
	handler := toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.opts.OnChange() },
		UpdateFunc: func(any, any) { c.opts.OnChange() },
		DeleteFunc: func(any) { c.opts.OnChange() },
	}
	apps := newAppStore()
	for _, o := range objs {
		inf, err := ca.GetInformer(ctx, o)
		if err != nil {
			return fmt.Errorf("informer for %T: %w", o, err)
		}
		h := handler
		switch o.(type) {
		case *corev1.Service, *networkingv1.Ingress, *routev1.Route:
			h = apps.handler(c.opts.OnChange)
		}
		if _, err := inf.AddEventHandler(h); err != nil {
			return fmt.Errorf("handler for %T: %w", o, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { _ = ca.Start(cctx) }()
	syncCtx, syncCancel := context.WithTimeout(ctx, c.opts.SyncTimeout)
	defer syncCancel()
	if !ca.WaitForCacheSync(syncCtx) {
		cancel()
		return fmt.Errorf("cluster %s health check failed, can't sync its objects within %s", c.name, c.opts.SyncTimeout)
	}
	c.mu.Lock()
	c.cache, c.openshift, c.stopCache, c.apps = ca, openshift, cancel, apps
	c.mu.Unlock()
	return nil
}

// inputs appends the cluster's records, namespaces and host rules to in.
func (c *cluster) inputs(ctx context.Context, defaultDomain string, in *Inputs) error {
	c.mu.Lock()
	ca, apps := c.cache, c.apps
	c.mu.Unlock()
	if ca == nil {
		return nil
	}
	var nss corev1.NamespaceList
	var hrs akov1beta1.HostRuleList
	for _, l := range []client.ObjectList{&nss, &hrs} {
		if err := ca.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return err
		}
	}
	in.Records = apps.records(c.name, defaultDomain, in.Records)
	for i := range nss.Items {
		in.Namespaces = append(in.Namespaces, sources.FromNamespace(c.name, &nss.Items[i]))
	}
	for i := range hrs.Items {
		if hr, ok := sources.FromHostRule(c.name, &hrs.Items[i]); ok {
			in.HostRules = append(in.HostRules, hr)
		}
	}
	return nil
}
