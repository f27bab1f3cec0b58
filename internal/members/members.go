// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package members watches the member clusters named by the GSLBConfig, through
// the contexts of the gslb-members kubeconfig: per cluster an informer cache of
// Ingresses (or, where the Route API exists, OpenShift Routes), Services,
// Namespaces and AKO HostRules, and, where the Gateway API's CRDs are installed,
// Gateways and the routes of each kind served (checked again while some are
// not, so that CRDs installed later are read without a restart). A cluster that cannot be reached is retried with
// backoff and joins when it answers; one that becomes unreachable later keeps
// what its cache last held, so no member is dropped because an API server is down.
//
// Changing a context's connection settings (its server, CA, credentials, exec
// plugin, impersonation...) is make-before-break: the cluster as it was keeps
// serving while a replacement built from the new settings syncs in the
// background, and the replacement takes over only once its cache holds
// everything. A replacement that cannot sync leaves the old cluster serving,
// as in any outage, and is reported.
package members

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	routev1 "github.com/amko-project/amko/api/route/v1"
	"github.com/amko-project/amko/internal/kubeclient"
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
	// GatewayAPI is set when the cluster serves Gateways (gateway.networking.k8s.io/v1).
	GatewayAPI bool
	Error      string
}

// Options configure a Registry.
type Options struct {
	// Scheme must know the built-in kinds, HostRule and Route. One that does
	// not know the Gateway API's kinds is replaced by the registry's own
	// scheme of everything it reads.
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
	opts      Options
	schemeErr error // building the scheme failed: no cluster can sync
	skips     *skipLog
	// health are the settings of endpoint health and lost clusters (SetHealth).
	health *healthSettings
	// stopping counts the clusters Set is stopping in the background.
	stopping sync.WaitGroup

	mu    sync.Mutex
	slots map[string]*slot
	// The arguments of the last Set that succeeded: the operator calls Set on
	// every pass, and the same arguments again change nothing.
	lastKubeconfig []byte
	lastContexts   []string
}

// slot is one member cluster: the cluster that serves its objects and, while
// its connection settings change, the replacement that syncs meanwhile.
type slot struct {
	active *cluster
	next   *cluster // nil unless a replacement is syncing
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
	r := &Registry{opts: opts, skips: newSkipLog(opts.Log), slots: map[string]*slot{}, health: &healthSettings{}}
	r.health.holdDown.Store(int64(DefaultHoldDown))
	if opts.Scheme == nil || !opts.Scheme.Recognizes(schema.GroupVersion{Group: gatewayv1.GroupName, Version: "v1"}.WithKind("Gateway")) {
		// The caller's scheme is left alone (it may be in use); a cluster
		// cannot sync without the scheme, and says so, should this fail.
		r.opts.Scheme, r.schemeErr = memberScheme()
	}
	return r
}

// memberScheme knows every kind a member cluster's cache reads.
func memberScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, akov1beta1.AddToScheme, routev1.AddToScheme, gatewayv1.Install,
	} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("building the member clusters' scheme: %w", err)
		}
	}
	return s, nil
}

