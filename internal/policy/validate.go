// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package policy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
)

// The refusals below are AMKO's status strings verbatim (amko.md §1.2, §1.3),
// including their typos, because users and scripts match on them, checked in
// AMKO's order (GDPSanityChecks, ValidateGSLBHostRule) so that an object with
// several faults reports the one AMKO reports. Admission (the CRDs) accepts
// every object AMKO 2.2.1's CRDs accept; these checks are where such objects
// are refused, as AMKO refuses them. A few checks AMKO does not make, for
// values the controller refuses later (so AMKO reports the rule Accepted and
// its service never updates), come after AMKO's, with texts in AMKO's style.

// Controller looks up the GSLB leader's objects that a policy names. Without a
// controller (the DNS backend) references are not checked.
type Controller interface {
	// Lookup finds an object of kind ("healthmonitor",
	// "applicationpersistenceprofile", "pkiprofile") by name in a tenant.
	Lookup(ctx context.Context, kind, tenant, name string) (Object, bool, error)
	// ThirdPartySites names the GSLB configuration's third-party sites.
	ThirdPartySites(ctx context.Context) ([]string, error)
}

// Object is what validation needs of a controller object.
type Object struct {
	Federated         bool
	Type              string
	HTTPRequest       string
	HTTPResponseCodes []string
}

// Invalid is a policy refusal: its message is the status string. Other errors
// from validation are failures to reach the controller, to be retried.
type Invalid struct{ Message string }

func (e *Invalid) Error() string { return e.Message }

func invalid(format string, args ...any) error {
	return &Invalid{Message: fmt.Sprintf(format, args...)}
}

// IsInvalid reports whether err refuses the policy (rather than failing to check it).
func IsInvalid(err error) bool {
	var inv *Invalid
	return errors.As(err, &inv)
}

// ValidateGDP checks a GlobalDeploymentPolicy against the GSLBConfig's member
// clusters and the controller, and returns the health monitor templates it
// names, resolved.
func ValidateGDP(ctx context.Context, spec *amkov1alpha2.GDPSpec, clusters []string, tenant string, ctrl Controller) (map[string]Template, error) {
	if msg := labelError(spec.MatchRules.AppSelector.Label); msg != "" {
		return nil, invalid("%s for appSelector", msg)
	}
	if msg := labelError(spec.MatchRules.NamespaceSelector.Label); msg != "" {
		// AMKO's text has no space before "for" here.
		return nil, invalid("%sfor namespaceSelector", msg)
	}
	for _, mc := range spec.MatchClusters {
		if !slices.Contains(clusters, mc.Cluster) {
			return nil, invalid("cluster context %s not present in GSLBConfig", mc.Cluster)
		}
	}
	for _, ts := range spec.TrafficSplit {
		if !slices.Contains(clusters, ts.Cluster) {
			return nil, invalid("cluster %s in traffic policy not present in GSLBConfig", ts.Cluster)
		}
		if ts.Weight < 1 || ts.Weight > 20 {
			return nil, invalid("traffic weight %d must be between 1 and 20", ts.Weight)
		}
		if ts.Priority != nil && *ts.Priority > 100 {
			return nil, invalid("priority %d must be between 1 and 100", *ts.Priority)
		}
	}
	templates, err := checkMonitors(ctx, ctrl, tenant, spec.HealthMonitorRefs, spec.HealthMonitorTemplate,
		"health monitor reference and template cannot be specified together",
		func(r string) error { return invalid("health monitor ref %s is invalid", r) })
	if err != nil {
		return nil, err
	}
	if msg := poolAlgorithmError(spec.PoolAlgorithmSettings); msg != "" {
		return nil, invalid("invalid pool algorithm: %s", msg)
	}
	if ref := spec.SitePersistenceRef; ref != nil {
		if *ref == "" {
			return nil, invalid("empty string as site persistence reference not supported")
		}
		if err := mustExist(ctx, ctrl, "applicationpersistenceprofile", tenant, *ref,
			invalid("site persistence ref %s not present", *ref)); err != nil {
			return nil, err
		}
	}
	if ref := spec.PKIProfileRef; ref != nil {
		if *ref == "" {
			return nil, invalid("empty string as pki profile reference not supported")
		}
		if err := mustExist(ctx, ctrl, "pkiprofile", tenant, *ref, invalid("pki profile ref %s not present", *ref)); err != nil {
			return nil, err
		}
	}
	if msg := downResponseError(spec.DownResponse); msg != "" {
		return nil, invalid("invalid down response configuration: %s", msg)
	}
	return templates, nil
}

