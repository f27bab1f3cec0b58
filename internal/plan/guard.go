// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package plan

import (
	"cmp"
	"slices"
	"time"
)

// Guard defaults.
const (
	DefaultDeletionThreshold = 0.5
	DefaultDeletionWindow    = 60 * time.Second
)

// DeletionGuard is the safety valve of a plan, as external-dns's upsert-only
// policy is, but temporary: a plan that would delete more than Threshold of
// the services amko owns is most often a typo (a selector that matches
// nothing, a cluster context misspelt), so its deletions are held for Window
// and everything else goes ahead. Fixing the input within the window deletes
// nothing; a deliberate removal proceeds once the window has passed. It is
// the pass goroutine's own.
type DeletionGuard struct {
	// Threshold is the fraction of the owned services above which deletions
	// are held; 0 means DefaultDeletionThreshold.
	Threshold float64
	// Window is how long they are held; 0 or less disables the guard.
	Window time.Duration

	since time.Time // when the current mass deletion was first planned
}

// Hold describes deletions being held.
type Hold struct {
	// Services are the services whose deletion is held, "tenant/name", sorted.
	Services []string
	// Owned is the number of services amko owns in the backend.
	Owned int
	// Since is when the deletion was first planned; Until when it proceeds
	// if still wanted.
	Since, Until time.Time
}

// Check returns the changes that may be applied now, and a non-nil Hold when
// deletions are held back. owned is the number of services the backend holds
// of amko's.
func (g *DeletionGuard) Check(now time.Time, changes []Change, owned int) ([]Change, *Hold) {
	threshold := g.Threshold
	if threshold <= 0 {
		threshold = DefaultDeletionThreshold
	}
	var deletes []string
	for _, c := range changes {
		if c.Kind == KindService && c.Op == Delete {
			deletes = append(deletes, c.Tenant+"/"+c.Name)
		}
	}
	if g.Window <= 0 || len(deletes) == 0 || float64(len(deletes)) <= threshold*float64(owned) {
		g.since = time.Time{} // the input was fixed, or nothing massive: a later one starts its own window
		return changes, nil
	}
	if g.since.IsZero() {
		g.since = now
	}
	until := g.since.Add(g.Window)
	if !now.Before(until) {
		return changes, nil // confirmed by time: still wanted after the whole window
	}
	// Monitors are held too: a held service may still reference them.
	kept := make([]Change, 0, len(changes))
	for _, c := range changes {
		if c.Op != Delete {
			kept = append(kept, c)
		}
	}
	slices.SortFunc(deletes, cmp.Compare)
	return kept, &Hold{Services: deletes, Owned: owned, Since: g.since, Until: until}
}