// Set makes the registry watch exactly the given contexts of kubeconfig: new
// ones start (Pending until synced), removed ones stop at once. A context whose
// connection settings changed (anything of its cluster and user entries, see
// kubeclient.Context) is replaced make-before-break: the cluster as it was
// keeps serving, and keeps watching with its old settings, until a replacement
// built from the new ones has synced, then the replacement takes its place.
// Set fails, changing nothing, when a context is missing or invalid. It never
// touches the network, and the same arguments again cost a comparison.
func (r *Registry) Set(ctx context.Context, kubeconfig []byte, contexts []string) error {
	r.mu.Lock()
	same := r.lastKubeconfig != nil && bytes.Equal(kubeconfig, r.lastKubeconfig) && slices.Equal(contexts, r.lastContexts)
	r.mu.Unlock()
	if same {
		return nil
	}
	kc, err := kubeclient.Parse(kubeconfig)
	if err != nil {
		return fmt.Errorf("parsing the gslb-members kubeconfig: %w", err)
	}
	resolved := map[string]kubeclient.Context{}
	for _, name := range contexts {
		c, err := kc.Context(name)
		if err != nil {
			return fmt.Errorf("error in building context config for kubernetes cluster %s: %w", name, err)
		}
		resolved[name] = c
	}

	var stop []*cluster
	changed := false
	r.mu.Lock()
	for name, s := range r.slots {
		if _, keep := resolved[name]; !keep {
			stop = append(stop, s.clusters()...)
			delete(r.slots, name)
			r.skips.forgetCluster(name)
			changed = true
		}
	}
	for name, kctx := range resolved {
		s := r.slots[name]
		switch {
		case s == nil:
			r.slots[name] = &slot{active: r.start(ctx, kctx, false)}
			changed = true
		case s.active.fingerprint == kctx.Fingerprint:
			if s.next != nil {
				// Back to the settings in use: the replacement is moot.
				r.opts.Log.Info("member cluster connection settings back to those in use", "cluster", name)
				stop = append(stop, s.next)
				s.next = nil
				changed = true
			}
		case s.next != nil && s.next.fingerprint == kctx.Fingerprint:
			// Already syncing with these settings.
		case !s.active.synced():
			// Never synced: it has nothing to keep serving, so it makes way.
			stop = append(stop, s.clusters()...)
			s.active, s.next = r.start(ctx, kctx, false), nil
			changed = true
		default:
			if s.next != nil {
				stop = append(stop, s.next)
			}
			r.opts.Log.Info("member cluster connection settings changed: it keeps serving until they have synced", "cluster", name)
			s.next = r.start(ctx, kctx, true)
			changed = true
		}
	}
	r.lastKubeconfig, r.lastContexts = bytes.Clone(kubeconfig), slices.Clone(contexts)
	r.mu.Unlock()
	// In the background: a cluster stops at once (its context is cancelled,
	// which ends its cache and requests), but waiting for its goroutine is no
	// reason to hold up a pass; Stop waits for them.
	for _, c := range stop {
		r.stopping.Go(c.stop)
	}
	if changed {
		// Only a real change asks for a pass: the operator calls Set on every
		// pass, and an unconditional poke would keep it busy forever.
		r.opts.OnChange()
	}
	return nil
}

// start starts watching a cluster through kctx; a replacement swaps itself
// into its slot once synced.
func (r *Registry) start(ctx context.Context, kctx kubeclient.Context, replacement bool) *cluster {
	cfg := kctx.Config()
	cfg.QPS, cfg.Burst = 100, 100
	c := &cluster{name: kctx.Name, cfg: cfg, fingerprint: kctx.Fingerprint, opts: r.opts, schemeErr: r.schemeErr, skips: r.skips, health: r.health,
		state: Pending, replacement: replacement, done: make(chan struct{}), recheck: make(chan struct{}, 1)}
	if replacement {
		c.promote = r.promote
	}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	go c.run(cctx)
	return c
}

// promote swaps a synced replacement into its slot and stops the cluster it
// replaces. It reports false when the replacement is no longer wanted (its
// settings changed again, or the context was removed): it is being stopped.
func (r *Registry) promote(c *cluster) bool {
	r.mu.Lock()
	s := r.slots[c.name]
	if s == nil || s.next != c {
		r.mu.Unlock()
		return false
	}
	// Ready before it serves: the slot's status never shows Pending.
	c.mu.Lock()
	c.state, c.err, c.replacement = Ready, "", false
	c.mu.Unlock()
	old := s.active
	s.active, s.next = c, nil
	r.mu.Unlock()
	old.stop()
	r.opts.Log.Info("member cluster switched to its new connection settings", "cluster", c.name)
	r.opts.OnChange()
	return true
}

// clusters are the slot's running clusters.
func (s *slot) clusters() []*cluster {
	if s.next != nil {
		return []*cluster{s.active, s.next}
	}
	return []*cluster{s.active}
}

// status is the serving cluster's, unless a replacement's settings fail: then
// the cluster is Unreachable as configured, whatever the old settings reach.
func (s slot) status() Status {
	st := s.active.status()
	if s.next == nil {
		return st
	}
	if next := s.next.status(); next.Error != "" {
		st.State = Unreachable
		st.Error = "the new connection settings of cluster " + st.Cluster + " fail (its last known objects are kept): " + next.Error
	}
	return st
}

// Stop stops watching every cluster and waits for it.
func (r *Registry) Stop() {
	r.mu.Lock()
	var stop []*cluster
	for name, s := range r.slots {
		stop = append(stop, s.clusters()...)
		delete(r.slots, name)
	}
	r.lastKubeconfig, r.lastContexts = nil, nil
	r.mu.Unlock()
	for _, c := range stop {
		c.stop()
	}
	r.stopping.Wait()
}

// snapshot copies the slots, for reading outside the registry's lock.
func (r *Registry) snapshot() []slot {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]slot, 0, len(r.slots))
	for _, s := range r.slots {
		out = append(out, *s)
	}
	return out
}

