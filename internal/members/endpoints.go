// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package members

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/amko-project/amko/internal/sources"
)

// Causes of a record's NoEndpoints and ClusterLost, which the operator's
// events and metrics tell apart by these prefixes.
const (
	CauseNoEndpoints = "no ready endpoint"
	CauseHeldDown    = "endpoints ready again, held out"
	CauseClusterLost = "member cluster unreachable"
)

// DefaultHoldDown is how long a member's Services must have had ready
// endpoints again before it is back, unless the GDP says otherwise.
const DefaultHoldDown = 10 * time.Second

// healthSettings are the registry's settings of endpoint health and of lost
// clusters, shared by its clusters; the operator sets them on every pass.
type healthSettings struct {
	holdDown  atomic.Int64 // time.Duration
	lossAfter atomic.Int64 // time.Duration; 0: a lost cluster's members are kept
}

// SetHealth sets the hold-down of endpoint health (how long a member's
// Services must have had ready endpoints again before it is back; negative:
// DefaultHoldDown) and how long a member cluster may be unreachable before
// its records are marked ClusterLost (0: never, as AMKO keeps them). Cheap:
// the operator calls it on every pass, before Inputs.
func (r *Registry) SetHealth(holdDown, clusterLossAfter time.Duration) {
	if holdDown < 0 {
		holdDown = DefaultHoldDown
	}
	r.health.holdDown.Store(int64(holdDown))
	r.health.lossAfter.Store(int64(max(clusterLossAfter, 0)))
}

// endpoints tracks, in one member cluster, whether the Services behind its
// records have ready endpoints. It watches EndpointSlices only in the
// namespaces that hold such Services, and keeps of each slice only whether
// it has a ready endpoint: its memory grows with the namespaces that have
// members and their slices, not with the cluster.
type endpoints struct {
	ctx      context.Context // of the cluster's cache: stopping it stops every watch
	client   kubernetes.Interface
	settings *healthSettings
	onChange func()

	// allowed is set once listing EndpointSlices is known to be allowed: an
	// identity with AMKO's RBAC may not, and its informers would only log
	// refusals. Until then nothing is watched and every Service is unknown.
	allowed atomic.Bool
	denied  atomic.Bool // logged once

	mu         sync.Mutex
	namespaces map[string]*nsWatch
	services   map[sources.ServiceRef]*svcHealth
}

type nsWatch struct {
	cancel context.CancelFunc
	synced toolscache.InformerSynced
}

// svcHealth is one Service's: which of its slices have a ready endpoint, and
// whether it counts as down (no ready endpoint, or ready again for less
// than the hold-down).
type svcHealth struct {
	slices map[string]bool
	down   bool
	// back fires when the hold-down has passed with endpoints ready; nil
	// unless it is running.
	back *time.Timer
}

func newEndpoints(ctx context.Context, client kubernetes.Interface, settings *healthSettings, onChange func()) *endpoints {
	return &endpoints{ctx: ctx, client: client, settings: settings, onChange: onChange,
		namespaces: map[string]*nsWatch{}, services: map[sources.ServiceRef]*svcHealth{}}
}

// watch makes the EndpointSlices of exactly the given namespaces watched:
// new ones start in the background (their Services count as unknown until
// their first list, which asks for a pass), others stop and are forgotten.
func (e *endpoints) watch(namespaces map[string]bool) {
	if !e.allowed.Load() {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for ns, w := range e.namespaces {
		if !namespaces[ns] {
			w.cancel()
			delete(e.namespaces, ns)
			for ref, h := range e.services {
				if ref.Namespace == ns {
					if h.back != nil {
						h.back.Stop()
					}
					delete(e.services, ref)
				}
			}
		}
	}
	for ns := range namespaces {
		if _, ok := e.namespaces[ns]; !ok {
			e.namespaces[ns] = e.start(ns)
		}
	}
}

// start runs an informer of the namespace's EndpointSlices that belong to a
// Service (the label the EndpointSlice controller sets).
func (e *endpoints) start(ns string) *nsWatch {
	ctx, cancel := context.WithCancel(e.ctx)
	api := e.client.DiscoveryV1().EndpointSlices(ns)
	lw := &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = discoveryv1.LabelServiceName
			return api.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = discoveryv1.LabelServiceName
			return api.Watch(ctx, o)
		},
	}
	// The client says whether it streams lists (a fake one does not).
	inf := toolscache.NewSharedIndexInformer(toolscache.ToListWatcherWithWatchListSemantics(lw, e.client),
		&discoveryv1.EndpointSlice{}, 0, toolscache.Indexers{})
	// Only what health needs is kept: a large slice costs a few bytes.
	_ = inf.SetTransform(stripSlice)
	_, _ = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { e.slice(obj, false) },
		UpdateFunc: func(_, obj any) { e.slice(obj, false) },
		DeleteFunc: func(obj any) { e.slice(obj, true) },
	})
	go inf.Run(ctx.Done())
	go func() {
		// Its Services were unknown until now.
		if toolscache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
			e.onChange()
		}
	}()
	return &nsWatch{cancel: cancel, synced: inf.HasSynced}
}

