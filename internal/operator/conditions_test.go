// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider"
)

func TestConfigConditions(t *testing.T) {
	hold := &plan.Hold{Services: []string{"admin/a", "admin/b"}, Owned: 2, Until: time.Unix(0, 0)}
	for _, tc := range []struct {
		state string
		err   error
		hold  *plan.Hold
		want  string // Accepted, Synced and Ready as status/reason
	}{
		{amkov1alpha1.GSLBConfigStateAccepted, nil, nil, "True/Accepted True/Synced True/Ready"},
		{amkov1alpha1.GSLBConfigStateAccepted, nil, hold, "True/Accepted False/DeletionHeld False/DeletionHeld"},
		{amkov1alpha1.GSLBConfigStateSyncing, nil, nil, "True/Accepted False/Syncing False/Syncing"},
		{amkov1alpha1.GSLBConfigStateSynced, nil, nil, "True/Accepted True/Synced True/Ready"},
		{"error: cluster healthcheck failed, cluster c health check failed, can't access the services api", nil, nil,
			"True/Accepted False/MemberClusterUnreachable False/MemberClusterUnreachable"},
		{amkov1alpha1.GSLBConfigStateNotLeader, nil, nil, "True/Accepted False/NotLeader False/NotLeader"},
		{"error: issue in connecting to the controller API, x", fmt.Errorf("x: %w", provider.ErrBadCredentials), nil,
			"True/Accepted False/BadCredentials False/BadCredentials"},
		{"error: issue in connecting to the controller API, x", fmt.Errorf("x: %w", provider.ErrUnavailable), nil,
			"True/Accepted False/BackendUnavailable False/BackendUnavailable"},
		{"error: issue in connecting to the controller API, x", fmt.Errorf("x: %w", provider.ErrUntrusted), nil,
			"True/Accepted False/CertificateUntrusted False/CertificateUntrusted"},
		{amkov1alpha1.GSLBConfigStateAnother, nil, nil, "False/Rejected False/Rejected False/Rejected"},
		{"error: secret object doesn't exist x", nil, nil, "False/Rejected False/Rejected False/Rejected"},
	} {
		conds, changed := withConditions(nil, 7, configConditions(tc.state, tc.err, tc.hold)...)
		got := ""
		for _, typ := range []string{amkov1alpha1.ConditionAccepted, amkov1alpha1.ConditionSynced, amkov1alpha1.ConditionReady} {
			c := meta.FindStatusCondition(conds, typ)
			if c == nil || c.ObservedGeneration != 7 || c.Message == "" {
				t.Fatalf("%q: condition %s %+v", tc.state, typ, c)
			}
			if got != "" {
				got += " "
			}
			got += string(c.Status) + "/" + c.Reason
		}
		if got != tc.want || !changed {
			t.Errorf("%q: %s (changed %v), want %s", tc.state, got, changed, tc.want)
		}
	}
}

// Writing the same conditions again changes nothing, and keeps transition
// times; a change of status moves only that condition's time.
func TestWithConditionsIdempotent(t *testing.T) {
	first, _ := withConditions(nil, 1, configConditions(amkov1alpha1.GSLBConfigStateSyncing, nil, nil)...)
	for i := range first {
		first[i].LastTransitionTime = metav1.NewTime(time.Unix(100, 0))
	}
	again, changed := withConditions(first, 1, configConditions(amkov1alpha1.GSLBConfigStateSyncing, nil, nil)...)
	if changed {
		t.Errorf("the same conditions again: changed %+v", again)
	}
	next, changed := withConditions(first, 1, configConditions(amkov1alpha1.GSLBConfigStateAccepted, nil, nil)...)
	if !changed {
		t.Fatal("no change from Syncing to Accepted")
	}
	if c := meta.FindStatusCondition(next, amkov1alpha1.ConditionAccepted); !c.LastTransitionTime.Equal(&metav1.Time{Time: time.Unix(100, 0)}) {
		t.Errorf("Accepted stayed True but its transition time moved: %v", c.LastTransitionTime)
	}
	if c := meta.FindStatusCondition(next, amkov1alpha1.ConditionSynced); c.LastTransitionTime.Equal(&metav1.Time{Time: time.Unix(100, 0)}) {
		t.Error("Synced became True but kept its old transition time")
	}
}
