// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package validation_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/api/amko/v1alpha2"
)

// conditionKinds are the kinds with metav1 conditions beside AMKO's status strings,
// each with a valid spec. AMKOCluster is not one: its status.conditions is AMKO's
// own format.
var conditionKinds = []struct{ kind, spec string }{
	{"GSLBConfig", "gslbLeader: {controllerIP: 10.10.10.10}"},
	{"GlobalDeploymentPolicy", "matchRules: {appSelector: {label: {app: gslb}}}"},
	{"GSLBHostRule", "fqdn: conditions.example.com"},
}

// statusOf returns the AMKO status string and the conditions of a typed amko object.
func statusOf(t *testing.T, obj client.Object) (amko *string, conds *[]metav1.Condition) {
	t.Helper()
	switch o := obj.(type) {
	case *v1alpha1.GSLBConfig:
		return &o.Status.State, &o.Status.Conditions
	case *v1alpha2.GlobalDeploymentPolicy:
		return &o.Status.ErrorStatus, &o.Status.Conditions
	case *v1alpha1.GSLBHostRule:
		return &o.Status.Status, &o.Status.Conditions
	}
	t.Fatalf("no conditions on %T", obj)
	return nil, nil
}

// createTyped creates an object of kind from its YAML spec and returns it read
// back as amko's Go type.
func createTyped(t *testing.T, kind, name, spec string) client.Object {
	t.Helper()
	ctx := context.Background()
	c := set.Clusters[0].Client
	u := object(t, kind, name, spec)
	if err := c.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), u) })
	typed, err := set.Scheme.New(u.GroupVersionKind())
	if err != nil {
		t.Fatal(err)
	}
	obj := typed.(client.Object)
	if err := c.Get(ctx, client.ObjectKeyFromObject(u), obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// Conditions written through the status subresource, as meta.SetStatusCondition
// makes them, are stored beside AMKO's status string and read back whole: type,
// status, reason, message, observedGeneration and lastTransitionTime. A later
// spec change leaves them pointing at the old generation until amko writes again,
// which is what lets a user date a status.
func TestStatusConditionsRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := set.Clusters[0].Client
	amkoStrings := map[string]string{
		"GSLBConfig":             v1alpha1.GSLBConfigStateNotLeader,
		"GlobalDeploymentPolicy": "cluster c1 not present in GSLBConfig",
		"GSLBHostRule":           v1alpha1.GSLBHostRuleRejected,
	}
	for _, k := range conditionKinds {
		t.Run(k.kind, func(t *testing.T) {
			obj := createTyped(t, k.kind, "conditions", k.spec)
			gen := obj.GetGeneration()
			amko, conds := statusOf(t, obj)
			*amko = amkoStrings[k.kind]
			// Whole seconds: the API server stores RFC 3339 times without fractions.
			then := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
			meta.SetStatusCondition(conds, metav1.Condition{Type: v1alpha1.ConditionAccepted, Status: metav1.ConditionTrue,
				Reason: v1alpha1.ReasonAccepted, Message: "", ObservedGeneration: gen, LastTransitionTime: then})
			meta.SetStatusCondition(conds, metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionFalse,
				Reason: v1alpha1.ReasonNotLeader, Message: v1alpha1.GSLBConfigStateNotLeader, ObservedGeneration: gen, LastTransitionTime: then})
			meta.SetStatusCondition(conds, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse,
				Reason: v1alpha1.ReasonNotLeader, Message: v1alpha1.GSLBConfigStateNotLeader, ObservedGeneration: gen, LastTransitionTime: then})
			if k.kind == "GlobalDeploymentPolicy" {
				meta.SetStatusCondition(conds, metav1.Condition{Type: v1alpha1.ConditionSelecting, Status: metav1.ConditionFalse,
					Reason: v1alpha1.ReasonNothingSelected, Message: "no Ingress, Route or Service matches the selectors", ObservedGeneration: gen, LastTransitionTime: then})
			}
			want := append([]metav1.Condition(nil), *conds...)
			if err := c.Status().Update(ctx, obj); err != nil {
				t.Fatalf("writing conditions through the status subresource: %v", err)
			}

			got := obj.DeepCopyObject().(client.Object)
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
				t.Fatal(err)
			}
			gotAMKO, gotConds := statusOf(t, got)
			if *gotAMKO != amkoStrings[k.kind] {
				t.Errorf("AMKO status string = %q, want %q", *gotAMKO, amkoStrings[k.kind])
			}
			if d := diffConditions(*gotConds, want); d != "" {
				t.Fatalf("conditions read back differ: %s", d)
			}

			// The main resource does not write status: conditions sent with it are dropped.
			noisy := got.DeepCopyObject().(client.Object)
			_, noisyConds := statusOf(t, noisy)
			meta.RemoveStatusCondition(noisyConds, v1alpha1.ConditionReady)
			if err := c.Update(ctx, noisy); err != nil {
				t.Fatal(err)
			}
			if _, kept := statusOf(t, noisy); meta.FindStatusCondition(*kept, v1alpha1.ConditionReady) == nil {
				t.Errorf("an update of the main resource changed status.conditions")
			}

			// A spec change: generation moves on, the stored conditions still say
			// which generation they describe.
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(object(t, k.kind, "", "").GroupVersionKind())
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), u); err != nil {
				t.Fatal(err)
			}
			bumpSpec(t, k.kind, u)
			if err := c.Update(ctx, u); err != nil {
				t.Fatal(err)
			}
			if u.GetGeneration() <= gen {
				t.Fatalf("generation %d after a spec change, want > %d", u.GetGeneration(), gen)
			}
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
				t.Fatal(err)
			}
			_, gotConds = statusOf(t, got)
			for _, cond := range *gotConds {
				if cond.ObservedGeneration != gen {
					t.Errorf("%s observedGeneration = %d after a spec change, want the old %d", cond.Type, cond.ObservedGeneration, gen)
				}
			}

			// amko writes again: an unchanged status keeps its transition time, a
			// changed one gets a new one; both now name the new generation.
			newGen := got.GetGeneration()
			meta.SetStatusCondition(gotConds, metav1.Condition{Type: v1alpha1.ConditionAccepted, Status: metav1.ConditionTrue,
				Reason: v1alpha1.ReasonAccepted, ObservedGeneration: newGen})
			meta.SetStatusCondition(gotConds, metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionTrue,
				Reason: v1alpha1.ReasonSynced, ObservedGeneration: newGen})
			if err := c.Status().Update(ctx, got); err != nil {
				t.Fatal(err)
			}
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
				t.Fatal(err)
			}
			_, gotConds = statusOf(t, got)
			accepted := meta.FindStatusCondition(*gotConds, v1alpha1.ConditionAccepted)
			synced := meta.FindStatusCondition(*gotConds, v1alpha1.ConditionSynced)
			if accepted == nil || synced == nil {
				t.Fatalf("conditions lost: %+v", *gotConds)
			}
			if accepted.ObservedGeneration != newGen || synced.ObservedGeneration != newGen {
				t.Errorf("observedGeneration = %d/%d, want %d", accepted.ObservedGeneration, synced.ObservedGeneration, newGen)
			}
			if !accepted.LastTransitionTime.Equal(&then) {
				t.Errorf("Accepted stayed True but its lastTransitionTime moved from %v to %v", then, accepted.LastTransitionTime)
			}
			if !synced.LastTransitionTime.After(then.Time) || synced.Reason != v1alpha1.ReasonSynced {
				t.Errorf("Synced turned True but reads %+v", *synced)
			}
		})
	}
}

