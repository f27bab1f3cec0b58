// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"io"
	"log/slog"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/provider"
)

// The alternate followed is used only while it is listed and a CA vouches
// for it; otherwise amko is back on controllerIP. A search is due, every
// searchEvery, only with alternates and a controller in use that does not
// lead or does not answer.
func TestFollowingAlternates(t *testing.T) {
	o := &Operator{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	gc := &amkov1alpha1.GSLBConfig{Spec: amkov1alpha1.GSLBConfigSpec{GSLBLeader: amkov1alpha1.GSLBLeader{
		ControllerIP: "10.0.0.1", AlternateControllers: []string{"10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.2"}}}}
	if got := candidates(gc); len(got) != 3 || got[0] != "10.0.0.1" || got[1] != "10.0.0.2" || got[2] != "10.0.0.3" {
		t.Errorf("candidates %v, want controllerIP first, each once", got)
	}
	ca := []byte("a CA")
	o.state.controller = "10.0.0.3"
	if got := o.following(gc, ca); got != "10.0.0.3" || o.inUse(gc) != "10.0.0.3" {
		t.Errorf("following %q, in use %q, want the alternate", got, o.inUse(gc))
	}
	if got := o.following(gc, nil); got != "" || o.inUse(gc) != "10.0.0.1" {
		t.Errorf("without a CA: following %q, in use %q, want controllerIP", got, o.inUse(gc))
	}
	o.state.controller = "10.0.0.9"
	if got := o.following(gc, ca); got != "" || o.state.controller != "" {
		t.Errorf("an alternate no longer listed: following %q", got)
	}

	o.state.leader = true
	if o.searchDueLocked(gc) || o.shouldSearch(gc, false) != "" {
		t.Error("a search due with the controller leading and answering")
	}
	if why := o.shouldSearch(gc, true); why == "" {
		t.Error("no search when the controller says it does not lead")
	}
	gc.Spec.GSLBLeader.AlternateAfter = &metav1.Duration{Duration: time.Hour} // also the delay of the poke it schedules
	o.noteReachable(gc, unavailable{})
	if !o.searchDueLocked(gc) || o.shouldSearch(gc, false) != "" {
		t.Error("unreachable for less than alternateAfter: the pass may look, but must not search")
	}
	o.state.unreachableSince = time.Now().Add(-2 * time.Hour)
	if o.shouldSearch(gc, false) == "" {
		t.Error("unreachable past alternateAfter: no search")
	}
	o.state.searchedAt = time.Now()
	if o.searchDueLocked(gc) {
		t.Error("a search due again before searchEvery")
	}
	o.noteReachable(gc, nil)
	if !o.state.unreachableSince.IsZero() {
		t.Error("answering again did not clear unreachableSince")
	}
	if o.searchDueLocked(&amkov1alpha1.GSLBConfig{}) {
		t.Error("a search due without alternates")
	}
}

// unavailable is a failure of the ErrUnavailable class.
type unavailable struct{}

func (unavailable) Error() string        { return "connection refused" }
func (unavailable) Is(target error) bool { return target == provider.ErrUnavailable }
