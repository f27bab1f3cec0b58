// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package clusters

import (
	"context"
	"fmt"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// SetEndpoints writes the EndpointSlice of Service namespace/service as the
// EndpointSlice controller would (none runs in these clusters): one endpoint
// per readiness given, 10.244.0.1 onwards. It creates the slice, named
// "<service>-test", or replaces its endpoints.
func (c *Cluster) SetEndpoints(ctx context.Context, namespace, service string, ready ...bool) error {
	eps := make([]discoveryv1.Endpoint, 0, len(ready))
	for i, r := range ready {
		eps = append(eps, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.244.%d.%d", i/250, i%250+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: &r}})
	}
	slice := &discoveryv1.EndpointSlice{}
	key := client.ObjectKey{Namespace: namespace, Name: service + "-test"}
	err := c.Client.Get(ctx, key, slice)
	switch {
	case apierrors.IsNotFound(err):
		slice = &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: key.Name,
			Labels: map[string]string{discoveryv1.LabelServiceName: service, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}},
			AddressType: discoveryv1.AddressTypeIPv4, Endpoints: eps}
		if err := c.Client.Create(ctx, slice); err != nil {
			return fmt.Errorf("creating EndpointSlice %s: %w", key, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("reading EndpointSlice %s: %w", key, err)
	}
	slice.Endpoints = eps
	if err := c.Client.Update(ctx, slice); err != nil {
		return fmt.Errorf("updating EndpointSlice %s: %w", key, err)
	}
	return nil
}

// DeleteEndpoints deletes the EndpointSlice SetEndpoints wrote, if any.
func (c *Cluster) DeleteEndpoints(ctx context.Context, namespace, service string) error {
	err := c.Client.Delete(ctx, &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: service + "-test"}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting EndpointSlice %s/%s-test: %w", namespace, service, err)
	}
	return nil
}
