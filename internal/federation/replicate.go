// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package federation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/quorum"
)

// kind is one kind of object the leader replicates: its condition, and how to
// bring one member in line with the leader's objects read at the pass's start.
type kind struct {
	condType string
	sync     func(ctx context.Context, m *member) error
}

// replicate federates GSLBConfig, GDP and, when enabled, GSLBHostRules to the
// valid members, recording a condition per kind, and returns how many
// per-cluster errors there were. As in AMKO, a kind whose leader side cannot be
// read (or holds two GSLBConfigs or two GDPs) is a hard error that stops the
// kinds after it; the kinds before it are still federated.
func (f *Federator) replicate(ctx context.Context, members []*member, conds *conditions) (int, error) {
	type loader struct {
		condType string
		load     func(context.Context) (kind, error)
	}
	loaders := []loader{{TypeGSLBConfigFederation, f.gslbConfigKind}, {TypeGDPFederation, f.gdpKind}}
	if f.opts.HostRules {
		loaders = append(loaders, loader{TypeGSLBHostRuleFederation, f.hostRuleKind})
	}
	var kinds []kind
	var hardType string
	var hardErr error
	for _, l := range loaders {
		k, err := l.load(ctx)
		if err != nil {
			hardType, hardErr = l.condType, err
			break
		}
		kinds = append(kinds, k)
	}

	// errs[member][kind]
	errs := make([][]error, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		errs[i] = make([]error, len(kinds))
		wg.Go(func() {
			var dead error
			for j, k := range kinds {
				if dead != nil {
					errs[i][j] = dead
					continue
				}
				kctx, cancel := context.WithTimeout(ctx, f.timeout)
				errs[i][j] = k.sync(kctx, m)
				if kctx.Err() != nil && ctx.Err() == nil {
					// The member stopped answering: its other kinds would only
					// wait for their own deadlines.
					dead = fmt.Errorf("cluster %s did not answer within %s, skipped", m.name, f.timeout)
				}
				cancel()
			}
		})
	}
	wg.Wait()

	failed := 0
	for j, k := range kinds {
		var kerrs []error
		for i := range members {
			if errs[i][j] != nil {
				kerrs = append(kerrs, errs[i][j])
			}
		}
		conds.step(k.condType, federationTexts, kerrs)
		failed += len(kerrs)
	}
	if hardErr != nil {
		conds.hard(hardType, federationTexts, hardErr)
		return failed, hardErr
	}
	return failed, nil
}

// gslbConfigKind reads the leader's GSLBConfig: its spec and amko-uuid
// annotation are what members get, under the same name.
func (f *Federator) gslbConfigKind(ctx context.Context) (kind, error) {
	var list amkov1alpha1.GSLBConfigList
	if err := f.opts.Local.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
		return kind{}, fmt.Errorf("cannot list GSLBConfig list on current cluster in %s namespace: %w", Namespace, err)
	}
	if len(list.Items) > 1 {
		return kind{}, errors.New("more than one GSLBConfig objects are present in the current cluster")
	}
	var want *amkov1alpha1.GSLBConfig
	if len(list.Items) == 1 {
		want = &list.Items[0]
	}
	if err := f.electedWithout(want == nil, "GSLBConfig"); err != nil {
		return kind{}, err
	}
	sync := func(ctx context.Context, m *member) error {
		var have amkov1alpha1.GSLBConfigList
		if err := m.client.List(ctx, &have, client.InNamespace(Namespace)); err != nil {
			return fmt.Errorf("can't list GSLBConfigs in %s namespace for %s cluster: %w", Namespace, m.name, err)
		}
		objs := make([]client.Object, len(have.Items))
		for i := range have.Items {
			objs[i] = &have.Items[i]
		}
		if want == nil {
			return f.syncOne(ctx, m, "GSLBConfig", objs, nil)
		}
		return f.syncOne(ctx, m, "GSLBConfig", objs, &single{
			name:    want.Name,
			content: func(o client.Object) any { return gslbConfigContent(o.(*amkov1alpha1.GSLBConfig)) },
			want:    gslbConfigContent(want),
			apply: func(o client.Object) {
				h := o.(*amkov1alpha1.GSLBConfig)
				h.Spec = *want.Spec.DeepCopy()
				setUUID(&h.ObjectMeta, want.Annotations)
			},
			fresh: func() client.Object {
				gc := &amkov1alpha1.GSLBConfig{
					ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: want.Name},
					Spec:       *want.Spec.DeepCopy(),
				}
				setUUID(&gc.ObjectMeta, want.Annotations)
				return gc
			},
		})
	}
	return kind{condType: TypeGSLBConfigFederation, sync: sync}, nil
}

