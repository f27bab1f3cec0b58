// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// AMKO behaviours that each get their own proof here (amko.md §1): the live
// log level, the generated amko-uuid, refreshInterval as the resync period,
// the gslb-members Secret's key, TKG-style user@cluster context names, a GDP
// outside avi-system, and the duplicate-FQDN GSLBHostRule.

// gcState waits for gc-1's status.state to match re.
func gcState(t *testing.T, re string) {
	t.Helper()
	want := regexp.MustCompile(re)
	await.Eventually(t, "GSLBConfig state "+re, func() error {
		var gc amkov1alpha1.GSLBConfig
		if err := leader().Client.Get(context.Background(), gcKey, &gc); err != nil {
			return err
		}
		if !want.MatchString(gc.Status.State) {
			return fmt.Errorf("state %q", gc.Status.State)
		}
		return nil
	})
}

// The GSLBConfig's logLevel is applied while amko runs, both ways.
func TestLogLevelLive(t *testing.T) {
	ctx := context.Background()
	if err := set.ConfigureAMKO(ctx, host, amkoUUID); err != nil {
		t.Fatal(err)
	}
	level := new(slog.LevelVar)
	var logs lockedBuffer
	_, stop := runAmko(t, operator.Options{ProbeScale: 0.05, LogLevel: level,
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level}))})
	defer stop()
	gcState(t, `^success: gslb config accepted$`)
	if level.Level() != slog.LevelInfo || strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatalf("at INFO: level %v, debug lines logged", level.Level())
	}
	t.Cleanup(func() {
		changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.LogLevel = amkov1alpha1.LogLevelInfo })
	})
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.LogLevel = amkov1alpha1.LogLevelDebug })
	await.Eventually(t, "debug lines once logLevel is DEBUG", func() error {
		if level.Level() != slog.LevelDebug || !strings.Contains(logs.String(), "level=DEBUG") {
			return fmt.Errorf("level %v", level.Level())
		}
		return nil
	})
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.LogLevel = amkov1alpha1.LogLevelError })
	await.Eventually(t, "level ERROR", func() error {
		if level.Level() != slog.LevelError {
			return fmt.Errorf("level %v", level.Level())
		}
		return nil
	})
}

// A GSLBConfig without amko.vmware.com/amko-uuid gets a generated UUID, as
// AMKO writes one, and keeps it across restarts.
func TestAMKOUUIDGenerated(t *testing.T) {
	ctx := context.Background()
	if err := set.ConfigureAMKO(ctx, host, amkoUUID); err != nil {
		t.Fatal(err)
	}
	// Select nothing: objects under another uuid would be foreign to the
	// other tests' amko.
	gdp(t, amkov1alpha2.GDPSpec{MatchRules: amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{
		Label: map[string]string{"app": "no-such-app"}}}, MatchClusters: allClusters()})
	t.Cleanup(func() {
		changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation] = amkoUUID })
	})
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { delete(gc.Annotations, amkov1alpha1.AMKOUUIDAnnotation) })
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	generated := func() string {
		var gc amkov1alpha1.GSLBConfig
		if err := leader().Client.Get(ctx, gcKey, &gc); err != nil {
			t.Fatal(err)
		}
		return gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation]
	}
	_, stop := runAmko(t, operator.Options{ProbeScale: 0.05})
	var first string
	await.Eventually(t, "an amko-uuid written", func() error {
		if first = generated(); !uuidRE.MatchString(first) {
			return fmt.Errorf("amko-uuid %q", first)
		}
		return nil
	})
	gcState(t, `^success: gslb config accepted$`)
	stop()
	_, stop = runAmko(t, operator.Options{ProbeScale: 0.05})
	defer stop()
	gcState(t, `^success: gslb config accepted$`)
	if again := generated(); again != first {
		t.Errorf("amko-uuid changed across a restart: %s, then %s", first, again)
	}
}

