// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/client-go/tools/record"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider"
)

func termOperator() (*Operator, *record.FakeRecorder) {
	rec := record.NewFakeRecorder(10)
	return &Operator{metrics: NewMetrics(prometheus.NewRegistry()), recorder: rec, log: slog.New(slog.NewTextHandler(io.Discard, nil))}, rec
}

func event(t *testing.T, rec *record.FakeRecorder) string {
	t.Helper()
	select {
	case e := <-rec.Events:
		return e
	default:
		return ""
	}
}

// A change over an object a later term wrote is left out, with a StaleTerm
// Event and a conflict; the others get the term.
func TestMarkTermRefusesLaterTerms(t *testing.T) {
	o, rec := termOperator()
	gc := &amkov1alpha1.GSLBConfig{}
	obs := plan.Observed{Services: []plan.ObservedService{
		{UUID: "1", Service: &gslb.Service{Tenant: "admin", Name: "later"}, Term: 5},
		{UUID: "2", Service: &gslb.Service{Tenant: "admin", Name: "older"}, Term: 3},
	}}
	planner := plan.NewPlanner(obs, plan.Options{})
	changes := planner.Plan([]*gslb.Service{
		{Tenant: "admin", Name: "later", Enabled: true}, {Tenant: "admin", Name: "new"}, {Tenant: "admin", Name: "older", Enabled: true},
	})
	kept, err := o.markTerm(gc, planner, changes, 4)
	if !errors.Is(err, provider.ErrConflict) || !strings.Contains(err.Error(), "admin/later") {
		t.Errorf("error %v, want a conflict naming admin/later", err)
	}
	var names []string
	for _, ch := range kept {
		if ch.Term != 4 {
			t.Errorf("%s carries term %d", ch.Name, ch.Term)
		}
		names = append(names, ch.Name)
	}
	if strings.Join(names, ",") != "new,older" {
		t.Errorf("kept %v, want new and older", names)
	}
	if e := event(t, rec); !strings.Contains(e, "Warning StaleTerm GSLB service admin/later") || !strings.Contains(e, "term 5, after this leader's term 4") {
		t.Errorf("event %q", e)
	}
	if got := counter(t, o.metrics.staleTerm.WithLabelValues(outcomeRefused)); got != 1 {
		t.Errorf("refused %v, want 1", got)
	}
}

// An object this amko wrote under its term, observed with an older one, is
// reported once as a stale write; the same or a later term is not.
func TestCheckTermsDetectsStaleWrites(t *testing.T) {
	o, rec := termOperator()
	gc := &amkov1alpha1.GSLBConfig{}
	wrote := func(kind plan.Kind, name string, term int64) plan.Result {
		return plan.Result{Change: plan.Change{Op: plan.Update, Kind: kind, Tenant: "admin", Name: name, Term: term}}
	}
	o.noteWritten([]plan.Result{wrote(plan.KindService, "a", 4), wrote(plan.KindService, "b", 4), wrote(plan.KindMonitor, "amko--m", 4),
		wrote(plan.KindService, "manual", 0), wrote(plan.KindService, "gone", 4)})
	obs := plan.Observed{
		Services: []plan.ObservedService{
			{Service: &gslb.Service{Tenant: "admin", Name: "a"}, Term: 3},
			{Service: &gslb.Service{Tenant: "admin", Name: "b"}, Term: 4},
			{Service: &gslb.Service{Tenant: "admin", Name: "manual"}},
		},
		Monitors: []plan.ObservedMonitor{{Tenant: "admin", Monitor: gslb.HealthMonitor{Name: "amko--m"}}},
	}
	o.checkTerms(gc, obs, true)
	got := []string{event(t, rec), event(t, rec), event(t, rec)}
	if !strings.Contains(got[0]+got[1], "Warning StaleWrite GSLB service admin/a on the controller was overwritten with leadership term 3 after this amko wrote it in term 4") ||
		!strings.Contains(got[0]+got[1], "Warning StaleWrite health monitor admin/amko--m on the controller was overwritten with no leadership term") || got[2] != "" {
		t.Errorf("events %q", got)
	}
	if n := counter(t, o.metrics.staleTerm.WithLabelValues(outcomeDetected)); n != 2 {
		t.Errorf("detected %v, want 2", n)
	}
	// Once only; the vanished object is forgotten.
	o.checkTerms(gc, obs, true)
	if e := event(t, rec); e != "" {
		t.Errorf("reported again: %q", e)
	}
	if _, ok := o.terms.written[termObject{plan.KindService, "admin", "gone"}]; ok {
		t.Error("an object no longer observed is still remembered")
	}
	// Out of the election, nothing is remembered.
	o.checkTerms(gc, obs, false)
	if len(o.terms.written) != 0 {
		t.Errorf("remembered %v in Manual mode", o.terms.written)
	}
}

func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
