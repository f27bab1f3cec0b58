// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider"
	"github.com/amko-project/amko/internal/provider/avi"
)

// password is distinctive, so a test can tell it appears in no error.
const password = "Pa55-w0rd-n3ver-shown"

// start serves a fresh emulator whose admin has password.
func start(t *testing.T) (*avisim.Server, string) {
	t.Helper()
	return startSim(t, avisim.Options{Users: map[string]string{"admin": password}})
}

// connect returns a provider for host, closed at the end of the test.
func connect(t *testing.T, cfg avi.Config) *avi.Provider {
	t.Helper()
	if cfg.Username == "" {
		cfg.Username = "admin"
	}
	if cfg.Password == "" {
		cfg.Password = password
	}
	cfg.Version, cfg.CreatedBy = "31.1.1", createdBy
	p, err := avi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// logins counts the login requests the emulator received.
func logins(sim *avisim.Server) int {
	n := 0
	for _, e := range sim.Journal() {
		if e.Method == http.MethodPost && e.Path == "/login" {
			n++
		}
	}
	return n
}

func className(err error) string {
	switch provider.Class(err) {
	case provider.ErrBadCredentials:
		return "bad credentials"
	case provider.ErrNotLeader:
		return "not leader"
	case provider.ErrMaintenance:
		return "maintenance"
	case provider.ErrConflict:
		return "conflict"
	case provider.ErrUnavailable:
		return "unavailable"
	}
	return "none"
}

// Every failure the controller or the network can produce comes back as an
// error of the right class, and none carries the password.
func TestErrorClasses(t *testing.T) {
	ctx := context.Background()
	observe := func(p *avi.Provider) error { _, err := p.Observe(ctx); return err }
	leading := func(p *avi.Provider) error { _, err := p.Leading(ctx); return err }
	create := func(p *avi.Provider) error {
		return p.Apply(ctx, plan.Compute([]*gslb.Service{service("c.example.com", 1)}, plan.Observed{}, opts()))[0].Err
	}
	// existing creates a.example.com (monitor first) and returns the service's uuid.
	existing := func(t *testing.T, p *avi.Provider) string {
		res := p.Apply(ctx, plan.Compute([]*gslb.Service{service("a.example.com", 1)}, plan.Observed{}, opts()))
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("setup: %v", r.Err)
			}
		}
		return res[1].Service.UUID
	}
	change := func(op plan.Op, uuid string) plan.Change {
		return plan.Change{Op: op, Kind: plan.KindService, Tenant: "admin", Name: "a.example.com", UUID: uuid,
			Service: service("a.example.com", 2)}
	}
	tests := []struct {
		name   string
		setup  func(t *testing.T, sim *avisim.Server, p *avi.Provider) func(*avi.Provider) error
		cfg    avi.Config
		class  string // "" for success
		status int    // the controller's status, 0 for none
	}{
		{name: "500", class: "unavailable", status: 500, setup: fault(avisim.Fault{Method: "GET", Path: "^/api/gslbservice$", Status: 500}, observe)},
		{name: "503", class: "unavailable", status: 503, setup: fault(avisim.Fault{Method: "GET", Path: "^/api/gslbservice$", Status: 503}, observe)},
		{name: "502 HTML", class: "unavailable", status: 502, setup: fault(avisim.Fault{Method: "GET", Path: "^/api/cluster$", Status: 502,
			Body: "<html><body>Bad Gateway</body></html>"}, leading)},
		{name: "504 on a write", class: "unavailable", status: 504, setup: fault(avisim.Fault{Method: "POST", Status: 504}, create)},
		{name: "dropped connection", class: "unavailable", setup: fault(avisim.Fault{Method: "GET", Path: "^/api/gslbservice$", Drop: true}, observe)},
		{name: "dropped write", class: "unavailable", setup: fault(avisim.Fault{Method: "POST", Path: "^/api/healthmonitor$", Drop: true}, create)},
		{name: "malformed list", class: "unavailable", setup: fault(avisim.Fault{Method: "GET", Path: "^/api/gslbservice$", Malformed: true}, observe)},
		{name: "malformed object", class: "unavailable", setup: fault(avisim.Fault{Method: "GET", Path: "^/api/cluster$", Malformed: true}, leading)},
		{name: "malformed write answer", class: "unavailable", setup: fault(avisim.Fault{Method: "POST", Malformed: true}, create)},
		{name: "malformed login answer", class: "unavailable", setup: func(t *testing.T, sim *avisim.Server, p *avi.Provider) func(*avi.Provider) error {
			fault := avisim.Fault{Path: "^/login$", Malformed: true}
			if _, err := sim.AddFault(fault); err != nil {
				t.Fatal(err)
			}
			return observe
		}},
		{name: "client timeout", class: "unavailable", cfg: avi.Config{Timeout: 300 * time.Millisecond},
			setup: fault(avisim.Fault{Method: "GET", Path: "^/api/gslbservice$", Latency: 2 * time.Second}, observe)},
		{name: "connection refused", class: "unavailable", setup: func(t *testing.T, sim *avisim.Server, _ *avi.Provider) func(*avi.Provider) error {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			l.Close()
			q := connect(t, avi.Config{Host: addr})
			return func(*avi.Provider) error { return observe(q) }
		}},
		{name: "expired session once", setup: fault(avisim.Fault{Method: "GET", Path: "^/api/gslbservice$", Status: 401, Count: 1}, observe)},
		{name: "expired session on a write", setup: fault(avisim.Fault{Method: "POST", Path: "^/api/healthmonitor$", Status: 401, Count: 1}, create)},
		{name: "401 after every fresh login", class: "unavailable", status: 401,
			setup: fault(avisim.Fault{Method: "GET", Path: "^/api/gslbservice$", Status: 401}, observe)},
		{name: "login refused", class: "bad credentials", status: 401, cfg: avi.Config{Password: "wrong"},
			setup: func(*testing.T, *avisim.Server, *avi.Provider) func(*avi.Provider) error { return leading }},
		{name: "login 401 without a message", class: "bad credentials", status: 401,
			setup: fault(avisim.Fault{Path: "^/login$", Status: 401}, observe)},
		{name: "refused re-login", class: "bad credentials", status: 401, setup: func(t *testing.T, sim *avisim.Server, p *avi.Provider) func(*avi.Provider) error {
			if err := observe(p); err != nil {
				t.Fatal(err)
			}
			if _, err := sim.AddFault(avisim.Fault{Path: "^/login$", Status: 401, Body: `{"error": "Invalid credentials"}`}); err != nil {
				t.Fatal(err)
			}
			sim.ExpireSessions()
			return observe
		}},
		{name: "follower", class: "not leader", status: 400, setup: func(t *testing.T, sim *avisim.Server, _ *avi.Provider) func(*avi.Provider) error {
			if err := sim.SetLeader(false); err != nil {
				t.Fatal(err)
			}
			return create
		}},
		{name: "maintenance", class: "maintenance", status: 400, setup: func(t *testing.T, sim *avisim.Server, _ *avi.Provider) func(*avi.Provider) error {
			if err := sim.SetMaintenance(true); err != nil {
				t.Fatal(err)
			}
			return create
		}},
		{name: "update of a deleted service", class: "conflict", status: 404, setup: func(t *testing.T, sim *avisim.Server, p *avi.Provider) func(*avi.Provider) error {
			return func(p *avi.Provider) error {
				return p.Apply(ctx, []plan.Change{change(plan.Update, "gslbservice-gone")})[0].Err
			}
		}},
		{name: "delete of a deleted service", class: "conflict", status: 404, setup: func(t *testing.T, sim *avisim.Server, p *avi.Provider) func(*avi.Provider) error {
			return func(p *avi.Provider) error {
				return p.Apply(ctx, []plan.Change{change(plan.Delete, "gslbservice-gone")})[0].Err
			}
		}},
		{name: "name taken", class: "conflict", status: 409, setup: func(t *testing.T, sim *avisim.Server, p *avi.Provider) func(*avi.Provider) error {
			existing(t, p)
			return func(p *avi.Provider) error {
				return p.Apply(ctx, []plan.Change{change(plan.Create, "")})[0].Err
			}
		}},
		{name: "412 on update", class: "conflict", status: 412, setup: func(t *testing.T, sim *avisim.Server, p *avi.Provider) func(*avi.Provider) error {
			uuid := existing(t, p)
			if _, err := sim.AddFault(avisim.Fault{Method: "PUT", Status: 412, Body: `{"error": "Need to reload object data GslbService"}`}); err != nil {
				t.Fatal(err)
			}
			return func(p *avi.Provider) error { return p.Apply(ctx, []plan.Change{change(plan.Update, uuid)})[0].Err }
		}},
		{name: "403 unclassified", class: "none", status: 403, setup: func(t *testing.T, sim *avisim.Server, p *avi.Provider) func(*avi.Provider) error {
			uuid := existing(t, p)
			if _, err := sim.AddFault(avisim.Fault{Method: "DELETE", Status: 403, Body: `{"error": "Cannot delete, object is referred by: ['x']"}`}); err != nil {
				t.Fatal(err)
			}
			return func(p *avi.Provider) error { return p.Apply(ctx, []plan.Change{change(plan.Delete, uuid)})[0].Err }
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, host := start(t)
			cfg := tc.cfg
			cfg.Host = host
			p := connect(t, cfg)
			call := tc.setup(t, sim, p)
			err := call(p)
			if tc.class == "" {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %s", tc.class)
			}
			if got := className(err); got != tc.class {
				t.Errorf("class of %q = %s, want %s", err, got, tc.class)
			}
			if got := avi.StatusOf(err); got != tc.status {
				t.Errorf("status of %q = %d, want %d", err, got, tc.status)
			}
			if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), "wrong") {
				t.Errorf("the password is in the error: %v", err)
			}
			if errors.Is(err, context.Canceled) {
				t.Errorf("%v is a cancellation", err)
			}
		})
	}
}