// stripSlice keeps a slice's name, namespace, Service and, as its only
// endpoint, a ready one if it has any.
func stripSlice(obj any) (any, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return obj, nil
	}
	out := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace,
		ResourceVersion: s.ResourceVersion, Labels: map[string]string{discoveryv1.LabelServiceName: s.Labels[discoveryv1.LabelServiceName]}}}
	if hasReady(s) {
		out.Endpoints = []discoveryv1.Endpoint{{Addresses: []string{"ready"}}}
	}
	return out, nil
}

// hasReady reports whether the slice has an endpoint with an address that is
// ready (an unset condition means ready, as the API defines it).
func hasReady(s *discoveryv1.EndpointSlice) bool {
	for _, ep := range s.Endpoints {
		if len(ep.Addresses) > 0 && (ep.Conditions.Ready == nil || *ep.Conditions.Ready) {
			return true
		}
	}
	return false
}

// slice records a slice's change and updates its Service's health. A
// Service goes down at once when its last ready endpoint goes, and comes
// back only once its endpoints have stayed ready for the hold-down.
func (e *endpoints) slice(obj any, deleted bool) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || s.Labels[discoveryv1.LabelServiceName] == "" {
		return
	}
	ref := sources.ServiceRef{Namespace: s.Namespace, Name: s.Labels[discoveryv1.LabelServiceName]}
	e.mu.Lock()
	if _, watched := e.namespaces[ref.Namespace]; !watched {
		e.mu.Unlock()
		return // a late event of a watch being stopped
	}
	h := e.services[ref]
	if h == nil {
		h = &svcHealth{slices: map[string]bool{}}
		e.services[ref] = h
	}
	if deleted {
		delete(h.slices, s.Name)
	} else {
		h.slices[s.Name] = len(s.Endpoints) > 0
	}
	ready := slices.Contains(slices.Collect(maps.Values(h.slices)), true)
	changed := false
	switch {
	case len(h.slices) == 0:
		// No slice at all: unknown, which keeps the member in.
		if h.back != nil {
			h.back.Stop()
		}
		delete(e.services, ref)
		changed = h.down
	case !ready:
		// Down again while held: the cause changes back too.
		changed = !h.down || h.back != nil
		if h.back != nil {
			h.back.Stop()
			h.back = nil
		}
		h.down = true
	case h.down && h.back == nil:
		hold := time.Duration(e.settings.holdDown.Load())
		if hold <= 0 {
			h.down = false
			changed = true
			break
		}
		// Brought back by the timer, unless it goes down again meanwhile
		// (which stops it): a readiness that flaps keeps it out.
		var t *time.Timer
		t = time.AfterFunc(hold, func() {
			e.mu.Lock()
			fire := h.back == t
			if fire {
				h.back, h.down = nil, false
			}
			e.mu.Unlock()
			if fire {
				e.onChange()
			}
		})
		h.back = t
		changed = true // the cause says it is held
	}
	e.mu.Unlock()
	if changed {
		e.onChange()
	}
}