// gslbConfigContent is what the federation copies of a GSLBConfig: its spec
// and its amko-uuid annotation.
func gslbConfigContent(gc *amkov1alpha1.GSLBConfig) any {
	type content struct {
		Spec    amkov1alpha1.GSLBConfigSpec
		UUID    string
		HasUUID bool
	}
	uuid, ok := gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation]
	return content{Spec: gc.Spec, UUID: uuid, HasUUID: ok}
}

// setUUID makes meta's amko-uuid annotation that of from: the promoted
// follower must create its controller objects as the leader's, to adopt them.
func setUUID(meta *metav1.ObjectMeta, from map[string]string) {
	uuid, ok := from[amkov1alpha1.AMKOUUIDAnnotation]
	if !ok {
		delete(meta.Annotations, amkov1alpha1.AMKOUUIDAnnotation)
		return
	}
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[amkov1alpha1.AMKOUUIDAnnotation] = uuid
}

// gdpKind reads the leader's GlobalDeploymentPolicy: members get its spec,
// under the same name.
func (f *Federator) gdpKind(ctx context.Context) (kind, error) {
	var list amkov1alpha2.GlobalDeploymentPolicyList
	if err := f.opts.Local.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
		return kind{}, fmt.Errorf("cannot list GlobalDeploymentPolicy list on current cluster in %s namespace: %w", Namespace, err)
	}
	if len(list.Items) > 1 {
		return kind{}, errors.New("more than one GlobalDeploymentPolicies are present in the current cluster")
	}
	var want *amkov1alpha2.GlobalDeploymentPolicy
	if len(list.Items) == 1 {
		want = &list.Items[0]
	}
	if err := f.electedWithout(want == nil, "GlobalDeploymentPolicy"); err != nil {
		return kind{}, err
	}
	sync := func(ctx context.Context, m *member) error {
		var have amkov1alpha2.GlobalDeploymentPolicyList
		if err := m.client.List(ctx, &have, client.InNamespace(Namespace)); err != nil {
			return fmt.Errorf("can't list GlobalDeploymentPolicies in %s namespace for %s cluster: %w", Namespace, m.name, err)
		}
		objs := make([]client.Object, len(have.Items))
		for i := range have.Items {
			objs[i] = &have.Items[i]
		}
		if want == nil {
			return f.syncOne(ctx, m, "GlobalDeploymentPolicy", objs, nil)
		}
		return f.syncOne(ctx, m, "GlobalDeploymentPolicy", objs, &single{
			name:    want.Name,
			content: func(o client.Object) any { return o.(*amkov1alpha2.GlobalDeploymentPolicy).Spec },
			want:    want.Spec,
			apply:   func(o client.Object) { o.(*amkov1alpha2.GlobalDeploymentPolicy).Spec = *want.Spec.DeepCopy() },
			fresh: func() client.Object {
				return &amkov1alpha2.GlobalDeploymentPolicy{
					ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: want.Name},
					Spec:       *want.Spec.DeepCopy(),
				}
			},
		})
	}
	return kind{condType: TypeGDPFederation, sync: sync}, nil
}

// single is the one object of a kind a member's avi-system must hold.
type single struct {
	name    string
	content func(o client.Object) any // what is federated of o
	want    any                       // the leader's content
	apply   func(have client.Object)  // copies what is federated into have
	fresh   func() client.Object      // a new copy to create
}

// storedForm is how a member stored the content last written to it, when
// that differs from what was sent: a member with AMKO 2.2.1's CRDs prunes
// amko's fields (the GSLBConfig's spec.dns, spec.gslbLeader.caBundle). The
// pruned form is in line: writing again would change nothing.
type storedForm struct{ sent, stored any }

// inSync reports whether have carries want's content, as sent or as the
// member stores it.
func (f *Federator) inSync(m *member, kindName string, have client.Object, want *single) bool {
	c := want.content(have)
	if equality.Semantic.DeepEqual(c, want.want) {
		return true
	}
	f.storedMu.Lock()
	defer f.storedMu.Unlock()
	sf, ok := f.stored[m.name+"/"+kindName+"/"+want.name]
	return ok && equality.Semantic.DeepEqual(sf.sent, want.want) && equality.Semantic.DeepEqual(sf.stored, c)
}

// written remembers how the member stored what was just written (obj, as the
// API server returned it), and says once when it pruned part of it.
func (f *Federator) written(m *member, kindName string, obj client.Object, want *single) {
	key := m.name + "/" + kindName + "/" + want.name
	c := want.content(obj)
	f.storedMu.Lock()
	defer f.storedMu.Unlock()
	if equality.Semantic.DeepEqual(c, want.want) {
		delete(f.stored, key)
		return
	}
	if f.stored == nil {
		f.stored = map[string]storedForm{}
	}
	if _, seen := f.stored[key]; !seen {
		f.log.Warn("federation: the member stores the object without some of amko's fields (its CRDs are AMKO 2.2.1's): those are not federated there",
			"kind", kindName, "name", want.name, "cluster", m.name)
	}
	f.stored[key] = storedForm{sent: want.want, stored: c}
}

