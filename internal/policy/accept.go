// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package policy

import (
	"context"
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
)

// Texts AMKO writes on the policy objects it does not use (amko.md §1.2, §1.3).
const (
	MsgAnotherGDP    = "a GDP object already exists, can't add another"
	MsgDuplicateFQDN = "there's an existing GSLBHostRule for the same FQDN"
)

// Reasons of the Events recorded when a policy object is validated.
const (
	ReasonAccepted = "Accepted"
	ReasonRejected = "Rejected"
)

// Inputs is what one acceptance pass works from: the accepted GSLBConfig's
// settings and the policy objects as listed.
type Inputs struct {
	// UUID, Tenant, CustomGlobalFQDN, AddressOnly, Clusters and Locations are
	// the GSLBConfig's settings, copied into the Policy (see Policy). An empty
	// Tenant is DefaultTenant.
	UUID             string
	Tenant           string
	CustomGlobalFQDN bool
	AddressOnly      bool
	Clusters         []string
	Locations        map[string]gslb.Location
	// ValidationKey identifies the controller references are looked up in
	// (the backend's configuration). When it changes, the acceptor forgets what
	// it validated, as Reset does.
	ValidationKey string

	// GDPs are the GlobalDeploymentPolicies of AMKO's namespace, in any order.
	GDPs []amkov1alpha2.GlobalDeploymentPolicy
	// HostRules are the GSLBHostRules of every namespace, in any order.
	HostRules []amkov1alpha1.GSLBHostRule
	// NamespaceTenant is the tenant a namespace names (its AKO tenant
	// annotation), "" for none; nil when no namespace names one. GSLBHostRules
	// are validated in their namespace's tenant, else in Tenant.
	NamespaceTenant func(namespace string) string
}

// Event is an Event to record on a policy object.
type Event struct {
	Type    string // corev1.EventTypeNormal or corev1.EventTypeWarning
	Reason  string
	Message string
}

// GDPVerdict is what to write on one GlobalDeploymentPolicy.
type GDPVerdict struct {
	// GDP is the object, an element of Inputs.GDPs.
	GDP *amkov1alpha2.GlobalDeploymentPolicy
	// ErrorStatus is its status.errorStatus: "success" or why it is not used.
	ErrorStatus string
	// Event is to be recorded on it; nil for none.
	Event *Event
}

// HostRuleVerdict is what to write on one GSLBHostRule.
type HostRuleVerdict struct {
	// HostRule is the object, an element of Inputs.HostRules.
	HostRule *amkov1alpha1.GSLBHostRule
	// Status and Error are its status: Accepted and "", or Rejected and why.
	Status, Error string
	// Event is to be recorded on it; nil for none.
	Event *Event
}

// Outcome is the result of an acceptance pass.
type Outcome struct {
	// Policy is the effective policy, DefaultPKIProfile left to the caller.
	Policy *Policy
	// GDPs has one verdict per listed GlobalDeploymentPolicy, the one in use
	// first.
	GDPs []GDPVerdict
	// HostRules has one verdict per listed GSLBHostRule, oldest first.
	HostRules []HostRuleVerdict
}

// Acceptor accepts policy objects the way AMKO does, across passes:
//
//   - Of several GlobalDeploymentPolicies, the accepted one is used (else the
//     oldest); the others are refused with MsgAnotherGDP.
//   - Each generation of an object is validated once (references are looked up
//     in the controller), and an Event records the verdict.
//   - A refused edit leaves the last accepted spec in effect, with its
//     templates; a GSLBHostRule never accepted has no effect. The last accepted
//     GlobalDeploymentPolicy stays in effect as long as one is listed.
//   - Of the GSLBHostRules with an accepted spec for the same FQDN, the oldest
//     is in effect; the others are refused with MsgDuplicateFQDN.
//   - Deleted objects are forgotten.
//
// The zero Acceptor is ready; it is not safe for concurrent use.
type Acceptor struct {
	key       string               // Inputs.ValidationKey of the verdicts
	gdp       *acceptedGDP         // the last accepted GlobalDeploymentPolicy
	gdpSeen   map[string]verdict   // by uid
	hostRules map[string]*accepted // the last accepted GSLBHostRule by uid
	hrSeen    map[string]verdict   // by uid
}

