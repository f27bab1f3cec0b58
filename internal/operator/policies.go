// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/policy"
)

// Texts AMKO writes on policy objects it does not use.
const (
	msgAnotherGDP       = "a GDP object already exists, can't add another"
	msgDuplicateFQDN    = "there's an existing GSLBHostRule for the same FQDN"
	reasonAccepted      = "Accepted"
	reasonRejected      = "Rejected"
	reasonAcceptedEvent = "accepted"
)

// accepted is a policy object's last accepted spec, with its resolved templates.
type accepted struct {
	uid       string
	fqdn      string // GSLBHostRules
	tenant    string
	gdp       *amkov1alpha2.GDPSpec
	hostRule  *amkov1alpha1.GSLBHostRuleSpec
	templates map[string]policy.Template
}

// verdict is the validation of one generation of a policy object, kept so an
// unchanged object is not checked against the controller again.
type verdict struct {
	generation int64
	err        error
}

// policyPass validates the GlobalDeploymentPolicy and GSLBHostRules, writes their
// statuses, and returns the effective policy.
func (o *Operator) policyPass(ctx context.Context, gc *amkov1alpha1.GSLBConfig) (*policy.Policy, error) {
	backend := o.policyController()
	clusters := make([]string, 0, len(gc.Spec.MemberClusters))
	for _, m := range gc.Spec.MemberClusters {
		clusters = append(clusters, m.ClusterContext)
	}
	tenant := policy.DefaultTenant
	if t := gc.Spec.GSLBLeader.Tenant; t != nil && *t != "" {
		tenant = *t
	}
	pol := &policy.Policy{
		UUID:             gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation],
		Tenant:           tenant,
		CustomGlobalFQDN: gc.Spec.UseCustomGlobalFqdn != nil && *gc.Spec.UseCustomGlobalFqdn,
		AddressOnly:      gc.Spec.DNS != nil,
		Clusters:         clusters,
		HostRules:        map[string]*amkov1alpha1.GSLBHostRuleSpec{},
		Templates:        map[string]policy.Template{},
	}
	if gc.Spec.DNS != nil {
		pol.Locations = siteLocations(gc.Spec.DNS.Geo)
	}
	if err := o.gdpPass(ctx, pol, backend); err != nil {
		return nil, err
	}
	if err := o.hostRulePass(ctx, pol, backend); err != nil {
		return nil, err
	}
	if pol.GDP != nil && pol.GDP.PKIProfileRef == nil {
		pki, err := o.defaultPKIProfile(ctx, tenant)
		if err != nil {
			return nil, err
		}
		pol.DefaultPKIProfile = pki
	}
	return pol, nil
}

func (o *Operator) gdpPass(ctx context.Context, pol *policy.Policy, backend policy.Controller) error {
	var list amkov1alpha2.GlobalDeploymentPolicyList
	if err := o.cache.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
		return err
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool {
		si, sj := items[i].Status.ErrorStatus == amkov1alpha2.GDPStatusSuccess, items[j].Status.ErrorStatus == amkov1alpha2.GDPStatusSuccess
		if si != sj {
			return si
		}
		return olderThan(&items[i], &items[j])
	})
	if len(items) == 0 {
		o.mu.Lock()
		o.state.gdp = nil
		o.mu.Unlock()
		return nil
	}
	for i := range items[1:] {
		o.setGDPStatus(ctx, &items[1+i], msgAnotherGDP)
	}
	gdp := &items[0]
	uid := string(gdp.UID)
	o.mu.Lock()
	seen, ok := o.state.gdpSeen[uid]
	o.mu.Unlock()
	if !ok || seen.generation != gdp.Generation {
		templates, err := policy.ValidateGDP(ctx, &gdp.Spec, pol.Clusters, pol.Tenant, backend)
		if err != nil && !policy.IsInvalid(err) {
			return err // the controller did not answer: check again later
		}
		seen = verdict{generation: gdp.Generation, err: err}
		o.mu.Lock()
		if o.state.gdpSeen == nil {
			o.state.gdpSeen = map[string]verdict{}
		}
		o.state.gdpSeen[uid] = seen
		if err == nil {
			o.state.gdp = &accepted{uid: uid, gdp: gdp.Spec.DeepCopy(), templates: templates}
		}
		o.mu.Unlock()
		if err == nil {
			o.recorder.Event(gdp, corev1.EventTypeNormal, reasonAccepted, "GlobalDeploymentPolicy "+reasonAcceptedEvent+", generation "+strconv.FormatInt(gdp.Generation, 10))
		} else {
			o.recorder.Event(gdp, corev1.EventTypeWarning, reasonRejected, err.Error()+"; the last accepted policy stays in effect")
		}
	}
	if seen.err != nil {
		o.setGDPStatus(ctx, gdp, seen.err.Error())
	} else {
		o.setGDPStatus(ctx, gdp, amkov1alpha2.GDPStatusSuccess)
	}
	o.mu.Lock()
	if last := o.state.gdp; last != nil {
		pol.GDP = last.gdp
		for k, v := range last.templates {
			pol.Templates[k] = v
		}
	}
	o.mu.Unlock()
	return nil
}

