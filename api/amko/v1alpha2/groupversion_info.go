// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package v1alpha2 holds the amko.vmware.com/v1alpha2 API, GlobalDeploymentPolicy,
// field for field as AMKO 2.2.1 defines it, with admission-time validation.
//
// +kubebuilder:object:generate=true
// +groupName=amko.vmware.com
package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of every kind in this package.
var GroupVersion = schema.GroupVersion{Group: "amko.vmware.com", Version: "v1alpha2"}

// AddToScheme registers this package's kinds with s.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &GlobalDeploymentPolicy{}, &GlobalDeploymentPolicyList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
