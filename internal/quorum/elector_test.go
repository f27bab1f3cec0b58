// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package quorum

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/amko-project/amko/test/await"
)

// fastConfig is DefaultConfig scaled down tenfold, for tests on real time.
func fastConfig(identity string) Config {
	return Config{Identity: identity, LeaseDuration: time.Second, RenewDeadline: 700 * time.Millisecond,
		RetryPeriod: 200 * time.Millisecond, MaxClockDrift: DefaultMaxClockDrift, MaxWriteDelay: 200 * time.Millisecond,
		RequestTimeout: 500 * time.Millisecond}
}

// A term seen on a written object above the one held (the records were
// deleted and terms began again) ends the held term at once, and the next
// term claimed is above the one seen.
func TestSupersede(t *testing.T) {
	stores := []Store{NewMemStore("a"), NewMemStore("b"), NewMemStore("c")}
	e, err := New(fastConfig("x"), stores)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}()
	wait, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	g, err := e.AwaitGuard(wait)
	if err != nil {
		t.Fatalf("no term: %v", err)
	}
	seen := g.Term() + 5
	e.Supersede(seen, "a later term on the controller")
	if g.Valid() {
		t.Fatalf("term %d still valid after a term %d was seen", g.Term(), seen)
	}
	if err := context.Cause(g.Context()); !errors.Is(err, ErrLapsed) {
		t.Errorf("the guard's context: %v, want ErrLapsed", err)
	}
	next, err := e.AwaitGuard(wait)
	if err != nil {
		t.Fatalf("no term after superseding: %v", err)
	}
	if next.Term() <= seen {
		t.Errorf("next term %d, want above the term seen, %d", next.Term(), seen)
	}
	// The renewals bring every store to the new term.
	await.Eventually(t, "every store holds the new term", func() error {
		for _, st := range stores {
			if rec, _, err := st.Get(ctx); err != nil || rec.Term != next.Term() {
				return fmt.Errorf("store %s holds %+v (%v), want term %d", st.Name(), rec, err, next.Term())
			}
		}
		return nil
	})
}
