// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider"
	"github.com/amko-project/amko/internal/provider/avi"
)

// The provider is a provider.Provider of kind avi, shared, comparing as the
// controller stores, and looking up policy references itself.
func TestProviderInterface(t *testing.T) {
	_, host := start(t)
	var p provider.Provider = connect(t, avi.Config{Host: host})
	if p.Kind() != "avi" || !p.Shared() || p.Controller() == nil {
		t.Errorf("Kind %q, Shared %v, Controller %v", p.Kind(), p.Shared(), p.Controller())
	}
	if eq := p.Equality(); eq.ServiceEqual == nil || eq.MonitorEqual == nil {
		t.Error("Equality has no comparisons")
	}
	ctx := context.Background()
	if leading, err := p.Leading(ctx); err != nil || !leading {
		t.Errorf("Leading = %v, %v", leading, err)
	}
	if sites, err := p.Controller().ThirdPartySites(ctx); err != nil || len(sites) != 1 {
		t.Errorf("ThirdPartySites = %v, %v", sites, err)
	}
	if pki, err := p.DefaultPKIProfile(ctx, "admin"); err != nil || pki != "pki" {
		t.Errorf("DefaultPKIProfile = %q, %v", pki, err)
	}
}

// clientConns counts the goroutines of client connections (the server's are
// not persistConns) and of this package.
func clientConns() (int, string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "net/http.(*persistConn)") || strings.Contains(g, "internal/provider/avi.(") {
			n++
			found = append(found, g)
		}
	}
	return n, strings.Join(found, "\n\n")
}

