// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/amko-project/amko/internal/avisim/schema"
)

// Refusal texts. AMKO matches the first three by substring (avi-api.md §2.5, §3.3),
// so they must stay as they are; the rest of each message is an inference.
const (
	msgNotLeader      = "Config Operations can be done ONLY on leader"
	msgMaintenance    = "GSLB system is in maintenance mode."
	msgDomainConflict = "domain name conflicting with existing domain name"
)

// The version from which site persistence needs a PKI profile (avi-api.md §2.7).
var pkiRequiredFrom = schema.Version{Major: 22, Minor: 1, Patch: 3}

// defaults are the controller's defaults that its schema does not state
// (avi-api.md §2.7, §2.8): AMKO reads site_persistence_enabled back from every
// GSLB service, and filters health monitors and profiles on is_federated.
var defaults = map[string]map[string]any{
	"gslbservice":                   {"site_persistence_enabled": false},
	"healthmonitor":                 {"is_federated": false},
	"applicationpersistenceprofile": {"is_federated": false},
	"pkiprofile":                    {"is_federated": false},
}

// fillDefaults fills the schema's defaults and the controller's own.
func fillDefaults(kind *schema.Kind, data map[string]any, v schema.Version) {
	for k, val := range defaults[kind.Name] {
		if _, ok := data[k]; !ok {
			data[k] = val
		}
	}
	kind.FillDefaults(data, v)
}

// gslbObject returns the GSLB configuration, the controller's single gslb object.
func (s *Server) gslbObject() *object {
	if objs := s.store.list("gslb"); len(objs) > 0 {
		return objs[0]
	}
	return nil
}

func (s *Server) clusterObject() *object {
	if objs := s.store.list("cluster"); len(objs) > 0 {
		return objs[0]
	}
	return nil
}

// isLeader reports whether this controller leads the GSLB federation: the gslb
// object's leader_cluster_uuid is this cluster's uuid.
func (s *Server) isLeader() bool {
	g, c := s.gslbObject(), s.clusterObject()
	return g != nil && c != nil && g.Data["leader_cluster_uuid"] == c.UUID
}

func (s *Server) inMaintenance() bool {
	g := s.gslbObject()
	return g != nil && g.Data["maintenance_mode"] == true
}

// federated reports whether o is a federated object: GSLB objects always, health
// monitors and profiles when is_federated.
func federated(o *object) bool {
	switch o.Kind {
	case "gslb", "gslbservice", "gslbgeodbprofile":
		return true
	case "healthmonitor", "applicationpersistenceprofile", "pkiprofile":
		return o.Data["is_federated"] == true
	}
	return false
}

// checkWritable refuses writes to federated objects on a follower site and, except
// for the gslb object itself, in maintenance mode.
func (s *Server) checkWritable(req *request, kind *schema.Kind, o, existing *object) int {
	if !federated(o) && (existing == nil || !federated(existing)) {
		return 0
	}
	if !s.isLeader() {
		return writeError(req.w, http.StatusBadRequest, msgNotLeader+": this site is a follower")
	}
	if kind.Name != "gslb" && s.inMaintenance() {
		return writeError(req.w, http.StatusBadRequest, msgMaintenance)
	}
	return 0
}

// checkRules applies the controller's semantic rules for o's kind.
func (s *Server) checkRules(req *request, kind *schema.Kind, o *object) int {
	var err error
	switch kind.Name {
	case "gslbservice":
		err = s.gslbServiceRules(req, o)
	case "healthmonitor":
		err = healthMonitorRules(o)
	case "gslb":
		err = s.gslbRules(o)
	}
	if err != nil {
		return writeError(req.w, http.StatusBadRequest, err.Error())
	}
	return 0
}

