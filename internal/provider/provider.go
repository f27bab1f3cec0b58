// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package provider is what every GSLB backend implements, in the spirit of
// external-dns's provider: observe what the backend holds of this amko's, apply
// the changes a plan computes, and say when two objects are the same to the
// backend. The loop knows backends through this interface only; their failures
// come back as errors that match the classes below with errors.Is, so the loop
// decides how to wait by the backend's state, never by parsing messages.
package provider

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
)

// Error classes. A backend's error wraps one of them (or none: an unclassified
// failure, retried with backoff).
var (
	// ErrNotLeader: the controller is not the GSLB leader; writes go nowhere
	// until the configuration names the leader (or it leads again).
	ErrNotLeader = errors.New("the controller is not the GSLB leader")
	// ErrConflict: the backend changed under amko (an object it meant to update
	// or delete is gone, or a name is taken): observe again before planning.
	ErrConflict = errors.New("the backend changed concurrently")
	// ErrBadCredentials: the controller refused the credentials. No further
	// login is tried until the credentials change (accounts lock after a few
	// failures).
	ErrBadCredentials = errors.New("the controller refused the credentials")
	// ErrMaintenance: the backend refuses writes for maintenance.
	ErrMaintenance = errors.New("the GSLB system is in maintenance mode")
	// ErrUnavailable: the backend did not answer, or answered that it cannot
	// serve now (5xx, a dropped connection, a timeout, a body that is not its API).
	ErrUnavailable = errors.New("the backend is unavailable")
	// ErrUntrusted: the controller's certificate does not chain to the CA
	// given, or differs from the one pinned: nothing is sent to it (least of
	// all the password) until the CA or the pin is fixed.
	ErrUntrusted = errors.New("the controller's certificate is not trusted")
)

// Class returns the class err belongs to, or nil for none.
func Class(err error) error {
	for _, c := range []error{ErrUntrusted, ErrBadCredentials, ErrNotLeader, ErrMaintenance, ErrConflict, ErrUnavailable} {
		if errors.Is(err, c) {
			return c
		}
	}
	return nil
}

// Provider is a GSLB backend. Implementations are safe for concurrent use.
type Provider interface {
	// Kind names the backend: "avi" or "dns".
	Kind() string
	// Shared reports whether several amkos reach the same backend (a
	// controller), so only the elected writer may apply; false for a backend
	// each amko keeps for itself (the built-in DNS server), applied by all.
	Shared() bool
	// Leading reports whether this backend takes writes now: an Avi
	// Controller that is the GSLB leader. The built-in DNS backend always does.
	Leading(ctx context.Context) (bool, error)
	// Observe returns the services and monitors this amko owns in the backend.
	Observe(ctx context.Context) (plan.Observed, error)
	// Apply makes the changes, in order; a failed change does not stop the
	// others. Each result says what the backend now holds.
	Apply(ctx context.Context, changes []plan.Change) []plan.Result
	// Equality says when a desired object equals an observed one for this
	// backend: fields it does not store or normalises must not count.
	Equality() plan.Options
	// Controller looks up the objects a policy names; nil when the backend
	// has none to name (references are then not checked).
	Controller() policy.Controller
	// DefaultPKIProfile is the PKI profile site persistence uses when the
	// policy names none ("" when the backend has none or needs none).
	DefaultPKIProfile(ctx context.Context, tenant string) (string, error)
	// Close releases the backend's connections, listeners and goroutines.
	Close() error
}

// Member health, as a backend that decides it itself reports it.
const (
	HealthUp      = "up"
	HealthDown    = "down"
	HealthUnknown = "unknown"
)

// HealthReporter is implemented by backends that probe members themselves
// (the built-in DNS backend); with a controller, the controller decides.
type HealthReporter interface {
	// MemberHealth is HealthUp, HealthDown or HealthUnknown.
	MemberHealth(svc *gslb.Service, m gslb.Member) string
}

// ConfigError is a configuration the backend cannot run with: State is the
// GSLBConfig status text that says so (AMKO's, where AMKO has one).
type ConfigError struct {
	State string
	Err   error
}

func (e *ConfigError) Error() string { return e.State }

func (e *ConfigError) Unwrap() error { return e.Err }

// Settings are what a Factory builds a backend from: the accepted GSLBConfig
// and, for a controller, the data of its credentials Secret.
type Settings struct {
	Config *amkov1alpha1.GSLBConfig
	// Mirror asks for the built-in DNS server of Config's dns section even
	// though Config names a controller: it serves the controller's services
	// too (the way off Avi).
	Mirror      bool
	Credentials map[string][]byte
	// Prev is the running backend, which the factory may reconfigure and
	// return rather than build anew (the DNS server keeps its listener,
	// answers and probes); the caller closes Prev when it gets another.
	Prev Provider
	// Timeout bounds each request to a controller.
	Timeout time.Duration
	// Concurrency is how many writes go to a controller at once; 0: the
	// backend's default.
	Concurrency int
	// ProbeScale multiplies the DNS backend's probe intervals (tests, demos).
	ProbeScale float64
	// OnHealth is told of a member's health change by the backend's own probes.
	OnHealth func(service, member, monitor string, up bool)
	Log      *slog.Logger
	// Registerer receives the backend's own metrics (the DNS server's);
	// collectors already registered by an earlier backend are reused.
	Registerer prometheus.Registerer
	// CABundle is the PEM bundle the controller's certificate must chain to;
	// nil: trust on first use, against Pin.
	CABundle []byte
	// Pin is the SHA-256 (hex) of the controller certificate trusted on first
	// use; "" when none is pinned yet.
	Pin string
	// OnPin is told the SHA-256 (hex) of the certificate first trusted
	// without a CA, so that it is recorded where an operator sees it.
	OnPin func(sha256 string)
}

// Factory builds the backend a GSLBConfig names. The loop is given one, so it
// imports no concrete backend.
type Factory func(ctx context.Context, s Settings) (Provider, error)