func (o *Operator) setGDPStatus(ctx context.Context, gdp *amkov1alpha2.GlobalDeploymentPolicy, msg string) {
	if gdp.Status.ErrorStatus == msg || !o.active() {
		return
	}
	patch := client.MergeFrom(gdp.DeepCopy())
	gdp.Status.ErrorStatus = msg
	if err := o.client.Status().Patch(ctx, gdp, patch); err != nil && !isGone(err) {
		o.log.Warn("writing GlobalDeploymentPolicy status", "name", gdp.Name, "err", err)
	}
}

func (o *Operator) hostRulePass(ctx context.Context, pol *policy.Policy, backend policy.Controller) error {
	var list amkov1alpha1.GSLBHostRuleList
	if err := o.cache.List(ctx, &list); err != nil {
		return err
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool { return olderThan(&items[i], &items[j]) })
	live := map[string]bool{}
	owner := map[string]string{} // fqdn → uid of the rule in effect
	for i := range items {
		ghr := &items[i]
		uid := string(ghr.UID)
		live[uid] = true
		tenant := o.namespaceTenant(ctx, ghr.Namespace, pol.Tenant)
		o.mu.Lock()
		seen, ok := o.state.hrSeen[uid]
		o.mu.Unlock()
		if !ok || seen.generation != ghr.Generation {
			templates, err := policy.ValidateHostRule(ctx, ghr.Name, &ghr.Spec, pol.Clusters, tenant, backend)
			if err != nil && !policy.IsInvalid(err) {
				return err
			}
			seen = verdict{generation: ghr.Generation, err: err}
			o.mu.Lock()
			if o.state.hrSeen == nil {
				o.state.hrSeen = map[string]verdict{}
				o.state.hostRules = map[string]*accepted{}
			}
			o.state.hrSeen[uid] = seen
			if err == nil {
				o.state.hostRules[uid] = &accepted{uid: uid, fqdn: ghr.Spec.Fqdn, tenant: tenant, hostRule: ghr.Spec.DeepCopy(), templates: templates}
			}
			o.mu.Unlock()
			if err == nil {
				o.recorder.Event(ghr, corev1.EventTypeNormal, reasonAccepted, "GSLBHostRule "+reasonAcceptedEvent+" for "+ghr.Spec.Fqdn)
			} else {
				o.recorder.Event(ghr, corev1.EventTypeWarning, reasonRejected, err.Error())
			}
		}
		o.mu.Lock()
		last := o.state.hostRules[uid]
		o.mu.Unlock()
		switch {
		case last != nil && owner[last.fqdn] != "":
			o.setHostRuleStatus(ctx, ghr, reasonRejected, msgDuplicateFQDN)
			continue
		case seen.err != nil:
			o.setHostRuleStatus(ctx, ghr, reasonRejected, seen.err.Error())
		default:
			o.setHostRuleStatus(ctx, ghr, reasonAccepted, "")
		}
		if last != nil {
			// The last accepted spec stays in effect while an edit is refused.
			owner[last.fqdn] = uid
			pol.HostRules[last.fqdn] = last.hostRule
			for k, v := range last.templates {
				pol.Templates[k] = v
			}
		}
	}
	o.mu.Lock()
	for uid := range o.state.hostRules {
		if !live[uid] {
			delete(o.state.hostRules, uid)
			delete(o.state.hrSeen, uid)
		}
	}
	o.mu.Unlock()
	return nil
}

// namespaceTenant is the Avi tenant of a namespace of the local cluster: its AKO
// tenant annotation, else def.
func (o *Operator) namespaceTenant(ctx context.Context, name, def string) string {
	var ns corev1.Namespace
	if err := o.cache.Get(ctx, client.ObjectKey{Name: name}, &ns); err == nil {
		if t := ns.Annotations[akov1beta1.AnnotationTenant]; t != "" {
			return t
		}
	}
	return def
}

func (o *Operator) setHostRuleStatus(ctx context.Context, ghr *amkov1alpha1.GSLBHostRule, status, msg string) {
	if (ghr.Status.Status == status && ghr.Status.Error == msg) || !o.active() {
		return
	}
	patch := client.MergeFrom(ghr.DeepCopy())
	ghr.Status.Status, ghr.Status.Error = status, msg
	if err := o.client.Status().Patch(ctx, ghr, patch); err != nil && !isGone(err) {
		o.log.Warn("writing GSLBHostRule status", "namespace", ghr.Namespace, "name", ghr.Name, "err", err)
	}
}
