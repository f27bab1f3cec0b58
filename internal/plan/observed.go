// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package plan

import "github.com/amko-project/amko/internal/gslb"

// Observed returns the service the backend holds under tenant and name, as
// last observed or written, and whether it holds one. The service must not
// be modified.
func (p *Planner) Observed(tenant, name string) (*gslb.Service, bool) {
	o, ok := p.obsSvc[key{tenant, name}]
	if !ok || o.Service == nil {
		return nil, false
	}
	return o.Service, true
}
