// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/statusreport"
	"github.com/amko-project/amko/test/clusters"
)

const (
	zone = "gslb.example.com"
	shop = "shop." + zone + "."
)

// sites are the three clusters' backends: one loopback address each.
var sites = []struct{ cluster, ip string }{
	{"cluster1-admin", "127.0.0.11"}, {"cluster2-admin", "127.0.0.12"}, {"cluster3-admin", "127.0.0.13"},
}

// runDNS is the demo of the built-in DNS backend.
func runDNS(ctx context.Context) error {
	set, stop, err := startClusters(ctx)
	if err != nil {
		return err
	}
	defer stop()

	backends := map[string]*http.Server{}
	for i, site := range sites {
		srv, err := httpBackend(site.ip, fmt.Sprintf("hello from site %d (%s)\n", i+1, site.cluster))
		if err != nil {
			return fmt.Errorf("site backend on %s:80 (it needs permission to bind port 80): %w", site.ip, err)
		}
		backends[site.ip] = srv
	}
	defer func() {
		for _, srv := range backends {
			_ = srv.Close()
		}
	}()
	say("HTTP backends on %s, %s and %s, port 80, one per site", sites[0].ip, sites[1].ip, sites[2].ip)

	if err := set.ConfigureDNS(ctx, "127.0.0.1:0", zone); err != nil {
		return err
	}
	if err := dnsSplit(ctx, set, 4, 2, 1); err != nil {
		return err
	}
	op, stopAmko, err := startAmko(ctx, set, 0.1)
	if err != nil {
		return err
	}
	defer stopAmko()
	say("amko running with the built-in DNS backend for zone %s (probes every 1 s, 3 failures mark a member down)", zone)

	labels := map[string]string{"app": "gslb"}
	host := strings.TrimSuffix(shop, ".")
	for i, cl := range set.Clusters[:2] {
		if _, err := cl.CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: "shop", Labels: labels,
			Rules: []clusters.IngressRule{{Host: host, IP: sites[i].ip, Paths: []string{"/"}}}}); err != nil {
			return err
		}
	}
	if _, err := set.Clusters[2].CreateRoute(ctx, clusters.Route{Namespace: "default", Name: "shop", Labels: labels,
		Host: host, IP: sites[2].ip}); err != nil {
		return err
	}
	// The pods behind them, ready, as the EndpointSlice controller would say.
	for _, cl := range set.Clusters {
		if err := cl.SetEndpoints(ctx, "default", "shop", true); err != nil {
			return err
		}
	}
	say("created %s: an Ingress in cluster1-admin and cluster2-admin, a Route in cluster3-admin, each with a ready pod", host)
	say("traffic split 4 : 2 : 1")

	var addr string
	if err := waitFor(ctx, func() bool {
		addr = op.DNSAddr()
		got, err := dnsCounts(addr, 7)
		return err == nil && len(got) == 3
	}); err != nil {
		return err
	}
	say("amko answers DNS on %s; the same as: dig @%s -p %s %s", addr, hostOf(addr), portOf(addr), host)
	if err := digOnce(addr); err != nil {
		return err
	}
	showCounts(addr, 7)

	say("the pod of site 1 goes unready (its EndpointSlice says so); its backend still answers probes")
	start := time.Now()
	if err := set.Clusters[0].SetEndpoints(ctx, "default", "shop", false); err != nil {
		return err
	}
	if err := waitFor(ctx, func() bool {
		got, err := dnsCounts(addr, 7)
		return err == nil && got[sites[0].ip] == 0
	}); err != nil {
		return err
	}
	say("%s left the answers %d ms after its pod went unready", sites[0].ip, time.Since(start).Milliseconds())
	showCounts(addr, 6)
	if err := set.Clusters[0].SetEndpoints(ctx, "default", "shop", true); err != nil {
		return err
	}
	start = time.Now()
	if err := waitFor(ctx, func() bool {
		got, err := dnsCounts(addr, 7)
		return err == nil && got[sites[0].ip] > 0
	}); err != nil {
		return err
	}
	say("ready again: back in the answers after %.1f s (the hold-down, so that a flapping pod keeps it out)", time.Since(start).Seconds())

	say("stopping the backend of site 2 (%s)", sites[1].ip)
	start = time.Now()
	_ = backends[sites[1].ip].Close()
	if err := waitFor(ctx, func() bool {
		got, err := dnsCounts(addr, 7)
		return err == nil && got[sites[1].ip] == 0
	}); err != nil {
		return err
	}
	say("%s left the answers %.1f s after its backend stopped", sites[1].ip, time.Since(start).Seconds())
	showCounts(addr, 5)

	say("editing the GlobalDeploymentPolicy: traffic split 1 : 2 : 3")
	if err := dnsSplit(ctx, set, 1, 2, 3); err != nil {
		return err
	}
	if err := waitFor(ctx, func() bool {
		got, err := dnsCounts(addr, 4)
		return err == nil && got[sites[0].ip] == 1 && got[sites[2].ip] == 3
	}); err != nil {
		return err
	}
	showCounts(addr, 4)

	say("what `amko status` shows now (the custom resources' statuses, then amko's view):")
	objects, err := statusreport.ReadObjects(ctx, set.Clusters[0].Client, clusters.Namespace)
	if err != nil {
		return err
	}
	st := op.Status()
	var out strings.Builder
	if err := statusreport.PrintObjects(&out, objects); err != nil {
		return err
	}
	if err := statusreport.PrintAmko(&out, &st); err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		fmt.Println(strings.TrimRight("      "+line, " "))
	}
	say("done; stopping everything")
	return nil
}

