// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package await waits in tests for state that others bring about: it polls
// with a deadline instead of sleeping.
package await

import (
	"testing"
	"time"
)

// Timeout bounds every wait.
const Timeout = 30 * time.Second

// Eventually polls check until it returns nil, and fails the test with what
// and check's last error when Timeout passes first.
func Eventually(tb testing.TB, what string, check func() error) {
	tb.Helper()
	Within(tb, Timeout, what, check)
}

// Within is Eventually with its own deadline, for the few waits whose length
// another component sets (an API server's CRD finalizer polls every 5 s and
// takes several rounds on a loaded machine).
func Within(tb testing.TB, timeout time.Duration, what string, check func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("%s: %v", what, err)
}
