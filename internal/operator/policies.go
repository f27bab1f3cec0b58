// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/policy"
)

// policyPass accepts the GlobalDeploymentPolicy and GSLBHostRules (see
// policy.Acceptor), writes their statuses and Events, and returns the
// effective policy.
func (o *Operator) policyPass(ctx context.Context, gc *amkov1alpha1.GSLBConfig) (*policy.Policy, error) {
	var gdps amkov1alpha2.GlobalDeploymentPolicyList
	if err := o.cache.List(ctx, &gdps, client.InNamespace(Namespace)); err != nil {
		return nil, err
	}
	var rules amkov1alpha1.GSLBHostRuleList
	if err := o.cache.List(ctx, &rules); err != nil {
		return nil, err
	}
	in := policy.Inputs{
		UUID:             gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation],
		CustomGlobalFQDN: gc.Spec.UseCustomGlobalFqdn != nil && *gc.Spec.UseCustomGlobalFqdn,
		AddressOnly:      dnsOnly(gc),
		GDPs:             gdps.Items,
		HostRules:        rules.Items,
		NamespaceTenant:  func(ns string) string { return o.namespaceTenant(ctx, ns) },
	}
	if t := gc.Spec.GSLBLeader.Tenant; t != nil {
		in.Tenant = *t
	}
	in.Clusters = make([]string, 0, len(gc.Spec.MemberClusters))
	for _, m := range gc.Spec.MemberClusters {
		in.Clusters = append(in.Clusters, m.ClusterContext)
	}
	if dnsOnly(gc) {
		in.Locations = policy.SiteLocations(gc.Spec.DNS.Geo)
	}
	o.mu.Lock()
	// References are checked anew on a new controller, and cluster names when
	// the member clusters change (a GDP refused for naming an unknown cluster
	// is accepted once the cluster is added).
	in.ValidationKey = o.state.configKey + "|" + strings.Join(in.Clusters, ",")
	o.mu.Unlock()

	out, err := o.policies.Accept(ctx, in, o.policyController())
	if err != nil {
		return nil, err // the controller did not answer: check again later
	}
	for _, v := range out.GDPs {
		o.recordPolicyEvent(v.GDP, v.Event)
		o.setGDPStatus(ctx, v.GDP, v.ErrorStatus)
	}
	for _, v := range out.HostRules {
		o.recordPolicyEvent(v.HostRule, v.Event)
		o.setHostRuleStatus(ctx, v.HostRule, v.Status, v.Error)
	}
	pol := out.Policy
	if pol.GDP != nil && pol.GDP.PKIProfileRef == nil {
		pki, err := o.defaultPKIProfile(ctx, pol.Tenant)
		if err != nil {
			return nil, err
		}
		pol.DefaultPKIProfile = pki
	}
	return pol, nil
}

func (o *Operator) recordPolicyEvent(obj runtime.Object, e *policy.Event) {
	if e != nil {
		o.recorder.Event(obj, e.Type, e.Reason, e.Message)
	}
}

func (o *Operator) setGDPStatus(ctx context.Context, gdp *amkov1alpha2.GlobalDeploymentPolicy, msg string) {
	if !o.active() {
		return
	}
	set := []metav1.Condition{condition(amkov1alpha1.ConditionAccepted, true, amkov1alpha1.ReasonAccepted, "")}
	if msg != amkov1alpha2.GDPStatusSuccess {
		set[0] = condition(amkov1alpha1.ConditionAccepted, false, amkov1alpha1.ReasonRejected, msg)
	} else {
		o.mu.Lock()
		selecting := o.selecting
		o.mu.Unlock()
		if selecting != nil {
			set = append(set, condition(amkov1alpha1.ConditionSelecting, *selecting, amkov1alpha1.ReasonSelected, "the policy selects applications"))
			if !*selecting {
				set[1] = condition(amkov1alpha1.ConditionSelecting, false, amkov1alpha1.ReasonNothingSelected, nothingSelectedMessage)
			}
		}
	}
	var conds []metav1.Condition
	changed := false
	if !o.amkoCRDsFor(resGDPs) { // AMKO's CRDs prune conditions
		conds, changed = withConditions(gdp.Status.Conditions, gdp.Generation, set...)
	}
	if gdp.Status.ErrorStatus == msg && !changed {
		return
	}
	old := gdp.DeepCopy()
	gdp.Status.ErrorStatus, gdp.Status.Conditions = msg, conds
	if err := o.patchStatus(ctx, resGDPs, gdp, old); err != nil && !isGone(err) {
		o.log.Warn("writing GlobalDeploymentPolicy status", "name", gdp.Name, "err", err)
	}
}

// namespaceTenant is the Avi tenant a namespace of the local cluster names in
// its AKO tenant annotation, "" for none.
func (o *Operator) namespaceTenant(ctx context.Context, name string) string {
	var ns corev1.Namespace
	if err := o.cache.Get(ctx, client.ObjectKey{Name: name}, &ns); err != nil {
		return ""
	}
	return ns.Annotations[akov1beta1.AnnotationTenant]
}

func (o *Operator) setHostRuleStatus(ctx context.Context, ghr *amkov1alpha1.GSLBHostRule, status, msg string) {
	if !o.active() {
		return
	}
	accepted := condition(amkov1alpha1.ConditionAccepted, true, amkov1alpha1.ReasonAccepted, "")
	if status != policy.ReasonAccepted {
		accepted = condition(amkov1alpha1.ConditionAccepted, false, amkov1alpha1.ReasonRejected, msg)
	}
	var conds []metav1.Condition
	changed := false
	if !o.amkoCRDsFor(resGSLBHostRules) { // AMKO's CRDs prune conditions
		conds, changed = withConditions(ghr.Status.Conditions, ghr.Generation, accepted)
	}
	if ghr.Status.Status == status && ghr.Status.Error == msg && !changed {
		return
	}
	old := ghr.DeepCopy()
	ghr.Status.Status, ghr.Status.Error, ghr.Status.Conditions = status, msg, conds
	if err := o.patchStatus(ctx, resGSLBHostRules, ghr, old); err != nil && !isGone(err) {
		o.log.Warn("writing GSLBHostRule status", "namespace", ghr.Namespace, "name", ghr.Name, "err", err)
	}
}
