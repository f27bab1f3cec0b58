// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package bench holds amko's benchmarks; bench/README.md records their figures.
package bench

import (
	"context"
	"testing"
	"time"

	"github.com/amko-project/amko/test/clusters"
)

// BenchmarkStartThreeClusters measures how long test/clusters takes to start three
// member clusters in parallel (API server, etcd, CRDs established, avi-system
// created) and to stop them again.
func BenchmarkStartThreeClusters(b *testing.B) {
	var start, stop time.Duration
	for b.Loop() {
		t0 := time.Now()
		set, err := clusters.Start(context.Background(), 3, clusters.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := set.Stop(); err != nil {
			b.Fatal(err)
		}
		start += t1.Sub(t0)
		stop += time.Since(t1)
	}
	b.ReportMetric(float64(start.Milliseconds())/float64(b.N), "start-ms/op")
	b.ReportMetric(float64(stop.Milliseconds())/float64(b.N), "stop-ms/op")
}
