// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package api gathers the API groups amko serves and reads.
package api

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	akov1alpha1 "github.com/amko-project/amko/api/ako/v1alpha1"
	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	routev1 "github.com/amko-project/amko/api/route/v1"
)

// AddToScheme registers amko's kinds and the foreign kinds it reads with s.
func AddToScheme(s *runtime.Scheme) error {
	for _, add := range []func(*runtime.Scheme) error{
		amkov1alpha1.AddToScheme,
		amkov1alpha2.AddToScheme,
		akov1alpha1.AddToScheme,
		akov1beta1.AddToScheme,
		routev1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return err
		}
	}
	return nil
}

// NewScheme returns a scheme holding the Kubernetes built-in kinds and every kind
// AddToScheme registers.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}