func dnsSplit(ctx context.Context, set *clusters.Set, w1, w2, w3 uint32) error {
	var match []amkov1alpha2.ClusterProperty
	var split []amkov1alpha2.TrafficSplitElem
	for i, w := range []uint32{w1, w2, w3} {
		match = append(match, amkov1alpha2.ClusterProperty{Cluster: sites[i].cluster})
		split = append(split, amkov1alpha2.TrafficSplitElem{Cluster: sites[i].cluster, Weight: w})
	}
	return set.SetGDP(ctx, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}},
		MatchClusters: match, TrafficSplit: split,
	})
}

// httpBackend serves a greeting on ip:80.
func httpBackend(ip, greeting string) (*http.Server, error) {
	l, err := net.Listen("tcp", ip+":80")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, greeting)
	})}
	go func() { _ = srv.Serve(l) }()
	return srv, nil
}

func dnsCounts(addr string, n int) (map[string]int, error) {
	if addr == "" {
		return nil, fmt.Errorf("not serving yet")
	}
	counts := map[string]int{}
	for range n {
		m := new(dns.Msg)
		m.SetQuestion(shop, dns.TypeA)
		resp, _, err := (&dns.Client{Net: "udp", Timeout: time.Second}).Exchange(m, addr)
		if err != nil {
			return nil, err
		}
		for _, rr := range resp.Answer {
			if a, ok := rr.(*dns.A); ok {
				counts[a.A.String()]++
			}
		}
	}
	return counts, nil
}

// digOnce prints one answer the way dig shows its answer section.
func digOnce(addr string) error {
	m := new(dns.Msg)
	m.SetQuestion(shop, dns.TypeA)
	resp, _, err := (&dns.Client{Net: "udp", Timeout: time.Second}).Exchange(m, addr)
	if err != nil {
		return err
	}
	fmt.Printf("      ;; flags: aa %v, status %s\n", resp.Authoritative, dns.RcodeToString[resp.Rcode])
	for _, rr := range resp.Answer {
		fmt.Printf("      %s\n", rr.String())
	}
	return nil
}

func showCounts(addr string, n int) {
	got, err := dnsCounts(addr, n)
	if err != nil {
		say("querying: %v", err)
		return
	}
	var parts []string
	for ip, c := range got {
		parts = append(parts, fmt.Sprintf("%s ×%d", ip, c))
	}
	sort.Strings(parts)
	say("%d queries for %s: %s", n, strings.TrimSuffix(shop, "."), strings.Join(parts, ", "))
}

func hostOf(addr string) string { h, _, _ := net.SplitHostPort(addr); return h }
func portOf(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }
