// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"errors"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/members"
	"github.com/amko-project/amko/internal/plan"
)

// Metrics are the operator's Prometheus metrics.
type Metrics struct {
	// reg is where backends register their own metrics; nil: nowhere.
	reg prometheus.Registerer

	passDuration prometheus.Histogram
	changes      *prometheus.CounterVec
	requests     *prometheus.CounterVec
	services     prometheus.Gauge
	members      *prometheus.GaugeVec
	clusterUp    *prometheus.GaugeVec
	probeChanges *prometheus.CounterVec
	// disabled counts the members amko writes disabled, by cause;
	// downChanges their changes.
	disabled    *prometheus.GaugeVec
	downChanges *prometheus.CounterVec
	tlsVerified prometheus.Gauge
	dnsDiffers  prometheus.Gauge
	leaderMoves prometheus.Counter
	// staleTerm counts the term markers that showed another leader's write
	// (term.go), by outcome.
	staleTerm *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg (when not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reg: reg,
		passDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "amko_reconcile_duration_seconds", Help: "Duration of a reconcile pass, from policy to backend writes.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amko_backend_changes_total", Help: "Changes written to the GSLB backend, by operation, object kind and result.",
		}, []string{"op", "kind", "result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amko_controller_requests_total", Help: "Requests to the Avi Controller by operation and HTTP status code (0: no answer).",
		}, []string{"op", "code"}),
		services: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "amko_gslb_services", Help: "Desired GSLB services.",
		}),
		members: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "amko_gslb_members", Help: "Desired GSLB service members by member cluster or third-party site.",
		}, []string{"cluster"}),
		clusterUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "amko_member_cluster_up", Help: "1 when the member cluster's API server answers and its objects are synced.",
		}, []string{"cluster"}),
		probeChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amko_dns_member_health_changes_total", Help: "Members of the DNS backend that went down or came back up, by new state.",
		}, []string{"state"}),
		disabled: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "amko_gslb_members_disabled",
			Help: "Desired members written disabled, by cause: endpoints (no ready endpoint behind them, or held out after) or cluster_lost (member cluster unreachable for longer than spec.memberClusterLoss allows).",
		}, []string{"cause"}),
		downChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amko_member_down_changes_total",
			Help: "Members taken out (state down) or brought back (state up) for their endpoints or their lost cluster, by cause.",
		}, []string{"state", "cause"}),
		tlsVerified: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "amko_controller_tls_verified",
			Help: "1 when the Avi Controller's certificate was verified against the CA given at the last connection; 0 when it is only pinned (no CA given), was refused, or there is no controller.",
		}),
		dnsDiffers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "amko_dns_differences",
			Help: "Names and types whose answers differed between amko's DNS server and spec.dns.compareWith (the Avi DNS service) at the last comparison; 0 without one.",
		}),
		leaderMoves: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amko_gslb_leader_controller_changes_total",
			Help: "Times amko moved to another controller of spec.gslbLeader.alternateControllers (or back to controllerIP) because it became the GSLB leader.",
		}),
		staleTerm: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amko_stale_term_writes_total",
			Help: "With failover Automatic, controller objects whose leadership term marker showed another leader's write, by outcome: refused (a later term wrote the object; this amko did not overwrite it) or detected (an older term's late write landed over this amko's; repaired if it differs).",
		}, []string{"outcome"}),
	}
	// Exported from the start, at zero: a dashboard shows "none taken out"
	// rather than no data.
	for _, outcome := range []string{outcomeRefused, outcomeDetected} {
		m.staleTerm.WithLabelValues(outcome)
	}
	for _, cause := range []string{causeEndpoints, causeClusterLost} {
		m.disabled.WithLabelValues(cause)
		for _, state := range []string{"down", "up"} {
			m.downChanges.WithLabelValues(state, cause)
		}
	}
	if reg != nil {
		reg.MustRegister(m.passDuration, m.changes, m.requests, m.services, m.members, m.clusterUp, m.probeChanges, m.tlsVerified, m.dnsDiffers,
			m.disabled, m.downChanges, m.leaderMoves, m.staleTerm)
	}
	return m
}

// setDNSDifferences records the last comparison's count of differences.
func (m *Metrics) setDNSDifferences(n int) { m.dnsDiffers.Set(float64(n)) }

func (m *Metrics) change(r plan.Result) {
	result := "ok"
	if r.Err != nil {
		result = "error"
	}
	m.changes.WithLabelValues(string(r.Change.Op), string(r.Change.Kind), result).Inc()
	m.request(string(r.Change.Op)+" "+string(r.Change.Kind), r.Err)
}

// controllerTLS sets amko_controller_tls_verified.
func (m *Metrics) controllerTLS(verified bool) {
	v := 0.0
	if verified {
		v = 1
	}
	m.tlsVerified.Set(v)
}

func (m *Metrics) probeChange(up bool) {
	state := "down"
	if up {
		state = "up"
	}
	m.probeChanges.WithLabelValues(state).Inc()
}

func (m *Metrics) request(op string, err error) {
	code := 200
	if err != nil {
		code = 0
		var st interface{ HTTPStatus() int }
		if errors.As(err, &st) {
			code = st.HTTPStatus()
		}
	}
	m.requests.WithLabelValues(op, strconv.Itoa(code)).Inc()
}

// serviceMetrics keeps the service and member gauges, counting the members
// of the services that changed since the last call (prev) only. It runs on
// the pass goroutine only.
func (o *Operator) serviceMetrics(prev, desired []*gslb.Service) {
	o.metrics.services.Set(float64(len(desired)))
	if o.memberCounts == nil {
		o.memberCounts = map[string]int{}
		o.disabledCounts = map[string]int{causeEndpoints: 0, causeClusterLost: 0}
	}
	count := func(s *gslb.Service, delta int) {
		for _, p := range s.Pools {
			for _, mem := range p.Members {
				o.memberCounts[mem.Cluster] += delta
				if o.memberCounts[mem.Cluster] == 0 {
					delete(o.memberCounts, mem.Cluster)
				}
				if mem.Down != "" {
					o.disabledCounts[downCause(mem.Down)] += delta
				}
			}
		}
	}
	plan.Changed(prev, desired, func(old, cur *gslb.Service) {
		if old != nil {
			count(old, -1)
		}
		if cur != nil {
			count(cur, 1)
		}
	})
	for c, n := range o.disabledCounts {
		o.metrics.disabled.WithLabelValues(c).Set(float64(n))
	}
	o.metrics.members.Reset()
	for c, n := range o.memberCounts {
		o.metrics.members.WithLabelValues(c).Set(float64(n))
	}
}

// memberStatus publishes the member clusters' states as metrics, and their
// changes as Events on the GSLBConfig.
func (o *Operator) memberStatus(gc client.Object) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state.clusters == nil {
		o.state.clusters = map[string]members.State{}
	}
	for _, st := range o.members.Status() {
		up := 0.0
		if st.State == members.Ready {
			up = 1
		}
		o.metrics.clusterUp.WithLabelValues(st.Cluster).Set(up)
		if prev, seen := o.state.clusters[st.Cluster]; st.State != prev && (seen || st.State != members.Pending) {
			switch st.State {
			case members.Ready:
				o.recorder.Eventf(gc, corev1.EventTypeNormal, "MemberClusterReady", "member cluster %s is reachable and synced", st.Cluster)
			default:
				o.recorder.Eventf(gc, corev1.EventTypeWarning, "MemberClusterUnreachable",
					"member cluster %s is %s: %s; its last known members are kept", st.Cluster, st.State, st.Error)
			}
		}
		o.state.clusters[st.Cluster] = st.State
	}
}