// The GSLBConfig's refreshInterval is the period of the full comparison with
// the controller: a GSLB service deleted behind amko's back comes back within
// it, with no change in Kubernetes.
func TestRefreshIntervalResyncs(t *testing.T) {
	s := begin(t, appGDP("refresh"))
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.RefreshInterval = 2 })
	t.Cleanup(func() { changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.RefreshInterval = 0 }) })
	s.restart() // the resync period is read when the GSLBConfig is accepted
	name := "refresh.example.com"
	s.ingress(set.Clusters[0], clusters.Ingress{Namespace: "default", Name: "refresh", Labels: map[string]string{"app": "refresh"},
		Rules: []clusters.IngressRule{{Host: name, IP: "10.71.0.1"}}, AKO: ako(name, "virtualservice-refresh")})
	s.track(name)
	await.Eventually(t, "the service", wantMembers(name, "10:10.71.0.1:1"))
	if err := foreignClient(t).AviSession.Delete("api/gslbservice/" + sim.Object("gslbservice", name)["uuid"].(string)); err != nil {
		t.Fatal(err)
	}
	if sim.Object("gslbservice", name) != nil {
		t.Fatal("the service is still on the controller")
	}
	await.Eventually(t, "the service back within refreshInterval", wantMembers(name, "10:10.71.0.1:1"))
}

// The gslb-members kubeconfig under another key of gslb-config-secret is
// AMKO's kubeconfig error, naming the key it needs; fixed, amko goes on.
func TestMembersSecretWrongKey(t *testing.T) {
	ctx := context.Background()
	if err := set.ConfigureAMKO(ctx, host, amkoUUID); err != nil {
		t.Fatal(err)
	}
	keepMembersSecret(t)
	var secret corev1.Secret
	if err := leader().Client.Get(ctx, membersSecretKey, &secret); err != nil {
		t.Fatal(err)
	}
	secret.Data = map[string][]byte{"gslb-member": secret.Data[clusters.MembersKey]}
	if err := leader().Client.Update(ctx, &secret); err != nil {
		t.Fatal(err)
	}
	_, stop := runAmko(t, operator.Options{ProbeScale: 0.05})
	defer stop()
	gcState(t, `^error: provided kubeconfig has an error .*gslb-members`)
	if err := leader().Client.Get(ctx, membersSecretKey, &secret); err != nil {
		t.Fatal(err)
	}
	secret.Data = map[string][]byte{clusters.MembersKey: set.Kubeconfig}
	if err := leader().Client.Update(ctx, &secret); err != nil {
		t.Fatal(err)
	}
	gcState(t, `^success: gslb config accepted$`)
}

// TKG names its contexts user@cluster: such names work as member clusters, in
// the GDP and in the members' cluster field.
func TestUserAtClusterContexts(t *testing.T) {
	ctx := context.Background()
	s := begin(t, appGDP("tkg"))
	keepMembersSecret(t)
	kc, err := clientcmd.Load(set.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	const tkg = "tkg-admin@workload-1"
	kc.Contexts[tkg] = kc.Contexts[set.Clusters[1].Context]
	data, err := clientcmd.Write(*kc)
	if err != nil {
		t.Fatal(err)
	}
	var secret corev1.Secret
	if err := leader().Client.Get(ctx, membersSecretKey, &secret); err != nil {
		t.Fatal(err)
	}
	secret.Data[clusters.MembersKey] = data
	if err := leader().Client.Update(ctx, &secret); err != nil {
		t.Fatal(err)
	}
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
		gc.Spec.MemberClusters = append(gc.Spec.MemberClusters, amkov1alpha1.MemberCluster{ClusterContext: tkg})
	})
	t.Cleanup(func() {
		changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
			gc.Spec.MemberClusters = gc.Spec.MemberClusters[:len(gc.Spec.MemberClusters)-1]
		})
	})
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "tkg"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: tkg}},
		TrafficSplit:  []amkov1alpha2.TrafficSplitElem{{Cluster: tkg, Weight: 4}},
	})
	name := "tkg.example.com"
	s.ingress(set.Clusters[1], clusters.Ingress{Namespace: "default", Name: "tkg", Labels: map[string]string{"app": "tkg"},
		Rules: []clusters.IngressRule{{Host: name, IP: "10.72.0.1"}}, AKO: ako(name, "virtualservice-tkg")})
	s.track(name)
	await.Eventually(t, "the member from the user@cluster context, weighted by it", wantMembers(name, "10:10.72.0.1:4"))
	s.gdpStatus("success")
}

