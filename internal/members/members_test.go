// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package members

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// A member cluster whose connection settings change keeps serving its objects
// and is never Pending: the replacement takes over once synced; settings that
// fail leave the old cluster serving, reported Unreachable; settings put back
// drop the replacement; the same settings again restart nothing; a removed
// context stops at once, and a new one starts Pending.
func TestMakeBeforeBreak(t *testing.T) {
	ctx := context.Background()
	set, err := clusters.Start(ctx, 1, clusters.Options{StartTimeout: 2 * time.Minute})
	if err != nil {
		if strings.Contains(err.Error(), "k8s-bin") {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := set.Stop(); err != nil {
			t.Error(err)
		}
	})
	cl := set.Clusters[0]
	name := cl.Context
	if _, err := cl.CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: "web",
		Rules: []clusters.IngressRule{{Host: "web.example.com", IP: "10.1.0.1"}}}); err != nil {
		t.Fatal(err)
	}

	var pokes atomic.Int64
	r := New(Options{Scheme: set.Scheme, OnChange: func() { pokes.Add(1) },
		Log:      slog.New(slog.NewTextHandler(t.Output(), nil)),
		RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, SyncTimeout: 10 * time.Second, HealthInterval: time.Second})
	t.Cleanup(r.Stop)

	// kubeconfig returns the Set's kubeconfig with the cluster's entries changed.
	kubeconfig := func(change func(*clientcmdapi.Cluster, *clientcmdapi.AuthInfo)) []byte {
		t.Helper()
		kc, err := clientcmd.Load(set.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		change(kc.Clusters[name], kc.AuthInfos[name])
		data, err := clientcmd.Write(*kc)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	setTo := func(kc []byte, contexts ...string) {
		t.Helper()
		if err := r.Set(ctx, kc, contexts); err != nil {
			t.Fatal(err)
		}
	}
	status := func() Status {
		for _, st := range r.Status() {
			if st.Cluster == name {
				return st
			}
		}
		return Status{}
	}
	hosts := func() []string {
		in, err := r.Inputs(ctx, "")
		if err != nil {
			t.Error(err)
		}
		var out []string
		for _, rec := range in.Records() {
			out = append(out, rec.Host)
		}
		slices.Sort(out)
		return out
	}
	serving := func() (active, next *cluster) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if s := r.slots[name]; s != nil {
			return s.active, s.next
		}
		return nil, nil
	}
	wantHosts := func(want ...string) func() error {
		return func() error {
			if got := hosts(); !slices.Equal(got, want) {
				return fmt.Errorf("records for %v, want %v", got, want)
			}
			return nil
		}
	}
	wantState := func(state State, errPart string) func() error {
		return func() error {
			st := status()
			if st.State != state || !strings.Contains(st.Error, errPart) || (errPart == "" && st.Error != "") {
				return fmt.Errorf("status %+v, want %s with an error containing %q", st, state, errPart)
			}
			return nil
		}
	}

	good := set.Kubeconfig
	setTo(good, name)
	await.Eventually(t, "synced", all(wantState(Ready, ""), wantHosts("web.example.com")))

	// The same arguments again: nothing restarts, nothing is asked for.
	first, _ := serving()
	before := pokes.Load()
	for range 3 {
		setTo(good, name)
	}
	if active, next := serving(); active != first || next != nil || pokes.Load() != before {
		t.Fatalf("the same settings again restarted the cluster or asked for passes (%d)", pokes.Load()-before)
	}

	// From here on the cluster must never be Pending nor lose its record.
	var (
		mu         sync.Mutex
		violations []string
	)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			st, got := status(), hosts()
			if st.State == Pending || !slices.Contains(got, "web.example.com") {
				mu.Lock()
				violations = append(violations, fmt.Sprintf("%s %q %v", st.State, st.Error, got))
				mu.Unlock()
			}
		}
	}()

	// (1) Another address of the same server: swapped once synced.
	localhost := kubeconfig(func(c *clientcmdapi.Cluster, _ *clientcmdapi.AuthInfo) {
		c.Server = strings.Replace(c.Server, "127.0.0.1", "localhost", 1)
	})
	setTo(localhost, name)
	if active, next := serving(); active != first || next == nil {
		t.Fatalf("a change of settings did not keep the serving cluster while the new one syncs")
	}
	await.Eventually(t, "the replacement swapped in", func() error {
		if active, next := serving(); active == first || next != nil {
			return fmt.Errorf("not swapped yet")
		}
		return nil
	})
	second, _ := serving()
	if !strings.Contains(second.cfg.Host, "localhost") {
		t.Errorf("serving %s", second.cfg.Host)
	}
	await.Eventually(t, "the old cluster stopped", stopped(first))
	if err := wantState(Ready, "")(); err != nil {
		t.Error(err)
	}

	// (2) Settings that cannot connect: the old cluster goes on serving, and
	// watching, reported Unreachable with the new settings' error.
	closed := kubeconfig(func(c *clientcmdapi.Cluster, _ *clientcmdapi.AuthInfo) { c.Server = "https://127.0.0.1:1" })
	setTo(closed, name)
	await.Eventually(t, "the failing settings reported", wantState(Unreachable, "new connection settings"))
	if active, _ := serving(); active != second {
		t.Fatalf("failing settings replaced the serving cluster")
	}
	if _, err := cl.CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: "web2",
		Rules: []clusters.IngressRule{{Host: "web2.example.com", IP: "10.1.0.2"}}}); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "the old cluster still watches", wantHosts("web.example.com", "web2.example.com"))

	// (3) The settings in use again: the replacement is dropped at once.
	setTo(localhost, name)
	if active, next := serving(); active != second || next != nil {
		t.Fatalf("settings put back: serving %p (want %p), replacement %p", active, second, next)
	}
	if err := wantState(Ready, "")(); err != nil {
		t.Error(err)
	}

	close(stop)
	<-sampled
	mu.Lock()
	if len(violations) > 0 {
		t.Errorf("%d samples Pending or without the record during the changes, e.g. %v", len(violations), violations[0])
	}
	mu.Unlock()

	// (4) A removed context stops at once.
	setTo(localhost)
	if len(r.Status()) != 0 || len(hosts()) != 0 {
		t.Errorf("a removed context: status %v, records %v", r.Status(), hosts())
	}
	await.Eventually(t, "the removed cluster stopped", stopped(second))

	// (5) A new context starts Pending; one that never synced makes way for
	// new settings at once.
	setTo(closed, name)
	await.Eventually(t, "a new context that cannot connect", wantState(Pending, "connection refused"))
	setTo(good, name)
	await.Eventually(t, "fixed", all(wantState(Ready, ""), wantHosts("web.example.com", "web2.example.com")))
}

func all(checks ...func() error) func() error {
	return func() error {
		for _, c := range checks {
			if err := c(); err != nil {
				return err
			}
		}
		return nil
	}
}

// stopped checks that a cluster's goroutine has ended.
func stopped(c *cluster) func() error {
	return func() error {
		select {
		case <-c.done:
			return nil
		default:
			return fmt.Errorf("%s (%s) still runs", c.name, c.cfg.Host)
		}
	}
}
