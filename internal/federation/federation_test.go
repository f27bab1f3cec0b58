// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package federation

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/test/clusters"
)

// Three clusters: cluster1-admin (index 0) is the leader's, unless a test says
// otherwise; the others are members.
var set *clusters.Set

func TestMain(m *testing.M) { os.Exit(clusters.Main(m, 3, &set, clusters.Options{})) }

const (
	acName    = "amkocluster-federation"
	version   = "2.2.1"
	uuid      = "0f6a1e3c-6c1b-4f0e-9d4e-3c0f4b1b2a11"
	teamNS    = "team-a"   // exists in every cluster
	partialNS = "only-two" // exists in the first two clusters only
)

type cond = amkov1alpha1.AMKOClusterCondition

func newFederator(t *testing.T, i int, hostRules bool) *Federator {
	t.Helper()
	return New(Options{
		Local:         set.Clusters[i].Client,
		Kubeconfig:    func(context.Context) ([]byte, error) { return set.Kubeconfig, nil },
		Scheme:        set.Scheme,
		HostRules:     hostRules,
		MemberTimeout: 2 * time.Second,
		Log:           slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
}

// reset removes what the tests create, now and when the test ends: the
// clusters are shared by every test of the package.
func reset(t *testing.T) {
	t.Helper()
	clean := func() {
		ctx := context.Background()
		for _, cl := range set.Clusters {
			cl.SetReachable(true)
			for _, obj := range []client.Object{&amkov1alpha1.AMKOCluster{}, &amkov1alpha1.GSLBConfig{}, &amkov1alpha2.GlobalDeploymentPolicy{}} {
				if err := cl.Client.DeleteAllOf(ctx, obj, client.InNamespace(clusters.Namespace)); err != nil {
					t.Errorf("cleaning %s: %v", cl.Context, err)
				}
			}
			var ghrs amkov1alpha1.GSLBHostRuleList
			if err := cl.Client.List(ctx, &ghrs); err != nil {
				t.Errorf("cleaning %s: %v", cl.Context, err)
			}
			for i := range ghrs.Items {
				if err := cl.Client.Delete(ctx, &ghrs.Items[i]); err != nil && !apierrors.IsNotFound(err) {
					t.Errorf("cleaning %s: %v", cl.Context, err)
				}
			}
		}
	}
	clean()
	t.Cleanup(clean)
	for i := range set.Clusters {
		ensureNamespace(t, i, teamNS)
		if i < 2 {
			ensureNamespace(t, i, partialNS)
		}
	}
}

func ensureNamespace(t *testing.T, i int, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := set.Clusters[i].Client.Create(t.Context(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// setAMKOCluster creates or replaces the spec of cluster i's AMKOCluster.
func setAMKOCluster(t *testing.T, i int, spec amkov1alpha1.AMKOClusterSpec) {
	t.Helper()
	c := set.Clusters[i].Client
	ac := &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: acName}}
	err := c.Get(t.Context(), client.ObjectKeyFromObject(ac), ac)
	switch {
	case apierrors.IsNotFound(err):
		ac.Spec = spec
		err = c.Create(t.Context(), ac)
	case err == nil:
		ac.Spec = spec
		err = c.Update(t.Context(), ac)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func spec(i int, leader bool) amkov1alpha1.AMKOClusterSpec {
	return amkov1alpha1.AMKOClusterSpec{ClusterContext: set.Clusters[i].Context, IsLeader: leader, Version: version, Clusters: set.Contexts()}
}

// federationSet makes cluster leader the leader and the others its followers.
func federationSet(t *testing.T, leader int) {
	t.Helper()
	for i := range set.Clusters {
		setAMKOCluster(t, i, spec(i, i == leader))
	}
}

func create(t *testing.T, i int, obj client.Object) {
	t.Helper()
	if err := set.Clusters[i].Client.Create(t.Context(), obj); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func leaderGC() *amkov1alpha1.GSLBConfig {
	return &amkov1alpha1.GSLBConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "gc-1", Annotations: map[string]string{amkov1alpha1.AMKOUUIDAnnotation: uuid}},
		Spec: amkov1alpha1.GSLBConfigSpec{
			GSLBLeader:     amkov1alpha1.GSLBLeader{Credentials: "gslb-avi-secret", ControllerVersion: "31.1.1", ControllerIP: "10.10.10.10"},
			MemberClusters: []amkov1alpha1.MemberCluster{{ClusterContext: "cluster2-admin"}, {ClusterContext: "cluster3-admin"}},
			LogLevel:       amkov1alpha1.LogLevelInfo,
		},
	}
}

func leaderGDP() *amkov1alpha2.GlobalDeploymentPolicy {
	return &amkov1alpha2.GlobalDeploymentPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "global-gdp"},
		Spec: amkov1alpha2.GDPSpec{
			MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}},
			MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster2-admin"}, {Cluster: "cluster3-admin"}},
			// Priority left to its default: the copies' must compare equal.
			TrafficSplit: []amkov1alpha2.TrafficSplitElem{{Cluster: "cluster2-admin", Weight: 3}},
		},
	}
}

func ghr(ns, name, fqdn string) *amkov1alpha1.GSLBHostRule {
	return &amkov1alpha1.GSLBHostRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: amkov1alpha1.GSLBHostRuleSpec{Fqdn: fqdn, TTL: ptr(30),
			TrafficSplit: []amkov1alpha1.TrafficSplitElem{{Cluster: "cluster2-admin", Weight: 2}}},
	}
}

func success(hostRules bool) []cond {
	c := []cond{
		{Type: TypeValidation, Status: StatusValidAMKOCluster},
		{Type: TypeMemberInitialisation, Status: StatusClientsFetched},
		{Type: TypeMemberValidation, Status: StatusMembersValidated},
		{Type: TypeGSLBConfigFederation, Status: StatusFederationSuccess},
		{Type: TypeGDPFederation, Status: StatusFederationSuccess},
	}
	if hostRules {
		c = append(c, cond{Type: TypeGSLBHostRuleFederation, Status: StatusFederationSuccess})
	}
	return c
}

// storedConditions are cluster i's AMKOCluster's status conditions.
func storedConditions(t *testing.T, i int) []cond {
	t.Helper()
	var ac amkov1alpha1.AMKOCluster
	if err := set.Clusters[i].Client.Get(t.Context(), client.ObjectKey{Namespace: clusters.Namespace, Name: acName}, &ac); err != nil {
		t.Fatal(err)
	}
	return ac.Status.Conditions
}

// checkConditions compares a pass's conditions, and those stored in cluster i,
// with want.
func checkConditions(t *testing.T, i int, res Result, want []cond) {
	t.Helper()
	if !slices.Equal(res.Conditions, want) {
		t.Errorf("conditions:\n got %+v\nwant %+v", res.Conditions, want)
	}
	if got := storedConditions(t, i); !slices.Equal(got, want) {
		t.Errorf("stored conditions:\n got %+v\nwant %+v", got, want)
	}
}

func reconcile(t *testing.T, f *Federator) Result {
	t.Helper()
	res, err := f.Reconcile(t.Context())
	if err != nil {
		t.Fatalf("Reconcile: %v (conditions %+v)", err, res.Conditions)
	}
	return res
}

func names[T any](items []T, name func(*T) string) []string {
	out := make([]string, len(items))
	for i := range items {
		out[i] = name(&items[i])
	}
	slices.Sort(out)
	return out
}

// held lists, in cluster i, the GSLBConfigs and GDPs in avi-system and the
// GSLBHostRules, as "kind:namespace/name".
func held(t *testing.T, i int) []string {
	t.Helper()
	c := set.Clusters[i].Client
	var gcs amkov1alpha1.GSLBConfigList
	var gdps amkov1alpha2.GlobalDeploymentPolicyList
	var ghrs amkov1alpha1.GSLBHostRuleList
	for _, l := range []client.ObjectList{&gcs, &gdps} {
		if err := c.List(t.Context(), l, client.InNamespace(clusters.Namespace)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.List(t.Context(), &ghrs); err != nil {
		t.Fatal(err)
	}
	out := names(gcs.Items, func(o *amkov1alpha1.GSLBConfig) string { return "gc:" + o.Name })
	out = append(out, names(gdps.Items, func(o *amkov1alpha2.GlobalDeploymentPolicy) string { return "gdp:" + o.Name })...)
	out = append(out, names(ghrs.Items, func(o *amkov1alpha1.GSLBHostRule) string { return "ghr:" + o.Namespace + "/" + o.Name })...)
	return out
}

func checkHeld(t *testing.T, i int, want ...string) {
	t.Helper()
	if got := held(t, i); !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", set.Clusters[i].Context, got, want)
	}
}

// checkCopies compares the members' copies with the leader's objects.
func checkCopies(t *testing.T, leader int, members ...int) {
	t.Helper()
	ctx := t.Context()
	lc := set.Clusters[leader].Client
	var gcs amkov1alpha1.GSLBConfigList
	var gdps amkov1alpha2.GlobalDeploymentPolicyList
	var ghrs amkov1alpha1.GSLBHostRuleList
	if err := lc.List(ctx, &gcs, client.InNamespace(clusters.Namespace)); err != nil {
		t.Fatal(err)
	}
	if err := lc.List(ctx, &gdps, client.InNamespace(clusters.Namespace)); err != nil {
		t.Fatal(err)
	}
	if err := lc.List(ctx, &ghrs); err != nil {
		t.Fatal(err)
	}
	for _, i := range members {
		c, name := set.Clusters[i].Client, set.Clusters[i].Context
		for _, want := range gcs.Items {
			var got amkov1alpha1.GSLBConfig
			if err := c.Get(ctx, client.ObjectKeyFromObject(&want), &got); err != nil {
				t.Errorf("%s: GSLBConfig %s: %v", name, want.Name, err)
				continue
			}
			if got.Annotations[amkov1alpha1.AMKOUUIDAnnotation] != want.Annotations[amkov1alpha1.AMKOUUIDAnnotation] {
				t.Errorf("%s: GSLBConfig annotations %v, want uuid %q", name, got.Annotations, want.Annotations[amkov1alpha1.AMKOUUIDAnnotation])
			}
			if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
				t.Errorf("%s: GSLBConfig spec %+v, want %+v", name, got.Spec, want.Spec)
			}
			if !equality.Semantic.DeepEqual(got.Status, amkov1alpha1.GSLBConfigStatus{}) {
				t.Errorf("%s: GSLBConfig status %+v copied", name, got.Status)
			}
		}
		for _, want := range gdps.Items {
			var got amkov1alpha2.GlobalDeploymentPolicy
			if err := c.Get(ctx, client.ObjectKeyFromObject(&want), &got); err != nil {
				t.Errorf("%s: GDP %s: %v", name, want.Name, err)
			} else if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
				t.Errorf("%s: GDP spec %+v, want %+v", name, got.Spec, want.Spec)
			}
		}
		for _, want := range ghrs.Items {
			var got amkov1alpha1.GSLBHostRule
			if err := c.Get(ctx, client.ObjectKeyFromObject(&want), &got); err != nil {
				t.Errorf("%s: GSLBHostRule %s/%s: %v", name, want.Namespace, want.Name, err)
				continue
			}
			if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
				t.Errorf("%s: GSLBHostRule spec %+v, want %+v", name, got.Spec, want.Spec)
			}
			if got.Labels[FederatedLabel] != "true" {
				t.Errorf("%s: GSLBHostRule %s/%s labels %v, want %s=true", name, got.Namespace, got.Name, got.Labels, FederatedLabel)
			}
		}
	}
}

