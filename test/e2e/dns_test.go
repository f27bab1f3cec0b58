// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

// answers asks the DNS backend n times for name and counts the addresses.
func answers(addr, name string, n int) (map[string]int, error) {
	counts := map[string]int{}
	for range n {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		resp, _, err := (&dns.Client{Net: "udp", Timeout: time.Second}).Exchange(m, addr)
		if err != nil {
			return nil, err
		}
		for _, rr := range resp.Answer {
			counts[rr.(*dns.A).A.String()]++
		}
	}
	return counts, nil
}

// wantAnswers checks that amko's DNS server, over one cycle of as many
// questions as the counts add up to, answers name with each address that
// many times.
func wantAnswers(name string, w map[string]int) func() error {
	return func() error {
		addr := amko.DNSAddr()
		if addr == "" {
			return fmt.Errorf("not serving DNS yet")
		}
		n := 0
		for _, c := range w {
			n += c
		}
		got, err := answers(addr, name+".", n)
		if err != nil {
			return err
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			return fmt.Errorf("answers over one cycle %v, want %v", got, w)
		}
		return nil
	}
}

// With spec.dns, amko answers DNS itself: weighted by the traffic split, a
// member whose probe fails leaves the answers and comes back when it recovers,
// and a split edit is followed. No controller is involved.
func TestDNSBackend(t *testing.T) {
	ctx := context.Background()
	c := leader().Client
	stop := startAmko(t)
	defer stop()

	useDNSBackend(t)

	split := func(w1, w2 uint32) amkov1alpha2.GDPSpec {
		return amkov1alpha2.GDPSpec{
			MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "dns"}}},
			MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
			TrafficSplit: []amkov1alpha2.TrafficSplitElem{
				{Cluster: "cluster1-admin", Weight: w1}, {Cluster: "cluster2-admin", Weight: w2}},
		}
	}
	gdp(t, split(2, 1))

	name := "shop.gslb.example.com"
	backends := map[string]net.Listener{}
	for i, cl := range set.Clusters[:2] {
		ip := fmt.Sprintf("127.0.0.%d", 21+i)
		backends[ip] = backend.TCP(t, ip+":18081")
		// No AKO annotations: the DNS backend needs no Avi identifiers.
		if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "shop-dns",
			Labels: map[string]string{"app": "dns"}, Hostname: name, IP: ip,
			Ports: []corev1.ServicePort{{Name: "http", Port: 18081, Protocol: corev1.ProtocolTCP}}}); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, l := range backends {
			_ = l.Close()
		}
		for _, cl := range set.Clusters[:2] {
			_ = cl.Client.Delete(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "shop-dns"}})
		}
	}()

	want := func(w map[string]int) func() error { return wantAnswers(name, w) }
	await.Eventually(t, "weighted answers", want(map[string]int{"127.0.0.21": 2, "127.0.0.22": 1}))
	dnsAddr := amko.DNSAddr()

	_ = backends["127.0.0.22"].Close()
	await.Eventually(t, "the failed member leaves the answers", want(map[string]int{"127.0.0.21": 3}))
	await.Eventually(t, "a MemberDown Event on the GSLBConfig", func() error {
		var events corev1.EventList
		if err := c.List(ctx, &events, client.InNamespace(clusters.Namespace)); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason == "MemberDown" && e.InvolvedObject.Kind == "GSLBConfig" && strings.Contains(e.Message, "127.0.0.22") {
				return nil
			}
		}
		return fmt.Errorf("no MemberDown event for 127.0.0.22 among %d", len(events.Items))
	})
	backends["127.0.0.22"] = backend.TCP(t, "127.0.0.22:18081")
	await.Eventually(t, "the recovered member is back", want(map[string]int{"127.0.0.21": 2, "127.0.0.22": 1}))

	gdp(t, split(1, 3))
	await.Eventually(t, "the split edit followed", want(map[string]int{"127.0.0.21": 1, "127.0.0.22": 3}))

	if amko.DNSAddr() != dnsAddr {
		t.Errorf("the DNS endpoint moved from %s to %s: it must stay put while its configuration does", dnsAddr, amko.DNSAddr())
	}

	// The zone itself: NXDOMAIN with the SOA below the apex.
	m := new(dns.Msg)
	m.SetQuestion("nothing.gslb.example.com.", dns.TypeA)
	resp, _, err := (&dns.Client{Net: "tcp", Timeout: time.Second}).Exchange(m, amko.DNSAddr())
	if err != nil || resp.Rcode != dns.RcodeNameError || len(resp.Ns) != 1 {
		t.Errorf("unknown name in the zone: %v %v", resp, err)
	}
}
