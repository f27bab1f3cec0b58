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
// term claimed is above the one seen, whichever candidate claims it: the
// released records carry the term seen.
func TestSupersede(t *testing.T) {
	stores := []Store{NewMemStore("a"), NewMemStore("b"), NewMemStore("c")}
	type candidate struct {
		e      *Elector
		cancel context.CancelFunc
		done   chan error
	}
	var cands []*candidate
	for _, id := range []string{"x", "y"} {
		e, err := New(fastConfig(id), stores)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		c := &candidate{e: e, cancel: cancel, done: make(chan error, 1)}
		go func() { c.done <- e.Run(ctx) }()
		cands = append(cands, c)
	}
	stop := func(c *candidate) {
		c.cancel()
		if err := <-c.done; !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}
	var held, other *candidate
	var g *Guard
	await.Eventually(t, "a leader", func() error {
		for i, c := range cands {
			if g = c.e.Guard(); g != nil {
				held, other = c, cands[1-i]
				return nil
			}
		}
		return errors.New("no leader")
	})
	defer stop(other)
	seen := g.Term() + 5
	held.e.Supersede(seen, "a later term on the controller")
	if g.Valid() {
		t.Fatalf("term %d still valid after a term %d was seen", g.Term(), seen)
	}
	if err := context.Cause(g.Context()); !errors.Is(err, ErrLapsed) {
		t.Errorf("the guard's context: %v, want ErrLapsed", err)
	}
	// The superseded candidate leaves: the other one, which never saw the
	// term, claims above it from the released records.
	stop(held)
	var next *Guard
	await.Eventually(t, "the other candidate leads", func() error {
		if next = other.e.Guard(); next == nil {
			return errors.New("no leader")
		}
		return nil
	})
	if next.Term() <= seen {
		t.Errorf("next term %d, want above the term seen, %d", next.Term(), seen)
	}
	// The renewals bring every store to the new term.
	await.Eventually(t, "every store holds the new term", func() error {
		for _, st := range stores {
			if rec, _, err := st.Get(context.Background()); err != nil || rec.Term != next.Term() {
				return fmt.Errorf("store %s holds %+v (%v), want term %d", st.Name(), rec, err, next.Term())
			}
		}
		return nil
	})
}
