// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Command demo shows amko's whole job on one machine. By default it runs amko
// with its built-in DNS backend: three local clusters, a small HTTP backend per
// site on its own loopback address, sample applications with those addresses in
// their status, and amko answering DNS: weighted answers, a backend stopped and
// its address leaving the answers, the traffic split edited and the answers
// following. With -avi it runs amko against an emulated Avi Controller (avisim)
// instead. It stops everything it started when it ends or is interrupted. Run it
// with `make demo` or `make demo-avi`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/provider/providers"
	"github.com/amko-project/amko/test/clusters"
)

func main() {
	avi := flag.Bool("avi", false, "run against an emulated Avi Controller instead of the built-in DNS backend")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if *avi {
		err = run(ctx)
	} else {
		err = runDNS(ctx)
	}
	stop()
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

// startAmko runs amko in this process for set's first cluster, its probes
// probeScale times their configured pace (0: as configured), until stop.
func startAmko(ctx context.Context, set *clusters.Set, probeScale float64) (op *operator.Operator, stop func(), err error) {
	op, err = operator.New(operator.Options{Config: set.Clusters[0].Config, Scheme: set.Scheme, PendingGrace: time.Second,
		ProbeScale: probeScale, Providers: providers.Build, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, nil, err
	}
	opCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- op.Run(opCtx) }()
	return op, func() {
		cancel()
		<-done
		say("stopped amko")
	}, nil
}

// startClusters starts the demos' three member clusters; stop stops them.
func startClusters(ctx context.Context) (set *clusters.Set, stop func(), err error) {
	ctrllog.SetLogger(logr.Discard())
	say("starting three clusters (kube-apiserver + etcd each); cluster3-admin serves OpenShift Routes")
	set, err = clusters.Start(ctx, 3, clusters.Options{OpenShift: []int{2}})
	if err != nil {
		return nil, nil, err
	}
	return set, func() {
		say("stopping the clusters")
		if err := set.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}, nil
}

func run(ctx context.Context) error {
	set, stop, err := startClusters(ctx)
	if err != nil {
		return err
	}
	defer stop()
	say("clusters %s ready; kubeconfig %s", strings.Join(set.Contexts(), ", "), set.KubeconfigPath)

	sim, srv, err := avisim.Start(avisim.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	say("avisim (the Avi Controller emulator) on https://%s", avisim.Host(srv))

	if err := set.ConfigureAMKO(ctx, avisim.Host(srv), ""); err != nil {
		return err
	}
	if err := setGDP(ctx, set, []amkov1alpha2.TrafficSplitElem{
		{Cluster: "cluster1-admin", Weight: 8, Priority: ptr(uint32(10))},
		{Cluster: "cluster2-admin", Weight: 2, Priority: ptr(uint32(10))},
	}); err != nil {
		return err
	}
	_, stopAmko, err := startAmko(ctx, set, 0)
	if err != nil {
		return err
	}
	defer stopAmko()
	say("amko running against cluster1-admin's avi-system namespace")

	if err := applications(ctx, set); err != nil {
		return err
	}
	say("created shop.example.com in all three clusters and db.example.com in two")
	if err := waitFor(ctx, func() bool {
		gs := sim.Object("gslbservice", "shop.example.com")
		return gs != nil && countMembers(gs) == 3 && sim.Object("gslbservice", "db.example.com") != nil
	}); err != nil {
		return err
	}
	show(sim)
	answers(sim, "shop.example.com", 10)

	say("editing the GlobalDeploymentPolicy: cluster2-admin now weighs 10 and cluster3-admin becomes a standby (priority 5)")
	if err := setGDP(ctx, set, []amkov1alpha2.TrafficSplitElem{
		{Cluster: "cluster1-admin", Weight: 5, Priority: ptr(uint32(10))},
		{Cluster: "cluster2-admin", Weight: 10, Priority: ptr(uint32(10))},
		{Cluster: "cluster3-admin", Weight: 1, Priority: ptr(uint32(5))},
	}); err != nil {
		return err
	}
	if err := waitFor(ctx, func() bool {
		return strings.Contains(fmt.Sprint(sim.Object("gslbservice", "shop.example.com")["groups"]), "priority:5")
	}); err != nil {
		return err
	}
	show(sim)
	answers(sim, "shop.example.com", 15)

	writes := len(sim.Writes())
	say("done: amko made %d writes to the controller in all; stopping everything", writes)
	return nil
}

func ptr[T any](v T) *T { return &v }

func setGDP(ctx context.Context, set *clusters.Set, split []amkov1alpha2.TrafficSplitElem) error {
	return set.SetGDP(ctx, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}, {Cluster: "cluster3-admin"}},
		TrafficSplit:  split,
	})
}

