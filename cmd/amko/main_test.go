// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amko-project/amko/test/clusters"
)

var set *clusters.Set

func TestMain(m *testing.M) { os.Exit(clusters.Main(m, 1, &set, clusters.Options{})) }

// replica runs amko with --leader-elect under identity until the returned stop.
func replica(t *testing.T, identity string) (stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--kubeconfig", set.KubeconfigPath, "--context", set.Clusters[0].Context,
			"--leader-elect", "--leader-elect-identity", identity}, l)
	}()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("replica %s: %v", identity, err)
		}
	}
}

func holder() (string, error) {
	var lease coordinationv1.Lease
	if err := set.Clusters[0].Client.Get(context.Background(), client.ObjectKey{Namespace: clusters.Namespace, Name: "amko"}, &lease); err != nil {
		return "", err
	}
	if lease.Spec.HolderIdentity == nil {
		return "", nil
	}
	return *lease.Spec.HolderIdentity, nil
}

func waitHolder(t *testing.T, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got string
	var err error
	for time.Now().Before(deadline) {
		if got, err = holder(); err == nil {
			for _, w := range want {
				if got == w {
					return got
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("Lease holder %q (%v), want one of %v", got, err, want)
	return ""
}

// Two replicas elect one active amko with a Lease; when it stops, the other
// takes over.
func TestLeaderElection(t *testing.T) {
	stops := map[string]func(){"amko-a": replica(t, "amko-a"), "amko-b": replica(t, "amko-b")}
	first := waitHolder(t, "amko-a", "amko-b")
	other := map[string]string{"amko-a": "amko-b", "amko-b": "amko-a"}[first]
	start := time.Now()
	stops[first]()
	waitHolder(t, other)
	t.Logf("%s took over from %s in %v", other, first, time.Since(start))
	stops[other]()
}