// bumpSpec changes a field of the spec, so that metadata.generation moves on.
func bumpSpec(t *testing.T, kind string, u *unstructured.Unstructured) {
	t.Helper()
	var err error
	switch kind {
	case "GSLBConfig":
		err = unstructured.SetNestedField(u.Object, "10.10.10.11", "spec", "gslbLeader", "controllerIP")
	case "GlobalDeploymentPolicy":
		err = unstructured.SetNestedField(u.Object, int64(30), "spec", "ttl")
	case "GSLBHostRule":
		err = unstructured.SetNestedField(u.Object, int64(30), "spec", "ttl")
	}
	if err != nil {
		t.Fatal(err)
	}
}

// diffConditions compares conditions as the API server stores them.
func diffConditions(got, want []metav1.Condition) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d conditions, want %d: %+v", len(got), len(want), got)
	}
	for _, w := range want {
		g := meta.FindStatusCondition(got, w.Type)
		if g == nil {
			return fmt.Sprintf("%s missing", w.Type)
		}
		if g.Status != w.Status || g.Reason != w.Reason || g.Message != w.Message ||
			g.ObservedGeneration != w.ObservedGeneration || !g.LastTransitionTime.Equal(&w.LastTransitionTime) {
			return fmt.Sprintf("%s = %+v, want %+v", w.Type, *g, w)
		}
	}
	return ""
}

