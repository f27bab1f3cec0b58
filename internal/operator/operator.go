// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package operator runs amko: it watches the policy objects (GSLBConfig,
// GlobalDeploymentPolicy, GSLBHostRule) in its own cluster and the applications
// in the member clusters, and keeps the GSLB backend in step. It is
// level-triggered: every pass computes the desired services from what the caches
// hold, plans the difference with what the backend holds, and applies only that.
// Any change anywhere just asks for another pass; bursts coalesce.
package operator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/members"
	"github.com/amko-project/amko/internal/model"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/provider"
	"github.com/amko-project/amko/internal/reconcile"
)

// eventBatching is how long a pass waits for more events after the first:
// the events of one change (an object and its EndpointSlice) come within a
// millisecond or two of each other. A pass that follows a change costs what
// the change touches, so the loop's default of 10 ms had become half of
// amko's share of a change's latency at 10,000 objects (BenchmarkAviSync).
const eventBatching = 2 * time.Millisecond

// Namespace holds AMKO's configuration.
const Namespace = "avi-system"

// Options configure the operator.
type Options struct {
	// Config reaches the cluster amko runs in, where the policy objects live.
	Config *rest.Config
	Scheme *runtime.Scheme
	Log    *slog.Logger
	// MembersKubeconfig, when set, is the gslb-members kubeconfig (AMKO's
	// GSLB_CONFIG); otherwise it is read from the gslb-config-secret Secret.
	MembersKubeconfig []byte
	// Resync is the period of the full comparison with the backend, which
	// repairs drift and collects garbage; default: the GSLBConfig's
	// refreshInterval, else 10 minutes.
	Resync time.Duration
	// PendingGrace is how long writes wait for member clusters that have never
	// answered since start, so that a down API server does not delete its
	// members; default 60 s.
	PendingGrace time.Duration
	// Metrics receives the operator's metrics; nil registers none.
	Metrics *Metrics
	// BackendTimeout bounds each controller request; default 120 s.
	BackendTimeout time.Duration
	// ControllerConcurrency is how many writes go to the controller at
	// once; 0: the Avi backend's default.
	ControllerConcurrency int
	// LogLevel, when set, follows the accepted GSLBConfig's spec.logLevel live.
	LogLevel *slog.LevelVar
	// ProbeScale multiplies the DNS backend's probe intervals and timeouts
	// (tests and demos speed them up); 0 means 1.
	ProbeScale float64
	// NoHostRuleFederation stops the leader from replicating GSLBHostRules to
	// the members (AMKO replicates only the GSLBConfig and the GDP).
	NoHostRuleFederation bool
	// Standby starts the operator as a standby replica (leader election): it
	// watches, builds and, with the DNS backend, answers DNS, but writes
	// nothing (statuses, Events, federation, controller) until SetActive.
	Standby bool
	// Providers builds the GSLB backend a GSLBConfig names (providers.Build);
	// required.
	Providers provider.Factory
	// DeletionWindow is how long a pass that would delete more than
	// DeletionThreshold of the services amko owns is held, so that a typo can
	// be fixed before anything is deleted; 0 means 60 s, negative disables.
	DeletionWindow time.Duration
	// DeletionThreshold is that fraction; 0 means one half.
	DeletionThreshold float64
	// CRDRecheck is how often the installed CRDs are detected again (amko's
	// or AMKO 2.2.1's, which take status differently); 0 means 30 s.
	CRDRecheck time.Duration
	// LeadershipRecheck is how often amko asks the controller whether it is
	// (still, or again) the GSLB leader; 0 means 30 s.
	LeadershipRecheck time.Duration
}