// fault installs f and calls call.
func fault(f avisim.Fault, call func(*avi.Provider) error) func(*testing.T, *avisim.Server, *avi.Provider) func(*avi.Provider) error {
	return func(t *testing.T, sim *avisim.Server, _ *avi.Provider) func(*avi.Provider) error {
		t.Helper()
		if _, err := sim.AddFault(f); err != nil {
			t.Fatal(err)
		}
		return call
	}
}

// The refusal names the controller and the user, carries the controller's
// reason (AMKO's status shows "Invalid credentials"), and unwraps to the
// controller's answer.
func TestBadCredentialsMessage(t *testing.T) {
	_, host := start(t)
	p := connect(t, avi.Config{Host: host, Password: "wrong-password"})
	_, err := p.Leading(context.Background())
	if !errors.Is(err, provider.ErrBadCredentials) {
		t.Fatalf("err = %v, want bad credentials", err)
	}
	for _, want := range []string{host, `"admin"`, "Invalid credentials"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
	var aerr *avi.Error
	if !errors.As(err, &aerr) || !aerr.BadCredentials() || aerr.Status != 401 {
		t.Errorf("%v does not unwrap to the controller's 401", err)
	}
	// Later calls, refused without a request, say the same.
	_, err2 := p.Observe(context.Background())
	if !errors.Is(err2, provider.ErrBadCredentials) || !strings.Contains(err2.Error(), host) || !strings.Contains(err2.Error(), "Invalid credentials") ||
		avi.StatusOf(err2) != 401 {
		t.Errorf("second call: %v (status %d)", err2, avi.StatusOf(err2))
	}
	if strings.Contains(err.Error()+err2.Error(), "wrong-password") {
		t.Error("the password is in the error")
	}
}