// Texts of the GSLBHostRule refusals amko makes and AMKO does not: the
// controller would refuse the GSLB service instead, which AMKO reports nowhere.
const (
	// MsgThirdPartyPublicIP: AMKO sends a third-party member's public IP as is.
	MsgThirdPartyPublicIP = "Invalid public IP for thirdPartyMember site %s,%s GSLBHostRule (expecting IP address)"
	// MsgPriority: AMKO's CRD sets no maximum on a GSLBHostRule's priority;
	// the controller's pools take 0 to 100.
	MsgPriority = "priority %d for %s must be between 0 and 100 for %s GSLBHostRule"
)

// ValidateHostRule checks the GSLBHostRule name against the GSLBConfig's member
// clusters and the controller, and returns the templates it names, resolved.
func ValidateHostRule(ctx context.Context, name string, spec *amkov1alpha1.GSLBHostRuleSpec, clusters []string, tenant string, ctrl Controller) (map[string]Template, error) {
	if spec.Fqdn == "" {
		return nil, invalid("GSFqdn missing for %s GSLBHostRule", name)
	}
	if sp := spec.SitePersistence; sp != nil {
		if sp.Enabled {
			notFound := invalid("SitePersistence Profile %s error for %s GSLBHostRule", sp.ProfileRef, name)
			// AMKO looks an empty name up too; no profile has one.
			if sp.ProfileRef == "" {
				return nil, notFound
			}
			if err := mustExist(ctx, ctrl, "applicationpersistenceprofile", tenant, sp.ProfileRef, notFound); err != nil {
				return nil, err
			}
		}
		// AMKO checks the PKI profile whether or not persistence is enabled.
		if ref := sp.PKIProfileRef; ref != nil {
			notFound := invalid("PKI Profile %s error for %s GSLBHostRule", *ref, name)
			if *ref == "" {
				return nil, notFound
			}
			if err := mustExist(ctx, ctrl, "pkiprofile", tenant, *ref, notFound); err != nil {
				return nil, err
			}
		}
	}
	if msg := poolAlgorithmError(spec.PoolAlgorithmSettings); msg != "" {
		return nil, invalid("Invalid Pool Algorithm: %s", msg)
	}
	if len(spec.ThirdPartyMembers) > 0 {
		var sites []string
		if ctrl != nil {
			var err error
			if sites, err = ctrl.ThirdPartySites(ctx); err != nil {
				return nil, err
			}
		}
		for _, m := range spec.ThirdPartyMembers {
			if !isIP(m.VIP) {
				return nil, invalid("Invalid VIP for thirdPartyMember site %s,%s GSLBHostRule (expecting IP address)", m.Site, name)
			}
			// Without a controller any named site is one; an unnamed one is none.
			if m.Site == "" || ctrl != nil && !slices.Contains(sites, m.Site) {
				return nil, invalid("ThirdPartyMember site %s does not exist for %s GSLBHostRule", m.Site, name)
			}
		}
	}
	for _, p := range spec.PublicIP {
		if !slices.Contains(clusters, p.Cluster) {
			return nil, invalid("cluster %s in Public IP  not present in GSLBConfig", p.Cluster)
		}
		if !isIP(p.IP) {
			return nil, invalid("Invalid IP for site %s,%s GSLBHostRule (expecting IP address)", p.Cluster, name)
		}
	}
	templates, err := checkMonitors(ctx, ctrl, tenant, spec.HealthMonitorRefs, spec.HealthMonitorTemplate,
		fmt.Sprintf("health monitor reference and template cannot be specified together for %s GSLBHostRule", name),
		func(r string) error { return invalid("Health Monitor Ref %s error for %s GSLBHostRule", r, name) })
	if err != nil {
		return nil, err
	}
	if msg := downResponseError(spec.DownResponse); msg != "" {
		return nil, invalid("%s", msg)
	}
	// amko's own checks, after AMKO's.
	for _, m := range spec.ThirdPartyMembers {
		if m.PublicIP != "" && !isIP(m.PublicIP) {
			return nil, invalid(MsgThirdPartyPublicIP, m.Site, name)
		}
	}
	for _, ts := range spec.TrafficSplit {
		if ts.Priority != nil && *ts.Priority > 100 {
			return nil, invalid(MsgPriority, *ts.Priority, ts.Cluster, name)
		}
	}
	return templates, nil
}

// isIP is AMKO's address check (net.ParseIP), which netip.ParseAddr is not
// quite: that one also takes an IPv6 zone ("fe80::1%eth0").
func isIP(s string) bool { return net.ParseIP(s) != nil }

// labelError is AMKO's check of a selector's labels (validLabel), "" when
// valid. AMKO's texts swap key and value, and so name the empty string.
func labelError(labels map[string]string) string {
	// Sorted, so that a map with several faults always reports the same one
	// (AMKO's map order is random).
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if k == "" {
			return "label value is missing for key " + k
		}
		if labels[k] == "" {
			return "label key is missing for value " + labels[k]
		}
	}
	return ""
}