// Status returns each cluster's state, by name.
func (r *Registry) Status() []Status {
	slots := r.snapshot()
	out := make([]Status, 0, len(slots))
	for _, s := range slots {
		out = append(out, s.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cluster < out[j].Cluster })
	return out
}

// Skipped lists the application objects that give no record (no address from
// AKO yet, no host), as of the last Inputs, sorted.
func (r *Registry) Skipped() []Skipped {
	out := r.skips.list()
	slices.SortFunc(out, func(a, b Skipped) int {
		return cmp.Or(cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Inputs is what the model reads from the member clusters.
type Inputs struct {
	// Groups are the records, one slice per application object. A slice is
	// never modified once handed out: an object whose records change (by an
	// event, or their endpoints' health) gets a new one, so that the model
	// decides again on changed objects only.
	Groups     [][]sources.Record
	Namespaces []sources.Namespace
	HostRules  []sources.HostRule
}

// Records are all the groups' records, in one slice.
func (in Inputs) Records() []sources.Record {
	var out []sources.Record
	for _, g := range in.Groups {
		out = append(out, g...)
	}
	return out
}

// Inputs reads every cluster's cache, as last synced: that of the cluster that
// serves, not of a replacement still syncing. defaultDomain completes Routes
// that name only a subdomain.
func (r *Registry) Inputs(ctx context.Context, defaultDomain string) (Inputs, error) {
	slots := r.snapshot()
	var in Inputs
	var errs []error
	for _, s := range slots {
		if err := s.active.inputs(ctx, defaultDomain, &in); err != nil {
			errs = append(errs, fmt.Errorf("cluster %s: %w", s.active.name, err))
		}
	}
	return in, errors.Join(errs...)
}

// cluster is one watched member cluster.
type cluster struct {
	name        string
	cfg         *rest.Config
	fingerprint string // of its kubeconfig context
	opts        Options
	schemeErr   error
	skips       *skipLog
	health      *healthSettings
	cancel      context.CancelFunc
	done        chan struct{}
	// recheck asks for a health check now: an informer's request failed.
	recheck chan struct{}
	// promote, for a replacement, swaps it in once synced.
	promote func(*cluster) bool

	mu          sync.Mutex
	cache       cache.Cache // nil until the first sync
	stopCache   context.CancelFunc
	openshift   bool
	state       State
	err         string
	replacement bool // syncing to replace the slot's serving cluster

	apps *appStore // the Services, Ingresses, Routes and Gateway API objects of cache
	// eps watches the EndpointSlices of the Services behind its records.
	eps *endpoints
	// unreachableSince is when the cluster last became Unreachable; zero
	// while it answers. lost asks for a pass when it has been unreachable
	// for the GSLBConfig's time: its records are marked ClusterLost then.
	unreachableSince time.Time
	lost             *time.Timer
	// gateway lists the Gateway API resources ("gateways", "httproutes"...)
	// whose informers run; only the cluster's goroutine writes it.
	gateway map[string]bool
	// gatewayDenied lists those it may not list, once logged.
	gatewayDenied map[string]bool
}

// appStore holds a cache's application objects (Services, Ingresses, Routes,
// Gateway API routes) as its informers deliver them, with their records
// converted once per change: listing and converting every object on every
// pass was most of a pass's cost at scale (AKO's annotations are JSON). A
// Gateway API route's records depend on its parent Gateways too, which the
// store holds as well: a Gateway's change converts its routes again.
type appStore struct {
	cluster string
	skips   *skipLog // nil: skipped objects are not logged

	mu       sync.Mutex
	objs     map[types.UID]*appEntry
	gateways map[types.NamespacedName]*gatewayv1.Gateway
	// backendNamespaces counts the records' Services by namespace.
	backendNamespaces map[string]int
	// last is the last groups, kept and updated with the objects that
	// changed since (dirty): most passes at scale follow one change, and
	// walking every object for each was most of a pass.
	last  groupsCache
	dirty map[types.UID]bool
}

// groupsCache is what groups returned, with what it depends on: the default
// domain and the health every record got (ClusterLost lost, no Service
// without endpoints).
type groupsCache struct {
	valid  bool
	domain string
	lost   string
	groups [][]sources.Record
	uids   []types.UID       // of each group's object
	pos    map[types.UID]int // of each object's group in groups
}

type appEntry struct {
	obj client.Object
	// parents are the Gateways a Gateway API route names.
	parents []types.NamespacedName
	// records are obj's, converted for defaultDomain; nil until a pass needs them.
	records       []sources.Record
	converted     bool
	defaultDomain string
	// served are records with the health the last pass gave them: a new
	// slice whenever it changes, never modified once handed out.
	served []sources.Record
}

func newAppStore(cluster string, skips *skipLog) *appStore {
	return &appStore{cluster: cluster, skips: skips, objs: map[types.UID]*appEntry{}, dirty: map[types.UID]bool{},
		gateways: map[types.NamespacedName]*gatewayv1.Gateway{}, backendNamespaces: map[string]int{}}
}

// gateway is the lookup of Gateway API routes' conversion; s.mu is held.
func (s *appStore) gateway(namespace, name string) *gatewayv1.Gateway {
	return s.gateways[types.NamespacedName{Namespace: namespace, Name: name}]
}

// gatewayHandler keeps the store's Gateways in step with their informer:
// the routes that name a Gateway that changed are converted again.
func (s *appStore) gatewayHandler(onChange func()) toolscache.ResourceEventHandlerFuncs {
	change := func(obj any, deleted bool) {
		if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		gw, ok := obj.(*gatewayv1.Gateway)
		if !ok {
			return
		}
		key := types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}
		s.mu.Lock()
		if deleted {
			delete(s.gateways, key)
		} else {
			s.gateways[key] = gw
		}
		for uid, e := range s.objs {
			if slices.Contains(e.parents, key) {
				e.converted = false
				s.dirty[uid] = true
			}
		}
		s.mu.Unlock()
		onChange()
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { change(obj, false) },
		UpdateFunc: func(_, obj any) { change(obj, false) },
		DeleteFunc: func(obj any) { change(obj, true) },
	}
}

// handler keeps the store in step with an informer, then calls onChange: the
// store changes before the pass it asks for reads it.
func (s *appStore) handler(onChange func()) toolscache.ResourceEventHandlerFuncs {
	set := func(obj any) {
		if o, ok := obj.(client.Object); ok {
			s.mu.Lock()
			if old := s.objs[o.GetUID()]; old != nil {
				s.countBackends(old.records, -1)
			}
			s.objs[o.GetUID()] = &appEntry{obj: o, parents: sources.GatewayRouteParents(o)}
			s.dirty[o.GetUID()] = true
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
				if old := s.objs[o.GetUID()]; old != nil {
					s.countBackends(old.records, -1)
				}
				delete(s.objs, o.GetUID())
				s.dirty[o.GetUID()] = true
				s.mu.Unlock()
				s.skips.forget(s.cluster, o.GetUID())
			}
			onChange()
		},
	}
}

// records appends every object's records, converting those that changed, as
// they were converted (no health).
func (s *appStore) records(defaultDomain string, out []sources.Record) []sources.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.objs {
		s.convert(e, defaultDomain)
		out = append(out, e.records...)
	}
	return out
}

// groups appends every object's records, one slice per object, converting
// those that changed; health gives a record its NoEndpoints and ClusterLost.
// A slice, once appended, is never modified: a change of health makes a new
// one. It returns too the namespaces of the Services behind the records.
func (s *appStore) groups(defaultDomain string, health func(*sources.Record) (noEndpoints, lost string),
	out [][]sources.Record) ([][]sources.Record, map[string]bool) {
	return s.groupsOf(defaultDomain, health, false, "", out)
}

// groupsOf is groups; uniform says that health gives every record no
// NoEndpoints and lost as ClusterLost, which lets it start from the last
// walk's groups and look only at the objects that changed since.
func (s *appStore) groupsOf(defaultDomain string, health func(*sources.Record) (noEndpoints, lost string), uniform bool, lost string,
	out [][]sources.Record) ([][]sources.Record, map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// After the conversions, which count the records' Services.
	namespaces := func() map[string]bool {
		out := make(map[string]bool, len(s.backendNamespaces))
		for ns := range s.backendNamespaces {
			out[ns] = true
		}
		return out
	}
	if c := &s.last; uniform && c.valid && c.domain == defaultDomain && c.lost == lost {
		for uid := range s.dirty {
			i, had := c.pos[uid]
			e := s.objs[uid]
			var g []sources.Record
			if e != nil {
				g = s.served(e, defaultDomain, health)
			}
			switch {
			case len(g) > 0 && had:
				c.groups[i] = g
			case len(g) > 0:
				c.pos[uid] = len(c.groups)
				c.groups, c.uids = append(c.groups, g), append(c.uids, uid)
			case had:
				// The last group takes the place of the one that goes.
				last := len(c.groups) - 1
				c.groups[i], c.uids[i] = c.groups[last], c.uids[last]
				c.pos[c.uids[i]] = i
				c.groups, c.uids = c.groups[:last], c.uids[:last]
				delete(c.pos, uid)
			}
		}
		clear(s.dirty)
		return append(out, c.groups...), namespaces()
	}
	start := len(out)
	out = slices.Grow(out, len(s.objs))
	var uids []types.UID
	for uid, e := range s.objs {
		if g := s.served(e, defaultDomain, health); len(g) > 0 {
			if uniform {
				uids = append(uids, uid)
			}
			out = append(out, g)
		}
	}
	clear(s.dirty)
	s.last = groupsCache{valid: uniform, domain: defaultDomain, lost: lost}
	if uniform {
		s.last.groups, s.last.uids = slices.Clone(out[start:]), uids
		s.last.pos = make(map[types.UID]int, len(uids))
		for i, uid := range uids {
			s.last.pos[uid] = i
		}
	}
	return out, namespaces()
}

// served is e's records with their health, converted first if e changed: the
// same slice as the last pass's while neither changed. s.mu is held.
func (s *appStore) served(e *appEntry, defaultDomain string, health func(*sources.Record) (noEndpoints, lost string)) []sources.Record {
	if s.convert(e, defaultDomain) {
		e.served = nil
	}
	if len(e.records) == 0 {
		return nil
	}
	served := e.served
	if served == nil {
		// As converted, no health is set: most records keep it so, and
		// share the converted slice.
		served = e.records
	}
	same := true
	for i := 0; same && i < len(e.records); i++ {
		noEndpoints, lost := health(&e.records[i])
		same = served[i].NoEndpoints == noEndpoints && served[i].ClusterLost == lost
	}
	if !same {
		served = slices.Clone(e.records)
		for i := range served {
			served[i].NoEndpoints, served[i].ClusterLost = health(&served[i])
		}
	}
	e.served = served
	return served
}

// countBackends adds delta to the count of each namespace of records'
// Services. s.mu is held.
func (s *appStore) countBackends(records []sources.Record, delta int) {
	for i := range records {
		for _, b := range records[i].Backends {
			if s.backendNamespaces[b.Namespace] += delta; s.backendNamespaces[b.Namespace] <= 0 {
				delete(s.backendNamespaces, b.Namespace)
			}
		}
	}
}

// convert converts e's object for defaultDomain if it changed, and reports
// whether it did. An object that gives no record for want of AKO's status or
// of a host is logged, once per version. s.mu is held.
func (s *appStore) convert(e *appEntry, defaultDomain string) bool {
	if e.converted && e.defaultDomain == defaultDomain {
		return false
	}
	s.countBackends(e.records, -1)
	defer func() { s.countBackends(e.records, 1) }()
	switch o := e.obj.(type) {
	case *corev1.Service:
		e.records = sources.FromService(s.cluster, o)
	case *networkingv1.Ingress:
		e.records = sources.FromIngress(s.cluster, o)
	case *routev1.Route:
		e.records = sources.FromRoute(s.cluster, o, defaultDomain)
	default:
		e.records = sources.FromGatewayRoute(s.cluster, o, s.gateway)
	}
	e.converted, e.defaultDomain = true, defaultDomain
	if len(e.records) == 0 {
		reason := sources.Skipped(e.obj, defaultDomain)
		if reason == "" {
			reason = sources.GatewayRouteSkipped(e.obj, s.gateway)
		}
		if reason != "" {
			s.skips.skipped(s.cluster, e.obj, reason)
		}
	} else {
		s.skips.forget(s.cluster, e.obj.GetUID()) // a candidate now: Explain decides on it
	}
	return true
}

// skipLog logs each skipped application object once per version, across the
// caches a cluster has over time (a replacement relists everything).
type skipLog struct {
	log *slog.Logger

	mu   sync.Mutex
	seen map[string]map[types.UID]Skipped // cluster → object → its last skip
}

// Skipped is an application object that gives no record, and why.
type Skipped struct {
	Cluster, Kind, Namespace, Name, Reason string
	resourceVersion                        string
}

func newSkipLog(log *slog.Logger) *skipLog {
	return &skipLog{log: log, seen: map[string]map[types.UID]Skipped{}}
}

// list returns every object skipped now, in no particular order.
func (l *skipLog) list() []Skipped {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Skipped
	for _, objs := range l.seen {
		for _, sk := range objs {
			out = append(out, sk)
		}
	}
	return out
}

func (l *skipLog) skipped(cluster string, obj client.Object, reason string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	objs := l.seen[cluster]
	if objs == nil {
		objs = map[types.UID]Skipped{}
		l.seen[cluster] = objs
	}
	logged := objs[obj.GetUID()].resourceVersion == obj.GetResourceVersion()
	objs[obj.GetUID()] = Skipped{Cluster: cluster, Kind: kindOf(obj), Namespace: obj.GetNamespace(), Name: obj.GetName(),
		Reason: reason, resourceVersion: obj.GetResourceVersion()}
	l.mu.Unlock()
	if !logged {
		l.log.Info("skipping object: it gives no GSLB record", "cluster", cluster, "kind", kindOf(obj),
			"namespace", obj.GetNamespace(), "name", obj.GetName(), "reason", reason)
	}
}

func (l *skipLog) forget(cluster string, uid types.UID) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.seen[cluster], uid)
	l.mu.Unlock()
}

