// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"errors"
	"strings"

	"github.com/amko-project/amko/internal/model"
)

// Explanation says why one candidate (an Ingress host, a LoadBalancer Service
// or a Route of a member cluster) is or is not a member of a GSLB service.
type Explanation struct {
	Cluster   string `json:"cluster"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Host      string `json:"host"`
	IP        string `json:"ip,omitempty"`
	Selected  bool   `json:"selected"`
	// Service is the GSLB service it is a member of, when selected.
	Service string `json:"service,omitempty"`
	// Reason says why it is not selected.
	Reason string `json:"reason,omitempty"`
	// Backends are the Services behind it (namespace/name), whose
	// EndpointSlices endpoint health reads.
	Backends []string `json:"backends,omitempty"`
	// NoReadyEndpoints says why none of them has a ready endpoint (or why it
	// is still held out); ClusterLost why its cluster counts as lost. Whether
	// a member is taken out for them is the policy's: see the service's
	// members in /status.
	NoReadyEndpoints string `json:"noReadyEndpoints,omitempty"`
	ClusterLost      string `json:"clusterLost,omitempty"`
}

// Explain decides again, under the policy of the last pass, on the candidates
// that match query: a host name or GSLB service name, "namespace/name", or
// "cluster/namespace/name" of an application object; "*" for every one.
// Objects that yield no candidate (no address from AKO in their status yet,
// no host) are listed too, by namespace/name, with the reason.
func (o *Operator) Explain(ctx context.Context, query string) ([]Explanation, error) {
	o.mu.Lock()
	pol := o.lastPolicy
	o.mu.Unlock()
	if pol == nil {
		return nil, errors.New("no accepted GSLBConfig and policy yet")
	}
	defaultDomain := ""
	if pol.GDP != nil && pol.GDP.DefaultDomain != nil {
		defaultDomain = *pol.GDP.DefaultDomain
	}
	in, err := o.members.Inputs(ctx, defaultDomain)
	if err != nil {
		return nil, err
	}
	query = strings.ToLower(strings.TrimSuffix(query, "."))
	out := []Explanation{}
	for _, d := range model.Explain(model.Input{Policy: pol, Groups: in.Groups, Namespaces: in.Namespaces, HostRules: in.HostRules}) {
		r := d.Record
		obj := r.Namespace + "/" + r.Name
		if query != "*" && query != strings.ToLower(r.Host) && query != strings.ToLower(d.Service) &&
			query != obj && query != r.Cluster+"/"+obj {
			continue
		}
		e := Explanation{Cluster: r.Cluster, Kind: string(r.Kind), Namespace: r.Namespace, Name: r.Name, Host: r.Host,
			Selected: d.Selected, Service: d.Service, Reason: d.Reason, NoReadyEndpoints: r.NoEndpoints, ClusterLost: r.ClusterLost}
		for _, b := range r.Backends {
			e.Backends = append(e.Backends, b.String())
		}
		if r.IP.IsValid() {
			e.IP = r.IP.String()
		}
		out = append(out, e)
	}
	// Objects that give no candidate at all, and why.
	for _, sk := range o.members.Skipped() {
		obj := sk.Namespace + "/" + sk.Name
		if query != "*" && query != obj && query != sk.Cluster+"/"+obj {
			continue
		}
		out = append(out, Explanation{Cluster: sk.Cluster, Kind: sk.Kind, Namespace: sk.Namespace, Name: sk.Name,
			Reason: "no candidate: " + sk.Reason})
	}
	return out, nil
}