// resourceVersions maps every object federation reads or writes in cluster i
// to its resourceVersion.
func resourceVersions(t *testing.T, i int) map[string]string {
	t.Helper()
	c := set.Clusters[i].Client
	out := map[string]string{}
	var acs amkov1alpha1.AMKOClusterList
	var gcs amkov1alpha1.GSLBConfigList
	var gdps amkov1alpha2.GlobalDeploymentPolicyList
	var ghrs amkov1alpha1.GSLBHostRuleList
	for _, l := range []client.ObjectList{&acs, &gcs, &gdps, &ghrs} {
		if err := c.List(t.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range acs.Items {
		out["ac:"+o.Name] = o.ResourceVersion
	}
	for _, o := range gcs.Items {
		out["gc:"+o.Name] = o.ResourceVersion
	}
	for _, o := range gdps.Items {
		out["gdp:"+o.Name] = o.ResourceVersion
	}
	for _, o := range ghrs.Items {
		out["ghr:"+o.Namespace+"/"+o.Name] = o.ResourceVersion
	}
	return out
}

func TestNoAMKOCluster(t *testing.T) {
	reset(t)
	create(t, 0, leaderGC())
	res, err := newFederator(t, 0, true).Reconcile(t.Context())
	if err != nil || res.Leader || res.Conflict || res.Conditions != nil {
		t.Fatalf("Reconcile = %+v, %v; want the zero Result and no error", res, err)
	}
	checkHeld(t, 1)

	// Two AMKOClusters: AMKO refuses to run.
	setAMKOCluster(t, 0, spec(0, true))
	second := &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "second"}, Spec: spec(0, true)}
	create(t, 0, second)
	if _, err := newFederator(t, 0, true).Reconcile(t.Context()); err == nil || !strings.Contains(err.Error(), "only one AMKOCluster") {
		t.Fatalf("Reconcile with two AMKOClusters: %v", err)
	}
	checkHeld(t, 1)
}