// A GlobalDeploymentPolicy outside avi-system is ignored, as AMKO ignores it:
// it selects nothing and gets no status.
func TestGDPOutsideAviSystemIgnored(t *testing.T) {
	ctx := context.Background()
	s := begin(t, appGDP("inside"))
	outside := &amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "outside-gdp"},
		Spec: amkov1alpha2.GDPSpec{MatchRules: amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{
			Label: map[string]string{"app": "outside"}}}, MatchClusters: allClusters()}}
	if err := leader().Client.Create(ctx, outside); err != nil {
		t.Fatal(err)
	}
	s.cleanup(leader(), outside)
	out, in := "outside.example.com", "inside.example.com"
	s.ingress(set.Clusters[0], clusters.Ingress{Namespace: "default", Name: "outside", Labels: map[string]string{"app": "outside"},
		Rules: []clusters.IngressRule{{Host: out, IP: "10.73.0.1"}}, AKO: ako(out, "virtualservice-outside")})
	// The inside policy's service is created after the outside Ingress: once
	// it is there, the outside one would have been too.
	s.ingress(set.Clusters[0], clusters.Ingress{Namespace: "default", Name: "inside", Labels: map[string]string{"app": "inside"},
		Rules: []clusters.IngressRule{{Host: in, IP: "10.73.0.2"}}, AKO: ako(in, "virtualservice-inside")})
	s.track(in)
	await.Eventually(t, "the inside policy's service", wantMembers(in, "10:10.73.0.2:1"))
	if gs := sim.Object("gslbservice", out); gs != nil {
		t.Errorf("the GDP outside avi-system selected %s", out)
	}
	var got amkov1alpha2.GlobalDeploymentPolicy
	if err := leader().Client.Get(ctx, client.ObjectKeyFromObject(outside), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status.ErrorStatus != "" {
		t.Errorf("the GDP outside avi-system got the status %q", got.Status.ErrorStatus)
	}
}

// Two GSLBHostRules for one FQDN: the first keeps it, the second is Rejected
// with AMKO's text; deleting the first hands the FQDN to the second.
func TestDuplicateFQDNGSLBHostRule(t *testing.T) {
	ctx := context.Background()
	s := begin(t, appGDP("dup"))
	name := "dup.example.com"
	s.ingress(set.Clusters[0], clusters.Ingress{Namespace: "default", Name: "dup", Labels: map[string]string{"app": "dup"},
		Rules: []clusters.IngressRule{{Host: name, IP: "10.74.0.1"}}, AKO: ako(name, "virtualservice-dup")})
	s.track(name)
	first := s.gslbHostRule("dup-first", amkov1alpha1.GSLBHostRuleSpec{Fqdn: name, TTL: ptr(30)})
	s.gslbHostRuleStatus("dup-first", amkov1alpha1.GSLBHostRuleAccepted, "")
	s.gslbHostRule("dup-second", amkov1alpha1.GSLBHostRuleSpec{Fqdn: name, TTL: ptr(60)})
	s.gslbHostRuleStatus("dup-second", amkov1alpha1.GSLBHostRuleRejected, "there's an existing GSLBHostRule for the same FQDN")
	ttl := func(want int) func() error {
		return func() error {
			gs := sim.Object("gslbservice", name)
			if gs == nil || fmt.Sprint(gs["ttl"]) != fmt.Sprint(want) {
				return fmt.Errorf("ttl %v, want %v", gs["ttl"], want)
			}
			return nil
		}
	}
	await.Eventually(t, "the first rule's TTL", ttl(30))
	if err := leader().Client.Delete(ctx, first); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	s.gslbHostRuleStatus("dup-second", amkov1alpha1.GSLBHostRuleAccepted, "")
	await.Eventually(t, "the second rule's TTL", ttl(60))
}

