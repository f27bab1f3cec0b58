// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dns

import (
	"errors"
	"fmt"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the DNS server's, by the names CoreDNS users know with the
// prefix amko_dns_. The label children of the fixed label sets are resolved
// once, so counting a query allocates nothing.
type Metrics struct {
	requests    *prometheus.CounterVec
	responses   *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	rrl         *prometheus.CounterVec
	tcpConns    prometheus.Gauge
	tcpRefused  prometheus.Counter
	refused     [qtypeLabels]prometheus.Counter // requests outside every zone: zone ""
	rcodes      [24]prometheus.Counter          // by rcode, nil for those with no name
	rcodeOther  prometheus.Counter
	udp, tcp    prometheus.Observer
	rrlDropped  prometheus.Counter
	rrlSlipped  prometheus.Counter
	typeLabels  [qtypeLabels]string
	zoneCounter func(zone string) [qtypeLabels]prometheus.Counter
}

const qtypeLabels = 5 // A, AAAA, SOA, NS, other

func qtypeIndex(t uint16) int {
	switch t {
	case dns.TypeA:
		return 0
	case dns.TypeAAAA:
		return 1
	case dns.TypeSOA:
		return 2
	case dns.TypeNS:
		return 3
	}
	return 4
}

// NewMetrics creates the DNS server's metrics and registers them with reg; nil
// registers nothing (they still count). Collectors registered already, by an
// earlier server, are reused.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{typeLabels: [qtypeLabels]string{"A", "AAAA", "SOA", "NS", "other"}}
	var errs []error
	m.requests = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "amko_dns_requests_total",
		Help: "DNS requests by query type (A, AAAA, SOA, NS, other) and served zone (\"\" when refused).",
	}, []string{"type", "zone"}), &errs)
	m.responses = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "amko_dns_responses_total",
		Help: "DNS responses sent, by rcode (slipped truncated responses included).",
	}, []string{"rcode"}), &errs)
	m.duration = register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "amko_dns_request_duration_seconds",
		Help:    "Time to answer a DNS request, by transport (udp, tcp).",
		Buckets: []float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05},
	}, []string{"proto"}), &errs)
	m.rrl = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "amko_dns_rrl_responses_total",
		Help: "UDP responses over the rate limit: dropped, or slipped (sent truncated).",
	}, []string{"action"}), &errs)
	m.tcpConns = register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "amko_dns_tcp_connections",
		Help: "Open TCP connections to the DNS server.",
	}), &errs)
	m.tcpRefused = register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "amko_dns_tcp_refused_total",
		Help: "TCP connections closed at once because the server had its maximum open.",
	}), &errs)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m.zoneCounter = func(zone string) (out [qtypeLabels]prometheus.Counter) {
		for i, t := range m.typeLabels {
			out[i] = m.requests.WithLabelValues(t, zone)
		}
		return out
	}
	m.refused = m.zoneCounter("")
	for rc := range m.rcodes {
		if name, ok := dns.RcodeToString[rc]; ok {
			m.rcodes[rc] = m.responses.WithLabelValues(name)
		}
	}
	m.rcodeOther = m.responses.WithLabelValues("other")
	m.udp, m.tcp = m.duration.WithLabelValues("udp"), m.duration.WithLabelValues("tcp")
	m.rrlDropped, m.rrlSlipped = m.rrl.WithLabelValues("dropped"), m.rrl.WithLabelValues("slipped")
	return m, nil
}

// register registers c with reg, or returns the collector registered already.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errs *[]error) C {
	if reg == nil {
		return c
	}
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	*errs = append(*errs, fmt.Errorf("dns: registering a metric: %w", err))
	return c
}

func (m *Metrics) response(rcode int) {
	if rcode >= 0 && rcode < len(m.rcodes) && m.rcodes[rcode] != nil {
		m.rcodes[rcode].Inc()
		return
	}
	m.rcodeOther.Inc()
}
