// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package dnscompare_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amko-project/amko/internal/dnscompare"
	"github.com/amko-project/amko/test/avidns"
)

// The same services answer alike, a weight-1 member among weight 20 included;
// a changed member, a missing service and a changed TTL are each reported once,
// with what differs; a name neither serves is no difference.
func TestCompare(t *testing.T) {
	left := avidns.Start(t,
		avidns.Service("same.example.com", 30, "10.0.0.1:1", "10.0.0.2:1"),
		avidns.Service("rare.example.com", 30, "10.0.1.1:20", "10.0.1.2:1"),
		avidns.Service("moved.example.com", 30, "10.0.2.1:1", "10.0.2.2:1"),
		avidns.Service("gone.example.com", 30, "10.0.3.1:1"),
		avidns.Service("ttl.example.com", 30, "10.0.4.1:1"),
	)
	right := avidns.Start(t,
		avidns.Service("same.example.com", 30, "10.0.0.2:1", "10.0.0.1:1"),
		avidns.Service("rare.example.com", 30, "10.0.1.1:20", "10.0.1.2:1"),
		avidns.Service("moved.example.com", 30, "10.0.2.1:1", "10.0.2.9:1"),
		avidns.Service("ttl.example.com", 60, "10.0.4.1:1"),
	)
	names := []string{"same.example.com", "rare.example.com", "moved.example.com", "gone.example.com", "ttl.example.com", "nowhere.example.com"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	diffs, err := dnscompare.Compare(ctx, left, right, names, dnscompare.Options{Timeout: 200 * time.Millisecond, Types: []uint16{1}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range diffs {
		got = append(got, fmt.Sprintf("%s %s %v %v", d.Name, d.What, d.Left.Addresses, d.Right.Addresses))
	}
	want := []string{
		"gone.example.com. resolution [10.0.3.1] []",
		"moved.example.com. addresses [10.0.2.1 10.0.2.2] [10.0.2.1 10.0.2.9]",
		"ttl.example.com. ttl [10.0.4.1] [10.0.4.1]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, d := range diffs {
		if d.Name == "gone.example.com." && d.Right.Rcode != dnscompare.NoAnswer {
			t.Errorf("a name the Avi DNS service drops: rcode %q, want %q", d.Right.Rcode, dnscompare.NoAnswer)
		}
	}
}

// A cancelled comparison says so.
func TestCompareCancelled(t *testing.T) {
	addr := avidns.Start(t, avidns.Service("a.example.com", 30, "10.0.0.1:1"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := dnscompare.Compare(ctx, addr, addr, []string{"a.example.com"}, dnscompare.Options{}); err == nil {
		t.Error("no error from a cancelled comparison")
	}
}