// noLeaks waits for the client connections' goroutines to end.
func noLeaks(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		n, stacks := clientConns()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left:\n%s", n, stacks)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A call returns soon after its context is cancelled, whatever the controller
// is doing: answering slowly, logging in slowly, or busy with another call of
// the same session. Close cancels what is in flight; nothing is left running.
func TestCallsHonourTheContext(t *testing.T) {
	const latency = 4 * time.Second
	cancelAfter := func(d time.Duration) context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(d, cancel)
		t.Cleanup(cancel)
		return ctx
	}
	timeout := func(d time.Duration) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		t.Cleanup(cancel)
		return ctx
	}
	tests := []struct {
		name  string
		fault avisim.Fault
		// warm logs in first, so the fault hits the call itself.
		warm bool
		call func(ctx context.Context, p *avi.Provider) error
		ctx  func() context.Context
		want error
	}{
		{name: "slow list", warm: true, fault: avisim.Fault{Method: "GET", Path: "^/api/gslbservice$", Latency: latency},
			call: func(ctx context.Context, p *avi.Provider) error { _, err := p.Observe(ctx); return err },
			ctx:  func() context.Context { return cancelAfter(100 * time.Millisecond) }, want: context.Canceled},
		{name: "slow write", warm: true, fault: avisim.Fault{Method: "POST", Latency: latency},
			call: func(ctx context.Context, p *avi.Provider) error {
				return p.Apply(ctx, plan.Compute([]*gslb.Service{service("w.example.com", 1)}, plan.Observed{}, opts()))[0].Err
			},
			ctx: func() context.Context { return timeout(100 * time.Millisecond) }, want: context.DeadlineExceeded},
		{name: "slow login", fault: avisim.Fault{Path: "^/login$", Latency: latency},
			call: func(ctx context.Context, p *avi.Provider) error { _, err := p.Leading(ctx); return err },
			ctx:  func() context.Context { return cancelAfter(100 * time.Millisecond) }, want: context.Canceled},
		{name: "slow lookup", warm: true, fault: avisim.Fault{Method: "GET", Path: "^/api/healthmonitor$", Latency: latency},
			call: func(ctx context.Context, p *avi.Provider) error {
				_, _, err := p.Lookup(ctx, "healthmonitor", "*", "System-GSLB-HTTP")
				return err
			},
			ctx: func() context.Context { return timeout(100 * time.Millisecond) }, want: context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, host := start(t)
			p := connect(t, avi.Config{Host: host})
			if tc.warm {
				if _, err := p.Observe(context.Background()); err != nil {
					t.Fatal(err)
				}
				if _, err := p.Leading(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := sim.AddFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			begin := time.Now()
			err := tc.call(tc.ctx(), p)
			if took := time.Since(begin); took > time.Second {
				t.Errorf("returned after %v", took)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			noLeaks(t)
		})
	}
}

// A call waiting for its session (another call of the tenant holds it) gives
// up when its context ends; Close cancels the call in flight, and calls after
// Close fail at once.
func TestWaitingCallsAndClose(t *testing.T) {
	sim, host := start(t)
	p := connect(t, avi.Config{Host: host})
	ctx := context.Background()
	if _, err := p.Observe(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.AddFault(avisim.Fault{Method: "GET", Path: "^/api/gslbservice$", Latency: 4 * time.Second}); err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { _, err := p.Observe(ctx); first <- err }()
	time.Sleep(100 * time.Millisecond) // the first call holds the session

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	if _, err := p.Observe(short); !errors.Is(err, context.DeadlineExceeded) || time.Since(begin) > time.Second {
		t.Errorf("waiting call: %v after %v", err, time.Since(begin))
	}

	begin = time.Now()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-first:
		if err == nil || time.Since(begin) > time.Second {
			t.Errorf("call in flight at Close: %v after %v", err, time.Since(begin))
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not cancel the call in flight")
	}
	if took := time.Since(begin); took > 3*time.Second {
		t.Errorf("Close took %v", took)
	}
	if _, err := p.Leading(ctx); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("call after Close: %v", err)
	}
	noLeaks(t)
	// The session was released.
	deadline := time.Now().Add(6 * time.Second)
	for sim.Sessions() != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := sim.Sessions(); n != 0 {
		t.Errorf("%d sessions left after Close", n)
	}
}

// hammer calls every method of p from several goroutines and tenants until
// d has passed; every error must be a refusal of the credentials, returned at once.
func hammer(t *testing.T, p *avi.Provider, d time.Duration) int64 {
	t.Helper()
	var calls atomic.Int64
	ctx := context.Background()
	methods := []func(tenant string) error{
		func(string) error { _, err := p.Observe(ctx); return err },
		func(string) error { _, err := p.Leading(ctx); return err },
		func(tenant string) error {
			_, err := p.DefaultPKIProfile(ctx, tenant)
			return err
		},
		func(tenant string) error {
			_, _, err := p.Lookup(ctx, "healthmonitor", tenant, "System-GSLB-HTTP")
			return err
		},
		func(tenant string) error {
			svc := service("h.example.com", 1)
			svc.Tenant = tenant
			return p.Apply(ctx, plan.Compute([]*gslb.Service{svc}, plan.Observed{}, opts()))[0].Err
		},
		func(string) error { _, err := p.ThirdPartySites(ctx); return err },
	}
	tenants := []string{"admin", "*", "tenant-a", "tenant-b"}
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(end); n++ {
				call := methods[(i+n)%len(methods)]
				err := call(tenants[(i+n)%len(tenants)])
				calls.Add(1)
				if !errors.Is(err, provider.ErrBadCredentials) {
					mu.Lock()
					failures = append(failures, fmt.Sprint(err))
					mu.Unlock()
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d calls did not fail with bad credentials, e.g. %s", len(failures), failures[0])
	}
	return calls.Load()
}

// A wrong password is tried once: then every call of every tenant fails at
// once, without a request, until the retry interval has passed; then one login
// is tried again. A provider with the right password works at once.
func TestBadCredentialsLogInOnce(t *testing.T) {
	sim, host := start(t)
	p := connect(t, avi.Config{Host: host, Password: "wrong", LoginRetryInterval: 2 * time.Second})
	calls := hammer(t, p, 1500*time.Millisecond)
	if n := logins(sim); n != 1 {
		t.Fatalf("%d login attempts during %d calls, want 1", n, calls)
	}
	if n := len(sim.Journal()); n != 1 {
		t.Errorf("%d requests, want only the login: %+v", n, sim.Journal())
	}
	time.Sleep(600 * time.Millisecond) // the interval has passed
	hammer(t, p, 500*time.Millisecond)
	if n := logins(sim); n != 2 {
		t.Errorf("%d login attempts after the retry interval, want 2", n)
	}

	good := connect(t, avi.Config{Host: host})
	if leading, err := good.Leading(context.Background()); err != nil || !leading {
		t.Errorf("with the right password: %v, %v", leading, err)
	}
}

// When the password changes on the controller while amko is logged in, the
// first re-login the controller refuses is the last request.
func TestRefusedReloginStopsLogins(t *testing.T) {
	sim, host := start(t)
	p := connect(t, avi.Config{Host: host})
	ctx := context.Background()
	for _, tenant := range []string{"admin", "*"} {
		if _, err := p.DefaultPKIProfile(ctx, tenant); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sim.AddFault(avisim.Fault{Path: "^/login$", Status: 401, Body: `{"error": "Invalid credentials"}`}); err != nil {
		t.Fatal(err)
	}
	sim.ExpireSessions()
	sim.ClearJournal()
	hammer(t, p, time.Second)
	if n := logins(sim); n != 1 {
		t.Errorf("%d login attempts, want 1", n)
	}
}

// Default settings: bad credentials block logins for five minutes.
func TestDefaultRetryInterval(t *testing.T) {
	sim, host := start(t)
	p := connect(t, avi.Config{Host: host, Password: "wrong"})
	_, err := p.Leading(context.Background())
	if !errors.Is(err, provider.ErrBadCredentials) {
		t.Fatal(err)
	}
	_, err = p.Observe(context.Background())
	msg := err.Error()
	at, until := "", ""
	if i := strings.Index(msg, "(at "); i >= 0 {
		at = msg[i+4 : i+12]
	}
	if i := strings.Index(msg, "before "); i >= 0 {
		until = msg[i+7 : i+15]
	}
	t1, err1 := time.Parse(time.TimeOnly, at)
	t2, err2 := time.Parse(time.TimeOnly, until)
	if err1 != nil || err2 != nil || (t2.Sub(t1)+24*time.Hour)%(24*time.Hour) != 5*time.Minute {
		t.Errorf("%q: not a 5 minute interval", msg)
	}
	if n := logins(sim); n != 1 {
		t.Errorf("%d logins", n)
	}
}
