// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package members

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
)

func ingress(uid, rv, host, ip string) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-" + uid, UID: types.UID(uid), ResourceVersion: rv},
		Spec:       networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: host}}},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{
			Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: ip, Hostname: host}}}},
	}
}

// The store follows its informer's events, including deletions the informer
// only learnt of after a relist (tombstones), and each event asks for a pass
// after the store has changed.
func TestAppStoreFollowsEvents(t *testing.T) {
	s := newAppStore()
	var seenAtPoke []int
	h := s.handler(func() { seenAtPoke = append(seenAtPoke, len(s.records("c1", "", nil))) })
	addrs := func() string {
		var out []string
		for _, r := range s.records("c1", "", nil) {
			out = append(out, r.Host+"="+r.IP.String())
		}
		if len(out) == 2 && out[0] > out[1] {
			out[0], out[1] = out[1], out[0]
		}
		return fmt.Sprint(out)
	}

	h.OnAdd(ingress("a", "1", "a.example.com", "10.0.0.1"), false)
	h.OnAdd(ingress("b", "1", "b.example.com", "10.0.0.2"), false)
	h.OnAdd(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cluster-ip", UID: "s"}}, false)
	if got := addrs(); got != "[a.example.com=10.0.0.1 b.example.com=10.0.0.2]" {
		t.Fatalf("after adds: %s", got)
	}
	h.OnUpdate(ingress("a", "1", "a.example.com", "10.0.0.1"), ingress("a", "2", "a.example.com", "10.0.0.9"))
	if got := addrs(); got != "[a.example.com=10.0.0.9 b.example.com=10.0.0.2]" {
		t.Fatalf("after an update: %s", got)
	}
	h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "default/web-b", Obj: ingress("b", "1", "b.example.com", "10.0.0.2")})
	h.OnDelete(ingress("a", "2", "a.example.com", "10.0.0.9"))
	if got := addrs(); got != "[]" {
		t.Fatalf("after deletes: %s", got)
	}
	if want := "[1 2 2 2 1 0]"; fmt.Sprint(seenAtPoke) != want {
		t.Errorf("records seen by each pass asked for: %v, want %s", seenAtPoke, want)
	}
}