func (l *skipLog) forgetCluster(cluster string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.seen, cluster)
	l.mu.Unlock()
}

// kindOf names an application object's kind (informers' objects carry no
// TypeMeta).
func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *corev1.Service:
		return "Service"
	case *networkingv1.Ingress:
		return "Ingress"
	case *routev1.Route:
		return "Route"
	case *gatewayv1.HTTPRoute:
		return "HTTPRoute"
	case *gatewayv1.GRPCRoute:
		return "GRPCRoute"
	case *gatewayv1.TLSRoute:
		return "TLSRoute"
	case *gatewayv1.TCPRoute:
		return "TCPRoute"
	case *gatewayv1.UDPRoute:
		return "UDPRoute"
	}
	return fmt.Sprintf("%T", obj)
}

func (c *cluster) stop() {
	c.cancel()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopCache != nil {
		c.stopCache()
	}
	if c.eps != nil {
		c.eps.stop()
	}
	if c.lost != nil {
		c.lost.Stop()
	}
}

func (c *cluster) status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Status{Cluster: c.name, State: c.state, OpenShift: c.openshift, GatewayAPI: c.gateway["gateways"], Error: c.err}
}

// synced reports whether the cluster's cache has synced once.
func (c *cluster) synced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cache != nil
}

func (c *cluster) setState(s State, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	c.mu.Lock()
	prevState, prevErr := c.state, c.err
	c.state, c.err = s, msg
	switch {
	case s != Unreachable:
		c.unreachableSince = time.Time{}
	case prevState != Unreachable:
		c.unreachableSince = time.Now()
	}
	replacement := c.replacement
	c.mu.Unlock()
	if replacement {
		// Its state shows through its slot's only when its settings fail.
		if (prevErr == "") != (msg == "") {
			if err != nil {
				c.opts.Log.Warn("member cluster's new connection settings fail: it keeps serving its last known objects",
					"cluster", c.name, "err", err)
			}
			c.opts.OnChange()
		}
		return
	}
	if prevState != s {
		c.opts.Log.Info("member cluster state", "cluster", c.name, "state", s, "err", err)
		c.opts.OnChange()
	}
}

