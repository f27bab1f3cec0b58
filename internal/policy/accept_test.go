// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package policy_test

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/policy"
)

// fakeController holds federated health monitors by tenant/name; lookups of
// the name in down (or of any name when down is "*") fail as if the
// controller did not answer.
type fakeController struct {
	monitors map[string]policy.Object
	down     string
	lookups  int
}

func newFakeController() *fakeController {
	http := func(req string) policy.Object {
		return policy.Object{Federated: true, Type: "HEALTH_MONITOR_HTTP", HTTPRequest: req, HTTPResponseCodes: []string{"HTTP_2XX"}}
	}
	return &fakeController{monitors: map[string]policy.Object{
		"admin/hm":   {Federated: true, Type: "HEALTH_MONITOR_PING"},
		"admin/tpl":  http("GET /healthz HTTP/1.1"),
		"admin/tpl2": http("GET /ready HTTP/1.1"),
		"t1/hm":      {Federated: true, Type: "HEALTH_MONITOR_PING"},
		"t1/thm":     {Federated: true, Type: "HEALTH_MONITOR_PING"},
	}}
}

func (f *fakeController) Lookup(_ context.Context, kind, tenant, name string) (policy.Object, bool, error) {
	f.lookups++
	if f.down == "*" || f.down == name {
		return policy.Object{}, false, errors.New("connection refused")
	}
	if kind != "healthmonitor" {
		return policy.Object{}, false, nil
	}
	obj, ok := f.monitors[tenant+"/"+name]
	return obj, ok, nil
}

func (f *fakeController) ThirdPartySites(context.Context) ([]string, error) { return nil, nil }

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func meta(ns, name string, age int, gen int64) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + ns + "-" + name), Generation: gen,
		CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(age) * time.Minute))}
}

// gdp is a GlobalDeploymentPolicy created age minutes after epoch; specs are
// told apart by their TTL.
func gdp(name string, age int, gen int64, status string, spec amkov1alpha2.GDPSpec) amkov1alpha2.GlobalDeploymentPolicy {
	return amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: meta("avi-system", name, age, gen), Spec: spec,
		Status: amkov1alpha2.GDPStatus{ErrorStatus: status}}
}

func ghr(ns, name string, age int, gen int64, spec amkov1alpha1.GSLBHostRuleSpec) amkov1alpha1.GSLBHostRule {
	return amkov1alpha1.GSLBHostRule{ObjectMeta: meta(ns, name, age, gen), Spec: spec}
}

// GDP specs: valid with a monitor reference (one lookup), valid with a
// template (one lookup), refused without a lookup, refused after one.
func gdpRef(ttl int) amkov1alpha2.GDPSpec {
	return amkov1alpha2.GDPSpec{TTL: ptr(ttl), HealthMonitorRefs: []string{"hm"}}
}
func gdpTemplate(ttl int) amkov1alpha2.GDPSpec {
	return amkov1alpha2.GDPSpec{TTL: ptr(ttl), HealthMonitorTemplate: ptr("tpl")}
}
func gdpBadCluster(ttl int) amkov1alpha2.GDPSpec {
	return amkov1alpha2.GDPSpec{TTL: ptr(ttl), MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "nowhere"}}}
}
func gdpBadRef(ttl int) amkov1alpha2.GDPSpec {
	return amkov1alpha2.GDPSpec{TTL: ptr(ttl), HealthMonitorRefs: []string{"missing"}}
}

// GSLBHostRule specs, each validated with one lookup.
func ruleRef(fqdn, ref string, ttl int) amkov1alpha1.GSLBHostRuleSpec {
	return amkov1alpha1.GSLBHostRuleSpec{Fqdn: fqdn, TTL: ptr(ttl), HealthMonitorRefs: []string{ref}}
}
func ruleTemplate(fqdn string, ttl int) amkov1alpha1.GSLBHostRuleSpec {
	return amkov1alpha1.GSLBHostRuleSpec{Fqdn: fqdn, TTL: ptr(ttl), HealthMonitorTemplate: ptr("tpl2")}
}

