// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package quorum

import (
	"context"
	"strconv"
	"sync"
)

// MemStore is an in-memory Store with compare-and-swap, the model of one API
// server's Lease: every successful Put gets a new version, as etcd gives a new
// resourceVersion. The simulation test drives it; the operator's unit tests may too.
type MemStore struct {
	name string

	mu      sync.Mutex
	rec     Record
	version int64 // 0 = absent
	next    int64
}

// NewMemStore returns an empty store named name.
func NewMemStore(name string) *MemStore { return &MemStore{name: name} }

// Name implements Store.
func (m *MemStore) Name() string { return m.name }

// Get implements Store.
func (m *MemStore) Get(context.Context) (Record, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rec, m.versionString(), nil
}

// Put implements Store.
func (m *MemStore) Put(_ context.Context, rec Record, version string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if version != m.versionString() {
		return "", ErrConflict
	}
	m.next++
	m.version = m.next
	m.rec = rec
	return m.versionString(), nil
}

// Delete removes the record, as an administrator deleting the Lease would.
func (m *MemStore) Delete() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.version, m.rec = 0, Record{}
}

func (m *MemStore) versionString() string {
	if m.version == 0 {
		return ""
	}
	return strconv.FormatInt(m.version, 10)
}
