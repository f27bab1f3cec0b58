// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
)

// BenchmarkAutomaticFailover measures automatic failover with the defaults
// (lease 10 s, renew deadline 7 s, retry 2 s), in federations of three and of
// five amkos on real API servers (this package's clusters): again and again,
// the leader's site is cut off both ways (it still reaches the controller), a
// change is made at once in an application cluster the others reach, and
// the time from the cut until the controller holds the change is taken; then
// the site comes back and the federation settles on one leader before the
// next run. AMKO_BENCH_FAILOVERS runs per size (default 20). Reported:
// failover-p50-s, failover-p99-s and failover-max-s (cut to the change on
// the controller), term-p50-s (cut to the new term), and switch-writes-max
// (controller writes from the cut until the change landed: 1 is the change
// alone). Run with
//
//	KUBEBUILDER_ASSETS=$PWD/hack/k8s/bin go test -run '^$' -bench AutomaticFailover -benchtime 1x -timeout 60m ./test/e2e/
func BenchmarkAutomaticFailover(b *testing.B) {
	runs := 20
	if s := os.Getenv("AMKO_BENCH_FAILOVERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("AMKO_BENCH_FAILOVERS=%q: want a positive number", s)
		}
		runs = n
	}
	for _, size := range []int{3, 5} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			for b.Loop() {
				benchFailover(b, size, runs)
			}
		})
	}
}

func benchFailover(b *testing.B, size, runs int) {
	cls := slices.Concat(set.Clusters, set.Spare)[:size]
	app := fmt.Sprintf("fb%d", size)
	amkos, gs := federate(b, cls, []int{1, 2}, app, 80+size)
	leaderOf := func() int {
		var l int
		await.Within(b, time.Minute, "one leader, the others following its term", func() error {
			i, term, err := elected(amkos)
			if err != nil {
				return err
			}
			for j, a := range amkos {
				if e := a.op.Status().Election; j != i && (a.op.Role() != operator.RoleFollower || e.HolderTerm != term) {
					return fmt.Errorf("%s: role %v, sees term %d of %d", cls[j].Context, a.op.Role(), e.HolderTerm, term)
				}
			}
			l = i
			return nil
		})
		return l
	}
	want := []string{fmt.Sprintf("10:10.%d.2.1:1", 80+size), fmt.Sprintf("10:10.%d.3.1:1", 80+size)}
	await.Within(b, time.Minute, "the first leader syncs", wantMembers(gs, want...))

	var failovers, terms []time.Duration
	maxWrites := 0
	for run := range runs {
		// Cut off again as soon as the federation has one leader: a site
		// that came back may not have caught up with the changes it missed,
		// and if it is elected, the controller's addresses of the clusters
		// it cannot reach win over its own stale ones.
		l := leaderOf()
		var rest []int
		for i := range cls {
			if i != l {
				rest = append(rest, i)
			}
		}
		partition(amkos, []int{l}, rest)
		cut := time.Now()
		changed := 1
		if l == 1 {
			changed = 2
		}
		ip := fmt.Sprintf("10.%d.%d.%d", 80+size, changed+1, 10+run)
		setServiceIP(b, cls[changed], "default", app, ip)
		want[changed-1] = "10:" + ip + ":1"
		await.Within(b, time.Minute, "the new leader writes the change", wantMembers(gs, want...))
		failovers = append(failovers, time.Since(cut))
		next, _, err := elected(amkos)
		if err != nil {
			b.Fatalf("run %d: the change landed, but %v", run, err)
		}
		terms = append(terms, amkos[next].op.Status().Election.LastChange.Sub(cut))
		maxWrites = max(maxWrites, len(writesBy("", cut)))
		partition(amkos)
	}
	slices.Sort(failovers)
	slices.Sort(terms)
	pct := func(d []time.Duration, p float64) time.Duration {
		return d[min(len(d)-1, int(p*float64(len(d))))]
	}
	b.ReportMetric(pct(failovers, 0.5).Seconds(), "failover-p50-s")
	b.ReportMetric(pct(failovers, 0.99).Seconds(), "failover-p99-s")
	b.ReportMetric(failovers[len(failovers)-1].Seconds(), "failover-max-s")
	b.ReportMetric(pct(terms, 0.5).Seconds(), "term-p50-s")
	b.ReportMetric(float64(maxWrites), "switch-writes-max")
	b.Logf("%d amkos, %d failovers: cut to the change on the controller %v; cut to the new term %v",
		size, runs, rounded(failovers), rounded(terms))
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(100 * time.Millisecond)
	}
	return out
}
