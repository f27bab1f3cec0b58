// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package probe

import (
	"maps"
	"net/netip"
	"slices"
	"testing"

	"github.com/amko-project/amko/internal/gslb"
)

// Change touches the keys it is given only: removed keys stop, given targets
// are set (a key both removed and given is kept), every other target carries
// on; and it ends where Set with the whole set would.
func TestChange(t *testing.T) {
	target := func(key string, port uint32) Target {
		return Target{Key: key, IP: netip.MustParseAddr("10.0.0.1"), Monitor: gslb.HealthMonitor{Type: TypeTCP, Port: port}}
	}
	p := New(Options{})
	p.Set([]Target{target("a", 80), target("b", 80), target("c", 80)})
	p.Change([]string{"a", "b"}, []Target{target("b", 81), target("d", 80), {Key: "bad"}})
	got := slices.Sorted(maps.Keys(p.States()))
	if want := []string{"b", "c", "d"}; !slices.Equal(got, want) {
		t.Fatalf("targets %v, want %v", got, want)
	}
	if up, ok := p.State("b"); !up || !ok {
		t.Errorf("State(b) = %v, %v; want a new target up", up, ok)
	}
	if _, ok := p.State("a"); ok {
		t.Error("State(a): a removed key is still a target")
	}
	if port := p.targets["b"].target.Monitor.Port; port != 81 {
		t.Errorf("b probes port %d, want the new 81", port)
	}
	whole := New(Options{})
	whole.Set([]Target{target("b", 81), target("c", 80), target("d", 80)})
	for key, e := range whole.targets {
		if !sameSettings(e.target, p.targets[key].target) {
			t.Errorf("%s: Change set %+v, Set %+v", key, p.targets[key].target, e.target)
		}
	}
}