// acceptedGDP is the last accepted GlobalDeploymentPolicy spec, with its
// resolved templates.
type acceptedGDP struct {
	spec      *amkov1alpha2.GDPSpec
	templates map[string]Template
}

// accepted is a GSLBHostRule's last accepted spec, with its resolved templates.
type accepted struct {
	spec      *amkov1alpha1.GSLBHostRuleSpec
	templates map[string]Template
}

// verdict is the validation of one generation of an object.
type verdict struct {
	generation int64
	err        error // an *Invalid, nil when accepted
}

// Reset forgets every verdict, so that objects are validated anew against a
// new controller, and the GSLBHostRules' last accepted specs: on a new
// controller a GSLBHostRule is in effect once accepted there. The last
// accepted GlobalDeploymentPolicy stays in effect until one is accepted or
// none is left, so that a refusal never deletes every service.
func (a *Acceptor) Reset() {
	a.gdpSeen, a.hrSeen, a.hostRules = nil, nil, nil
}

// Accept validates what changed since the last pass and returns the effective
// policy and the verdicts. An error other than *Invalid from ctrl (it did not
// answer) is returned as is and leaves the acceptor as it was: the pass is to
// be retried. A nil ctrl checks no references.
func (a *Acceptor) Accept(ctx context.Context, in Inputs, ctrl Controller) (Outcome, error) {
	prev := *a
	if in.ValidationKey != prev.key {
		prev.Reset()
		prev.key = in.ValidationKey
	}
	tenant := in.Tenant
	if tenant == "" {
		tenant = DefaultTenant
	}
	pol := &Policy{
		UUID:             in.UUID,
		Tenant:           tenant,
		CustomGlobalFQDN: in.CustomGlobalFQDN,
		AddressOnly:      in.AddressOnly,
		Clusters:         in.Clusters,
		Locations:        in.Locations,
		HostRules:        map[string]*amkov1alpha1.GSLBHostRuleSpec{},
		Templates:        map[string]Template{},
	}
	// The next state, committed once every object is validated.
	next := Acceptor{key: prev.key, gdp: prev.gdp, gdpSeen: map[string]verdict{}, hostRules: map[string]*accepted{}, hrSeen: map[string]verdict{}}
	var out Outcome
	var err error
	if out.GDPs, err = next.acceptGDPs(ctx, in, pol, &prev, ctrl); err != nil {
		return Outcome{}, err
	}
	if out.HostRules, err = next.acceptHostRules(ctx, in, pol, &prev, ctrl); err != nil {
		return Outcome{}, err
	}
	*a = next
	out.Policy = pol
	return out, nil
}

// acceptGDPs selects and validates the GlobalDeploymentPolicy and sets pol.GDP;
// a is the next state, prev the state before this pass.
func (a *Acceptor) acceptGDPs(ctx context.Context, in Inputs, pol *Policy, prev *Acceptor, ctrl Controller) ([]GDPVerdict, error) {
	items := make([]*amkov1alpha2.GlobalDeploymentPolicy, len(in.GDPs))
	for i := range in.GDPs {
		items[i] = &in.GDPs[i]
		if v, ok := prev.gdpSeen[string(items[i].UID)]; ok {
			a.gdpSeen[string(items[i].UID)] = v
		}
	}
	if len(items) == 0 {
		a.gdp = nil
		return nil, nil
	}
	slices.SortStableFunc(items, func(x, y *amkov1alpha2.GlobalDeploymentPolicy) int {
		sx, sy := x.Status.ErrorStatus == amkov1alpha2.GDPStatusSuccess, y.Status.ErrorStatus == amkov1alpha2.GDPStatusSuccess
		if sx != sy {
			if sx {
				return -1
			}
			return 1
		}
		return compareAge(x, y)
	})
	gdp := items[0]
	uid := string(gdp.UID)
	v, ok := a.gdpSeen[uid]
	var event *Event
	if !ok || v.generation != gdp.Generation {
		templates, err := ValidateGDP(ctx, &gdp.Spec, pol.Clusters, pol.Tenant, ctrl)
		if err != nil && !IsInvalid(err) {
			return nil, err // the controller did not answer: check again later
		}
		v = verdict{generation: gdp.Generation, err: err}
		a.gdpSeen[uid] = v
		if err == nil {
			a.gdp = &acceptedGDP{spec: gdp.Spec.DeepCopy(), templates: templates}
			event = &Event{corev1.EventTypeNormal, ReasonAccepted, "GlobalDeploymentPolicy accepted, generation " + strconv.FormatInt(gdp.Generation, 10)}
		} else {
			event = &Event{corev1.EventTypeWarning, ReasonRejected, err.Error() + "; the last accepted policy stays in effect"}
		}
	}
	status := amkov1alpha2.GDPStatusSuccess
	if v.err != nil {
		status = v.err.Error()
	}
	verdicts := make([]GDPVerdict, 0, len(items))
	verdicts = append(verdicts, GDPVerdict{GDP: gdp, ErrorStatus: status, Event: event})
	for _, other := range items[1:] {
		verdicts = append(verdicts, GDPVerdict{GDP: other, ErrorStatus: MsgAnotherGDP})
	}
	if last := a.gdp; last != nil {
		pol.GDP = last.spec
		maps.Copy(pol.Templates, last.templates)
	}
	return verdicts, nil
}

