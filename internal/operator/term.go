// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"errors"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider"
)

// The term on the controller's objects (failover Automatic): every write of
// an elected amko carries the term it was elected for (plan.Change.Term; the
// Avi backend records it as the marker amko-leader-term), and Observe reads it
// back. The controller's writes are not conditional, so a stale leader's write
// that lands late cannot be refused there; the term makes it visible:
//
//   - an object carrying a later term than this amko's was written by a later
//     leader: this amko does not write it (its guard should have lapsed
//     already: belt and braces), Warning Event StaleTerm;
//   - an object this amko wrote under its term and now carrying an older one
//     was overwritten by a stale leader's late write: Warning Event
//     StaleWrite, and drift repair rewrites it if it differs.
//
// In Manual mode changes carry no term: the objects are AMKO's, unchanged.

// Event reasons and amko_stale_term_writes_total outcomes.
const (
	// ReasonStaleTerm is the federation's reason too: a later term's object
	// that this amko does not overwrite.
	ReasonStaleTerm = "StaleTerm"
	// ReasonStaleWrite: an older term's write landed over this amko's.
	ReasonStaleWrite = "StaleWrite"

	outcomeRefused  = "refused"
	outcomeDetected = "detected"
)

// termMarks is what this amko wrote under which term, by object: the pass
// goroutine's (sync), with its own lock for safety.
type termMarks struct {
	mu sync.Mutex
	// written is the term of this amko's last successful write of each
	// object (creates and updates; deletes too, to catch a late re-create).
	written map[termObject]int64
}

type termObject struct {
	kind         plan.Kind
	tenant, name string
}

// writeTerm is the term this amko's controller writes are made under: its
// valid guard's with failover Automatic (elected set), 0 in Manual mode or
// while it holds no term.
func (o *Operator) writeTerm() (term int64, elected bool) {
	o.elect.mu.Lock()
	defer o.elect.mu.Unlock()
	elected = o.elect.cur != nil || o.elect.waiting != ""
	if g := o.elect.guard; elected && g != nil && g.Valid() {
		term = g.Term()
	}
	return term, elected
}

// markTerm gives the changes the term, and leaves out those that would
// overwrite an object a later term wrote (with a StaleTerm Event and an
// error that asks for the backend to be read again).
func (o *Operator) markTerm(gc *amkov1alpha1.GSLBConfig, planner *plan.Planner, changes []plan.Change, term int64) ([]plan.Change, error) {
	kept := changes[:0:0]
	var errs []error
	var later int64
	for _, ch := range changes {
		if t := planner.ObservedTerm(ch); t > term {
			later = max(later, t)
			err := fmt.Errorf("%s %s/%s on the controller was written in leadership term %d, after this leader's term %d: not overwritten",
				kindName(ch.Kind), ch.Tenant, ch.Name, t, term)
			o.metrics.staleTerm.WithLabelValues(outcomeRefused).Inc()
			o.recorder.Event(o.termEventObject(gc), corev1.EventTypeWarning, ReasonStaleTerm, err.Error())
			o.log.Warn("automatic failover: refusing to overwrite a later term's object", "err", err)
			errs = append(errs, err)
			continue
		}
		ch.Term = term
		kept = append(kept, ch)
	}
	if len(errs) > 0 {
		// Either a later leader exists (and this amko's term is lapsing
		// anyway) or the Leases were deleted and the terms began again:
		// either way this term ends now and the next claim goes above the
		// one seen, so that such objects are not refused for ever.
		o.elect.mu.Lock()
		e := o.elect.cur
		o.elect.mu.Unlock()
		if e != nil {
			e.elector.Supersede(later, fmt.Sprintf("the controller holds objects of leadership term %d", later))
		}
		return kept, fmt.Errorf("%w: %w", provider.ErrConflict, errors.Join(errs...))
	}
	return kept, nil
}

// noteWritten remembers the term of each successful write.
func (o *Operator) noteWritten(results []plan.Result) {
	o.terms.mu.Lock()
	defer o.terms.mu.Unlock()
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		k := termObject{r.Change.Kind, r.Change.Tenant, r.Change.Name}
		if r.Change.Term <= 0 {
			delete(o.terms.written, k) // written without a term: nothing to compare
			continue
		}
		if o.terms.written == nil {
			o.terms.written = map[termObject]int64{}
		}
		o.terms.written[k] = r.Change.Term
	}
}

// checkTerms compares a fresh observation with what this amko wrote: an
// object it wrote under a term and now carrying an older one (or none) was
// overwritten by a stale leader's late write. Each is reported once; the
// pass's plan, comparing everything after a fresh observation, repairs it
// if it differs. Objects no longer observed are forgotten.
func (o *Operator) checkTerms(gc *amkov1alpha1.GSLBConfig, obs plan.Observed, elected bool) {
	o.terms.mu.Lock()
	defer o.terms.mu.Unlock()
	if !elected {
		o.terms.written = nil
		return
	}
	if len(o.terms.written) == 0 {
		return
	}
	seen := make(map[termObject]int64, len(obs.Services)+len(obs.Monitors))
	for _, s := range obs.Services {
		seen[termObject{plan.KindService, s.Service.Tenant, s.Service.Name}] = s.Term
	}
	for _, m := range obs.Monitors {
		seen[termObject{plan.KindMonitor, m.Tenant, m.Monitor.Name}] = m.Term
	}
	for k, wrote := range o.terms.written {
		t, ok := seen[k]
		if !ok {
			delete(o.terms.written, k)
			continue
		}
		if t >= wrote {
			continue
		}
		older := fmt.Sprintf("leadership term %d", t)
		if t == 0 {
			older = "no leadership term (a writer in Manual mode)"
		}
		msg := fmt.Sprintf("%s %s/%s on the controller was overwritten with %s after this amko wrote it in term %d: "+
			"a stale leader's late write (the controller's writes are not conditional); repaired if it differs", kindName(k.kind), k.tenant, k.name, older, wrote)
		o.metrics.staleTerm.WithLabelValues(outcomeDetected).Inc()
		o.recorder.Event(o.termEventObject(gc), corev1.EventTypeWarning, ReasonStaleWrite, msg)
		o.log.Warn("automatic failover: a stale leader's write landed", "kind", k.kind, "tenant", k.tenant, "name", k.name, "term", t, "wrote", wrote)
		// Reported once: a repair writes the current term again.
		o.terms.written[k] = t
	}
}

// termEventObject is what the term's Events are about: the AMKOCluster whose
// election gave the term (where StaleTerm of the replicated configuration
// and the election's Events are), else the GSLBConfig.
func (o *Operator) termEventObject(gc *amkov1alpha1.GSLBConfig) client.Object {
	o.elect.mu.Lock()
	ac := o.elect.ac
	o.elect.mu.Unlock()
	if ac != nil {
		return ac
	}
	return gc
}

func kindName(k plan.Kind) string {
	if k == plan.KindMonitor {
		return "health monitor"
	}
	return "GSLB service"
}