// applications creates what AKO would have placed: an Ingress per Kubernetes
// cluster and a Route in the OpenShift one for shop.example.com, and a
// LoadBalancer Service for db.example.com in two clusters.
func applications(ctx context.Context, set *clusters.Set) error {
	labels := map[string]string{"app": "gslb"}
	ako := func(host, vs string) clusters.AKO {
		return clusters.AKO{VSUUIDs: map[string]string{host: vs}, ControllerUUID: avisim.LeaderClusterUUID, Tenant: "admin"}
	}
	for i, cl := range set.Clusters[:2] {
		if _, err := cl.CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: "shop", Labels: labels,
			Rules: []clusters.IngressRule{{Host: "shop.example.com", IP: fmt.Sprintf("10.10.%d.1", i+1), Paths: []string{"/", "/cart"}}},
			AKO:   ako("shop.example.com", fmt.Sprintf("virtualservice-shop-%d", i+1))}); err != nil {
			return err
		}
		if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "db", Labels: labels,
			Hostname: "db.example.com", IP: fmt.Sprintf("10.20.%d.1", i+1), AKO: ako("db.example.com", fmt.Sprintf("virtualservice-db-%d", i+1))}); err != nil {
			return err
		}
	}
	_, err := set.Clusters[2].CreateRoute(ctx, clusters.Route{Namespace: "default", Name: "shop", Labels: labels,
		Host: "shop.example.com", IP: "10.10.3.1", AKO: ako("shop.example.com", "virtualservice-shop-3")})
	return err
}

func waitFor(ctx context.Context, done func() bool) error {
	deadline := time.Now().Add(time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			return errors.New("timed out waiting for amko")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func countMembers(gs map[string]any) int {
	n := 0
	for _, g := range gs["groups"].([]any) {
		n += len(g.(map[string]any)["members"].([]any))
	}
	return n
}

// show prints the GSLB services on the controller.
func show(sim *avisim.Server) {
	say("GSLB services on the controller:")
	for _, gs := range sim.Objects("gslbservice") {
		fmt.Printf("    %s  (created_by %v)\n", gs["name"], gs["created_by"])
		for _, g := range gs["groups"].([]any) {
			pool := g.(map[string]any)
			var ms []string
			for _, m := range pool["members"].([]any) {
				mm := m.(map[string]any)
				ms = append(ms, fmt.Sprintf("%v (ratio %v)", mm["ip"].(map[string]any)["addr"], mm["ratio"]))
			}
			fmt.Printf("      pool %v, priority %v: %s\n", pool["name"], pool["priority"], strings.Join(ms, ", "))
		}
		refs, _ := gs["health_monitor_refs"].([]any)
		if len(refs) == 0 {
			fmt.Printf("      health monitors: none\n")
		}
		for _, r := range refs {
			ref, _ := r.(string)
			name := ref[strings.Index(ref, "#")+1:]
			fmt.Printf("      health monitor %s: %s\n", name, describeMonitor(sim.Object("healthmonitor", name)))
		}
	}
}

// describeMonitor says what a health monitor on the controller probes: its
// amko--<sha1> name says nothing, its type, port, request and description
// (AMKO's "created by: amko, gsname: ..., path: ..., protocol: ...") do.
func describeMonitor(hm map[string]any) string {
	if hm == nil {
		return "not on the controller"
	}
	typ, _ := hm["type"].(string)
	parts := []string{strings.ToLower(strings.TrimPrefix(typ, "HEALTH_MONITOR_"))}
	if port, ok := hm["monitor_port"]; ok {
		parts = append(parts, fmt.Sprintf("port %v", port))
	} else {
		parts = append(parts, "each member's port")
	}
	for _, field := range []string{"http_monitor", "https_monitor"} {
		if h, ok := hm[field].(map[string]any); ok {
			parts = append(parts, fmt.Sprintf("%q, up on %v", h["http_request"], h["http_response_code"]))
		}
	}
	if u, ok := hm["udp_monitor"].(map[string]any); ok {
		parts = append(parts, fmt.Sprintf("sends %q", u["udp_request"]))
	}
	what := strings.Join(parts, ", ")
	if d, ok := hm["description"].(string); ok && d != "" {
		what += " (" + d + ")"
	}
	return what
}

// answers prints how n DNS queries for name are answered.
func answers(sim *avisim.Server, name string, n int) {
	count := map[string]int{}
	var seq []string
	for range n {
		a := sim.Resolve(name, gslb.QTypeA, netip.MustParseAddr("192.0.2.1"))
		for _, addr := range a.Addrs {
			count[addr.String()]++
			seq = append(seq, addr.String())
		}
	}
	var parts []string
	for addr, c := range count {
		parts = append(parts, fmt.Sprintf("%s ×%d", addr, c))
	}
	sort.Strings(parts)
	say("%d DNS queries for %s: %s", n, name, strings.Join(parts, ", "))
	fmt.Printf("      in order: %s\n", strings.Join(seq, " "))
}