// The API server refuses, on every kind with conditions, a condition that
// metav1.Condition's schema does not allow: each required field, the status
// values, the reason and type syntax, one condition per type, and at most 8.
func TestInvalidConditionsAreRefused(t *testing.T) {
	ctx := context.Background()
	c := set.Clusters[0].Client
	valid := func() map[string]any {
		return map[string]any{"type": "Ready", "status": "False", "reason": "BackendUnavailable",
			"message": "error: controller not reachable", "observedGeneration": int64(1),
			"lastTransitionTime": "2026-01-02T03:04:05Z"}
	}
	with := func(edit func(map[string]any)) []any {
		cond := valid()
		edit(cond)
		return []any{cond}
	}
	many := func(n int) []any {
		var l []any
		for i := range n {
			cond := valid()
			cond["type"] = fmt.Sprintf("Type%d", i)
			l = append(l, cond)
		}
		return l
	}
	cases := []struct {
		name       string
		conditions []any
		want       []string
	}{
		{"no reason", with(func(m map[string]any) { delete(m, "reason") }),
			[]string{"status.conditions[0].reason", "Required value"}},
		{"empty reason", with(func(m map[string]any) { m["reason"] = "" }),
			[]string{"status.conditions[0].reason", "at least 1 chars long"}},
		{"reason with spaces", with(func(m map[string]any) { m["reason"] = "backend unavailable" }),
			[]string{"status.conditions[0].reason", "should match"}},
		{"status Yes", with(func(m map[string]any) { m["status"] = "Yes" }),
			[]string{"status.conditions[0].status", `Unsupported value: "Yes"`, `"True"`, `"False"`, `"Unknown"`}},
		{"no status", with(func(m map[string]any) { delete(m, "status") }),
			[]string{"status.conditions[0].status", "Required value"}},
		{"no type", with(func(m map[string]any) { delete(m, "type") }),
			[]string{"status.conditions[0].type", "Required value"}},
		{"type with spaces", with(func(m map[string]any) { m["type"] = "GDP Federation" }),
			[]string{"status.conditions[0].type", "should match"}},
		{"no message", with(func(m map[string]any) { delete(m, "message") }),
			[]string{"status.conditions[0].message", "Required value"}},
		{"no lastTransitionTime", with(func(m map[string]any) { delete(m, "lastTransitionTime") }),
			[]string{"status.conditions[0].lastTransitionTime", "Required value"}},
		{"lastTransitionTime not a time", with(func(m map[string]any) { m["lastTransitionTime"] = "yesterday" }),
			[]string{"status.conditions[0].lastTransitionTime", "date-time"}},
		{"negative observedGeneration", with(func(m map[string]any) { m["observedGeneration"] = int64(-1) }),
			[]string{"status.conditions[0].observedGeneration", "greater than or equal to 0"}},
		{"one type twice", append(with(func(map[string]any) {}), valid()),
			[]string{"status.conditions[1]", "Duplicate value"}},
		{"more than 8", many(9), []string{"status.conditions", "must have at most 8 items"}},
	}
	for _, k := range conditionKinds {
		t.Run(k.kind, func(t *testing.T) {
			obj := object(t, k.kind, "bad-conditions", k.spec)
			if err := c.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Delete(context.Background(), obj) })

			// The valid neighbours pass: one condition, and eight.
			for _, ok := range [][]any{with(func(map[string]any) {}), many(8)} {
				if err := unstructured.SetNestedSlice(obj.Object, ok, "status", "conditions"); err != nil {
					t.Fatal(err)
				}
				if err := c.Status().Update(ctx, obj); err != nil {
					t.Fatalf("%d valid conditions refused: %v", len(ok), err)
				}
			}

			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					bad := obj.DeepCopy()
					if err := unstructured.SetNestedSlice(bad.Object, tc.conditions, "status", "conditions"); err != nil {
						t.Fatal(err)
					}
					err := c.Status().Update(ctx, bad)
					if err == nil {
						t.Fatalf("accepted, want refused with %q", tc.want)
					}
					if !apierrors.IsInvalid(err) {
						t.Fatalf("refused with %v, want an Invalid error", err)
					}
					for _, w := range tc.want {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("message %q does not contain %q", err.Error(), w)
						}
					}
				})
			}
		})
	}
}
