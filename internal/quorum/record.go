// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package quorum

import (
	"context"
	"errors"
	"time"
)

// Record is the leadership record one store holds. Only Holder, Term and
// Released take part in the election; the times are informational (for
// `kubectl get lease` and status), because no node compares another's clock.
type Record struct {
	// Holder is the identity that wrote the record; empty when released or absent.
	Holder string
	// Term is the election term the record belongs to; 0 when absent.
	Term int64
	// Released says the holder gave the term up and stopped acting before
	// writing this: a candidate with a higher term may replace it at once.
	Released bool
	// LeaseDuration and RenewTime are the writer's settings and wall clock, for people.
	LeaseDuration time.Duration
	RenewTime     time.Time
}

// ErrConflict is returned by Store.Put when the stored version is not the expected one.
var ErrConflict = errors.New("quorum: version conflict")

// Store is one linearizable register holding a Record: one cluster's API
// server in production (LeaseStore), an in-memory model in tests (MemStore).
type Store interface {
	// Name names the store (the cluster's context) in status and errors.
	Name() string
	// Get returns the current record and its version; version "" means absent.
	Get(ctx context.Context) (rec Record, version string, err error)
	// Put replaces the record if the stored version is still version ("" =
	// create if absent) and returns the new version, or ErrConflict. Any other
	// error leaves the outcome unknown: the write may have happened.
	Put(ctx context.Context, rec Record, version string) (newVersion string, err error)
}
