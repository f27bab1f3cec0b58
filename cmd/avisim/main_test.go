// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vmware/alb-sdk/go/clients"
	"github.com/vmware/alb-sdk/go/session"
)

// serveFor runs the command with args on a fresh port until the test ends, and
// returns the address.
func serveFor(t *testing.T, args ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("avisim: %v", err)
		}
	})
	return l.Addr().String()
}

func login(t *testing.T, addr, password string) *clients.AviClient {
	t.Helper()
	c, err := clients.NewAviClient(addr, "admin", session.SetPassword(password), session.SetInsecure,
		session.SetVersion("31.1.1"), session.SetTimeout(5*time.Second), session.DisableControllerStatusCheckOnFailure(true))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return c
}

// The binary takes its password from a file, seeds objects from a seed file, and
// keeps its state across restarts in the snapshot file.
func TestSeedPasswordAndSnapshot(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	seed := filepath.Join(dir, "seed.json")
	snap := filepath.Join(dir, "state.json")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seed, []byte(`{"objects": [{"kind": "tenant", "data": {"name": "team-a"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("first run", func(t *testing.T) {
		addr := serveFor(t, "--password-file", pw, "--seed", seed, "--snapshot", snap)
		c := login(t, addr, "s3cret")
		if _, err := c.Tenant.GetByName("team-a"); err != nil {
			t.Fatalf("seeded tenant: %v", err)
		}
		var hm map[string]any
		body := map[string]any{"name": "kept", "type": "HEALTH_MONITOR_PING", "is_federated": true}
		if err := c.AviSession.Post("/api/healthmonitor", body, &hm); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Stat(snap); err != nil {
		t.Fatalf("no snapshot written: %v", err)
	}
	t.Run("restart", func(t *testing.T) {
		addr := serveFor(t, "--password-file", pw, "--snapshot", snap)
		c := login(t, addr, "s3cret")
		if _, err := c.HealthMonitor.GetByName("kept"); err != nil {
			t.Fatalf("object lost across the restart: %v", err)
		}
	})
	if err := run(context.Background(), []string{"--seed", filepath.Join(dir, "missing.json")}, nil); err == nil {
		t.Error("a missing seed file was accepted")
	}
}