// Operator is a running amko.
type Operator struct {
	opts     Options
	client   client.Client
	cache    cache.Cache
	recorder record.EventRecorder
	members  *members.Registry
	// secrets are the Secrets amko reads, each watched by name.
	secrets *secretWatches
	// crds says whether amko's kinds have a status subresource.
	crds    *crdDetector
	log     *slog.Logger
	metrics *Metrics

	// loop schedules the passes; fedLoop the federation's.
	loop    *reconcile.Loop
	fedLoop *reconcile.Loop
	// standby is set while this replica may not write (see Options.Standby).
	standby atomic.Bool
	// recheckPending: a pass is scheduled for the next leadership check.
	recheckPending atomic.Bool

	mu    sync.Mutex // guards state, role, view and hold
	state state
	role  Role
	// roleReason says why an orphan writes nothing.
	roleReason string
	view       statusView // what Status reports
	hold       *plan.Hold // deletions held by the guard, nil when none
	// caRead is the CA bundle ConfigMap as last read (the pass goroutine's).
	caRead caConfigMapRead
	// lastPolicy is the effective policy of the last pass, for Explain.
	lastPolicy *policy.Policy
	// selecting is whether the GDP in effect selected anything at the last
	// pass; nil before one.
	selecting *bool
	// broadcaster sends the recorder's Events; stopped with Run.
	broadcaster record.EventBroadcaster
	// crdsAnnounced: the installed CRDs, as last detected, were told in an
	// Event (or need none).
	crdsAnnounced bool
	// comparison is the last comparison of the DNS answers with
	// spec.dns.compareWith; comparing is set while one runs.
	comparison *Comparison
	comparing  bool

	// The pass goroutine's own, unguarded: the model's memo of the last
	// build, and the planner of the DNS mirror's writes.
	memo        model.Memo
	mirrorPlan  mirrorPlan
	downMembers map[memberKey]string // the members taken out, and why (endpoints.go)
	// lastDesired is the last build's services; memberCounts and
	// disabledCounts count their members by cluster and by cause of being
	// out (metrics.go), kept from the changes between builds.
	lastDesired    []*gslb.Service
	memberCounts   map[string]int
	disabledCounts map[string]int
	guard          plan.DeletionGuard
	mirrorGuard    plan.DeletionGuard
	// nothingSelected is the GDP uid and generation last warned of
	// selecting nothing.
	nothingSelected string
	policies        policy.Acceptor // policy acceptance state, the pass goroutine's own
	// crdsWereAMKO: the last CRDs announced were AMKO's.
	crdsWereAMKO bool

	// The federation goroutine's own: what member clusters last said of
	// their AMKOClusters, and the unfederated members last reported.
	leaderSeen  map[string]bool
	unfederated string
	// elect is the set's election, with spec.failover Automatic (election.go).
	elect electionState
	// terms is the term of this amko's writes to the controller (term.go).
	terms termMarks
	// reach is which member clusters were already unreachable when this
	// amko began writing (unreachable.go): the pass goroutine's.
	reach reachTracker
	// writable is when this amko last started or became able to write: member
	// clusters that never answered since get PendingGrace before writes go on.
	writable time.Time
}

