// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package v1alpha1 holds AKO's ako.vmware.com/v1alpha1 multi-cluster ingress kinds
// (ClusterSet, MultiClusterIngress, ServiceImport, a tech preview in AMKO), with
// the fields AMKO reads and writes. AKO owns the API; the generated CRDs keep every
// field these types do not name.
//
// +kubebuilder:object:generate=true
// +groupName=ako.vmware.com
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of every kind in this package.
var GroupVersion = schema.GroupVersion{Group: "ako.vmware.com", Version: "v1alpha1"}

// AddToScheme registers this package's kinds with s.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&ClusterSet{}, &ClusterSetList{},
		&MultiClusterIngress{}, &MultiClusterIngressList{},
		&ServiceImport{}, &ServiceImportList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
