// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
)

// The kinds whose status amko writes, by resource. amko's CRDs give them a
// status subresource; AMKO 2.2.1's do not, and AMKO writes their status on
// the object itself. Helm never upgrades CRDs, so amko may well run on
// AMKO's: it writes status where the installed CRDs accept it.
const (
	resGSLBConfigs   = "gslbconfigs"
	resGDPs          = "globaldeploymentpolicies"
	resGSLBHostRules = "gslbhostrules"
)

// statusResources are the resources of statusGroupVersions, in order.
var statusResources = []string{resGSLBConfigs, resGDPs, resGSLBHostRules}

// CRDs describes the CRDs installed for amko's kinds.
type CRDs struct {
	// AMKO is true when some of GSLBConfig, GlobalDeploymentPolicy and
	// GSLBHostRule are served by AMKO 2.2.1's CRDs (no status subresource).
	AMKO bool `json:"amko"`
	// Kinds names those, when AMKO.
	Kinds []string `json:"kinds,omitempty"`
	// Lost says what amko cannot do on them, when AMKO.
	Lost string `json:"lost,omitempty"`
}

// lostOnAMKOCRDs is what amko cannot keep while AMKO's CRDs serve its kinds.
const lostOnAMKOCRDs = "status.conditions (kubectl wait --for=condition=Ready), and the fields AMKO's schema prunes: " +
	"the GSLBConfig's spec.dns (the built-in DNS backend) spec.gslbLeader.caBundle and alternateControllers, and the AMKOCluster's spec.failover (Automatic becomes Manual); also amko's admission checks"

// crdDetector finds, from API discovery (which every authenticated user may
// read: no RBAC on CustomResourceDefinitions is needed), which of amko's
// kinds have a status subresource. It is safe for concurrent use.
type crdDetector struct {
	rc rest.Interface // discovery's

	mu       sync.Mutex
	known    bool
	noStatus []string // resources without a status subresource, sorted
}

// statusGroupVersions are where the status kinds are served.
var statusGroupVersions = []string{"/apis/amko.vmware.com/v1alpha1", "/apis/amko.vmware.com/v1alpha2"}