// run syncs the cluster, retrying with backoff, then checks its health until
// stopped. A replacement swaps itself in once synced.
func (c *cluster) run(ctx context.Context) {
	defer close(c.done)
	// RetryMin, doubling up to RetryMax.
	delay := wait.Backoff{Duration: c.opts.RetryMin, Factor: 2, Steps: math.MaxInt32, Cap: c.opts.RetryMax}.DelayFunc()
	for {
		err := c.sync(ctx)
		if err == nil {
			break
		}
		c.setState(c.stateOnFailure(), err)
		t := time.NewTimer(delay())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	if c.promote != nil && !c.promote(c) {
		return
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
			c.watchNewGatewayResources(ctx)
			c.checkEndpointAccess(ctx)
		}
		next.Reset(period)
	}
}

// changed asks for a pass when a watched object changes; a replacement's
// objects are not read before it is swapped in, which asks for a pass itself.
func (c *cluster) changed() {
	c.mu.Lock()
	replacement := c.replacement
	c.mu.Unlock()
	if !replacement {
		c.opts.OnChange()
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
	// The group versions asked for directly, with ctx: a cluster being
	// stopped (replaced, removed) gives up at once, not after SyncTimeout.
	served := func(gv schema.GroupVersion) error {
		return dc.RESTClient().Get().AbsPath("/apis", gv.Group, gv.Version).Do(ctx).Error()
	}
	openshift := served(routev1.GroupVersion) == nil
	if err := served(akov1beta1.GroupVersion); err != nil {
		return fmt.Errorf("HostRule API not available for cluster %s: %w", c.name, err)
	}
	// An error asking is no reason to hold the cluster back: it syncs
	// without the Gateway API, and the health checks ask again.
	gatewayServed, denied, err := servedGatewayResources(ctx, dc)
	if err != nil {
		c.opts.Log.Warn("cannot tell which Gateway API resources member cluster serves: asking again later",
			"cluster", c.name, "err", err)
	}
	c.noteDenied(denied)
	if c.schemeErr != nil {
		return c.schemeErr
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
		AddFunc:    func(any) { c.changed() },
		UpdateFunc: func(any, any) { c.changed() },
		DeleteFunc: func(any) { c.changed() },
	}
	apps := newAppStore(c.name, c.skips)
	var handlersSynced []toolscache.InformerSynced
	for _, o := range objs {
		inf, err := ca.GetInformer(ctx, o)
		if err != nil {
			return fmt.Errorf("informer for %T: %w", o, err)
		}
		h := handler
		switch o.(type) {
		case *corev1.Service, *networkingv1.Ingress, *routev1.Route:
			h = apps.handler(c.changed)
		}
		reg, err := inf.AddEventHandler(h)
		if err != nil {
			return fmt.Errorf("handler for %T: %w", o, err)
		}
		handlersSynced = append(handlersSynced, reg.HasSynced)
	}
	gateway := map[string]bool{}
	synced, err := addGatewayInformers(ctx, ca, apps, gatewayServed, gateway, c.changed)
	if err != nil {
		return err
	}
	handlersSynced = append(handlersSynced, synced...)
	cctx, cancel := context.WithCancel(ctx)
	cs, err := kubernetes.NewForConfig(cacheCfg)
	if err != nil {
		cancel()
		return fmt.Errorf("client for EndpointSlices: %w", err)
	}
	eps := newEndpoints(cctx, cs, c.health, c.changed)
	eps.checkAccess(ctx, c.name, c.opts.Log)
	go func() { _ = ca.Start(cctx) }()
	syncCtx, syncCancel := context.WithTimeout(ctx, c.opts.SyncTimeout)
	defer syncCancel()
	// The caches, then the handlers: the store of applications is filled by
	// a handler, and a cache that serves before its store holds every object
	// would make the next pass drop the others' members.
	if !ca.WaitForCacheSync(syncCtx) || !toolscache.WaitForCacheSync(syncCtx.Done(), handlersSynced...) {
		cancel()
		return fmt.Errorf("cluster %s health check failed, can't sync its objects within %s", c.name, c.opts.SyncTimeout)
	}
	c.mu.Lock()
	c.cache, c.openshift, c.stopCache, c.apps, c.gateway, c.eps = ca, openshift, cancel, apps, gateway, eps
	c.mu.Unlock()
	return nil
}

// gatewayResource is a Gateway API resource amko reads, and its kind.
type gatewayResource struct {
	resource string
	obj      client.Object
}

// gatewayResources are the Gateway API resources amko reads, all in
// gateway.networking.k8s.io/v1: Gateways, whose addresses and listeners
// the routes' records need, and the routes.
func gatewayResources() []gatewayResource {
	return []gatewayResource{
		{"gateways", &gatewayv1.Gateway{}},
		{"httproutes", &gatewayv1.HTTPRoute{}},
		{"grpcroutes", &gatewayv1.GRPCRoute{}},
		{"tlsroutes", &gatewayv1.TLSRoute{}},
		{"tcproutes", &gatewayv1.TCPRoute{}},
		{"udproutes", &gatewayv1.UDPRoute{}},
	}
}

// servedGatewayResources returns the Gateway API resources the cluster
// serves in v1 and amko may list; none where the group version is not served
// (no CRDs, or an older release serving TLS, TCP and UDP routes in v1alpha2
// only, which are not read). denied lists those served that amko may not
// list: an identity with AMKO's RBAC, which has no Gateway API rules, must
// not keep the whole cluster from syncing.
func servedGatewayResources(ctx context.Context, dc *discovery.DiscoveryClient) (served map[string]bool, denied []string, err error) {
	var list metav1.APIResourceList
	err = dc.RESTClient().Get().AbsPath("/apis", gatewayv1.GroupName, "v1").Do(ctx).Into(&list)
	if apierrors.IsNotFound(err) {
		return map[string]bool{}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("discovering %s/v1: %w", gatewayv1.GroupName, err)
	}
	inList := map[string]bool{}
	for _, r := range list.APIResources {
		inList[r.Name] = true
	}
	served = map[string]bool{}
	for _, gr := range gatewayResources() {
		if !inList[gr.resource] {
			continue
		}
		err := dc.RESTClient().Get().AbsPath("/apis", gatewayv1.GroupName, "v1", gr.resource).Param("limit", "1").Do(ctx).Error()
		switch {
		case apierrors.IsForbidden(err):
			denied = append(denied, gr.resource)
		case err != nil:
			return nil, nil, fmt.Errorf("listing %s: %w", gr.resource, err)
		default:
			served[gr.resource] = true
		}
	}
	return served, denied, nil
}

// noteDenied logs, once per cluster and resource, the Gateway API resources
// the cluster serves but amko may not read.
func (c *cluster) noteDenied(denied []string) {
	c.mu.Lock()
	var fresh []string
	for _, r := range denied {
		if !c.gatewayDenied[r] {
			if c.gatewayDenied == nil {
				c.gatewayDenied = map[string]bool{}
			}
			c.gatewayDenied[r] = true
			fresh = append(fresh, r)
		}
	}
	c.mu.Unlock()
	if len(fresh) > 0 {
		c.opts.Log.Warn("member cluster serves Gateway API resources amko may not list: they are not read (grant get, list and watch on them)",
			"cluster", c.name, "resources", fresh)
	}
}

// addGatewayInformers starts informers, feeding apps, for the served Gateway
// API resources not yet in started, and records them there. Routes are read
// only where Gateways are: without them they have no address. It returns the
// new handlers' sync functions.
func addGatewayInformers(ctx context.Context, ca cache.Cache, apps *appStore, served, started map[string]bool,
	changed func()) ([]toolscache.InformerSynced, error) {
	if !served["gateways"] {
		return nil, nil
	}
	var synced []toolscache.InformerSynced
	for _, gr := range gatewayResources() {
		if !served[gr.resource] || started[gr.resource] {
			continue
		}
		inf, err := ca.GetInformer(ctx, gr.obj)
		if err != nil {
			return synced, fmt.Errorf("informer for %s: %w", gr.resource, err)
		}
		h := apps.handler(changed)
		if gr.resource == "gateways" {
			h = apps.gatewayHandler(changed)
		}
		reg, err := inf.AddEventHandler(h)
		if err != nil {
			return synced, fmt.Errorf("handler for %s: %w", gr.resource, err)
		}
		started[gr.resource] = true
		synced = append(synced, reg.HasSynced)
	}
	return synced, nil
}

// watchNewGatewayResources starts reading the Gateway API resources the
// cluster has come to serve since it synced: CRDs installed later are read
// without a restart, as soon as the next health check. A cluster that reads
// all of them asks nothing.
func (c *cluster) watchNewGatewayResources(ctx context.Context) {
	c.mu.Lock()
	ca, apps := c.cache, c.apps
	started := maps.Clone(c.gateway)
	c.mu.Unlock()
	if ca == nil || len(started) == len(gatewayResources()) {
		return
	}
	cfg := rest.CopyConfig(c.cfg)
	cfg.Timeout = c.opts.SyncTimeout
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return
	}
	served, denied, err := servedGatewayResources(ctx, dc)
	if err != nil {
		c.opts.Log.Debug("cannot tell which Gateway API resources member cluster serves", "cluster", c.name, "err", err)
		return
	}
	c.noteDenied(denied)
	before := len(started)
	// An informer added to a started cache starts at once, and GetInformer
	// waits for its first list: its objects are in apps when this returns.
	syncCtx, cancel := context.WithTimeout(ctx, c.opts.SyncTimeout)
	defer cancel()
	synced, err := addGatewayInformers(syncCtx, ca, apps, served, started, c.changed)
	if err == nil && !toolscache.WaitForCacheSync(syncCtx.Done(), synced...) {
		err = errors.New("its objects did not sync in time")
	}
	if len(started) == before {
		return
	}
	c.mu.Lock()
	c.gateway = started
	c.mu.Unlock()
	if err != nil {
		c.opts.Log.Warn("member cluster's new Gateway API resources", "cluster", c.name, "err", err)
	}
	c.opts.Log.Info("member cluster serves Gateway API resources: reading them", "cluster", c.name, "resources", slices.Sorted(maps.Keys(started)))
	c.changed()
}

// inputs appends the cluster's records, namespaces and host rules to in.
func (c *cluster) inputs(ctx context.Context, defaultDomain string, in *Inputs) error {
	c.mu.Lock()
	ca, apps, eps := c.cache, c.apps, c.eps
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
	in.Groups = c.healthyGroups(apps, eps, defaultDomain, in.Groups)
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