// accepted marks GSLBHostRules' statuses as written.
func accepted(rules ...amkov1alpha1.GSLBHostRule) []amkov1alpha1.GSLBHostRule {
	for i := range rules {
		rules[i].Status = amkov1alpha1.GSLBHostRuleStatus{Status: amkov1alpha1.GSLBHostRuleAccepted}
	}
	return rules
}

const (
	gdpAccepted1 = "Normal Accepted: GlobalDeploymentPolicy accepted, generation 1"
	gdpAccepted2 = "Normal Accepted: GlobalDeploymentPolicy accepted, generation 2"
	badCluster   = "cluster context nowhere not present in GSLBConfig"
	badRef       = "health monitor ref missing is invalid"
	keptSuffix   = "; the last accepted policy stays in effect"
	duplicate    = "Rejected: " + policy.MsgDuplicateFQDN
)

// step is one pass: its inputs and what it must produce.
type step struct {
	gdps  []amkov1alpha2.GlobalDeploymentPolicy
	rules []amkov1alpha1.GSLBHostRule
	key   string   // Inputs.ValidationKey
	down  string   // names whose lookups fail, "*" for all
	gone  []string // monitors deleted from the controller (tenant/name)
	reset bool     // Reset before the pass
	noCtl bool     // no controller

	err bool
	// status is by object name: a GDP's errorStatus, a GSLBHostRule's
	// "Accepted" or "Rejected: <error>".
	status map[string]string
	// events is by object name: "<type> <reason>: <message>".
	events    map[string]string
	gdp       int            // TTL of the GDP in effect, 0 for none
	hostRules map[string]int // fqdn → TTL of the GSLBHostRule spec in effect
	templates []string
	lookups   int
}

