// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package providers

import (
	"fmt"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/provider"
	"github.com/amko-project/amko/internal/provider/avi"
)

// buildAvi builds the Avi backend of the GSLB leader controller s.Config names.
func buildAvi(s provider.Settings) (provider.Provider, error) {
	gc := s.Config
	leader := gc.Spec.GSLBLeader
	p, err := avi.New(avi.Config{
		Host: leader.ControllerIP, Username: string(s.Credentials["username"]), Password: string(s.Credentials["password"]),
		Version: leader.ControllerVersion, CreatedBy: "amko-" + gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation],
		Timeout: s.Timeout, Concurrency: s.Concurrency, CABundle: s.CABundle, Pin: s.Pin, OnPin: s.OnPin,
		ClearPin: fmt.Sprintf("clear the pin with `kubectl -n %s annotate gslbconfig %s %s-`",
			gc.Namespace, gc.Name, amkov1alpha1.ControllerCertificateAnnotation),
	})
	if err != nil {
		return nil, &provider.ConfigError{State: "error: invalid gslb config " + err.Error(), Err: err}
	}
	return p, nil
}