// acceptHostRules validates the GSLBHostRules and sets pol.HostRules; a is the
// next state, prev the state before this pass.
func (a *Acceptor) acceptHostRules(ctx context.Context, in Inputs, pol *Policy, prev *Acceptor, ctrl Controller) ([]HostRuleVerdict, error) {
	items := make([]*amkov1alpha1.GSLBHostRule, len(in.HostRules))
	for i := range in.HostRules {
		items[i] = &in.HostRules[i]
	}
	slices.SortStableFunc(items, func(x, y *amkov1alpha1.GSLBHostRule) int { return compareAge(x, y) })
	verdicts := make([]HostRuleVerdict, 0, len(items))
	owner := map[string]string{} // fqdn → uid of the rule in effect
	for _, ghr := range items {
		uid := string(ghr.UID)
		v, ok := prev.hrSeen[uid]
		last := prev.hostRules[uid]
		var event *Event
		if !ok || v.generation != ghr.Generation {
			tenant := ""
			if in.NamespaceTenant != nil {
				tenant = in.NamespaceTenant(ghr.Namespace)
			}
			if tenant == "" {
				tenant = pol.Tenant
			}
			templates, err := ValidateHostRule(ctx, ghr.Name, &ghr.Spec, pol.Clusters, tenant, ctrl)
			if err != nil && !IsInvalid(err) {
				return nil, err
			}
			v = verdict{generation: ghr.Generation, err: err}
			if err == nil {
				last = &accepted{spec: ghr.Spec.DeepCopy(), templates: templates}
				event = &Event{corev1.EventTypeNormal, ReasonAccepted, "GSLBHostRule accepted for " + ghr.Spec.Fqdn}
			} else {
				event = &Event{corev1.EventTypeWarning, ReasonRejected, err.Error()}
			}
		}
		a.hrSeen[uid] = v
		if last != nil {
			a.hostRules[uid] = last
		}
		hv := HostRuleVerdict{HostRule: ghr, Status: amkov1alpha1.GSLBHostRuleAccepted, Event: event}
		switch {
		case last != nil && owner[last.spec.Fqdn] != "":
			hv.Status, hv.Error = amkov1alpha1.GSLBHostRuleRejected, MsgDuplicateFQDN
			verdicts = append(verdicts, hv)
			continue
		case v.err != nil:
			hv.Status, hv.Error = amkov1alpha1.GSLBHostRuleRejected, v.err.Error()
		}
		verdicts = append(verdicts, hv)
		if last != nil {
			// The last accepted spec stays in effect while an edit is refused.
			owner[last.spec.Fqdn] = uid
			pol.HostRules[last.spec.Fqdn] = last.spec
			maps.Copy(pol.Templates, last.templates)
		}
	}
	return verdicts, nil
}

// compareAge orders objects by creation, then namespace and name, so that the
// oldest wins ties.
func compareAge(x, y metav1.Object) int {
	tx, ty := x.GetCreationTimestamp(), y.GetCreationTimestamp()
	if !tx.Equal(&ty) {
		if tx.Before(&ty) {
			return -1
		}
		return 1
	}
	nx, ny := x.GetNamespace()+"/"+x.GetName(), y.GetNamespace()+"/"+y.GetName()
	switch {
	case nx < ny:
		return -1
	case nx > ny:
		return 1
	}
	return 0
}
