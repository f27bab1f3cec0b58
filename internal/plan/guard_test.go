// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package plan

import (
	"fmt"
	"testing"
	"time"
)

func deletes(n int) []Change {
	var out []Change
	for i := range n {
		out = append(out, Change{Op: Delete, Kind: KindService, Tenant: "admin", Name: fmt.Sprintf("s%02d", i), UUID: "u"})
	}
	return out
}

func TestDeletionGuard(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	create := Change{Op: Create, Kind: KindService, Tenant: "admin", Name: "new"}
	monitorDelete := Change{Op: Delete, Kind: KindMonitor, Tenant: "admin", Name: "amko--x", UUID: "m"}
	type step struct {
		at      time.Duration // after t0
		changes []Change
		owned   int
		applied int // changes let through
		held    int // services held; 0: no hold
		until   time.Duration
	}
	tests := []struct {
		name   string
		window time.Duration
		steps  []step
	}{
		{"a few deletions go ahead", time.Minute, []step{
			{0, deletes(5), 10, 5, 0, 0},
		}},
		{"more than half is held, creates and updates go on", time.Minute, []step{
			{0, append(append(deletes(6), create), monitorDelete), 10, 1, 6, time.Minute},
		}},
		{"fixed within the window: nothing deleted, and a later mass deletion gets its own window", time.Minute, []step{
			{0, deletes(10), 10, 0, 10, time.Minute},
			{30 * time.Second, deletes(10), 10, 0, 10, time.Minute},
			{40 * time.Second, nil, 10, 0, 0, 0},
			{50 * time.Second, deletes(10), 10, 0, 10, 50*time.Second + time.Minute},
		}},
		{"still wanted after the window: proceeds, and keeps proceeding", time.Minute, []step{
			{0, deletes(10), 10, 0, 10, time.Minute},
			{time.Minute, deletes(10), 10, 10, 0, 0},
			{time.Minute + time.Second, deletes(4), 4, 4, 0, 0},
		}},
		{"window 0 disables", 0, []step{
			{0, deletes(10), 10, 10, 0, 0},
		}},
		{"nothing owned yet: deleting is not massive... but nothing to delete either", time.Minute, []step{
			{0, nil, 0, 0, 0, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := DeletionGuard{Window: tt.window}
			for i, s := range tt.steps {
				got, hold := g.Check(t0.Add(s.at), s.changes, s.owned)
				if len(got) != s.applied {
					t.Errorf("step %d: %d changes let through, want %d", i, len(got), s.applied)
				}
				switch {
				case s.held == 0 && hold != nil:
					t.Errorf("step %d: held %v, want no hold", i, hold.Services)
				case s.held > 0 && hold == nil:
					t.Errorf("step %d: no hold, want %d held", i, s.held)
				case hold != nil:
					if len(hold.Services) != s.held || !hold.Until.Equal(t0.Add(s.until)) || hold.Owned != s.owned {
						t.Errorf("step %d: hold %d until %v owned %d, want %d until %v owned %d",
							i, len(hold.Services), hold.Until.Sub(t0), hold.Owned, s.held, s.until, s.owned)
					}
					for _, c := range got {
						if c.Op == Delete {
							t.Errorf("step %d: %s %s let through while held", i, c.Kind, c.Name)
						}
					}
				}
			}
		})
	}
}
