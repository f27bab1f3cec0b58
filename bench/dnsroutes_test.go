// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/amko-project/amko/test/clusters"
)

// BenchmarkDNSSyncRoutes measures BenchmarkDNSSync's figures (cold sync,
// change → DNS answer, peak RSS) for n Gateway API HTTPRoutes, and for n
// Ingresses as the anchor, each on three fresh clusters that serve the Gateway
// API (standard channel): sub-benchmarks <n>/ingress and <n>/httproute,
// interleaved (syncRoutesOrder): three rounds at 1,000, one at 10,000.
//
// Each cluster has a Gateway "gw" (an HTTP listener, one address in
// status.addresses) that accepts every route (status.parents). A route is
// app-<i> with host app-<i>.example.com, as the Ingresses. The 50 routes that
// change also name a second Gateway, move-<k>, with its own address, which
// has not accepted them; a change is the Gateways' controller rewriting the
// route's status.parents: refused by gw, accepted by move-<k>. It is done when
// amko's DNS answer carries move-<k>'s address. An Ingress change is its
// status address rewritten, as in BenchmarkDNSSync: one status write each.
func BenchmarkDNSSyncRoutes(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for _, kind := range syncRoutesOrder(n) {
				b.Run(kind, func(b *testing.B) {
					for b.Loop() {
						set, err := clusters.Start(context.Background(), 3, clusters.Options{GatewayAPI: map[int]string{
							0: clusters.GatewayStandard, 1: clusters.GatewayStandard, 2: clusters.GatewayStandard}})
						if err != nil {
							b.Fatal(err)
						}
						b.Cleanup(func() { _ = set.Stop() })
						if kind == "ingress" {
							benchDNSSync(b, set, n)
							continue
						}
						benchDNSSyncOf(b, set, n, createHTTPRoutes, false, func(k, _ int) (string, string) {
							name, ip := changed(k)
							route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
							if err := set.Clusters[k%3].SetRouteParents(context.Background(), route,
								clusters.RouteParent{Gateway: "gw"},
								clusters.RouteParent{Gateway: fmt.Sprintf("move-%d", k), Accepted: true}); err != nil {
								b.Fatal(err)
							}
							return name + ".example.com", ip
						})
					}
				})
			}
		})
	}
}

// createHTTPRoutes creates the Gateways and n HTTPRoutes of
// BenchmarkDNSSyncRoutes: app-<i> in cluster i%3, each accepted by its
// cluster's Gateway gw.
func createHTTPRoutes(b *testing.B, set *clusters.Set, n int) {
	ctx := context.Background()
	listeners := []gatewayv1.Listener{{Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80}}
	moves := map[string]int{} // the changed routes' names: their k
	for k := range changes {
		name, _ := changed(k)
		moves[name] = k
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for c, cl := range set.Clusters {
		wg.Go(func() {
			if _, err := cl.CreateGateway(ctx, clusters.Gateway{Namespace: "default", Name: "gw", Listeners: listeners,
				Addresses: []string{fmt.Sprintf("10.%d.0.1", c+1)}}); err != nil {
				errs <- err
				return
			}
			for k := c; k < changes; k += 3 {
				_, ip := changed(k)
				if _, err := cl.CreateGateway(ctx, clusters.Gateway{Namespace: "default", Name: fmt.Sprintf("move-%d", k),
					Listeners: listeners, Addresses: []string{ip}}); err != nil {
					errs <- err
					return
				}
			}
			for i := c; i < n; i += 3 {
				name := fmt.Sprintf("app-%d", i)
				route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name,
					Labels: map[string]string{"app": "gslb"}},
					Spec: gatewayv1.HTTPRouteSpec{Hostnames: []gatewayv1.Hostname{gatewayv1.Hostname(name + ".example.com")},
						Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
							BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: new(gatewayv1.PortNumber(8080))}}}}}}}}
				parents := []clusters.RouteParent{{Gateway: "gw", Accepted: true}}
				if k, ok := moves[name]; ok {
					parents = append(parents, clusters.RouteParent{Gateway: fmt.Sprintf("move-%d", k)})
				}
				if err := cl.CreateGatewayRoute(ctx, route, parents...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// syncRoutesOrder is the order of BenchmarkDNSSyncRoutes's runs at n objects:
// rounds of an Ingress run and a route run, the order alternating (ABBA), so
// that both see the machine's load alike (-count repeats a sub-benchmark
// before the next: no interleaving).
func syncRoutesOrder(n int) []string {
	rounds := 3
	if n >= 10000 {
		rounds = 1
	}
	var order []string
	for r := range rounds {
		if r%2 == 0 {
			order = append(order, "ingress", "httproute")
		} else {
			order = append(order, "httproute", "ingress")
		}
	}
	return order
}
