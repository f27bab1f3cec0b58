// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package clusters

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
)

// Names of AMKO's configuration objects, as AMKO's Helm chart and docs use them.
const (
	ControllerSecret = "gslb-avi-secret"
	MembersSecret    = "gslb-config-secret"
	MembersKey       = "gslb-members"
	GSLBConfigName   = "gc-1"
	GDPName          = "global-gdp"
)

// ConfigureAMKO writes, in the first cluster's avi-system namespace, what amko
// needs to run against the GSLB leader controller at controllerHost with user
// admin/avi123 (avisim's): the credentials Secret, the gslb-members Secret
// holding the Set's kubeconfig, and GSLBConfig gc-1 naming every cluster, with
// amko-uuid uuid when not empty. Objects that exist already are left as they are.
func (s *Set) ConfigureAMKO(ctx context.Context, controllerHost, uuid string) error {
	var members []amkov1alpha1.MemberCluster
	for _, name := range s.Contexts() {
		members = append(members, amkov1alpha1.MemberCluster{ClusterContext: name})
	}
	gc := &amkov1alpha1.GSLBConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: GSLBConfigName},
		Spec: amkov1alpha1.GSLBConfigSpec{
			GSLBLeader:     amkov1alpha1.GSLBLeader{Credentials: ControllerSecret, ControllerVersion: "31.1.1", ControllerIP: controllerHost},
			MemberClusters: members, LogLevel: amkov1alpha1.LogLevelInfo,
		},
	}
	if uuid != "" {
		gc.Annotations = map[string]string{amkov1alpha1.AMKOUUIDAnnotation: uuid}
	}
	c := s.Clusters[0].Client
	for _, obj := range []client.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: ControllerSecret},
			Data: map[string][]byte{"username": []byte("admin"), "password": []byte("avi123")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: MembersSecret},
			Data: map[string][]byte{MembersKey: s.Kubeconfig}},
		gc,
	} {
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("configuring amko: %w", err)
		}
	}
	return nil
}

// SetGDP creates or replaces the spec of the GlobalDeploymentPolicy global-gdp
// in the first cluster. A conflict is retried: amko writes the GDP's status
// (on AMKO's CRDs, the object itself) at the same time.
func (s *Set) SetGDP(ctx context.Context, spec amkov1alpha2.GDPSpec) error {
	c := s.Clusters[0].Client
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		gdp := &amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: GDPName}}
		if err := c.Get(ctx, client.ObjectKeyFromObject(gdp), gdp); err != nil {
			if !apierrors.IsNotFound(err) {
				return err
			}
			gdp.Spec = spec
			return c.Create(ctx, gdp)
		}
		gdp.Spec = spec
		return c.Update(ctx, gdp)
	})
}

// ConfigureDNS writes, in the first cluster's avi-system namespace, what amko
// needs to run with its built-in DNS backend: the gslb-members Secret and
// GSLBConfig gc-1 naming every cluster, serving zones on listen.
func (s *Set) ConfigureDNS(ctx context.Context, listen string, zones ...string) error {
	var members []amkov1alpha1.MemberCluster
	for _, name := range s.Contexts() {
		members = append(members, amkov1alpha1.MemberCluster{ClusterContext: name})
	}
	dns := &amkov1alpha1.DNSConfig{Listen: listen}
	for _, z := range zones {
		dns.Zones = append(dns.Zones, amkov1alpha1.DNSZone{Name: z})
	}
	c := s.Clusters[0].Client
	for _, obj := range []client.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: MembersSecret},
			Data: map[string][]byte{MembersKey: s.Kubeconfig}},
		&amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: GSLBConfigName},
			Spec: amkov1alpha1.GSLBConfigSpec{MemberClusters: members, DNS: dns, LogLevel: amkov1alpha1.LogLevelInfo}},
	} {
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("configuring amko: %w", err)
		}
	}
	return nil
}