func (s *Server) gslbServiceRules(req *request, o *object) error {
	name := o.name()
	domains := stringList(o.Data["domain_names"])
	for _, d := range domains {
		d = domainKey(d)
		for _, other := range s.store.domainHolders(d) {
			if other.UUID != o.UUID {
				return refusal("Gslb service %s: %s %s of Gslb service %s", name, msgDomainConflict, d, other.name())
			}
		}
		if s.opts.Strict.DNSConfigCheck && !s.underDNSConfig(d) {
			return fmt.Errorf("domain_names: %s is not under any GSLB DNS subdomain configured in gslb.dns_configs", d)
		}
	}

	sites, thirdParty := s.siteUUIDs()
	pools, _ := o.Data["groups"].([]any)
	seen := map[string]bool{}
	hasThirdParty := false
	for i, p := range pools {
		pool, _ := p.(map[string]any)
		pname, _ := pool["name"].(string)
		if seen[pname] {
			return fmt.Errorf("groups[%d].name: pool name %s is used twice in Gslb service %s", i, pname, name)
		}
		seen[pname] = true
		members, _ := pool["members"].([]any)
		if len(members) == 0 {
			return refusal("groups[%d].members: Minimum of 1 items required.", i)
		}
		for _, field := range []string{"algorithm", "fallback_algorithm"} {
			if pool[field] == "GSLB_ALGORITHM_CONSISTENT_HASH" && pool["consistent_hash_mask"] == nil && pool["consistent_hash_mask6"] == nil {
				return fmt.Errorf("groups[%d].consistent_hash_mask: required when %s is GSLB_ALGORITHM_CONSISTENT_HASH", i, field)
			}
		}
		for j, m := range members {
			member, _ := m.(map[string]any)
			if err := checkMemberIP(member, fmt.Sprintf("groups[%d].members[%d]", i, j)); err != nil {
				return err
			}
			cluster, _ := member["cluster_uuid"].(string)
			if _, ok := member["vs_uuid"]; ok && cluster == "" {
				return fmt.Errorf("groups[%d].members[%d].cluster_uuid: required with vs_uuid", i, j)
			}
			if cluster != "" && !sites[cluster] && !thirdParty[cluster] {
				return fmt.Errorf("groups[%d].members[%d].cluster_uuid: %s is not a site of the GSLB configuration", i, j, cluster)
			}
			if thirdParty[cluster] {
				hasThirdParty = true
			}
		}
	}

	if dr, ok := o.Data["down_response"].(map[string]any); ok && dr["type"] == "GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP" {
		if dr["fallback_ip"] == nil && dr["fallback_ip6"] == nil {
			return fmt.Errorf("down_response.fallback_ip: required with type GSLB_SERVICE_DOWN_RESPONSE_FALLBACK_IP")
		}
	}

	if s.opts.Strict.FederatedRefs {
		refs := append(stringList(o.Data["health_monitor_refs"]),
			str(o.Data["application_persistence_profile_ref"]), str(o.Data["pki_profile_ref"]))
		for _, ref := range refs {
			if k, id, ok := parseRefPath(ref); ok {
				if t := s.store.get(k, id); t != nil && !federated(t) {
					return fmt.Errorf("%s %s is not federated: a GSLB service can refer only to federated objects",
						verboseName(s.registry.Kind(k).Definition), t.name())
				}
			}
		}
	}

	if o.Data["site_persistence_enabled"] == true {
		k, id, ok := parseRefPath(str(o.Data["application_persistence_profile_ref"]))
		if !ok {
			return fmt.Errorf("application_persistence_profile_ref: required when site_persistence_enabled is true")
		}
		if app := s.store.get(k, id); app != nil && app.Data["persistence_type"] != "PERSISTENCE_TYPE_GSLB_SITE" {
			return fmt.Errorf("application_persistence_profile_ref: %s is not of persistence type PERSISTENCE_TYPE_GSLB_SITE", app.name())
		}
		if !req.version.Less(pkiRequiredFrom) && str(o.Data["pki_profile_ref"]) == "" {
			return fmt.Errorf("pki_profile_ref: required when site_persistence_enabled is true")
		}
		if hasThirdParty {
			return fmt.Errorf("site_persistence_enabled: site persistence cannot be enabled with third-party site members")
		}
	}
	return nil
}

// checkMemberIP checks that a member's address parses and has its declared family.
func checkMemberIP(member map[string]any, path string) error {
	for _, field := range []string{"ip", "public_ip.ip"} {
		ip := member
		for _, part := range strings.Split(field, ".") {
			ip, _ = ip[part].(map[string]any)
		}
		if ip == nil {
			continue
		}
		addr, err := netip.ParseAddr(str(ip["addr"]))
		typ := str(ip["type"])
		if (typ == "V4" && (err != nil || !addr.Is4())) || (typ == "V6" && (err != nil || !addr.Is6())) {
			return fmt.Errorf("%s.%s.addr: %q is not a valid %s address", path, field, str(ip["addr"]), typ)
		}
	}
	return nil
}