// syncOne makes the member's avi-system hold exactly want (nil: nothing) among
// the objects have of one kind, as AMKO does for GSLBConfig and GDP: the
// same-name object is updated when it differs, others are deleted, a missing
// one is created. Nothing is written when the member is in line.
func (f *Federator) syncOne(ctx context.Context, m *member, kindName string, have []client.Object, want *single) error {
	var errs []error
	found := false
	for _, h := range have {
		if want != nil && h.GetName() == want.name {
			found = true
			if f.inSync(m, kindName, h, want) {
				continue
			}
			if err := f.laterTerm(m, kindName, h); err != nil {
				errs = append(errs, err)
				continue
			}
			want.apply(h)
			f.markTerm(h)
			if err := m.client.Update(ctx, h, client.FieldOwner(FieldManager)); err != nil {
				errs = append(errs, fmt.Errorf("can't update object %s/%s on cluster %s: %w", h.GetNamespace(), h.GetName(), m.name, err))
				continue
			}
			f.written(m, kindName, h, want)
			f.log.Info("federation: updated", "kind", kindName, "name", h.GetName(), "cluster", m.name)
			continue
		}
		if err := f.laterTerm(m, kindName, h); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := f.deleteObj(ctx, m, kindName, h); err != nil {
			errs = append(errs, err)
		}
	}
	if want != nil && !found {
		obj := want.fresh()
		f.markTerm(obj)
		if err := m.client.Create(ctx, obj, client.FieldOwner(FieldManager)); err != nil {
			errs = append(errs, fmt.Errorf("error in creating %s %s/%s on cluster %s: %w", kindName, obj.GetNamespace(), obj.GetName(), m.name, err))
		} else {
			f.written(m, kindName, obj, want)
			f.log.Info("federation: created", "kind", kindName, "name", obj.GetName(), "cluster", m.name)
		}
	}
	return joinErrors(errs)
}

func (f *Federator) deleteObj(ctx context.Context, m *member, kindName string, obj client.Object) error {
	if err := m.client.Delete(ctx, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // gone already
		}
		return fmt.Errorf("can't delete %s object %s/%s on cluster %s: %w", kindName, obj.GetNamespace(), obj.GetName(), m.name, err)
	}
	f.log.Info("federation: deleted", "kind", kindName, "namespace", obj.GetNamespace(), "name", obj.GetName(), "cluster", m.name)
	return nil
}

