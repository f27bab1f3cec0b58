// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package v1beta1 holds the part of AKO's ako.vmware.com/v1beta1 HostRule that amko
// reads. AKO owns the API; the CRD generated from these types keeps every field it
// does not name, so tests can install it in place of AKO's.
//
// +kubebuilder:object:generate=true
// +groupName=ako.vmware.com
package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of every kind in this package.
var GroupVersion = schema.GroupVersion{Group: "ako.vmware.com", Version: "v1beta1"}

// AddToScheme registers this package's kinds with s.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &HostRule{}, &HostRuleList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