// New prepares an operator; Run starts it.
func New(opts Options) (*Operator, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.PendingGrace == 0 {
		opts.PendingGrace = 60 * time.Second
	}
	if opts.BackendTimeout == 0 {
		opts.BackendTimeout = 120 * time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.CRDRecheck <= 0 {
		opts.CRDRecheck = 30 * time.Second
	}
	if opts.LeadershipRecheck <= 0 {
		opts.LeadershipRecheck = 30 * time.Second
	}
	if opts.Providers == nil {
		return nil, errors.New("operator: no provider factory")
	}
	window := opts.DeletionWindow
	switch {
	case window == 0:
		window = plan.DefaultDeletionWindow
	case window < 0:
		window = 0
	}
	c, err := client.New(opts.Config, client.Options{Scheme: opts.Scheme})
	if err != nil {
		return nil, fmt.Errorf("client for the local cluster: %w", err)
	}
	ca, err := cache.New(opts.Config, cache.Options{
		Scheme: opts.Scheme,
		// No Secret: the few amko reads are watched one by one, by name
		// (secretWatches); a read of another through the cache would list
		// and watch them all.
		ByObject: map[client.Object]cache.ByObject{
			&amkov1alpha1.GSLBConfig{}:             {Namespaces: map[string]cache.Config{Namespace: {}}},
			&amkov1alpha2.GlobalDeploymentPolicy{}: {Namespaces: map[string]cache.Config{Namespace: {}}},
			&amkov1alpha1.AMKOCluster{}:            {Namespaces: map[string]cache.Config{Namespace: {}}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cache for the local cluster: %w", err)
	}
	cs, err := kubernetes.NewForConfig(opts.Config)
	if err != nil {
		return nil, err
	}
	broadcaster := record.NewBroadcaster()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cs.CoreV1().Events("")})
	o := &Operator{
		opts:        opts,
		client:      c,
		cache:       ca,
		log:         opts.Log,
		metrics:     opts.Metrics,
		guard:       plan.DeletionGuard{Threshold: opts.DeletionThreshold, Window: window},
		mirrorGuard: plan.DeletionGuard{Threshold: opts.DeletionThreshold, Window: window},
		broadcaster: broadcaster,
		crds:        &crdDetector{rc: cs.Discovery().RESTClient()},
	}
	o.recorder = activeOnly{o: o, r: broadcaster.NewRecorder(opts.Scheme, corev1.EventSource{Component: "amko"})}
	o.standby.Store(opts.Standby)
	o.loop = reconcile.New(reconcile.Options{
		Resync: o.resyncPeriod, Classify: failureClass, Backoff: backoffOf, Probe: o.probeBackend, Log: opts.Log,
		MinInterval: eventBatching,
	})
	o.fedLoop = reconcile.New(reconcile.Options{
		Resync: o.federationRecheck, Backoff: func(string) reconcile.Backoff {
			// AMKO requeues a failed federation every 10 s.
			return reconcile.Backoff{Base: time.Second, Max: 10 * time.Second}
		},
	})
	o.secrets = &secretWatches{cs: cs, log: opts.Log, onChange: func() { o.Poke(); o.pokeFederation() }}
	o.members = members.New(members.Options{Scheme: opts.Scheme, OnChange: o.Poke, Log: opts.Log})
	return o, nil
}

// SetActive makes a standby replica the active one, which writes, or back.
// The caches, the model and the DNS answers carry on: taking over costs no
// restart and no resync of the member clusters.
func (o *Operator) SetActive(active bool) {
	if o.standby.Swap(!active) == !active {
		return
	}
	o.log.Info("replica", "active", active)
	o.Poke()
	o.pokeFederation()
}

// active reports whether this replica may write.
func (o *Operator) active() bool { return !o.standby.Load() }

// activeOnly records Events only while the replica is active: a standby
// would repeat the active one's.
type activeOnly struct {
	o *Operator
	r record.EventRecorder
}

func (a activeOnly) Event(obj runtime.Object, typ, reason, msg string) {
	if a.o.active() {
		a.r.Event(obj, typ, reason, msg)
	}
}

func (a activeOnly) Eventf(obj runtime.Object, typ, reason, format string, args ...any) {
	if a.o.active() {
		a.r.Eventf(obj, typ, reason, format, args...)
	}
}

func (a activeOnly) AnnotatedEventf(obj runtime.Object, annotations map[string]string, typ, reason, format string, args ...any) {
	if a.o.active() {
		a.r.AnnotatedEventf(obj, annotations, typ, reason, format, args...)
	}
}

// Poke asks for another pass; it never blocks.
func (o *Operator) Poke() { o.loop.Trigger() }

// failureClass keys the backoff of a failed pass: the backend's state, not
// the number of events.
func failureClass(err error) string {
	if c := provider.Class(err); c != nil {
		return c.Error()
	}
	return ""
}

// backoffOf is the retry policy of a failure class. A refused login is not
// retried quickly: accounts lock after a few failures; the backend itself
// refuses to log in again until its credentials change.
func backoffOf(class string) reconcile.Backoff {
	if class == provider.ErrBadCredentials.Error() {
		return reconcile.Backoff{Base: 5 * time.Minute, Max: 30 * time.Minute}
	}
	return reconcile.Backoff{} // 500 ms doubling to 5 s: converged within seconds of a recovery
}

// probeBackend is the cheap check, while passes fail, that the controller
// answers again: one leadership read instead of whole passes.
func (o *Operator) probeBackend(ctx context.Context, class string) error {
	o.mu.Lock()
	backend := o.state.backend
	o.mu.Unlock()
	if backend == nil || !backend.Shared() {
		return nil // nothing remote to wait for: the pass's retry time decides
	}
	if class == provider.ErrBadCredentials.Error() {
		return provider.ErrBadCredentials // only new credentials help; they build a new backend and reset the loop
	}
	_, err := backend.Leading(ctx)
	if err != nil && o.probeAllows(err) {
		return nil // the pass looks for the GSLB leader among the alternates
	}
	return err
}

// Run watches and syncs until ctx ends.
func (o *Operator) Run(ctx context.Context) error {
	defer o.broadcaster.Shutdown() // last: what stops before may still record
	o.mu.Lock()
	o.writable = time.Now()
	o.mu.Unlock()
	poke := func() { o.Poke() }
	both := func() { o.Poke(); o.pokeFederation() } // what the federation replicates or reads
	for obj, f := range map[client.Object]func(){
		&amkov1alpha1.GSLBConfig{}: both, &amkov1alpha2.GlobalDeploymentPolicy{}: both,
		&amkov1alpha1.GSLBHostRule{}: both, &amkov1alpha1.AMKOCluster{}: both,
		&corev1.Namespace{}: poke,
	} {
		inf, err := o.cache.GetInformer(ctx, obj)
		if err != nil {
			return fmt.Errorf("informer for %T: %w", obj, err)
		}
		handler := toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { f() },
			UpdateFunc: func(any, any) { f() },
			DeleteFunc: func(any) { f() },
		}
		if _, err := inf.AddEventHandler(handler); err != nil {
			return err
		}
	}
	o.secrets.start(ctx)
	if len(o.opts.MembersKubeconfig) == 0 {
		if _, err := o.secrets.ensure(MembersSecret); err != nil {
			return err
		}
	}
	cacheErr := make(chan error, 1)
	go func() { cacheErr <- o.cache.Start(ctx) }()
	if !o.cache.WaitForCacheSync(ctx) {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return errors.New("the local cluster's caches did not sync")
	}
	defer o.members.Stop()
	defer o.closeBackend()
	// Before the first pass, so that its status writes go where the CRDs
	// take them; then again and again (an upgrade needs no restart).
	o.checkCRDs(ctx)
	crdCtx, stopCRDs := context.WithCancel(ctx)
	crdDone := make(chan struct{})
	go func() { defer close(crdDone); o.watchCRDs(crdCtx, o.opts.CRDRecheck) }()
	defer func() { stopCRDs(); <-crdDone }()
	fedCtx, stopFed := context.WithCancel(ctx)
	fedDone := make(chan struct{})
	go func() { defer close(fedDone); o.runFederation(fedCtx) }()
	defer func() { stopFed(); <-fedDone }()

	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	loopErr := make(chan error, 1)
	go func() {
		loopErr <- o.loop.Run(loopCtx, func(ctx context.Context, p reconcile.Pass) error { return o.pass(ctx, p.Resync) })
	}()
	select {
	case err := <-loopErr:
		return err
	case err := <-cacheErr:
		stopLoop()
		<-loopErr
		if err != nil {
			return fmt.Errorf("local cluster cache: %w", err)
		}
		return nil
	}
}

func (o *Operator) resyncPeriod() time.Duration {
	if o.opts.Resync > 0 {
		return o.opts.Resync
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state.config != nil && o.state.config.Spec.RefreshInterval > 0 {
		return time.Duration(o.state.config.Spec.RefreshInterval) * time.Second
	}
	return 10 * time.Minute
}

// closeBackend releases the backend (the DNS backend stops serving) and the
// DNS mirror when Run ends.
func (o *Operator) closeBackend() {
	o.closeMirror()
	o.mu.Lock()
	backend := o.state.backend
	o.state.backend, o.state.configKey = nil, ""
	o.mu.Unlock()
	if backend == nil {
		return
	}
	if err := backend.Close(); err != nil {
		o.log.Warn("closing the GSLB backend", "kind", backend.Kind(), "err", err)
	}
}

// Ready reports whether amko has an accepted configuration and has completed a
// sync with the backend.
func (o *Operator) Ready() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state.config == nil {
		return errors.New("no accepted GSLBConfig")
	}
	if !o.state.synced {
		return errors.New("not synced with the GSLB backend yet")
	}
	return nil
}

// ReadKubeconfigEnv returns the kubeconfig AMKO takes from GSLB_CONFIG: the
// variable's value when it holds one, else the file it names; nil when unset.
func ReadKubeconfigEnv() ([]byte, error) {
	v := os.Getenv("GSLB_CONFIG")
	if v == "" {
		return nil, nil
	}
	if _, err := os.Stat(v); err == nil {
		return os.ReadFile(v)
	}
	return []byte(v), nil
}

// secretWatches holds the only Secrets amko reads from a watch: each by name,
// through its own informer listing and watching with the field selector
// metadata.name=<name>, which RBAC authorizes against resourceNames. amko
// caches no other Secret (Helm's release Secrets, other applications'). A
// watch starts when its name is first read and stops when retain no longer
// names it; its events poke both loops, so that a fixed credential or
// kubeconfig takes effect at once.
type secretWatches struct {
	cs       kubernetes.Interface
	onChange func()
	log      *slog.Logger

	mu      sync.Mutex
	ctx     context.Context // Run's; nil before
	watches map[string]*secretWatch
}

type secretWatch struct {
	inf  toolscache.SharedIndexInformer
	stop context.CancelFunc
	mu   sync.Mutex
	err  error // the last list or watch error; a read before the first sync returns it
}

// secretSyncWait bounds how long a read waits for a new watch's first list.
const secretSyncWait = 10 * time.Second

// start lets watches run, under ctx.
func (s *secretWatches) start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx = ctx
}

