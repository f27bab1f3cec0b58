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
)

// Class returns the class err belongs to, or nil for none.
func Class(err error) error {
	for _, c := range []error{ErrBadCredentials, ErrNotLeader, ErrMaintenance, ErrConflict, ErrUnavailable} {
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
