// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package quorum elects one leader for a federation set over the member
// clusters' API servers: a leadership record (holder, term) in a Lease in
// every cluster, written with compare-and-swap, held only while a strict
// majority of the clusters renews it, taken over only once it has expired on a
// majority as measured by the candidate's own monotonic clock, with a strictly
// higher term. The holder gets a Guard: its term, for marking what it writes,
// and a check (Valid, Context) that lapses before the lease can expire
// anywhere else. docs/failover-quorum.md gives the algorithm, its guarantees
// and assumptions.
//
// Use from the operator (one Elector per amko process, one LeaseStore per
// member cluster of the set, the same set in every process):
//
//	stores := []quorum.Store{quorum.NewLeaseStore("cluster1", cs1.CoordinationV1()), ...}
//	e, err := quorum.New(quorum.DefaultConfig(quorum.NewIdentity(podName)), stores)
//	go e.Run(ctx)                       // releases the term when ctx ends
//	for {
//		g, err := e.AwaitGuard(ctx)     // blocks until this process leads
//		runLeader(g.Context(), g)       // returns when g.Done() closes
//	}
//
// where runLeader checks g.Valid() right before each write and marks written
// objects with g.Term() (TermAnnotation, FormatTerm).
package quorum
