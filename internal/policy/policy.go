// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package policy validates AMKO's policy objects (GSLBConfig,
// GlobalDeploymentPolicy, GSLBHostRule) and merges the accepted ones into the
// effective policy the model applies.
package policy

import (
	"github.com/amko-project/amko/internal/gslb"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
)

// DefaultTenant is the Avi tenant of services whose namespace names none and
// whose GSLBConfig sets no tenant.
const DefaultTenant = "admin"

// Policy is the effective policy: the accepted GSLBConfig's settings, the
// accepted GlobalDeploymentPolicy, and the accepted GSLBHostRules.
type Policy struct {
	// UUID identifies this amko (GSLBConfig annotation amko.vmware.com/amko-uuid);
	// its objects are created by "amko-<UUID>".
	UUID string
	// Tenant is the default Avi tenant.
	Tenant string
	// CustomGlobalFQDN names services after the HostRules' global FQDNs.
	CustomGlobalFQDN bool
	// Clusters are the GSLBConfig's member cluster contexts.
	Clusters []string
	// GDP is the accepted GlobalDeploymentPolicy's spec; nil selects nothing.
	GDP *amkov1alpha2.GDPSpec
	// HostRules are the accepted GSLBHostRules' specs by FQDN.
	HostRules map[string]*amkov1alpha1.GSLBHostRuleSpec
	// Templates are the health monitor templates the policy names, as read from
	// the controller.
	Templates map[string]Template
	// DefaultPKIProfile is used for site persistence when no PKI profile is named
	// (AMKO takes the controller's first federated one).
	DefaultPKIProfile string
	// AddressOnly makes every member address-only, as syncVipOnly does for one
	// cluster: the built-in DNS backend needs no Avi virtual service identifiers.
	AddressOnly bool
	// Locations place the members of each cluster (or third-party site) for the
	// geo algorithm.
	Locations map[string]gslb.Location
}

// Template is the part of a federated HTTP(S) health monitor that AMKO copies into
// the path monitors it creates from it.
type Template struct {
	// Request is the template's request line, e.g. "GET /healthz HTTP/1.1".
	Request string
	// ResponseCodes are its expected response codes, e.g. [HTTP_2XX].
	ResponseCodes []string
}

// CreatedBy is the created_by of this amko's controller objects.
func (p *Policy) CreatedBy() string { return "amko-" + p.UUID }

// SiteLocations places the clusters and third-party sites of the GSLBConfig's
// geo table, for the geo algorithm of the built-in DNS backend.
func SiteLocations(geo *amkov1alpha1.DNSGeo) map[string]gslb.Location {
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