// ensure returns the watch of name, started if new.
func (s *secretWatches) ensure(name string) (*secretWatch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.watches[name]; w != nil {
		return w, nil
	}
	if s.ctx == nil {
		return nil, errors.New("the Secret watches are not running")
	}
	lw := toolscache.NewFilteredListWatchFromClient(s.cs.CoreV1().RESTClient(), "secrets", Namespace, func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
	})
	w := &secretWatch{inf: toolscache.NewSharedIndexInformer(lw, &corev1.Secret{}, 0, toolscache.Indexers{})}
	if err := w.inf.SetWatchErrorHandler(func(_ *toolscache.Reflector, err error) {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		s.log.Debug("watching a Secret", "secret", Namespace+"/"+name, "err", err)
	}); err != nil {
		return nil, err
	}
	f := s.onChange
	if _, err := w.inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { f() }, UpdateFunc: func(any, any) { f() }, DeleteFunc: func(any) { f() },
	}); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(s.ctx)
	w.stop = stop
	if s.watches == nil {
		s.watches = map[string]*secretWatch{}
	}
	s.watches[name] = w
	go w.inf.RunWithContext(ctx)
	s.log.Debug("watching a Secret", "secret", Namespace+"/"+name)
	return w, nil
}

// get reads the Secret name from its watch, started if new; a missing Secret
// is a NotFound error.
func (s *secretWatches) get(ctx context.Context, name string) (*corev1.Secret, error) {
	w, err := s.ensure(name)
	if err != nil {
		return nil, err
	}
	if !w.inf.HasSynced() {
		deadline := time.NewTimer(secretSyncWait)
		defer deadline.Stop()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for !w.inf.HasSynced() {
			w.mu.Lock()
			werr := w.err
			w.mu.Unlock()
			if werr != nil {
				return nil, fmt.Errorf("watching Secret %s/%s: %w", Namespace, name, werr)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-deadline.C:
				return nil, fmt.Errorf("watching Secret %s/%s: not synced after %v", Namespace, name, secretSyncWait)
			case <-tick.C:
			}
		}
	}
	obj, ok, err := w.inf.GetStore().GetByKey(Namespace + "/" + name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
	}
	return obj.(*corev1.Secret).DeepCopy(), nil
}

// retain stops the watches of every Secret but names.
func (s *secretWatches) retain(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, w := range s.watches {
		if !slices.Contains(names, name) {
			w.stop()
			delete(s.watches, name)
			s.log.Debug("no longer watching a Secret", "secret", Namespace+"/"+name)
		}
	}
}

// names are the Secrets watched, sorted.
func (s *secretWatches) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.watches))
	for name := range s.watches {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// WatchedSecrets names the Secrets of avi-system amko watches and holds, the
// only ones it reads from a watch.
func (o *Operator) WatchedSecrets() []string { return o.secrets.names() }
