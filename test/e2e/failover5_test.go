// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/quorum"
	"github.com/amko-project/amko/test/await"
)

// partition leaves each amko reaching only the clusters of its own group
// (every amko runs in the cluster of its index); nil groups heal everything.
func partition(amkos []*electedAmko, groups ...[]int) {
	group := map[int]int{}
	for g, members := range groups {
		for _, i := range members {
			group[i] = g
		}
	}
	for i, a := range amkos {
		for j, l := range a.links {
			gi, oki := group[i]
			gj, okj := group[j]
			l.SetReachable(len(groups) == 0 || (oki && okj && gi == gj))
		}
	}
}

func describeWrites(ws []avisim.JournalEntry) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "\n  %v %s %s", w.Time.Format("15:04:05.000"), w.Method, w.Path)
	}
	return b.String()
}

// Automatic failover in a federation of five, through both kinds of split
// the issue names. A 3–2 split with the leader on the smaller side: the
// larger side elects a leader, whose first pass writes only the change made
// meanwhile; neither amko of the smaller side writes again. Healed, one
// leader. A 2–2–1 split: no side holds a majority, so the term lapses and
// nobody writes, not even the change made meanwhile, for as long as a claim
// would take; healed, one leader writes it.
func TestAutomaticFailoverFive(t *testing.T) {
	cls := slices.Concat(set.Clusters, set.Spare)
	if len(cls) != 5 {
		t.Fatalf("%d clusters, want five (three and two spare)", len(cls))
	}
	contexts := make([]string, len(cls))
	for i, cl := range cls {
		contexts[i] = cl.Context
	}
	amkos, gs := federate(t, cls, []int{1, 2}, "q5", 75)
	defer partition(amkos)

	var first int
	var term int64
	await.Eventually(t, "one of five is elected", func() (err error) {
		first, term, err = elected(amkos)
		return err
	})
	want := []string{"10:10.75.2.1:1", "10:10.75.3.1:1"}
	await.Eventually(t, "the elected amko syncs", wantMembers(gs, want...))
	t.Logf("elected: the amko of %s, term %d", contexts[first], term)

	// 3–2: the leader and one other (never an application's cluster, so that
	// a change can be made where the larger side reads it) against three.
	other := slices.IndexFunc([]int{3, 4, 0}, func(i int) bool { return i != first })
	other = []int{3, 4, 0}[other]
	minority := []int{first, other}
	var majority []int
	for i := range cls {
		if !slices.Contains(minority, i) {
			majority = append(majority, i)
		}
	}
	partition(amkos, minority, majority)
	cut := time.Now()
	changed := 1
	if first == 1 {
		changed = 2
	}
	setServiceIP(t, cls[changed], "default", "q5", fmt.Sprintf("10.75.%d.9", changed+1))
	want[changed-1] = fmt.Sprintf("10:10.75.%d.9:1", changed+1)
	await.Eventually(t, "the cut-off leader stops leading", func() error {
		if r := amkos[first].op.Role(); r == operator.RoleLeader {
			return fmt.Errorf("still %v", r)
		}
		return nil
	})
	minorityWrites := []float64{amkos[first].writes(t), amkos[other].writes(t)}
	var next int
	var nextTerm int64
	await.Eventually(t, "the larger side elects a leader", func() (err error) {
		next, nextTerm, err = elected(amkos)
		return err
	})
	if !slices.Contains(majority, next) || nextTerm <= term {
		t.Fatalf("elected %s with term %d after term %d; the larger side is %v", contexts[next], nextTerm, term, majority)
	}
	await.Eventually(t, "the new leader writes the change", wantMembers(gs, want...))
	began := *amkos[next].op.Status().Election.LastChange
	t.Logf("3–2: %s elected for term %d %v after the cut, the change written %v after it",
		contexts[next], nextTerm, began.Sub(cut).Round(time.Millisecond), time.Since(cut).Round(time.Millisecond))
	// Nothing reached the controller between the cut and the new term, and
	// the new leader's first pass wrote the one service that changed.
	ws := writesBy("", cut)
	for _, w := range ws {
		if w.Time.Before(began) {
			t.Errorf("a controller write after the cut and before the new term began at %v: %s", began.Format("15:04:05.000"), describeWrites(ws))
			break
		}
	}
	if len(ws) != 1 || ws[0].Method != "PUT" || !strings.Contains(ws[0].Path, "gslbservice") {
		t.Errorf("the new leader's first pass wrote %d requests, want the one PUT of the changed service:%s", len(ws), describeWrites(ws))
	}

	// Healed: one leader, of the new term or a later one, and the smaller
	// side never wrote after the old term lapsed.
	partition(amkos)
	var healed int
	await.Eventually(t, "one leader after the heal, the smaller side following", func() error {
		l, lt, err := elected(amkos)
		if err != nil {
			return err
		}
		if lt < nextTerm {
			return fmt.Errorf("%s leads with term %d, older than %d", contexts[l], lt, nextTerm)
		}
		for _, i := range minority {
			if e := amkos[i].op.Status().Election; e.HolderTerm < nextTerm || amkos[i].op.Role() != operator.RoleFollower {
				return fmt.Errorf("%s: role %v, sees holder %q term %d", contexts[i], amkos[i].op.Role(), e.Holder, e.HolderTerm)
			}
		}
		healed = l
		return nil
	})
	for k, i := range minority {
		if w := amkos[i].writes(t); w != minorityWrites[k] {
			t.Errorf("%s, on the smaller side, wrote %v changes to the controller after the old term lapsed", contexts[i], w-minorityWrites[k])
		}
		if ws := writesBy(controllerUser(contexts[i]), began); len(ws) > 0 {
			t.Errorf("%s, on the smaller side, wrote to the controller after the new term began:%s", contexts[i], describeWrites(ws))
		}
	}

	// 2–2–1: no side has three of five. The term lapses and nobody writes.
	groups := [][]int{{0, 1}, {2, 3}, {4}}
	partition(amkos, groups...)
	split := time.Now()
	setServiceIP(t, cls[changed], "default", "q5", fmt.Sprintf("10.75.%d.7", changed+1))
	await.Eventually(t, "the leader's term lapses in a three-way split", func() error {
		if r := amkos[healed].op.Role(); r == operator.RoleLeader {
			return fmt.Errorf("%s is still %v", contexts[healed], r)
		}
		return nil
	})
	lapsed := time.Now()
	// For as long as a candidate that reached a majority would need to claim
	// (a read, then the lease on the slowest clock, plus a margin), nobody may.
	window := quorum.DefaultConfig("").FailoverBound() + time.Second
	for time.Since(lapsed) < window {
		for i, a := range amkos {
			if a.op.Role() == operator.RoleLeader {
				t.Fatalf("%s leads in a 2–2–1 split (%v after its start): %+v", contexts[i], time.Since(split).Round(time.Millisecond), a.op.Status().Election)
			}
		}
		time.Sleep(100 * time.Millisecond) // watching for an absence over a window, not waiting for a state
	}
	if ws := writesBy("", lapsed); len(ws) > 0 {
		t.Errorf("controller writes during the 2–2–1 split:%s", describeWrites(ws))
	}
	t.Logf("2–2–1: the term lapsed %v after the split; no leader and no write for the %v after",
		lapsed.Sub(split).Round(time.Millisecond), window.Round(time.Millisecond))

	// Healed: one leader, which writes the change the split held back.
	partition(amkos)
	healedAt := time.Now()
	want[changed-1] = fmt.Sprintf("10:10.75.%d.7:1", changed+1)
	var last int
	var lastTerm int64
	await.Eventually(t, "one leader after the three-way split heals", func() (err error) {
		last, lastTerm, err = elected(amkos)
		return err
	})
	await.Eventually(t, "the held-back change is written", wantMembers(gs, want...))
	t.Logf("healed: %s leads with term %d %v after the heal", contexts[last], lastTerm, time.Since(healedAt).Round(time.Millisecond))
}
