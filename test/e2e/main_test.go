// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package e2e runs amko end to end: three real member clusters (the third an
// OpenShift one, serving Routes), avisim as the GSLB leader controller, and amko
// as in production, configured through its custom resources.
package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/provider/providers"
	"github.com/amko-project/amko/test/clusters"
)

// amkoUUID is the GSLBConfig's amko-uuid: this amko's objects are created by "amko-<uuid>".
const amkoUUID = "0b2b4e5a-8c1d-4a55-9f3e-0a1b2c3d4e5f"

var (
	set  *clusters.Set
	sim  *avisim.Server
	host string
	// amko is the operator startAmko runs.
	amko *operator.Operator
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctrllog.SetLogger(logr.Discard())
	// Each amko of an elected federation logs in as a user of its own
	// (federate), so that the journal says which one wrote what.
	users := map[string]string{"admin": "avi123"}
	for i := 1; i <= 5; i++ {
		users[controllerUser(clusters.ContextName(i))] = "avi123"
	}
	s, srv, err := avisim.Start(avisim.Options{Users: users})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Close()
	sim, host = s, avisim.Host(srv)
	// Two spare clusters make a federation of five for the quorum's tests.
	return clusters.Main(m, 3, &set, clusters.Options{OpenShift: []int{2}, Spare: 2})
}

// leader is the cluster holding amko's configuration (and a member too).
func leader() *clusters.Cluster { return set.Clusters[0] }

// startAmko configures amko in the leader cluster (once) and runs it until the
// returned stop is called.
func startAmko(t *testing.T) (stop func()) {
	t.Helper()
	return startAmkoLogging(t, io.Discard)
}

// startAmkoLogging is startAmko with amko's log written to w, at debug level.
func startAmkoLogging(t *testing.T, w io.Writer) (stop func()) {
	t.Helper()
	ctx := context.Background()
	if err := set.ConfigureAMKO(ctx, host, amkoUUID); err != nil {
		t.Fatal(err)
	}

	op, stop := runAmko(t, operator.Options{ProbeScale: 0.05,
		Log: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	amko = op
	return stop
}

// runAmko runs an operator for the leader cluster with opts (Config, Scheme,
// PendingGrace and a silent Log filled in) until stop.
func runAmko(t *testing.T, opts operator.Options) (op *operator.Operator, stop func()) {
	t.Helper()
	opts.Config, opts.Scheme, opts.PendingGrace, opts.Providers = leader().Config, set.Scheme, time.Second, providers.Build
	if opts.DeletionWindow == 0 {
		// Scenarios delete whole policies on purpose; the guard has its own test.
		opts.DeletionWindow = -1
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	op, err := operator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- op.Run(ctx) }()
	return op, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("amko: %v", err)
		}
	}
}

// gdp writes the GlobalDeploymentPolicy (creating or replacing its spec).
func gdp(t *testing.T, spec amkov1alpha2.GDPSpec) {
	t.Helper()
	if err := set.SetGDP(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
}