func TestLeaderFederates(t *testing.T) {
	reset(t)
	federationSet(t, 0)
	gc, gdp := leaderGC(), leaderGDP()
	ruleA, ruleB := ghr(clusters.Namespace, "rule-a", "a.example.com"), ghr(teamNS, "rule-b", "b.example.com")
	for _, obj := range []client.Object{gc, gdp, ruleA, ruleB} {
		create(t, 0, obj)
	}
	f := newFederator(t, 0, true)

	res := reconcile(t, f)
	if !res.Leader || res.Conflict {
		t.Errorf("Leader %v, Conflict %v; want a leader without conflict", res.Leader, res.Conflict)
	}
	checkConditions(t, 0, res, success(true))
	for _, i := range []int{1, 2} {
		checkHeld(t, i, "gc:gc-1", "gdp:global-gdp", "ghr:avi-system/rule-a", "ghr:team-a/rule-b")
	}
	checkCopies(t, 0, 1, 2)

	// Updates federate.
	gc.Spec.LogLevel = amkov1alpha1.LogLevelWarn
	gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation] = "another-uuid"
	gdp.Spec.TTL = ptr(60)
	ruleB.Spec.Fqdn = "b2.example.com"
	for _, obj := range []client.Object{gc, gdp, ruleB} {
		if err := set.Clusters[0].Client.Update(t.Context(), obj); err != nil {
			t.Fatal(err)
		}
	}
	checkConditions(t, 0, reconcile(t, f), success(true))
	checkCopies(t, 0, 1, 2)

	// A pass with nothing changed writes nothing, on the members or here; nor
	// does a new Federator (a restart).
	rvs := []map[string]string{resourceVersions(t, 0), resourceVersions(t, 1), resourceVersions(t, 2)}
	var writes writeCounter
	quiet := newFederator(t, 0, true)
	quiet.opts.Local = countingClient(t, 0, &writes)
	quiet.wrap = writes.wrap
	for range 2 {
		checkConditions(t, 0, reconcile(t, quiet), success(true))
		if n := writes.n.Load(); n != 0 {
			t.Errorf("a quiet pass sent %d write requests", n)
		}
	}
	for i, want := range rvs {
		if got := resourceVersions(t, i); !maps.Equal(got, want) {
			t.Errorf("%s: a quiet pass wrote: resourceVersions %v, were %v", set.Clusters[i].Context, got, want)
		}
	}
}

// writeCounter counts the requests that are not reads.
type writeCounter struct{ n atomic.Int64 }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (w *writeCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method != http.MethodGet {
			w.n.Add(1)
		}
		return rt.RoundTrip(r)
	})
}