// checkMonitors validates health monitor references (federated monitors that
// exist) and a template (a federated HTTP(S) monitor whose request line has
// three tokens), returning the resolved template.
func checkMonitors(ctx context.Context, ctrl Controller, tenant string, refs []string, template *string, both string, badRef func(string) error) (map[string]Template, error) {
	if len(refs) > 0 && template != nil {
		return nil, invalid("%s", both)
	}
	for _, r := range refs {
		if ctrl == nil {
			continue
		}
		obj, found, err := ctrl.Lookup(ctx, "healthmonitor", tenant, r)
		if err != nil {
			return nil, err
		}
		if !found || !obj.Federated {
			return nil, badRef(r)
		}
	}
	if template == nil || ctrl == nil {
		return nil, nil
	}
	t := *template
	obj, found, err := ctrl.Lookup(ctx, "healthmonitor", tenant, t)
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, invalid("health monitor template %s not found", t)
	case !obj.Federated:
		return nil, invalid("health monitor template %s not federated", t)
	case obj.Type != "HEALTH_MONITOR_HTTP" && obj.Type != "HEALTH_MONITOR_HTTPS":
		return nil, invalid("health monitor template is not supported for non-path based health monitors")
	case len(strings.Fields(obj.HTTPRequest)) != 3:
		return nil, invalid("client request header in health monitor template %s is invalid", t)
	}
	return map[string]Template{t: {Request: obj.HTTPRequest, ResponseCodes: obj.HTTPResponseCodes}}, nil
}

// mustExist refuses with notFound when the controller has no object of kind
// named name; without a controller it accepts.
func mustExist(ctx context.Context, ctrl Controller, kind, tenant, name string, notFound error) error {
	if ctrl == nil {
		return nil
	}
	_, found, err := ctrl.Lookup(ctx, kind, tenant, name)
	if err != nil {
		return err
	}
	if !found {
		return notFound
	}
	return nil
}

// poolAlgorithmError is AMKO's check of pool algorithm settings
// (isGslbPoolAlgorithmValid); "" when valid. As AMKO's, it refuses settings
// with no lbAlgorithm ("unsupported lbAlgorithm ") and takes a top-level
// hashMask with GSLB_ALGORITHM_GEO (the model ignores it, as AMKO's controller
// does: only the fallback's mask is used).
func poolAlgorithmError(p *amkov1alpha1.PoolAlgorithmSettings) string {
	if p == nil {
		return ""
	}
	algo := p.LBAlgorithm
	switch algo {
	case amkov1alpha1.PoolAlgorithmRoundRobin, amkov1alpha1.PoolAlgorithmTopology:
		if p.FallbackAlgorithm != nil {
			return fmt.Sprintf("geoFallback not allowed for %s", algo)
		}
		if p.HashMask != nil {
			return fmt.Sprintf("hashMask not allowed for %s", algo)
		}
	case amkov1alpha1.PoolAlgorithmConsistentHash:
		if p.FallbackAlgorithm != nil {
			return "geoFallback is not allowed with ConsistentHash"
		}
		if p.HashMask == nil {
			return "hashMask is required for ConsistentHash"
		}
	case amkov1alpha1.PoolAlgorithmGeo:
		fb := p.FallbackAlgorithm
		if fb == nil {
			return "geoFallback has to be set for Geo, available choices: RoundRobin, ConsistentHash"
		}
		switch fb.LBAlgorithm {
		case "GSLB_ALGORITHM_ROUND_ROBIN":
			if fb.HashMask != nil {
				return fmt.Sprintf("hashMask is not allowed with %s as geoFallback algorithm", fb.LBAlgorithm)
			}
		case "GSLB_ALGORITHM_CONSISTENT_HASH":
			if fb.HashMask == nil {
				return fmt.Sprintf("hashMask is required for %s as the geoFallback algorithm", fb.LBAlgorithm)
			}
		default:
			return fmt.Sprintf("unsupported algorithm %s for geoFallback", fb.LBAlgorithm)
		}
	default:
		return fmt.Sprintf("unsupported lbAlgorithm %s", algo)
	}
	return ""
}

// downResponseError is AMKO's check of a down response; "" when valid.
func downResponseError(d *amkov1alpha1.DownResponse) string {
	if d == nil {
		return ""
	}
	if d.Type == amkov1alpha1.DownResponseFallbackIP {
		if d.FallbackIP == "" {
			return fmt.Sprintf("Fallback IP is required for %s", d.Type)
		}
		if !isIP(d.FallbackIP) {
			return fmt.Sprintf("Fallback IP %s is not valid", d.FallbackIP)
		}
		return ""
	}
	if d.FallbackIP != "" {
		return fmt.Sprintf("Fallback IP is not allowed for %s", d.Type)
	}
	return ""
}