func TestAcceptor(t *testing.T) {
	scenarios := []struct {
		name  string
		steps []step
	}{
		{"no policy objects", []step{{}}},
		{"the oldest GDP is used, the others refused", []step{{
			gdps:    []amkov1alpha2.GlobalDeploymentPolicy{gdp("young", 2, 1, "", gdpRef(1)), gdp("old", 1, 1, "", gdpRef(2))},
			status:  map[string]string{"old": "success", "young": policy.MsgAnotherGDP},
			events:  map[string]string{"old": gdpAccepted1},
			gdp:     2,
			lookups: 1,
		}}},
		{"the accepted GDP is used though younger", []step{{
			gdps: []amkov1alpha2.GlobalDeploymentPolicy{gdp("old", 1, 1, "", gdpRef(1)), gdp("young", 2, 1, "success", gdpRef(2)),
				gdp("older", 0, 1, policy.MsgAnotherGDP, gdpRef(3))},
			status:  map[string]string{"young": "success", "old": policy.MsgAnotherGDP, "older": policy.MsgAnotherGDP},
			events:  map[string]string{"young": gdpAccepted1},
			gdp:     2,
			lookups: 1,
		}}},
		{"GDPs created together: the first by name", []step{{
			gdps:    []amkov1alpha2.GlobalDeploymentPolicy{gdp("b", 1, 1, "", gdpRef(1)), gdp("a", 1, 1, "", gdpRef(2))},
			status:  map[string]string{"a": "success", "b": policy.MsgAnotherGDP},
			events:  map[string]string{"a": gdpAccepted1},
			gdp:     2,
			lookups: 1,
		}}},
		{"a refused edit keeps the last good GDP and its templates", []step{
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "", gdpTemplate(1))},
				status: map[string]string{"g": "success"}, events: map[string]string{"g": gdpAccepted1},
				gdp: 1, templates: []string{"tpl"}, lookups: 1,
			},
			{ // unchanged: not validated again
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "success", gdpTemplate(1))},
				status: map[string]string{"g": "success"},
				gdp:    1, templates: []string{"tpl"},
			},
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 2, "success", gdpBadCluster(2))},
				status: map[string]string{"g": badCluster}, events: map[string]string{"g": "Warning Rejected: " + badCluster + keptSuffix},
				gdp: 1, templates: []string{"tpl"},
			},
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 2, badCluster, gdpBadCluster(2))},
				status: map[string]string{"g": badCluster},
				gdp:    1, templates: []string{"tpl"},
			},
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 3, badCluster, gdpRef(3))},
				status: map[string]string{"g": "success"}, events: map[string]string{"g": "Normal Accepted: GlobalDeploymentPolicy accepted, generation 3"},
				gdp: 3, lookups: 1,
			},
			{}, // deleted: forgotten
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("h", 2, 1, "", gdpBadCluster(4))},
				status: map[string]string{"h": badCluster}, events: map[string]string{"h": "Warning Rejected: " + badCluster + keptSuffix},
			},
		}},
		{"a refused first GDP selects nothing", []step{
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "", gdpBadRef(1))},
				status: map[string]string{"g": badRef}, events: map[string]string{"g": "Warning Rejected: " + badRef + keptSuffix},
				lookups: 1,
			},
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, badRef, gdpBadRef(1))},
				status: map[string]string{"g": badRef},
			},
		}},
		{"the last accepted GDP stays in effect while a GDP is listed", []step{
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("a", 1, 1, "", gdpRef(1)), gdp("b", 2, 1, "", gdpBadCluster(2))},
				status: map[string]string{"a": "success", "b": policy.MsgAnotherGDP}, events: map[string]string{"a": gdpAccepted1},
				gdp: 1, lookups: 1,
			},
			{ // a deleted: b is used, refused
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("b", 2, 1, policy.MsgAnotherGDP, gdpBadCluster(2))},
				status: map[string]string{"b": badCluster}, events: map[string]string{"b": "Warning Rejected: " + badCluster + keptSuffix},
				gdp: 1,
			},
		}},
		{"a controller error changes nothing", []step{
			{gdps: []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "", gdpRef(1))}, down: "*", err: true, lookups: 1},
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "", gdpRef(1))},
				status: map[string]string{"g": "success"}, events: map[string]string{"g": gdpAccepted1},
				gdp: 1, lookups: 1,
			},
			{ // the GDP's edit is validated, then a GSLBHostRule cannot be
				gdps:  []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 2, "success", gdpTemplate(2))},
				rules: []amkov1alpha1.GSLBHostRule{ghr("ns", "r", 1, 1, ruleRef("x.com", "hm", 1))},
				down:  "hm", err: true, lookups: 2,
			},
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 2, "success", gdpTemplate(2))},
				rules:  []amkov1alpha1.GSLBHostRule{ghr("ns", "r", 1, 1, ruleRef("x.com", "hm", 1))},
				status: map[string]string{"g": "success", "r": "Accepted"},
				events: map[string]string{"g": gdpAccepted2, "r": "Normal Accepted: GSLBHostRule accepted for x.com"},
				gdp:    2, templates: []string{"tpl"}, hostRules: map[string]int{"x.com": 1}, lookups: 2,
			},
		}},
		{"the oldest GSLBHostRule for an FQDN wins, even refused", []step{
			{
				rules: []amkov1alpha1.GSLBHostRule{ghr("b", "r2", 2, 1, ruleRef("x.com", "hm", 2)), ghr("a", "r1", 1, 1, ruleRef("x.com", "hm", 1)),
					ghr("a", "r3", 3, 1, ruleTemplate("y.com", 3))},
				status: map[string]string{"r1": "Accepted", "r2": duplicate, "r3": "Accepted"},
				events: map[string]string{"r1": "Normal Accepted: GSLBHostRule accepted for x.com",
					"r2": "Normal Accepted: GSLBHostRule accepted for x.com", "r3": "Normal Accepted: GSLBHostRule accepted for y.com"},
				hostRules: map[string]int{"x.com": 1, "y.com": 3}, templates: []string{"tpl2"}, lookups: 3,
			},
			{ // r1's edit is refused: its last accepted spec keeps x.com
				rules: []amkov1alpha1.GSLBHostRule{ghr("a", "r1", 1, 2, ruleRef("x.com", "missing", 4)), ghr("b", "r2", 2, 1, ruleRef("x.com", "hm", 2)),
					ghr("a", "r3", 3, 1, ruleTemplate("y.com", 3))},
				status:    map[string]string{"r1": "Rejected: Health Monitor Ref missing error for r1 GSLBHostRule", "r2": duplicate, "r3": "Accepted"},
				events:    map[string]string{"r1": "Warning Rejected: Health Monitor Ref missing error for r1 GSLBHostRule"},
				hostRules: map[string]int{"x.com": 1, "y.com": 3}, templates: []string{"tpl2"}, lookups: 1,
			},
			{ // r1 deleted: r2 takes x.com over, r3 deleted: its template goes
				rules:     accepted(ghr("b", "r2", 2, 1, ruleRef("x.com", "hm", 2))),
				status:    map[string]string{"r2": "Accepted"},
				hostRules: map[string]int{"x.com": 2},
			},
			{ // r1 again, a new object: validated, younger
				rules:     accepted(ghr("b", "r2", 2, 1, ruleRef("x.com", "hm", 2)), ghr("a", "r1", 4, 1, ruleRef("x.com", "hm", 5))),
				status:    map[string]string{"r1": duplicate, "r2": "Accepted"},
				events:    map[string]string{"r1": "Normal Accepted: GSLBHostRule accepted for x.com"},
				hostRules: map[string]int{"x.com": 2}, lookups: 1,
			},
		}},
		{"a GSLBHostRule never accepted holds no FQDN", []step{{
			rules:     []amkov1alpha1.GSLBHostRule{ghr("a", "r1", 1, 1, ruleRef("x.com", "missing", 1)), ghr("a", "r2", 2, 1, ruleRef("x.com", "hm", 2))},
			status:    map[string]string{"r1": "Rejected: Health Monitor Ref missing error for r1 GSLBHostRule", "r2": "Accepted"},
			events:    map[string]string{"r1": "Warning Rejected: Health Monitor Ref missing error for r1 GSLBHostRule", "r2": "Normal Accepted: GSLBHostRule accepted for x.com"},
			hostRules: map[string]int{"x.com": 2}, lookups: 2,
		}}},
		{"a GSLBHostRule edited to another's FQDN", []step{
			{
				rules:     []amkov1alpha1.GSLBHostRule{ghr("a", "r1", 1, 1, ruleRef("x.com", "hm", 1)), ghr("a", "r2", 2, 1, ruleRef("y.com", "hm", 2))},
				status:    map[string]string{"r1": "Accepted", "r2": "Accepted"},
				events:    map[string]string{"r1": "Normal Accepted: GSLBHostRule accepted for x.com", "r2": "Normal Accepted: GSLBHostRule accepted for y.com"},
				hostRules: map[string]int{"x.com": 1, "y.com": 2}, lookups: 2,
			},
			{
				rules:     accepted(ghr("a", "r1", 1, 1, ruleRef("x.com", "hm", 1)), ghr("a", "r2", 2, 2, ruleRef("x.com", "hm", 3))),
				status:    map[string]string{"r1": "Accepted", "r2": duplicate},
				events:    map[string]string{"r2": "Normal Accepted: GSLBHostRule accepted for x.com"},
				hostRules: map[string]int{"x.com": 1}, lookups: 1,
			},
		}},
		{"GSLBHostRules are validated in their namespace's tenant", []step{{
			rules:     []amkov1alpha1.GSLBHostRule{ghr("team", "r1", 1, 1, ruleRef("x.com", "thm", 1)), ghr("other", "r2", 2, 1, ruleRef("y.com", "thm", 2))},
			status:    map[string]string{"r1": "Accepted", "r2": "Rejected: Health Monitor Ref thm error for r2 GSLBHostRule"},
			events:    map[string]string{"r1": "Normal Accepted: GSLBHostRule accepted for x.com", "r2": "Warning Rejected: Health Monitor Ref thm error for r2 GSLBHostRule"},
			hostRules: map[string]int{"x.com": 1}, lookups: 2,
		}}},
		{"a new controller: everything validated anew", []step{
			{
				key:    "c1",
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "", gdpTemplate(1))},
				rules:  []amkov1alpha1.GSLBHostRule{ghr("a", "r", 1, 1, ruleRef("x.com", "hm", 1))},
				status: map[string]string{"g": "success", "r": "Accepted"},
				events: map[string]string{"g": gdpAccepted1, "r": "Normal Accepted: GSLBHostRule accepted for x.com"},
				gdp:    1, hostRules: map[string]int{"x.com": 1}, templates: []string{"tpl"}, lookups: 2,
			},
			{
				key:    "c1",
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "success", gdpTemplate(1))},
				rules:  accepted(ghr("a", "r", 1, 1, ruleRef("x.com", "hm", 1))),
				status: map[string]string{"g": "success", "r": "Accepted"},
				gdp:    1, hostRules: map[string]int{"x.com": 1}, templates: []string{"tpl"},
			},
			{
				key:    "c2",
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "success", gdpTemplate(1))},
				rules:  accepted(ghr("a", "r", 1, 1, ruleRef("x.com", "hm", 1))),
				status: map[string]string{"g": "success", "r": "Accepted"},
				events: map[string]string{"g": gdpAccepted1, "r": "Normal Accepted: GSLBHostRule accepted for x.com"},
				gdp:    1, hostRules: map[string]int{"x.com": 1}, templates: []string{"tpl"}, lookups: 2,
			},
			{ // the new controller refuses both: the GDP's last good spec stays, the GSLBHostRule's goes
				key:    "c3",
				gone:   []string{"admin/tpl", "admin/hm"},
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "success", gdpTemplate(1))},
				rules:  accepted(ghr("a", "r", 1, 1, ruleRef("x.com", "hm", 1))),
				status: map[string]string{"g": "health monitor template tpl not found", "r": "Rejected: Health Monitor Ref hm error for r GSLBHostRule"},
				events: map[string]string{"g": "Warning Rejected: health monitor template tpl not found" + keptSuffix,
					"r": "Warning Rejected: Health Monitor Ref hm error for r GSLBHostRule"},
				gdp: 1, templates: []string{"tpl"}, lookups: 2,
			},
		}},
		{"Reset: everything validated anew", []step{
			{
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "", gdpRef(1))},
				status: map[string]string{"g": "success"}, events: map[string]string{"g": gdpAccepted1},
				gdp: 1, lookups: 1,
			},
			{
				reset:  true,
				gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "success", gdpRef(1))},
				status: map[string]string{"g": "success"}, events: map[string]string{"g": gdpAccepted1},
				gdp: 1, lookups: 1,
			},
		}},
		{"without a controller references are not checked", []step{{
			noCtl:  true,
			gdps:   []amkov1alpha2.GlobalDeploymentPolicy{gdp("g", 1, 1, "", gdpBadRef(1))},
			rules:  []amkov1alpha1.GSLBHostRule{ghr("a", "r", 1, 1, ruleTemplate("x.com", 1))},
			status: map[string]string{"g": "success", "r": "Accepted"},
			events: map[string]string{"g": gdpAccepted1, "r": "Normal Accepted: GSLBHostRule accepted for x.com"},
			gdp:    1, hostRules: map[string]int{"x.com": 1},
		}}},
	}
	tenants := map[string]string{"team": "t1"}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var a policy.Acceptor
			ctrl := newFakeController()
			for i, st := range sc.steps {
				ctrl.down, ctrl.lookups = st.down, 0
				for _, name := range st.gone {
					delete(ctrl.monitors, name)
				}
				if st.reset {
					a.Reset()
				}
				in := policy.Inputs{Clusters: clusters, ValidationKey: st.key, GDPs: st.gdps, HostRules: st.rules,
					NamespaceTenant: func(ns string) string { return tenants[ns] }}
				var c policy.Controller = ctrl
				if st.noCtl {
					c = nil
				}
				out, err := a.Accept(context.Background(), in, c)
				if ctrl.lookups != st.lookups {
					t.Errorf("step %d: %d lookups, want %d", i, ctrl.lookups, st.lookups)
				}
				if st.err {
					if err == nil || policy.IsInvalid(err) {
						t.Fatalf("step %d: err %v, want the controller's", i, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				status, events := map[string]string{}, map[string]string{}
				for _, v := range out.GDPs {
					status[v.GDP.Name] = v.ErrorStatus
					if v.Event != nil {
						events[v.GDP.Name] = v.Event.Type + " " + v.Event.Reason + ": " + v.Event.Message
					}
				}
				for _, v := range out.HostRules {
					s := v.Status
					if v.Error != "" {
						s += ": " + v.Error
					}
					status[v.HostRule.Name] = s
					if v.Event != nil {
						events[v.HostRule.Name] = v.Event.Type + " " + v.Event.Reason + ": " + v.Event.Message
					}
				}
				if want := orEmpty(st.status); !reflect.DeepEqual(status, want) {
					t.Errorf("step %d: statuses %q, want %q", i, status, want)
				}
				if want := orEmpty(st.events); !reflect.DeepEqual(events, want) {
					t.Errorf("step %d: events %q, want %q", i, events, want)
				}
				pol := out.Policy
				gdpTTL := 0
				if pol.GDP != nil {
					gdpTTL = *pol.GDP.TTL
				}
				if gdpTTL != st.gdp {
					t.Errorf("step %d: GDP in effect %d, want %d", i, gdpTTL, st.gdp)
				}
				rules := map[string]int{}
				for fqdn, spec := range pol.HostRules {
					rules[fqdn] = *spec.TTL
				}
				if want := st.hostRules; !reflect.DeepEqual(rules, orEmptyInt(want)) {
					t.Errorf("step %d: GSLBHostRules in effect %v, want %v", i, rules, want)
				}
				if got := slices.Sorted(maps.Keys(pol.Templates)); !slices.Equal(got, st.templates) {
					t.Errorf("step %d: templates %q, want %q", i, got, st.templates)
				}
			}
		})
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptyInt(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// TestAcceptorSettings checks that the GSLBConfig's settings and the templates
// reach the policy, and that verdicts name the listed objects, left in order.
func TestAcceptorSettings(t *testing.T) {
	in := policy.Inputs{
		UUID: "u", CustomGlobalFQDN: true, AddressOnly: true, Clusters: clusters,
		Locations: map[string]gslb.Location{"cluster1-admin": {Latitude: 1, Longitude: 2}},
		GDPs:      []amkov1alpha2.GlobalDeploymentPolicy{gdp("young", 2, 1, "", gdpTemplate(1)), gdp("old", 1, 1, "", gdpRef(2))},
		HostRules: []amkov1alpha1.GSLBHostRule{ghr("a", "r2", 2, 1, ruleTemplate("y.com", 1)), ghr("a", "r1", 1, 1, ruleRef("x.com", "hm", 2))},
	}
	var a policy.Acceptor
	out, err := a.Accept(context.Background(), in, newFakeController())
	if err != nil {
		t.Fatal(err)
	}
	pol := out.Policy
	if pol.UUID != "u" || pol.Tenant != policy.DefaultTenant || !pol.CustomGlobalFQDN || !pol.AddressOnly ||
		!slices.Equal(pol.Clusters, clusters) || !reflect.DeepEqual(pol.Locations, in.Locations) {
		t.Errorf("settings not copied: %+v", pol)
	}
	if want := (policy.Template{Request: "GET /ready HTTP/1.1", ResponseCodes: []string{"HTTP_2XX"}}); !reflect.DeepEqual(pol.Templates["tpl2"], want) {
		t.Errorf("template tpl2 %+v, want %+v", pol.Templates["tpl2"], want)
	}
	if out.GDPs[0].GDP != &in.GDPs[1] || out.GDPs[1].GDP != &in.GDPs[0] {
		t.Error("GDP verdicts do not name the listed objects, the one in use first")
	}
	if out.HostRules[0].HostRule != &in.HostRules[1] || out.HostRules[1].HostRule != &in.HostRules[0] {
		t.Error("GSLBHostRule verdicts do not name the listed objects, oldest first")
	}
	if in.GDPs[0].Name != "young" || in.HostRules[0].Name != "r2" {
		t.Error("the inputs were reordered")
	}

	in.Tenant = "t1"
	in.GDPs, in.HostRules = nil, nil
	if out, err = a.Accept(context.Background(), in, nil); err != nil || out.Policy.Tenant != "t1" {
		t.Errorf("tenant %q, err %v; want t1", out.Policy.Tenant, err)
	}
}