// countingClient is a client of cluster i whose writes w counts.
func countingClient(t *testing.T, i int, w *writeCounter) client.Client {
	t.Helper()
	cfg := rest.CopyConfig(set.Clusters[i].Config)
	cfg.Wrap(w.wrap)
	c, err := client.New(cfg, client.Options{Scheme: set.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHostRulesOff(t *testing.T) {
	reset(t)
	federationSet(t, 0)
	for _, obj := range []client.Object{leaderGC(), leaderGDP(), ghr(clusters.Namespace, "rule-a", "a.example.com")} {
		create(t, 0, obj)
	}
	checkConditions(t, 0, reconcile(t, newFederator(t, 0, false)), success(false))
	for _, i := range []int{1, 2} {
		checkHeld(t, i, "gc:gc-1", "gdp:global-gdp")
	}
}

func TestExtraCopiesAndDeletion(t *testing.T) {
	reset(t)
	federationSet(t, 0)
	gc, gdp, rule := leaderGC(), leaderGDP(), ghr(clusters.Namespace, "rule-a", "a.example.com")
	for _, obj := range []client.Object{gc, gdp, rule} {
		create(t, 0, obj)
	}
	// cluster2: another GSLBConfig and GDP (left from an older set-up), and a
	// GSLBHostRule of its own.
	oldGC, oldGDP := leaderGC(), leaderGDP()
	oldGC.Name, oldGDP.Name = "gc-old", "gdp-old"
	own := ghr(clusters.Namespace, "own-rule", "own.example.com")
	for _, obj := range []client.Object{oldGC, oldGDP, own} {
		create(t, 1, obj)
	}
	// cluster3: a GSLBHostRule of its own under the leader's rule's name.
	clash := ghr(clusters.Namespace, "rule-a", "clash.example.com")
	create(t, 2, clash)

	f := newFederator(t, 0, true)
	res, err := f.Reconcile(t.Context())
	if err == nil {
		t.Error("Reconcile: no error with a member's rule not overwritten")
	}
	want := success(true)
	want[5] = cond{Type: TypeGSLBHostRuleFederation, Status: StatusSomeFederationFailure,
		Reason: "GSLBHostRule avi-system/rule-a on cluster cluster3-admin was not created by the federation (no label amko.vmware.com/federated=true), not overwritten"}
	checkConditions(t, 0, res, want)
	checkHeld(t, 1, "gc:gc-1", "gdp:global-gdp", "ghr:avi-system/own-rule", "ghr:avi-system/rule-a")
	checkHeld(t, 2, "gc:gc-1", "gdp:global-gdp", "ghr:avi-system/rule-a")
	var got amkov1alpha1.GSLBHostRule
	if err := set.Clusters[2].Client.Get(t.Context(), client.ObjectKeyFromObject(clash), &got); err != nil || got.Spec.Fqdn != "clash.example.com" {
		t.Errorf("cluster3's own rule: %v, fqdn %q: it was overwritten", err, got.Spec.Fqdn)
	}
	checkCopies(t, 0, 1)

	// Once cluster3's own rule is gone, the leader's replaces it.
	if err := set.Clusters[2].Client.Delete(t.Context(), clash); err != nil {
		t.Fatal(err)
	}
	checkConditions(t, 0, reconcile(t, f), success(true))
	checkCopies(t, 0, 1, 2)

	// A rule in a namespace that cluster3 lacks: a per-cluster error there.
	partial := ghr(partialNS, "rule-p", "p.example.com")
	create(t, 0, partial)
	res, err = f.Reconcile(t.Context())
	if err == nil {
		t.Error("Reconcile: no error with a namespace missing on a member")
	}
	want[5].Reason = "namespace only-two not found on cluster cluster3-admin, can't federate GSLBHostRule only-two/rule-p"
	checkConditions(t, 0, res, want)
	checkHeld(t, 1, "gc:gc-1", "gdp:global-gdp", "ghr:avi-system/own-rule", "ghr:avi-system/rule-a", "ghr:only-two/rule-p")
	if err := set.Clusters[0].Client.Delete(t.Context(), partial); err != nil {
		t.Fatal(err)
	}

	// Deletions propagate: the GDP and the rule go from the members, but not
	// cluster2's own rule.
	for _, obj := range []client.Object{gdp, rule} {
		if err := set.Clusters[0].Client.Delete(t.Context(), obj); err != nil {
			t.Fatal(err)
		}
	}
	checkConditions(t, 0, reconcile(t, f), success(true))
	checkHeld(t, 1, "gc:gc-1", "ghr:avi-system/own-rule")
	checkHeld(t, 2, "gc:gc-1")

	if err := set.Clusters[0].Client.Delete(t.Context(), gc); err != nil {
		t.Fatal(err)
	}
	checkConditions(t, 0, reconcile(t, f), success(true))
	checkHeld(t, 1, "ghr:avi-system/own-rule")
	checkHeld(t, 2)
}

func TestFollower(t *testing.T) {
	reset(t)
	federationSet(t, 1) // cluster 0 follows
	create(t, 0, leaderGC())
	create(t, 0, leaderGDP())
	create(t, 0, ghr(clusters.Namespace, "rule-a", "a.example.com"))
	res := reconcile(t, newFederator(t, 0, true))
	if res.Leader || res.Conflict {
		t.Errorf("Leader %v, Conflict %v; want a follower", res.Leader, res.Conflict)
	}
	checkConditions(t, 0, res, []cond{{Type: TypeValidation, Status: "won't federate objects", Reason: "AMKO not a leader"}})
	checkHeld(t, 1)
	checkHeld(t, 2)
}

func TestInvalidAMKOCluster(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(*amkov1alpha1.AMKOClusterSpec)
		leader  bool // whether the Result leads all the same
		wantErr bool
		want    []cond
	}{
		{
			name: "empty version",
			edit: func(s *amkov1alpha1.AMKOClusterSpec) { s.Version = "" },
			want: []cond{{Type: TypeValidation, Status: "invalid AMKOCluster object", Reason: "version field can't be empty in AMKOCluster object"}},
		},
		{
			name: "empty clusterContext",
			edit: func(s *amkov1alpha1.AMKOClusterSpec) { s.ClusterContext = "" },
			want: []cond{{Type: TypeValidation, Status: "invalid AMKOCluster object", Reason: "clusterContext field can't be empty in AMKOCluster object"}},
		},
		{
			// The kubeconfig, not the AMKOCluster, is at fault: the leader keeps
			// leading and retries.
			name:    "context missing from the kubeconfig",
			edit:    func(s *amkov1alpha1.AMKOClusterSpec) { s.Clusters = append(s.Clusters, "invalid-cluster") },
			leader:  true,
			wantErr: true,
			want: []cond{
				{Type: TypeValidation, Status: "valid AMKOCluster object"},
				{Type: TypeMemberInitialisation, Status: "member cluster clients invalid",
					Reason: `error in initialising member cluster contexts: error in building context config for kubernetes cluster invalid-cluster: context "invalid-cluster" does not exist`},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reset(t)
			federationSet(t, 0)
			s := spec(0, true)
			tc.edit(&s)
			setAMKOCluster(t, 0, s)
			create(t, 0, leaderGC())
			create(t, 0, leaderGDP())
			res, err := newFederator(t, 0, true).Reconcile(t.Context())
			if (err != nil) != tc.wantErr {
				t.Errorf("Reconcile error %v, want an error: %v", err, tc.wantErr)
			}
			if res.Leader != tc.leader || res.Conflict {
				t.Errorf("Leader %v, Conflict %v; want Leader %v", res.Leader, res.Conflict, tc.leader)
			}
			checkConditions(t, 0, res, tc.want)
			checkHeld(t, 1)
			checkHeld(t, 2)
		})
	}
}

// AMKO's federation guide makes the current cluster optional in clusters:
// absent, it is a member implicitly, and the others are federated to.
func TestCurrentClusterImplicit(t *testing.T) {
	reset(t)
	federationSet(t, 0)
	s := spec(0, true)
	s.Clusters = []string{"cluster2-admin", "cluster3-admin"}
	setAMKOCluster(t, 0, s)
	create(t, 0, leaderGC())
	create(t, 0, leaderGDP())
	res, err := newFederator(t, 0, true).Reconcile(t.Context())
	if err != nil || !res.Leader || res.Conflict {
		t.Fatalf("Reconcile = Leader %v, Conflict %v, error %v; want a leader", res.Leader, res.Conflict, err)
	}
	checkConditions(t, 0, res, success(true))
	checkHeld(t, 1, "gc:gc-1", "gdp:global-gdp")
	checkHeld(t, 2, "gc:gc-1", "gdp:global-gdp")
}

// amko 0.x and AMKO 2.2.x federate (a set switches cluster by cluster); any
// other pair of different versions is refused with AMKO's text.
func TestVersionCompatibility(t *testing.T) {
	for _, tc := range []struct {
		ours, theirs string
		want         bool
	}{
		{"0.1.0", "2.2.1", true}, {"2.2.1", "0.1.0", true}, {"0.1.0", "v2.2.1", true}, {"0.1.0", "2.2.0", true},
		{"0.1.0", "0.2.0", true}, {"2.2.1", "2.2.1", true}, {"latest", "latest", true}, {"0.1.0", "2.2.1-rc1", true},
		{"0.1.0", "2.1.0", false}, {"0.1.0", "1.12.1", false}, {"2.2.1", "2.3.0", false}, {"0.1.0", "latest", false},
		{"0.1.0", "", false}, {"0.1.0", "2", false}, {"2.1.0", "2.1.1", false},
	} {
		if got := Compatible(tc.ours, tc.theirs); got != tc.want {
			t.Errorf("Compatible(%q, %q) = %v, want %v", tc.ours, tc.theirs, got, tc.want)
		}
	}
}

func TestMemberValidation(t *testing.T) {
	reset(t)
	federationSet(t, 0)
	create(t, 0, leaderGC())
	create(t, 0, leaderGDP())
	f := newFederator(t, 0, true)
	mismatch := spec(1, false)
	mismatch.Version = "2.1.0"
	const mismatchReason = "version mismatch, current AMKO: 2.2.1, AMKO in cluster cluster2-admin: 2.1.0"
	const missingReason = "no AMKOCluster object present in cluster cluster3-admin, can't federate"
	skipped := func(reason string) []cond {
		c := success(true)
		c[2] = cond{Type: TypeMemberValidation, Status: "error in validating some member clusters", Reason: reason}
		return c
	}

	// cluster2 runs another version: skipped, cluster3 federated.
	setAMKOCluster(t, 1, mismatch)
	res, err := f.Reconcile(t.Context())
	if err == nil || !res.Leader {
		t.Errorf("Reconcile = Leader %v, error %v; want a leader and an error", res.Leader, err)
	}
	checkConditions(t, 0, res, skipped(mismatchReason))
	checkHeld(t, 1)
	checkHeld(t, 2, "gc:gc-1", "gdp:global-gdp")

	// Both skipped: nothing to federate to.
	if err := set.Clusters[2].Client.DeleteAllOf(t.Context(), &amkov1alpha1.AMKOCluster{}, client.InNamespace(clusters.Namespace)); err != nil {
		t.Fatal(err)
	}
	res, err = f.Reconcile(t.Context())
	if err == nil || !res.Leader {
		t.Errorf("Reconcile = Leader %v, error %v; want a leader and an error", res.Leader, err)
	}
	checkConditions(t, 0, res, skipped(mismatchReason + "," + missingReason)[:3])
	checkHeld(t, 1)

	// cluster2 upgraded: federated; cluster3 still skipped.
	setAMKOCluster(t, 1, spec(1, false))
	res, err = f.Reconcile(t.Context())
	if err == nil || !res.Leader {
		t.Errorf("Reconcile = Leader %v, error %v; want a leader and an error", res.Leader, err)
	}
	checkConditions(t, 0, res, skipped(missingReason))
	checkHeld(t, 1, "gc:gc-1", "gdp:global-gdp")
	checkCopies(t, 0, 1, 2)
}

func TestTwoLeaders(t *testing.T) {
	reset(t)
	federationSet(t, 0)
	setAMKOCluster(t, 1, spec(1, true))
	create(t, 0, leaderGC())
	create(t, 0, leaderGDP())
	create(t, 0, ghr(clusters.Namespace, "rule-a", "a.example.com"))
	f0, f1 := newFederator(t, 0, true), newFederator(t, 1, true)
	conflict := func(other string) []cond {
		return []cond{
			{Type: TypeValidation, Status: "valid AMKOCluster object"},
			{Type: TypeMemberInitialisation, Status: "all cluster clients fetched"},
			{Type: TypeMemberValidation, Status: "member cluster clients invalid", Reason: "AMKO in cluster " + other + " is also a leader, conflicting state"},
		}
	}

	// Each leader sees the other; neither leads nor federates.
	for _, side := range []struct {
		f     *Federator
		i     int
		other string
	}{{f0, 0, "cluster2-admin"}, {f1, 1, "cluster1-admin"}} {
		res, err := side.f.Reconcile(t.Context())
		if err == nil {
			t.Errorf("%s: Reconcile: no error in conflict", set.Clusters[side.i].Context)
		}
		if res.Leader || !res.Conflict {
			t.Errorf("%s: Leader %v, Conflict %v; want a conflict", set.Clusters[side.i].Context, res.Leader, res.Conflict)
		}
		checkConditions(t, side.i, res, conflict(side.other))
	}
	checkHeld(t, 1)
	checkHeld(t, 2)

	// A contender that is invalid otherwise (another version) still contends.
	s := spec(1, true)
	s.Version = "2.1.0"
	setAMKOCluster(t, 1, s)
	res, _ := f0.Reconcile(t.Context())
	if res.Leader || !res.Conflict {
		t.Errorf("Leader %v, Conflict %v; want a conflict", res.Leader, res.Conflict)
	}
	checkHeld(t, 2)

	// The admin demotes cluster2: cluster1 leads and federates, cluster2 follows.
	setAMKOCluster(t, 1, spec(1, false))
	res = reconcile(t, f0)
	if !res.Leader || res.Conflict {
		t.Errorf("Leader %v, Conflict %v; want a leader", res.Leader, res.Conflict)
	}
	checkConditions(t, 0, res, success(true))
	checkCopies(t, 0, 1, 2)
	if res := reconcile(t, f1); res.Leader || res.Conflict {
		t.Errorf("cluster2: Leader %v, Conflict %v; want a follower", res.Leader, res.Conflict)
	}
}

func TestUnreachableMember(t *testing.T) {
	reset(t)
	federationSet(t, 0)
	gc := leaderGC()
	create(t, 0, gc)
	create(t, 0, leaderGDP())
	create(t, 0, ghr(clusters.Namespace, "rule-a", "a.example.com"))
	f := newFederator(t, 0, true)
	checkConditions(t, 0, reconcile(t, f), success(true)) // clients cached, connections open

	set.Clusters[2].SetReachable(false)
	gc.Spec.LogLevel = amkov1alpha1.LogLevelDebug
	if err := set.Clusters[0].Client.Update(t.Context(), gc); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := f.Reconcile(t.Context())
	took := time.Since(start)
	t.Logf("pass with a member cut off: %v", took)
	if took > 5*time.Second {
		t.Errorf("the pass took %v with a member cut off", took)
	}
	if err == nil || !res.Leader || res.Conflict {
		t.Errorf("Reconcile = Leader %v, Conflict %v, error %v; want a leader and an error", res.Leader, res.Conflict, err)
	}
	if len(res.Conditions) != 6 {
		t.Fatalf("conditions %+v", res.Conditions)
	}
	init := res.Conditions[1]
	if init.Status != "some member cluster clients couldn't be fetched" ||
		!strings.HasPrefix(init.Reason, "error in initializing member custer context cluster3-admin: ") {
		t.Errorf("initialisation condition %+v", init)
	}
	if !slices.Equal(res.Conditions[2:], success(true)[2:]) {
		t.Errorf("conditions after initialisation %+v", res.Conditions[2:])
	}
	checkCopies(t, 0, 1)

	// Back: federated on the next pass.
	set.Clusters[2].SetReachable(true)
	checkConditions(t, 0, reconcile(t, f), success(true))
	checkCopies(t, 0, 1, 2)
}

// An elected leader (failover Automatic): the election, not isLeader,
// decides; members electing too are no conflict, a Manual one claiming to
// lead is; what it writes carries its term, and it changes nothing a later
// term wrote; its writes stop with its term; it never federates the absence
// of a configuration it does not hold.
func TestElectedLeader(t *testing.T) {
	reset(t)
	for i := range set.Clusters {
		s := spec(i, i == 1) // cluster2's isLeader is ignored: it elects too
		s.Failover = amkov1alpha1.FailoverAutomatic
		setAMKOCluster(t, i, s)
	}
	create(t, 0, leaderGC())
	gdp := leaderGDP()
	create(t, 0, gdp)
	f := newFederator(t, 0, false)
	elected := func(term int64) *Election {
		return &Election{Elected: true, Term: term, Condition: &cond{Type: TypeElected, Status: "True", Reason: "term"}}
	}
	term := func(i int) string {
		var g amkov1alpha2.GlobalDeploymentPolicy
		if err := set.Clusters[i].Client.Get(t.Context(), client.ObjectKey{Namespace: clusters.Namespace, Name: gdp.Name}, &g); err != nil {
			t.Fatal(err)
		}
		return g.Annotations["amko.vmware.com/leader-term"]
	}

	// An amko without an AMKOCluster sees that the set has a leader, whatever
	// isLeader says: it must not write on its own.
	if leaders, unknown, err := f.Leaders(t.Context(), set.Contexts()); err != nil || len(unknown) > 0 || !slices.Equal(leaders, set.Contexts()) {
		t.Errorf("Leaders = %v (unknown %v, %v), want every cluster of the electing set", leaders, unknown, err)
	}

	// Not elected: a follower, whatever isLeader says.
	res, err := f.ReconcileElected(t.Context(), &Election{})
	if err != nil || res.Leader || res.Conflict {
		t.Fatalf("not elected: Leader %v, Conflict %v, %v", res.Leader, res.Conflict, err)
	}
	checkHeld(t, 1)

	res, err = f.ReconcileElected(t.Context(), elected(5))
	if err != nil || !res.Leader || res.Conflict {
		t.Fatalf("elected: Leader %v, Conflict %v, %v", res.Leader, res.Conflict, err)
	}
	if got := res.Conditions[len(res.Conditions)-1]; got.Type != TypeElected || got.Status != "True" {
		t.Errorf("last condition %+v, want the Elected one", got)
	}
	for _, i := range []int{1, 2} {
		checkHeld(t, i, "gc:gc-1", "gdp:global-gdp")
		if got := term(i); got != "5" {
			t.Errorf("%s: the copy's term %q, want 5", set.Clusters[i].Context, got)
		}
	}

	// A later term wrote cluster2's copy: a stale leader does not overwrite it.
	var g amkov1alpha2.GlobalDeploymentPolicy
	if err := set.Clusters[1].Client.Get(t.Context(), client.ObjectKeyFromObject(gdp), &g); err != nil {
		t.Fatal(err)
	}
	g.Annotations["amko.vmware.com/leader-term"] = "7"
	if err := set.Clusters[1].Client.Update(t.Context(), &g); err != nil {
		t.Fatal(err)
	}
	gdp.Spec.TTL = ptr(77)
	if err := set.Clusters[0].Client.Update(t.Context(), gdp); err != nil {
		t.Fatal(err)
	}
	_, err = f.ReconcileElected(t.Context(), elected(5))
	if err == nil || !strings.Contains(condition(t, 0, TypeGDPFederation), "written in leadership term 7, after this leader's term 5") {
		t.Errorf("overwriting a later term: %v; GDP condition %q", err, condition(t, 0, TypeGDPFederation))
	}
	if got := term(1); got != "7" {
		t.Errorf("cluster2's copy overwritten: term %q", got)
	}
	if got := term(2); got != "5" {
		t.Errorf("cluster3's copy: term %q, want 5", got)
	}

	// A lapsed term writes nothing.
	gdp.Spec.TTL = ptr(78)
	if err := set.Clusters[0].Client.Update(t.Context(), gdp); err != nil {
		t.Fatal(err)
	}
	lapsed, cancel := context.WithCancelCause(t.Context())
	cancel(context.Canceled)
	e := elected(8)
	e.Fence = lapsed
	if _, err := f.ReconcileElected(t.Context(), e); err == nil {
		t.Error("a lapsed term federated without error")
	}
	if got := term(2); got != "5" {
		t.Errorf("a lapsed term wrote cluster3's copy: term %q", got)
	}

	// A Manual member that says it leads is a conflict.
	setAMKOCluster(t, 2, spec(2, true))
	if res, _ := f.ReconcileElected(t.Context(), elected(8)); res.Leader || !res.Conflict {
		t.Errorf("a Manual leader in the set: Leader %v, Conflict %v; want a conflict", res.Leader, res.Conflict)
	}
	setAMKOCluster(t, 2, spec(2, false))

	// Elected without a configuration of its own: the members keep theirs.
	f1 := newFederator(t, 1, false)
	if err := set.Clusters[1].Client.DeleteAllOf(t.Context(), &amkov1alpha1.GSLBConfig{}, client.InNamespace(clusters.Namespace)); err != nil {
		t.Fatal(err)
	}
	if _, err := f1.ReconcileElected(t.Context(), elected(9)); err == nil {
		t.Error("an elected leader without a GSLBConfig: no error")
	}
	checkHeld(t, 0, "gc:gc-1", "gdp:global-gdp")
	checkHeld(t, 2, "gc:gc-1", "gdp:global-gdp")
}

// condition is cluster i's AMKOCluster condition typ, "status: reason".
func condition(t *testing.T, i int, typ string) string {
	t.Helper()
	var ac amkov1alpha1.AMKOCluster
	if err := set.Clusters[i].Client.Get(t.Context(), client.ObjectKey{Namespace: clusters.Namespace, Name: acName}, &ac); err != nil {
		t.Fatal(err)
	}
	for _, c := range ac.Status.Conditions {
		if c.Type == typ {
			return c.Status + ": " + c.Reason
		}
	}
	return ""
}