// AMKO's GSLBConfig error states, each from the fault that causes it, and
// success again once it is fixed: a controller that is not the GSLB leader,
// an empty controller address, no credentials Secret named, a named Secret
// that does not exist.
func TestGSLBConfigErrorStates(t *testing.T) {
	ctx := context.Background()
	if err := set.ConfigureAMKO(ctx, host, amkoUUID); err != nil {
		t.Fatal(err)
	}
	op, stop := runAmko(t, operator.Options{ProbeScale: 0.05, LeadershipRecheck: time.Second})
	defer stop()
	gcState(t, `^success: gslb config accepted$`)

	// Leadership is asked again at a pass once the recheck is due: passes
	// come with Kubernetes events (here pokes) or the resync.
	if err := sim.SetLeader(false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.SetLeader(true) })
	await.Eventually(t, "the controller found not leading", func() error {
		op.Poke()
		var gc amkov1alpha1.GSLBConfig
		if err := leader().Client.Get(ctx, gcKey, &gc); err != nil {
			return err
		}
		if gc.Status.State != amkov1alpha1.GSLBConfigStateNotLeader {
			return fmt.Errorf("state %q", gc.Status.State)
		}
		return nil
	})
	// Leading again is found by amko itself, with no event at all.
	if err := sim.SetLeader(true); err != nil {
		t.Fatal(err)
	}
	gcState(t, `^success: gslb config accepted$`)

	for _, c := range []struct {
		fault func(*amkov1alpha1.GSLBConfig)
		state string
	}{
		{func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.GSLBLeader.ControllerIP = "" }, `^error: invalid gslb config with controller IP $`},
		{func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.GSLBLeader.Credentials = "" }, `^error: invalid gslb config with leaderSecret $`},
		{func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.GSLBLeader.Credentials = "no-such-secret" },
			`^error: secret object doesn't exist no-such-secret$`},
	} {
		var before amkov1alpha1.GSLBLeader
		changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { before = gc.Spec.GSLBLeader; c.fault(gc) })
		gcState(t, c.state)
		changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.GSLBLeader = before })
		gcState(t, `^success: gslb config accepted$`)
	}
}

// An AMKOCluster outside avi-system is not amko's: AMKO's bootup lists
// avi-system only, and amko's identity reads AMKOClusters there only (least
// privilege), so one elsewhere changes nothing: amko stays standalone and the
// object gets no status.
func TestAMKOClusterOutsideAviSystemIgnored(t *testing.T) {
	ctx := context.Background()
	if err := set.ConfigureAMKO(ctx, host, amkoUUID); err != nil {
		t.Fatal(err)
	}
	op, stop := runAmko(t, operator.Options{ProbeScale: 0.05})
	defer stop()
	ac := &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: amkoClusterName},
		Spec: amkov1alpha1.AMKOClusterSpec{ClusterContext: set.Clusters[0].Context, IsLeader: true, Version: "2.2.1", Clusters: set.Contexts()}}
	if err := leader().Client.Create(ctx, ac); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = leader().Client.Delete(ctx, ac) }()
	// A change amko does act on, after the AMKOCluster: once it is seen, the
	// AMKOCluster has been too.
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.LogLevel = amkov1alpha1.LogLevelWarn })
	t.Cleanup(func() {
		changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.LogLevel = amkov1alpha1.LogLevelInfo })
	})
	gcState(t, `^success: gslb config accepted$`)
	await.Eventually(t, "amko standalone", func() error {
		if r := op.Role(); r != operator.RoleStandalone {
			return fmt.Errorf("role %v", r)
		}
		return nil
	})
	var got amkov1alpha1.AMKOCluster
	if err := leader().Client.Get(ctx, client.ObjectKeyFromObject(ac), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Status.Conditions) != 0 {
		t.Errorf("the AMKOCluster outside avi-system got conditions %+v", got.Status.Conditions)
	}
}
