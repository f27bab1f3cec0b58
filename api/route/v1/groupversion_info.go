// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package v1 holds the part of OpenShift's route.openshift.io/v1 Route that amko
// reads. OpenShift owns the API (its CRD is installed from config/crd/foreign); these
// types name the fields amko uses, with the same JSON names.
//
// +kubebuilder:object:generate=true
// +kubebuilder:skip
// +groupName=route.openshift.io
package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of Route.
var GroupVersion = schema.GroupVersion{Group: "route.openshift.io", Version: "v1"}

// AddToScheme registers Route with s.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Route{}, &RouteList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
