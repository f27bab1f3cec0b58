// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
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