// detect asks discovery again, and reports whether the answer differs from the
// last one (the first answer counts as a change).
func (d *crdDetector) detect(ctx context.Context) (bool, error) {
	served := map[string]bool{}
	for _, gv := range statusGroupVersions {
		var list metav1.APIResourceList
		if err := d.rc.Get().AbsPath(gv).Do(ctx).Into(&list); err != nil {
			if apierrors.IsNotFound(err) {
				continue // no CRD of that version installed
			}
			return false, fmt.Errorf("discovering %s: %w", gv, err)
		}
		for _, r := range list.APIResources {
			served[r.Name] = true
		}
	}
	var noStatus []string
	for _, r := range statusResources {
		if served[r] && !served[r+"/status"] {
			noStatus = append(noStatus, r)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	changed := !d.known || !slices.Equal(d.noStatus, noStatus)
	d.known, d.noStatus = true, noStatus
	return changed, nil
}

// subresource reports whether resource has a status subresource, as last
// detected; before a detection, as amko's CRDs have it.
func (d *crdDetector) subresource(resource string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !slices.Contains(d.noStatus, resource)
}

// report is what detect last found.
func (d *crdDetector) report() CRDs {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.noStatus) == 0 {
		return CRDs{}
	}
	kinds := map[string]string{resGSLBConfigs: "GSLBConfig", resGDPs: "GlobalDeploymentPolicy", resGSLBHostRules: "GSLBHostRule"}
	out := CRDs{AMKO: true, Lost: lostOnAMKOCRDs}
	for _, r := range d.noStatus {
		out.Kinds = append(out.Kinds, kinds[r])
	}
	return out
}

// CRDs reports which CRDs serve amko's kinds, as last detected.
func (o *Operator) CRDs() CRDs { return o.crds.report() }

// watchCRDs detects the installed CRDs now and then every period, until ctx
// ends: a CRD upgrade (kubectl apply -f charts/amko/crds) or a rollback takes
// effect without a restart. A change is told in an Event and asks for a pass,
// which writes the statuses the new way.
func (o *Operator) watchCRDs(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		o.checkCRDs(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkCRDs detects the CRDs and, when they changed, reports it and asks for a pass.
func (o *Operator) checkCRDs(ctx context.Context) {
	changed, err := o.crds.detect(ctx)
	if err != nil {
		if ctx.Err() == nil {
			o.log.Warn("detecting the installed CRDs", "err", err)
		}
		return
	}
	if !changed {
		return
	}
	o.mu.Lock()
	o.crdsAnnounced = false // the next pass with a GSLBConfig tells
	o.mu.Unlock()
	if rep := o.crds.report(); rep.AMKO {
		o.log.Warn("AMKO 2.2.1's CRDs are installed: statuses are written on the objects, as AMKO does", "kinds", rep.Kinds, "lost", rep.Lost)
	} else {
		o.log.Info("amko's CRDs are installed: statuses are written through the status subresource")
	}
	o.Poke()
}

// announceCRDs tells, once per detected change, on the GSLBConfig in use,
// which CRDs amko works with: a Warning while they are AMKO's.
func (o *Operator) announceCRDs(gc *amkov1alpha1.GSLBConfig) {
	o.mu.Lock()
	done := o.crdsAnnounced
	o.crdsAnnounced = true
	o.mu.Unlock()
	if done || !o.active() {
		return
	}
	rep := o.crds.report()
	if !rep.AMKO {
		if o.crdsWereAMKO {
			o.recorder.Event(gc, corev1.EventTypeNormal, ReasonAMKOCRDs+"Upgraded",
				"amko's CRDs are installed: statuses go through the status subresource, with conditions")
		}
		o.crdsWereAMKO = false
		return
	}
	o.crdsWereAMKO = true
	o.recorder.Event(gc, corev1.EventTypeWarning, ReasonAMKOCRDs, amkoCRDsMessage(rep))
}

// ReasonAMKOCRDs is the reason of the Warning Event that amko runs on AMKO
// 2.2.1's CRDs.
const ReasonAMKOCRDs = "AMKOCRDs"

func amkoCRDsMessage(rep CRDs) string {
	return fmt.Sprintf("the CRDs of %s are AMKO 2.2.1's (no status subresource): amko writes AMKO's status strings on the objects themselves, as AMKO does. "+
		"Lost until amko's CRDs are applied (kubectl apply -f charts/amko/crds; Helm does not upgrade CRDs): %s",
		strings.Join(rep.Kinds, ", "), rep.Lost)
}

// patchStatus writes the status of obj, changed from old, where the installed
// CRD accepts it: through the status subresource, or on the object itself
// with a merge patch of .status only (AMKO's CRDs). A write that shows the
// CRDs changed since the last detection (the subresource is not found, or
// the object ignores a status written on it) detects them again and retries
// once the other way.
func (o *Operator) patchStatus(ctx context.Context, resource string, obj, old client.Object) error {
	want, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return fmt.Errorf("writing the status of %T: not a client.Object", obj)
	}
	for attempt := 0; ; attempt++ {
		sub := o.crds.subresource(resource)
		stale := false
		var err error
		if sub {
			err = o.client.Status().Patch(ctx, obj, client.MergeFrom(old))
			// The object is in the cache, so a 404 most likely means no
			// status subresource: AMKO's CRDs were applied.
			stale = apierrors.IsNotFound(err)
		} else {
			err = o.client.Patch(ctx, obj, client.MergeFrom(old))
			// amko's CRDs ignore a status written on the object.
			stale = err == nil && !sameStatus(want, obj)
		}
		if !stale || attempt > 0 {
			if err != nil && apierrors.IsForbidden(err) && !sub {
				return fmt.Errorf("AMKO's CRDs take the status on the object itself, which needs patch on %s (not only %s/status): %w", resource, resource, err)
			}
			return err
		}
		changed, derr := o.crds.detect(ctx)
		if derr != nil {
			return errors.Join(err, derr)
		}
		if !changed {
			return err
		}
		o.checkCRDsChanged()
		obj = want.DeepCopyObject().(client.Object)
	}
}

// checkCRDsChanged reports a change patchStatus found.
func (o *Operator) checkCRDsChanged() {
	o.mu.Lock()
	o.crdsAnnounced = false
	o.mu.Unlock()
	o.Poke()
}

// sameStatus reports whether a and b have the same status.
func sameStatus(a, b client.Object) bool {
	sa, errA := runtime.DefaultUnstructuredConverter.ToUnstructured(a)
	sb, errB := runtime.DefaultUnstructuredConverter.ToUnstructured(b)
	if errA != nil || errB != nil {
		return false
	}
	return equality.Semantic.DeepEqual(sa["status"], sb["status"])
}

// amkoCRDsFor reports whether resource's CRD is AMKO's: then no condition is
// written (AMKO's schema prunes them, and a write would repeat every pass).
func (o *Operator) amkoCRDsFor(resource string) bool { return !o.crds.subresource(resource) }
