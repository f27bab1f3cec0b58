// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package quorum

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
)

const (
	// LeaseNamespace and LeaseName locate the record in every member cluster.
	LeaseNamespace = "avi-system"
	LeaseName      = "amko-federation-leader"
	// TermAnnotation holds the term on the Lease. The operator puts the same
	// annotation, with FormatTerm, on the objects it replicates.
	TermAnnotation = "amko.vmware.com/leader-term"
)

// FormatTerm is the term as written on the Lease and on marked objects.
func FormatTerm(term int64) string { return strconv.FormatInt(term, 10) }

// ParseTerm reads a term written by FormatTerm.
func ParseTerm(s string) (int64, error) {
	t, err := strconv.ParseInt(s, 10, 64)
	if err != nil || t < 0 {
		return 0, fmt.Errorf("quorum: bad term %q", s)
	}
	return t, nil
}

// LeaseStore keeps the record in a coordination.k8s.io/v1 Lease, written with
// compare-and-swap on its resourceVersion: one per member cluster, each with
// its own client. The holder is spec.holderIdentity (empty when released), the
// term the TermAnnotation; spec.leaseDurationSeconds and spec.renewTime are
// for people. Do not point client-go's leader election at this Lease.
type LeaseStore struct {
	name   string
	leases coordinationv1client.LeaseInterface
}

// NewLeaseStore returns the store for the cluster named name, reached through client.
func NewLeaseStore(name string, client coordinationv1client.LeasesGetter) *LeaseStore {
	return &LeaseStore{name: name, leases: client.Leases(LeaseNamespace)}
}

// Name implements Store.
func (l *LeaseStore) Name() string { return l.name }

// Get implements Store.
func (l *LeaseStore) Get(ctx context.Context) (Record, string, error) {
	lease, err := l.leases.Get(ctx, LeaseName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Record{}, "", nil
	}
	if err != nil {
		return Record{}, "", fmt.Errorf("reading lease %s/%s: %w", LeaseNamespace, LeaseName, err)
	}
	rec, err := LeaseRecord(lease)
	return rec, lease.ResourceVersion, err
}

// Put implements Store.
func (l *LeaseStore) Put(ctx context.Context, rec Record, version string) (string, error) {
	lease := recordLease(rec)
	var err error
	if version == "" {
		lease, err = l.leases.Create(ctx, lease, metav1.CreateOptions{})
	} else {
		lease.ResourceVersion = version
		lease, err = l.leases.Update(ctx, lease, metav1.UpdateOptions{})
	}
	switch {
	case apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err):
		return "", ErrConflict
	case err != nil:
		return "", fmt.Errorf("writing lease %s/%s: %w", LeaseNamespace, LeaseName, err)
	}
	return lease.ResourceVersion, nil
}

// LeaseRecord decodes the record a Lease holds, as LeaseStore.Get does.
func LeaseRecord(lease *coordinationv1.Lease) (Record, error) {
	var rec Record
	if s, ok := lease.Annotations[TermAnnotation]; ok {
		t, err := ParseTerm(s)
		if err != nil {
			return Record{}, fmt.Errorf("lease %s/%s: %w", LeaseNamespace, LeaseName, err)
		}
		rec.Term = t
	}
	if h := lease.Spec.HolderIdentity; h != nil {
		rec.Holder = *h
	}
	// A record with a term and no holder was released; one with neither
	// (made by hand) counts as unknown, so it must expire like any other.
	rec.Released = rec.Holder == "" && rec.Term > 0
	if d := lease.Spec.LeaseDurationSeconds; d != nil {
		rec.LeaseDuration = time.Duration(*d) * time.Second
	}
	if r := lease.Spec.RenewTime; r != nil {
		rec.RenewTime = r.Time
	}
	return rec, nil
}

func recordLease(rec Record) *coordinationv1.Lease {
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{
			Name:        LeaseName,
			Namespace:   LeaseNamespace,
			Annotations: map[string]string{TermAnnotation: FormatTerm(rec.Term)},
			Labels:      map[string]string{"app.kubernetes.io/managed-by": "amko"},
		},
	}
	if !rec.Released && rec.Holder != "" {
		h := rec.Holder
		lease.Spec.HolderIdentity = &h
	}
	secs := int32(min(math.Ceil(rec.LeaseDuration.Seconds()), math.MaxInt32))
	lease.Spec.LeaseDurationSeconds = &secs
	if !rec.RenewTime.IsZero() {
		lease.Spec.RenewTime = &metav1.MicroTime{Time: rec.RenewTime}
	}
	transitions := int32(min(rec.Term, math.MaxInt32))
	lease.Spec.LeaseTransitions = &transitions
	return lease
}