// underDNSConfig reports whether domain is one of gslb.dns_configs or below one.
func (s *Server) underDNSConfig(domain string) bool {
	g := s.gslbObject()
	if g == nil {
		return false
	}
	configs, _ := g.Data["dns_configs"].([]any)
	for _, c := range configs {
		cfg, _ := c.(map[string]any)
		sub := strings.ToLower(strings.TrimSuffix(str(cfg["domain_name"]), "."))
		if sub != "" && (domain == sub || strings.HasSuffix(domain, "."+sub)) {
			return true
		}
	}
	return false
}

// siteUUIDs returns the cluster uuids of the GSLB sites and third-party sites.
func (s *Server) siteUUIDs() (sites, thirdParty map[string]bool) {
	sites, thirdParty = map[string]bool{}, map[string]bool{}
	g := s.gslbObject()
	if g == nil {
		return sites, thirdParty
	}
	for field, set := range map[string]map[string]bool{"sites": sites, "third_party_sites": thirdParty} {
		list, _ := g.Data[field].([]any)
		for _, it := range list {
			site, _ := it.(map[string]any)
			if id := str(site["cluster_uuid"]); id != "" {
				set[id] = true
			}
		}
	}
	return sites, thirdParty
}

// The sub-object a health monitor type carries.
var monitorFields = map[string]string{
	"HEALTH_MONITOR_HTTP": "http_monitor", "HEALTH_MONITOR_HTTPS": "https_monitor",
	"HEALTH_MONITOR_TCP": "tcp_monitor", "HEALTH_MONITOR_UDP": "udp_monitor",
	"HEALTH_MONITOR_DNS": "dns_monitor", "HEALTH_MONITOR_EXTERNAL": "external_monitor",
	"HEALTH_MONITOR_SIP": "sip_monitor", "HEALTH_MONITOR_RADIUS": "radius_monitor",
	"HEALTH_MONITOR_SMTP": "smtp_monitor", "HEALTH_MONITOR_SMTPS": "smtps_monitor",
	"HEALTH_MONITOR_POP3": "pop3_monitor", "HEALTH_MONITOR_POP3S": "pop3s_monitor",
	"HEALTH_MONITOR_IMAP": "imap_monitor", "HEALTH_MONITOR_IMAPS": "imaps_monitor",
	"HEALTH_MONITOR_FTP": "ftp_monitor", "HEALTH_MONITOR_FTPS": "ftps_monitor",
	"HEALTH_MONITOR_LDAP": "ldap_monitor", "HEALTH_MONITOR_LDAPS": "ldaps_monitor",
	"HEALTH_MONITOR_SCTP": "sctp_monitor", "HEALTH_MONITOR_HTTP2": "http2_monitor",
	"HEALTH_MONITOR_HTTP2S": "http2s_monitor",
}

func healthMonitorRules(o *object) error {
	send, _ := number(o.Data["send_interval"])
	recv, _ := number(o.Data["receive_timeout"])
	if recv >= send {
		return fmt.Errorf("receive_timeout: %d must be less than send_interval %d", recv, send)
	}
	want := monitorFields[str(o.Data["type"])]
	for k, v := range o.Data {
		if _, isObj := v.(map[string]any); isObj && strings.HasSuffix(k, "_monitor") && k != want {
			return fmt.Errorf("%s: not allowed for a health monitor of type %s", k, str(o.Data["type"]))
		}
	}
	return nil
}

// gslbRules fills the read-only cluster uuids of third-party sites, keeping those a
// site of the same name already has.
func (s *Server) gslbRules(o *object) error {
	known := map[string]string{}
	if old := s.store.get("gslb", o.UUID); old != nil {
		list, _ := old.Data["third_party_sites"].([]any)
		for _, it := range list {
			if site, ok := it.(map[string]any); ok {
				known[str(site["name"])] = str(site["cluster_uuid"])
			}
		}
	}
	list, _ := o.Data["third_party_sites"].([]any)
	for _, it := range list {
		site, _ := it.(map[string]any)
		if site == nil || str(site["cluster_uuid"]) != "" {
			continue
		}
		if id := known[str(site["name"])]; id != "" {
			site["cluster_uuid"] = id
		} else {
			site["cluster_uuid"] = "tp_" + s.store.newUUID("cluster")
		}
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// stringList returns the strings of a JSON list.
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, it := range list {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// number reads a JSON number however it was decoded.
func number(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), true
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// apiError is a refusal in the controller's own words, which keep its
// capitalisation and punctuation.
type apiError string

func (e apiError) Error() string { return string(e) }

func refusal(format string, args ...any) error { return apiError(fmt.Sprintf(format, args...)) }
