// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/gslb"
)

// healthChanged is told by a backend that probes members itself (the built-in
// DNS backend) that one changed health: its answers already follow; here it
// is counted and recorded on the accepted GSLBConfig.
func (o *Operator) healthChanged(service, member, monitor string, up bool) {
	o.metrics.probeChange(up)
	o.mu.Lock()
	gc := o.state.config
	o.mu.Unlock()
	if gc == nil {
		return
	}
	if up {
		o.recorder.Event(gc, corev1.EventTypeNormal, "MemberUp",
			fmt.Sprintf("member %s of %s passes health monitor %s again: back in DNS answers", member, service, monitor))
		return
	}
	o.recorder.Event(gc, corev1.EventTypeWarning, "MemberDown",
		fmt.Sprintf("member %s of %s fails health monitor %s: left out of DNS answers", member, service, monitor))
}

// siteLocations maps the sites of the geo table to their locations.
func siteLocations(geo *amkov1alpha1.DNSGeo) map[string]gslb.Location {
	if geo == nil {
		return nil
	}
	out := map[string]gslb.Location{}
	for _, site := range geo.Sites {
		if loc, ok := gslb.ParseLocation(site.Location.Latitude, site.Location.Longitude); ok {
			out[site.Name] = loc
		}
	}
	return out
}
