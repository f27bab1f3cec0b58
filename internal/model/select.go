// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package model

import (
	"fmt"

	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/sources"
)

// Reasons a record is not selected. The UUID one is AMKO's log message verbatim.
const (
	reasonNoGDP          = "no GlobalDeploymentPolicy"
	reasonNoSelector     = "the GlobalDeploymentPolicy has neither an appSelector nor a namespaceSelector"
	reasonNoHost         = "no host name"
	reasonNoIP           = "no IP address"
	reasonPassthrough    = "passthrough objects are not supported with custom global FQDNs"
	reasonMissingUUIDs   = "controller UUID or VS UUID missing from the object, won't update member"
	reasonNotMember      = "cluster %s is not a member cluster of the GSLBConfig"
	reasonNotMatched     = "cluster %s is not in the GlobalDeploymentPolicy's matchClusters"
	reasonNamespace      = "namespace %s does not match the namespaceSelector"
	reasonApp            = "labels do not match the appSelector"
	reasonNoGlobalFQDN   = "no HostRule in cluster %s maps %s to a global FQDN"
	reasonTenantMismatch = "tenant %s of the object differs from tenant %s of namespace %s"
)

// selection is where a selected record goes.
type selection struct {
	key    serviceKey
	member member
}

// selectRecord applies the GDP's filters (amko.md §2.4) to r, in AMKO's order:
// policy, cluster, namespace and app selectors, custom FQDN mode, address, tenant
// and AKO's identifiers. It returns the reason r is rejected, or "".
func (ix *index) selectRecord(r sources.Record) (selection, string) {
	gdp := ix.gdp
	if gdp == nil {
		return selection{}, reasonNoGDP
	}
	appSel := gdp.MatchRules.AppSelector.Label
	nsSel := gdp.MatchRules.NamespaceSelector.Label
	if len(appSel) == 0 && len(nsSel) == 0 {
		return selection{}, reasonNoSelector
	}
	if r.Host == "" {
		return selection{}, reasonNoHost
	}
	if !ix.members[r.Cluster] {
		return selection{}, fmt.Sprintf(reasonNotMember, r.Cluster)
	}
	cp, ok := ix.match[r.Cluster]
	if !ok {
		return selection{}, fmt.Sprintf(reasonNotMatched, r.Cluster)
	}

	ns, nsFound := ix.namespaces[clusterName{r.Cluster, r.Namespace}]
	// Beyond AMKO, which honours a selector only when it has exactly one label:
	// every label of a selector must match.
	if len(nsSel) > 0 && (!nsFound || !hasLabels(ns.Labels, nsSel)) {
		return selection{}, fmt.Sprintf(reasonNamespace, r.Namespace)
	}
	if len(appSel) > 0 && !hasLabels(r.Labels, appSel) {
		return selection{}, reasonApp
	}

	name := r.Host
	if ix.policy.CustomGlobalFQDN {
		if r.Passthrough {
			return selection{}, reasonPassthrough
		}
		g, ok := ix.globalFQDN[clusterName{r.Cluster, r.Host}]
		if !ok {
			return selection{}, fmt.Sprintf(reasonNoGlobalFQDN, r.Cluster, r.Host)
		}
		name = g
	}

	if !r.IP.IsValid() {
		return selection{}, reasonNoIP
	}

	if nsFound && ns.Tenant != "" && r.Tenant != "" && ns.Tenant != r.Tenant {
		return selection{}, fmt.Sprintf(reasonTenantMismatch, r.Tenant, ns.Tenant, r.Namespace)
	}
	tenant := firstNonEmpty(ns.Tenant, r.Tenant, ix.policy.Tenant, policy.DefaultTenant)

	addressOnly := cp.SyncVipOnly || ix.policy.AddressOnly
	if !addressOnly && (r.VSUUID == "" || r.ControllerUUID == "") {
		if !r.Kind.IsGatewayAPI() {
			return selection{}, reasonMissingUUIDs
		}
		// AKO's Gateway API implementation writes no virtual service uuids
		// (sources.FromGatewayRoute reads them where it would): refusing its
		// routes would refuse them all, so they are placed by address, as in
		// a syncVipOnly cluster.
		addressOnly = true
	}

	if r.Kind == sources.KindIngress {
		// AMKO reads an Ingress's passthrough annotation only in custom FQDN
		// mode, refused above; in the default mode the Ingress is an ordinary
		// one, monitored per path (k8sobjects/ingress_object.go).
		r.Passthrough = false
	}

	return selection{
		key: serviceKey{tenant: tenant, name: name},
		member: member{
			Record:      r,
			syncVIPOnly: addressOnly,
			tls:         r.TLS || ix.tlsHosts[clusterName{r.Cluster, r.Host}],
		},
	}, ""
}

// hasLabels reports whether labels carry every key=value of want.
func hasLabels(labels, want map[string]string) bool {
	for k, v := range want {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