// hostRuleKind reads the leader's GSLBHostRules, in every namespace. Unlike
// GSLBConfig and GDP, a member's GSLBHostRules may be its own: only copies the
// federation created, marked with FederatedLabel, are updated or deleted.
func (f *Federator) hostRuleKind(ctx context.Context) (kind, error) {
	var list amkov1alpha1.GSLBHostRuleList
	if err := f.opts.Local.List(ctx, &list); err != nil {
		return kind{}, fmt.Errorf("cannot list GSLBHostRules on current cluster: %w", err)
	}
	want := list.Items
	slices.SortFunc(want, func(a, b amkov1alpha1.GSLBHostRule) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return kind{condType: TypeGSLBHostRuleFederation, sync: func(ctx context.Context, m *member) error {
		return f.syncHostRules(ctx, m, want)
	}}, nil
}

func (f *Federator) syncHostRules(ctx context.Context, m *member, want []amkov1alpha1.GSLBHostRule) error {
	var list amkov1alpha1.GSLBHostRuleList
	if err := m.client.List(ctx, &list); err != nil {
		return fmt.Errorf("can't list GSLBHostRules for %s cluster: %w", m.name, err)
	}
	key := func(o *amkov1alpha1.GSLBHostRule) string { return o.Namespace + "/" + o.Name }
	have := make(map[string]*amkov1alpha1.GSLBHostRule, len(list.Items))
	for i := range list.Items {
		have[key(&list.Items[i])] = &list.Items[i]
	}
	wanted := make(map[string]bool, len(want))
	var errs []error
	for i := range want {
		w := &want[i]
		wanted[key(w)] = true
		h, ok := have[key(w)]
		switch {
		case !ok:
			if err := f.createHostRule(ctx, m, w); err != nil {
				errs = append(errs, err)
			}
		case equality.Semantic.DeepEqual(h.Spec, w.Spec):
			// In line, whoever created it.
		case !federated(h):
			errs = append(errs, fmt.Errorf("GSLBHostRule %s on cluster %s was not created by the federation (no label %s=true), not overwritten",
				key(w), m.name, FederatedLabel))
		default:
			if err := f.laterTerm(m, "GSLBHostRule", h); err != nil {
				errs = append(errs, err)
				continue
			}
			h.Spec = *w.Spec.DeepCopy()
			f.markTerm(h)
			if err := m.client.Update(ctx, h, client.FieldOwner(FieldManager)); err != nil {
				errs = append(errs, fmt.Errorf("can't update object %s on cluster %s: %w", key(w), m.name, err))
				continue
			}
			f.log.Info("federation: updated", "kind", "GSLBHostRule", "namespace", h.Namespace, "name", h.Name, "cluster", m.name)
		}
	}
	for i := range list.Items {
		h := &list.Items[i]
		if federated(h) && !wanted[key(h)] {
			if err := f.laterTerm(m, "GSLBHostRule", h); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := f.deleteObj(ctx, m, "GSLBHostRule", h); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return joinErrors(errs)
}

func (f *Federator) createHostRule(ctx context.Context, m *member, w *amkov1alpha1.GSLBHostRule) error {
	obj := &amkov1alpha1.GSLBHostRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.Namespace, Name: w.Name, Labels: map[string]string{FederatedLabel: "true"}},
		Spec:       *w.Spec.DeepCopy(),
	}
	f.markTerm(obj)
	if err := m.client.Create(ctx, obj, client.FieldOwner(FieldManager)); err != nil {
		var s apierrors.APIStatus
		if apierrors.IsNotFound(err) && errors.As(err, &s) && s.Status().Details != nil && s.Status().Details.Kind == "namespaces" {
			return fmt.Errorf("namespace %s not found on cluster %s, can't federate GSLBHostRule %s/%s", w.Namespace, m.name, w.Namespace, w.Name)
		}
		return fmt.Errorf("error in creating GSLBHostRule %s/%s on cluster %s: %w", w.Namespace, w.Name, m.name, err)
	}
	f.log.Info("federation: created", "kind", "GSLBHostRule", "namespace", w.Namespace, "name", w.Name, "cluster", m.name)
	return nil
}

func federated(o *amkov1alpha1.GSLBHostRule) bool { return o.Labels[FederatedLabel] == "true" }

// multiError joins the errors of one member and kind on one line, which a
// condition's reason needs (errors.Join uses newlines).
type multiError []error

func (e multiError) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e multiError) Unwrap() []error { return e }

func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return multiError(errs)
}

// electedWithout refuses to federate the absence of a kind's object from an
// elected leader: the election may pick a member that never received the
// configuration, which must not delete everyone else's. With failover
// Automatic, deleting the GSLBConfig or the GDP is not federated.
func (f *Federator) electedWithout(missing bool, kindName string) error {
	if !missing || f.cur.election == nil {
		return nil
	}
	return fmt.Errorf("this elected leader holds no %s: the members keep theirs (with failover Automatic the configuration's deletion is not federated; "+
		"give every member of the set the configuration)", kindName)
}

// markTerm records on obj, which the leader is about to write to a member,
// the term it was elected for; a leader by isLeader (no term) leaves no
// marker, so that an older term's marker does not stay on its writes.
func (f *Federator) markTerm(obj client.Object) {
	e := f.cur.election
	a := obj.GetAnnotations()
	if e == nil || e.Term <= 0 {
		if _, ok := a[quorum.TermAnnotation]; ok {
			delete(a, quorum.TermAnnotation)
			obj.SetAnnotations(a)
		}
		return
	}
	if a == nil {
		a = map[string]string{}
	}
	a[quorum.TermAnnotation] = quorum.FormatTerm(e.Term)
	obj.SetAnnotations(a)
}

// laterTerm refuses, for an elected leader, to change a member's object that
// a later term wrote: this leader's term is over, whatever it believes (a
// late pass of a stale leader). The refusal is a Warning Event and a
// per-cluster error.
func (f *Federator) laterTerm(m *member, kindName string, obj client.Object) error {
	e := f.cur.election
	if e == nil || e.Term <= 0 {
		return nil
	}
	s, ok := obj.GetAnnotations()[quorum.TermAnnotation]
	if !ok {
		return nil
	}
	t, err := quorum.ParseTerm(s)
	if err != nil || t <= e.Term {
		return nil
	}
	err = fmt.Errorf("%s %s/%s on cluster %s was written in leadership term %d, after this leader's term %d: not overwritten",
		kindName, obj.GetNamespace(), obj.GetName(), m.name, t, e.Term)
	if f.opts.Recorder != nil && f.cur.ac != nil {
		f.opts.Recorder.Event(f.cur.ac, corev1.EventTypeWarning, "StaleTerm", err.Error())
	}
	f.log.Warn("federation: refusing to overwrite a later term's object", "err", err)
	return err
}
