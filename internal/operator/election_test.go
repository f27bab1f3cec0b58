// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"slices"
	"testing"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
)

// Every member must count its majority over the same stores, in the same
// order, whatever its AMKOCluster lists first or twice.
func TestElectionSet(t *testing.T) {
	for _, tc := range []struct {
		current  string
		clusters []string
		want     []string
	}{
		{"c2", []string{"c3", "c1", "c2"}, []string{"c1", "c2", "c3"}},
		{"c2", []string{"c3", "c1"}, []string{"c1", "c2", "c3"}}, // the current cluster is a member implicitly
		{"c1", []string{"c1", "c1", "", "c2"}, []string{"c1", "c2"}},
		{"c1", nil, []string{"c1"}},
	} {
		ac := &amkov1alpha1.AMKOCluster{Spec: amkov1alpha1.AMKOClusterSpec{ClusterContext: tc.current, Clusters: tc.clusters}}
		if got := electionSet(ac); !slices.Equal(got, tc.want) {
			t.Errorf("set of %s in %v = %v, want %v", tc.current, tc.clusters, got, tc.want)
		}
	}
}