// noEndpoints is a record's NoEndpoints: a cause when every Service behind
// it is known (its namespace listed, a slice of it seen) and down, "" when
// one has ready endpoints or cannot be told.
func (e *endpoints) noEndpoints(backends []sources.ServiceRef) string {
	if len(backends) == 0 {
		return ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var empty, held []string
	for _, ref := range backends {
		w := e.namespaces[ref.Namespace]
		h := e.services[ref]
		if w == nil || !w.synced() || h == nil || !h.down {
			return ""
		}
		if h.back != nil {
			held = append(held, ref.String())
		} else {
			empty = append(empty, ref.String())
		}
	}
	if len(empty) > 0 {
		return fmt.Sprintf("%s for Service %s", CauseNoEndpoints, strings.Join(empty, ", "))
	}
	return fmt.Sprintf("%s for the hold-down (%s): Service %s", CauseHeldDown,
		time.Duration(e.settings.holdDown.Load()), strings.Join(held, ", "))
}

// anyDown reports whether a Service is down (or held down), the only case in
// which noEndpoints is not "".
func (e *endpoints) anyDown() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, h := range e.services {
		if h.down {
			return true
		}
	}
	return false
}

// checkAccess finds out, while it is not known, whether EndpointSlices may
// be listed (one object, cluster-wide, as the watches need): when they may,
// the next pass starts watching. A refusal is logged once; the health checks
// ask again, so that a grant added later is used without a restart.
func (e *endpoints) checkAccess(ctx context.Context, cluster string, log *slog.Logger) {
	if e.allowed.Load() {
		return
	}
	_, err := e.client.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{Limit: 1})
	switch {
	case err == nil:
		e.allowed.Store(true)
		if e.denied.Load() {
			log.Info("member cluster: EndpointSlices may be listed now, endpoint health is read", "cluster", cluster)
		}
		e.onChange()
	case apierrors.IsForbidden(err):
		if !e.denied.Swap(true) {
			log.Warn("member cluster: amko may not list EndpointSlices, so its members' endpoint health is unknown (grant list and watch on endpointslices.discovery.k8s.io)",
				"cluster", cluster, "err", err)
		}
	default:
		log.Debug("member cluster: cannot tell whether EndpointSlices may be listed", "cluster", cluster, "err", err)
	}
}

// stop stops every watch and timer.
func (e *endpoints) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for ns, w := range e.namespaces {
		w.cancel()
		delete(e.namespaces, ns)
	}
	for ref, h := range e.services {
		if h.back != nil {
			h.back.Stop()
		}
		delete(e.services, ref)
	}
}

// healthyGroups appends the cluster's records by object, with their
// NoEndpoints and ClusterLost set, and watches the EndpointSlices of the
// namespaces of their Services.
func (c *cluster) healthyGroups(apps *appStore, eps *endpoints, defaultDomain string, out [][]sources.Record) [][]sources.Record {
	lost := c.lostCause()
	// Most passes find no Service down: then no record has to be looked up.
	// One that goes down meanwhile asks for another pass.
	anyDown := eps.anyDown()
	out, namespaces := apps.groupsOf(defaultDomain, func(r *sources.Record) (string, string) {
		if !anyDown {
			return "", lost
		}
		return eps.noEndpoints(r.Backends), lost
	}, !anyDown, lost, out)
	// After: a namespace watched anew knows no slice yet, so its Services
	// count as unknown either way; its first list asks for a pass.
	eps.watch(namespaces)
	return out
}

// lostCause is the ClusterLost of the cluster's records: a cause once it has
// been unreachable for the registry's time, "" before or when none is set.
// Until then, it asks for a pass at the time.
func (c *cluster) lostCause() string {
	after := time.Duration(c.health.lossAfter.Load())
	c.mu.Lock()
	defer c.mu.Unlock()
	if after <= 0 || c.unreachableSince.IsZero() {
		return ""
	}
	if left := time.Until(c.unreachableSince.Add(after)); left > 0 {
		if c.lost != nil {
			c.lost.Stop()
		}
		c.lost = time.AfterFunc(left, c.changed)
		return ""
	}
	return fmt.Sprintf("%s since %s (longer than %s)", CauseClusterLost,
		c.unreachableSince.UTC().Format(time.RFC3339), after)
}

// checkEndpointAccess asks again whether EndpointSlices may be listed, while
// they may not.
func (c *cluster) checkEndpointAccess(ctx context.Context) {
	c.mu.Lock()
	eps := c.eps
	c.mu.Unlock()
	if eps != nil {
		eps.checkAccess(ctx, c.name, c.opts.Log)
	}
}
