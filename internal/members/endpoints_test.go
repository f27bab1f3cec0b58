// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package members

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/amko-project/amko/internal/sources"
	"github.com/amko-project/amko/test/await"
)

// epSlice is an EndpointSlice of Service ns/svc with one endpoint per
// readiness given.
func epSlice(ns, svc, name string, ready ...bool) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
		Labels: map[string]string{discoveryv1.LabelServiceName: svc}}, AddressType: discoveryv1.AddressTypeIPv4}
	for i, r := range ready {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.1.0.%d", i+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: &r}})
	}
	return s
}

func TestEndpointHealthTracker(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(
		epSlice("ns", "web", "web-1", false, true),
		epSlice("ns", "web", "web-2", false),
		epSlice("ns", "api", "api-1", false),
		epSlice("other", "db", "db-1", false),
	)
	settings := &healthSettings{}
	settings.holdDown.Store(int64(time.Hour)) // until a test step lowers it
	e := newEndpoints(ctx, client, settings, func() {})
	defer e.stop()
	web, api, db := sources.ServiceRef{Namespace: "ns", Name: "web"}, sources.ServiceRef{Namespace: "ns", Name: "api"},
		sources.ServiceRef{Namespace: "other", Name: "db"}
	e.checkAccess(ctx, "c1", slog.Default())
	e.watch(map[string]bool{"ns": true})
	slices := client.DiscoveryV1().EndpointSlices("ns")
	expect := func(what string, backends []sources.ServiceRef, prefix string) {
		t.Helper()
		await.Eventually(t, what, func() error {
			got := e.noEndpoints(backends)
			if prefix == "" && got != "" || prefix != "" && !strings.HasPrefix(got, prefix) {
				return fmt.Errorf("%v: %q, want %q", backends, got, prefix)
			}
			return nil
		})
	}
	expect("a ready endpoint in one slice", []sources.ServiceRef{web}, "")
	expect("no ready endpoint", []sources.ServiceRef{api}, CauseNoEndpoints+" for Service ns/api")
	expect("one of several Services ready", []sources.ServiceRef{api, web}, "")
	expect("a namespace not watched is unknown", []sources.ServiceRef{db}, "")
	expect("a Service without slices is unknown", []sources.ServiceRef{{Namespace: "ns", Name: "none"}}, "")

	// The last ready endpoint goes: down at once.
	if _, err := slices.Update(ctx, epSlice("ns", "web", "web-1", false, false), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("last ready endpoint gone", []sources.ServiceRef{web}, CauseNoEndpoints)
	expect("every Service down", []sources.ServiceRef{api, web}, CauseNoEndpoints+" for Service ns/api, ns/web")

	// Back, and flapping: held out for the hold-down whatever the flaps.
	for i := range 5 {
		if _, err := slices.Update(ctx, epSlice("ns", "web", "web-1", true), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		expect(fmt.Sprintf("flap %d: ready again", i), []sources.ServiceRef{web}, CauseHeldDown)
		if _, err := slices.Update(ctx, epSlice("ns", "web", "web-1", false), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		expect(fmt.Sprintf("flap %d: unready", i), []sources.ServiceRef{web}, CauseNoEndpoints)
	}
	settings.holdDown.Store(int64(50 * time.Millisecond))
	if _, err := slices.Update(ctx, epSlice("ns", "web", "web-1", true), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("back after the hold-down", []sources.ServiceRef{web}, "")

	// Every slice deleted: unknown again, so in.
	if err := slices.Delete(ctx, "api-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("slices deleted", []sources.ServiceRef{api}, "")

	// A namespace no longer needed is forgotten.
	e.watch(map[string]bool{"other": true})
	expect("other namespace watched", []sources.ServiceRef{db}, CauseNoEndpoints)
	e.mu.Lock()
	n := len(e.services)
	e.mu.Unlock()
	if n != 1 {
		t.Errorf("%d Services tracked after ns stopped being watched, want 1", n)
	}
}

func TestStripSlice(t *testing.T) {
	for _, tc := range []struct {
		ready []bool
		want  bool
	}{{nil, false}, {[]bool{false, false}, false}, {[]bool{false, true}, true}} {
		got, _ := stripSlice(epSlice("ns", "s", "x", tc.ready...))
		s := got.(*discoveryv1.EndpointSlice)
		if (len(s.Endpoints) > 0) != tc.want || s.Labels[discoveryv1.LabelServiceName] != "s" {
			t.Errorf("%v: stripped to %+v, want ready %v", tc.ready, s, tc.want)
		}
	}
	nilReady := epSlice("ns", "s", "x")
	nilReady.Endpoints = []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}}}
	if !hasReady(nilReady) {
		t.Error("an endpoint without a ready condition is ready, as the API defines it")
	}
}

// An identity that may not list EndpointSlices watches nothing: every
// Service is unknown (members stay in), until a grant is seen.
func TestEndpointHealthDenied(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(epSlice("ns", "web", "web-1", false))
	deny := true
	client.PrependReactor("list", "endpointslices", func(k8stesting.Action) (bool, runtime.Object, error) {
		if deny {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, "", nil)
		}
		return false, nil, nil
	})
	settings := &healthSettings{}
	e := newEndpoints(ctx, client, settings, func() {})
	defer e.stop()
	web := []sources.ServiceRef{{Namespace: "ns", Name: "web"}}
	e.checkAccess(ctx, "c1", slog.Default())
	e.watch(map[string]bool{"ns": true})
	e.mu.Lock()
	n := len(e.namespaces)
	e.mu.Unlock()
	if n != 0 || e.noEndpoints(web) != "" {
		t.Fatalf("denied: %d namespaces watched, %q; want none, unknown", n, e.noEndpoints(web))
	}
	deny = false
	e.checkAccess(ctx, "c1", slog.Default())
	e.watch(map[string]bool{"ns": true})
	await.Eventually(t, "granted: watched", func() error {
		if got := e.noEndpoints(web); !strings.HasPrefix(got, CauseNoEndpoints) {
			return fmt.Errorf("%q, want %s…", got, CauseNoEndpoints)
		}
		return nil
	})
}
