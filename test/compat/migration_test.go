// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package compat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/config/crd"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/provider/providers"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// amko on AMKO 2.2.1's own CRDs (a chart upgraded without
// `kubectl apply -f charts/amko/crds`): it writes AMKO's status strings on the
// objects themselves, where those CRDs take them, and says in a Warning Event
// what is lost. Applying amko's CRDs over them takes effect without a restart.
// Then the rollback to AMKO: AMKO's CRDs applied again over amko's on the same
// API server, and every object amko wrote (statuses, the amko-uuid and
// certificate-pin annotations) still validates and holds only what AMKO's
// schema knows once written again, as AMKO writes its statuses (full Update).
func TestAMKOCRDsThenUpgradeThenRollback(t *testing.T) {
	ctx := context.Background()
	c := amkoCluster(t) // AMKO 2.2.1's CRDs
	cl := set.Clusters[1]
	_, srv, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cleanupConfig(t, cl.Client)

	gc := &amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName},
		Spec: amkov1alpha1.GSLBConfigSpec{
			GSLBLeader:     amkov1alpha1.GSLBLeader{Credentials: clusters.ControllerSecret, ControllerVersion: "31.1.1", ControllerIP: avisim.Host(srv)},
			MemberClusters: []amkov1alpha1.MemberCluster{{ClusterContext: cl.Context}}}}
	createAll(t, c, controllerSecret(), membersSecret(), gc,
		&amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GDPName},
			Spec: amkov1alpha2.GDPSpec{MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: cl.Context}}}},
		&amkov1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "ok"},
			Spec: amkov1alpha1.GSLBHostRuleSpec{Fqdn: "ok.gslb.example.com", TTL: ptr(30)}},
		&amkov1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "no-fqdn"},
			Spec: amkov1alpha1.GSLBHostRuleSpec{TTL: ptr(30)}})

	states := recordStates(t, cl)
	start := time.Now()
	op, stop := runAmko(t, cl)

	// AMKO's strings, on the objects themselves; no conditions (AMKO's schema
	// has none).
	await.Eventually(t, "statuses with AMKO's strings", func() error {
		return errors.Join(
			wantStatus(ctx, c, "GSLBConfig", clusters.GSLBConfigName, "state", amkov1alpha1.GSLBConfigStateAccepted),
			wantStatus(ctx, c, "GlobalDeploymentPolicy", clusters.GDPName, "errorStatus", amkov1alpha2.GDPStatusSuccess),
			wantStatus(ctx, c, "GSLBHostRule", "ok", "status", "Accepted"),
			wantStatus(ctx, c, "GSLBHostRule", "no-fqdn", "status", "Rejected"),
			wantStatus(ctx, c, "GSLBHostRule", "no-fqdn", "error", "GSFqdn missing for no-fqdn GSLBHostRule"))
	})
	// AMKO's boot sequence, synced all objects included.
	want := []string{amkov1alpha1.GSLBConfigStateSyncing, amkov1alpha1.GSLBConfigStateSynced, amkov1alpha1.GSLBConfigStateAccepted}
	await.Eventually(t, "AMKO's boot sequence of states", func() error {
		if got := states(); !slices.Equal(got, want) {
			return fmt.Errorf("GSLBConfig states %q, want %q", got, want)
		}
		return nil
	})
	awaitEvent(t, cl, "GSLBConfig", clusters.GSLBConfigName, operator.ReasonAMKOCRDs,
		"are AMKO 2.2.1's (no status subresource): amko writes AMKO's status strings on the objects themselves", start)
	// /status and amko status say so too.
	if crds := op.Status().CRDs; crds == nil || !crds.AMKO || !slices.Contains(crds.Kinds, "GlobalDeploymentPolicy") {
		t.Errorf("/status crds %+v, want AMKO's for GlobalDeploymentPolicy", crds)
	}
	for _, kind := range []string{"GSLBConfig", "GlobalDeploymentPolicy", "GSLBHostRule"} {
		for _, name := range namesOf(t, c, kind) {
			if conds := field(t, c, kind, name, "status", "conditions"); conds != nil {
				t.Errorf("%s %s: status.conditions %v on AMKO's CRD", kind, name, conds)
			}
		}
	}
	// The annotations amko writes: the uuid it generated, the certificate it pinned.
	await.Eventually(t, "amko-uuid and the certificate pin", func() error {
		a := getObj(t, c, "GSLBConfig", clusters.GSLBConfigName).GetAnnotations()
		if len(a[amkov1alpha1.AMKOUUIDAnnotation]) != 36 || a[amkov1alpha1.ControllerCertificateAnnotation] == "" {
			return fmt.Errorf("annotations %v", a)
		}
		return nil
	})

	// The CRD upgrade the user forgot, done while amko runs: conditions
	// appear, through the status subresource, with no restart.
	applyCRDs(t, cl, amkoCRDs(t))
	await.Eventually(t, "conditions after the CRD upgrade", func() error {
		for _, kind := range []string{"GSLBConfig", "GlobalDeploymentPolicy"} {
			for _, name := range namesOf(t, c, kind) {
				if !acceptedCondition(t, c, kind, name) {
					return fmt.Errorf("%s %s: no Accepted condition True", kind, name)
				}
			}
		}
		return nil
	})
	awaitEvent(t, cl, "GSLBConfig", clusters.GSLBConfigName, operator.ReasonAMKOCRDs+"Upgraded", "amko's CRDs are installed", start)
	if crds := op.Status().CRDs; crds != nil {
		t.Errorf("/status crds %+v on amko's CRDs, want none", crds)
	}

	// Rollback: stop amko, apply AMKO's CRDs over amko's.
	stop()
	applyCRDs(t, cl, amkoCRDsOf221(t))
	checkAMKOReads(t, c)
	for kind, want := range map[string]string{"GSLBConfig": amkov1alpha1.GSLBConfigStateAccepted, "GlobalDeploymentPolicy": amkov1alpha2.GDPStatusSuccess} {
		f := map[string]string{"GSLBConfig": "state", "GlobalDeploymentPolicy": "errorStatus"}[kind]
		if err := wantStatus(ctx, c, kind, namesOf(t, c, kind)[0], f, want); err != nil {
			t.Errorf("after the rollback: %v", err)
		}
	}
	a := getObj(t, c, "GSLBConfig", clusters.GSLBConfigName).GetAnnotations()
	if a[amkov1alpha1.AMKOUUIDAnnotation] == "" || a[amkov1alpha1.ControllerCertificateAnnotation] == "" {
		t.Errorf("after the rollback, annotations %v", a)
	}
}

// A rolling migration of a federation: the leader switched to amko first
// (AMKOCluster version 0.1.0, the chart's), its follower still AMKO 2.2.1
// (AMKO's CRDs, version 2.2.1). amko accepts that version, replicates in the
// form AMKO's CRDs take, and leaves the current cluster out of clusters as
// AMKO's guide allows. The same run shows a member outage in the GSLBConfig's
// state, cleared on recovery, a truly different version refused with AMKO's
// text, and an empty username named as such.
func TestMixedFederation(t *testing.T) {
	ctx := context.Background()
	follower := amkoCluster(t) // AMKO 2.2.1's CRDs
	lead := set.Clusters[0]
	_, srv, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cleanupConfig(t, lead.Client)
	cleanupConfig(t, follower)
	defer set.Clusters[1].SetReachable(true)

	const uuid = "7c1d6f7e-0a5b-4c43-9a41-6b1f2e3d4c5a"
	ac := func(ctxName string, leader bool, version string, clusters ...string) *amkov1alpha1.AMKOCluster {
		return &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "avi-system", Name: "amkocluster-federation"},
			Spec: amkov1alpha1.AMKOClusterSpec{ClusterContext: ctxName, IsLeader: leader, Version: version, Clusters: clusters}}
	}
	members := []amkov1alpha1.MemberCluster{{ClusterContext: lead.Context}, {ClusterContext: set.Clusters[1].Context}}
	// The follower as AMKO 2.2.1's chart renders it.
	createAll(t, follower, ac(set.Clusters[1].Context, false, "2.2.1", lead.Context, set.Clusters[1].Context))
	// The leader as amko's chart renders it, without itself in clusters.
	createAll(t, lead.Client, ac(lead.Context, true, "0.1.0", set.Clusters[1].Context), controllerSecret(), membersSecret(),
		&amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName,
			Annotations: map[string]string{amkov1alpha1.AMKOUUIDAnnotation: uuid}},
			Spec: amkov1alpha1.GSLBConfigSpec{MemberClusters: members,
				GSLBLeader: amkov1alpha1.GSLBLeader{Credentials: clusters.ControllerSecret, ControllerVersion: "31.1.1", ControllerIP: avisim.Host(srv)}}},
		&amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GDPName},
			Spec: amkov1alpha2.GDPSpec{MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: lead.Context}, {Cluster: set.Clusters[1].Context}}}},
		&amkov1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "fed"},
			Spec: amkov1alpha1.GSLBHostRuleSpec{Fqdn: "fed.gslb.example.com", TTL: ptr(30)}})
	_, stop := runAmko(t, lead)
	defer stop()

	await.Eventually(t, "the AMKO 2.2.1 follower validated and federated to", func() error {
		return wantConditions(ctx, lead.Client, map[string]string{
			"member cluster validation": "validated all member clusters",
			"GSLBConfig Federation":     "federated to all valid clusters successfully",
			"GDP Federation":            "federated to all valid clusters successfully",
			"GSLBHostRule Federation":   "federated to all valid clusters successfully",
		})
	})
	got := getObj(t, follower, "GSLBConfig", clusters.GSLBConfigName)
	if got.GetAnnotations()[amkov1alpha1.AMKOUUIDAnnotation] != uuid {
		t.Errorf("the follower's GSLBConfig annotations %v", got.GetAnnotations())
	}
	if ip, _, _ := unstructured.NestedString(got.Object, "spec", "gslbLeader", "controllerIP"); ip != avisim.Host(srv) {
		t.Errorf("the follower's controllerIP %q", ip)
	}
	for _, kind := range []string{"GlobalDeploymentPolicy", "GSLBHostRule"} {
		if len(namesOf(t, follower, kind)) != 1 {
			t.Errorf("the follower's %ss: %v", kind, namesOf(t, follower, kind))
		}
	}
	checkAMKOReads(t, follower)
	await.Eventually(t, "the leader's state", func() error {
		return wantStatus(ctx, lead.Client, "GSLBConfig", clusters.GSLBConfigName, "state", amkov1alpha1.GSLBConfigStateAccepted)
	})

	// A member cluster outage, in the state AMKO's troubleshooting guide
	// names, and cleared on recovery.
	set.Clusters[1].SetReachable(false)
	outage := "error: cluster healthcheck failed, cluster " + set.Clusters[1].Context + " health check failed, can't access the services api"
	await.Eventually(t, "the outage in the GSLBConfig's state", func() error {
		return wantStatus(ctx, lead.Client, "GSLBConfig", clusters.GSLBConfigName, "state", outage)
	})
	if c := condition(t, lead.Client, "GSLBConfig", clusters.GSLBConfigName, "Synced"); c["reason"] != operator.ReasonMemberClusterUnreachable {
		t.Errorf("Synced condition during the outage: %v", c)
	}
	set.Clusters[1].SetReachable(true)
	await.Eventually(t, "the state after the recovery", func() error {
		return wantStatus(ctx, lead.Client, "GSLBConfig", clusters.GSLBConfigName, "state", amkov1alpha1.GSLBConfigStateAccepted)
	})

	// Another AMKO version is refused, with AMKO's text. The federation runs
	// on local changes: a label on the leader's AMKOCluster asks for a pass.
	setFollowerVersion(t, follower, "2.1.0")
	touch(t, lead.Client, "AMKOCluster", "amkocluster-federation")
	await.Eventually(t, "version 2.1.0 refused", func() error {
		return wantConditions(ctx, lead.Client, map[string]string{
			"member cluster validation": "error in validating some member clusters: version mismatch, current AMKO: 0.1.0, AMKO in cluster " +
				set.Clusters[1].Context + ": 2.1.0",
		})
	})

	// An empty username: the Secret exists, and the state says what is wrong.
	setUsername(t, lead.Client, "")
	await.Eventually(t, "the empty username named", func() error {
		return wantStatus(ctx, lead.Client, "GSLBConfig", clusters.GSLBConfigName, "state",
			"error: invalid gslb config: the Secret avi-system/"+clusters.ControllerSecret+" has an empty username")
	})
	setUsername(t, lead.Client, "admin")
	await.Eventually(t, "accepted again", func() error {
		return wantStatus(ctx, lead.Client, "GSLBConfig", clusters.GSLBConfigName, "state", amkov1alpha1.GSLBConfigStateAccepted)
	})
}

// runAmko runs amko for cl, with the Avi backend, until the returned stop
// (also called when the test ends).
func runAmko(t *testing.T, cl *clusters.Cluster) (op *operator.Operator, stop func()) {
	t.Helper()
	op, err := operator.New(operator.Options{Config: cl.Config, Scheme: set.Scheme, PendingGrace: time.Second,
		Providers: providers.Build, DeletionWindow: -1, CRDRecheck: 200 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logOutput(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- op.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("amko: %v", err)
		}
	}
	t.Cleanup(stop)
	return op, stop
}

// logOutput is where runAmko's amko logs: stderr with AMKO_TEST_LOG=1.
func logOutput() io.Writer {
	if os.Getenv("AMKO_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

func controllerSecret() *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.ControllerSecret},
		Data: map[string][]byte{"username": []byte("admin"), "password": []byte("avi123")}}
}

func membersSecret() *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.MembersSecret},
		Data: map[string][]byte{clusters.MembersKey: set.Kubeconfig}}
}

func ptr[T any](v T) *T { return &v }

func createAll(t *testing.T, c client.Client, objs ...client.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := c.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
		}
	}
}

// cleanupConfig deletes amko's configuration from avi-system of c, now and
// when the test ends, and waits until it is gone: the package's other tests
// create their own.
func cleanupConfig(t *testing.T, c client.Client) {
	t.Helper()
	clean := func() {
		ctx := context.Background()
		for _, obj := range []client.Object{&amkov1alpha1.AMKOCluster{}, &amkov1alpha1.GSLBConfig{},
			&amkov1alpha2.GlobalDeploymentPolicy{}, &amkov1alpha1.GSLBHostRule{}} {
			if err := c.DeleteAllOf(ctx, obj, client.InNamespace(clusters.Namespace)); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("cleaning up: %v", err)
			}
		}
		for _, name := range []string{clusters.ControllerSecret, clusters.MembersSecret} {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: name}}
			if err := c.Delete(ctx, s); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("cleaning up: %v", err)
			}
		}
		await.Eventually(t, "amko's configuration deleted", func() error {
			for _, kind := range []string{"AMKOCluster", "GSLBConfig", "GlobalDeploymentPolicy", "GSLBHostRule"} {
				if names := namesOf(t, c, kind); len(names) > 0 {
					return fmt.Errorf("%s %v left", kind, names)
				}
			}
			return nil
		})
	}
	clean()
	t.Cleanup(clean)
}

// recordStates returns the GSLBConfig states of cl seen from now, in order,
// without repeats.
func recordStates(t *testing.T, cl *clusters.Cluster) func() []string {
	t.Helper()
	wc, err := client.NewWithWatch(cl.Config, client.Options{Scheme: set.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk("GSLBConfigList"))
	w, err := wc.Watch(context.Background(), list, client.InNamespace(clusters.Namespace))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	var states []string
	return func() []string {
		for {
			select {
			case e, ok := <-w.ResultChan():
				if !ok {
					return states
				}
				if u, isU := e.Object.(*unstructured.Unstructured); isU && e.Type != watch.Deleted {
					s, _, _ := unstructured.NestedString(u.Object, "status", "state")
					if s != "" && (len(states) == 0 || states[len(states)-1] != s) {
						states = append(states, s)
					}
				}
			default:
				return states
			}
		}
	}
}

func gvk(kind string) schema.GroupVersionKind {
	version := "v1alpha1"
	if strings.HasPrefix(kind, "GlobalDeploymentPolicy") {
		version = "v1alpha2"
	}
	return schema.GroupVersionKind{Group: "amko.vmware.com", Version: version, Kind: kind}
}

func getObj(t *testing.T, c client.Client, kind, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk(kind))
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: clusters.Namespace, Name: name}, u); err != nil {
		t.Fatalf("reading %s %s: %v", kind, name, err)
	}
	return u
}

// namesOf lists the objects of kind in avi-system.
func namesOf(t *testing.T, c client.Client, kind string) []string {
	t.Helper()
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk(kind + "List"))
	if err := c.List(context.Background(), list, client.InNamespace(clusters.Namespace)); err != nil {
		t.Fatalf("listing %s: %v", kind, err)
	}
	var names []string
	for _, o := range list.Items {
		names = append(names, o.GetName())
	}
	return names
}

func field(t *testing.T, c client.Client, kind, name string, path ...string) any {
	t.Helper()
	v, _, _ := unstructured.NestedFieldNoCopy(getObj(t, c, kind, name).Object, path...)
	return v
}

func wantStatus(ctx context.Context, c client.Client, kind, name, f, want string) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk(kind))
	if err := c.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: name}, u); err != nil {
		return err
	}
	if got, _, _ := unstructured.NestedString(u.Object, "status", f); got != want {
		return fmt.Errorf("%s %s: status.%s %q, want %q", kind, name, f, got, want)
	}
	return nil
}

// condition is the condition typ of an object, nil when none.
func condition(t *testing.T, c client.Client, kind, name, typ string) map[string]any {
	t.Helper()
	conds, _ := field(t, c, kind, name, "status", "conditions").([]any)
	for _, x := range conds {
		if m, ok := x.(map[string]any); ok && m["type"] == typ {
			return m
		}
	}
	return nil
}

func acceptedCondition(t *testing.T, c client.Client, kind, name string) bool {
	cond := condition(t, c, kind, name, "Accepted")
	return cond != nil && cond["status"] == "True"
}

// wantConditions checks the AMKOCluster's conditions: want maps a type to
// "status" or "status: reason".
func wantConditions(ctx context.Context, c client.Client, want map[string]string) error {
	var ac amkov1alpha1.AMKOCluster
	if err := c.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: "amkocluster-federation"}, &ac); err != nil {
		return err
	}
	got := map[string]string{}
	for _, cond := range ac.Status.Conditions {
		got[cond.Type] = cond.Status
		if cond.Reason != "" {
			got[cond.Type] += ": " + cond.Reason
		}
	}
	for typ, w := range want {
		if got[typ] != w {
			return fmt.Errorf("condition %q is %q, want %q (all: %v)", typ, got[typ], w, got)
		}
	}
	return nil
}

func setFollowerVersion(t *testing.T, c client.Client, version string) {
	t.Helper()
	update(t, c, "AMKOCluster", "amkocluster-federation", func(u *unstructured.Unstructured) error {
		return unstructured.SetNestedField(u.Object, version, "spec", "version")
	})
}

// touch labels an object, a change its watchers see.
func touch(t *testing.T, c client.Client, kind, name string) {
	t.Helper()
	update(t, c, kind, name, func(u *unstructured.Unstructured) error {
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels["touched"] = time.Now().Format("150405.000000")
		u.SetLabels(labels)
		return nil
	})
}

// update applies change to the object, read again and retried on a conflict:
// amko writes statuses on the same objects meanwhile.
func update(t *testing.T, c client.Client, kind, name string, change func(*unstructured.Unstructured) error) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := getObj(t, c, kind, name)
		if err := change(u); err != nil {
			return err
		}
		return c.Update(context.Background(), u)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func setUsername(t *testing.T, c client.Client, user string) {
	t.Helper()
	s := controllerSecret()
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(s), s); err != nil {
		t.Fatal(err)
	}
	s.Data["username"] = []byte(user)
	if err := c.Update(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// awaitEvent waits for an Event of amko's on an object of avi-system in cl.
func awaitEvent(t *testing.T, cl *clusters.Cluster, kind, name, reason, text string, since time.Time) {
	t.Helper()
	await.Eventually(t, fmt.Sprintf("Event %s on %s %s", reason, kind, name), func() error {
		var events corev1.EventList
		if err := cl.Client.List(context.Background(), &events, client.InNamespace(clusters.Namespace)); err != nil {
			return err
		}
		var seen []string
		for _, e := range events.Items {
			if e.InvolvedObject.Kind != kind || e.InvolvedObject.Name != name || e.Source.Component != "amko" {
				continue
			}
			if e.Reason == reason && strings.Contains(e.Message, text) && !e.LastTimestamp.Time.Before(since.Truncate(time.Second)) {
				return nil
			}
			seen = append(seen, e.Reason+": "+e.Message)
		}
		return fmt.Errorf("not among %q", seen)
	})
}

// amkoCRDs are amko's own CRDs, as charts/amko/crds holds them.
func amkoCRDs(t *testing.T) []*apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	crds, err := crd.AMKO()
	if err != nil {
		t.Fatal(err)
	}
	return crds
}

// amkoCRDsOf221 are AMKO 2.2.1's four CRDs.
func amkoCRDsOf221(t *testing.T) []*apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, f := range amkoCRDFiles[:4] {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := crd.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// applyCRDs replaces the CRDs of the same names in place, as
// `kubectl apply -f` does (their objects stay), and waits until discovery
// serves each as given (status subresource or not).
func applyCRDs(t *testing.T, cl *clusters.Cluster, crds []*apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	ctx := context.Background()
	c := cl.Client
	for _, want := range crds {
		var have apiextensionsv1.CustomResourceDefinition
		if err := c.Get(ctx, client.ObjectKey{Name: want.Name}, &have); err != nil {
			t.Fatal(err)
		}
		have.Spec = want.Spec
		if err := c.Update(ctx, &have); err != nil {
			t.Fatalf("applying the CRD %s: %v", want.Name, err)
		}
	}
	cs, err := kubernetes.NewForConfig(cl.Config)
	if err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "discovery serving the applied CRDs", func() error {
		for _, want := range crds {
			v := want.Spec.Versions[0]
			list, err := cs.Discovery().ServerResourcesForGroupVersion(want.Spec.Group + "/" + v.Name)
			if err != nil {
				return err
			}
			hasStatus := false
			for _, r := range list.APIResources {
				hasStatus = hasStatus || r.Name == want.Spec.Names.Plural+"/status"
			}
			if hasStatus != (v.Subresources != nil && v.Subresources.Status != nil) {
				return fmt.Errorf("%s: status subresource %v", want.Name, hasStatus)
			}
		}
		return nil
	})
}

// checkAMKOReads shows that AMKO 2.2.1, on its CRDs, reads and writes every
// object of amko's kinds in avi-system of c: each is written back unchanged
// as AMKO writes its statuses (a full Update), which validates it against
// AMKO's schema, and what is stored then holds only fields AMKO's schema
// knows (nothing amko-only that AMKO's Go types would not expect).
func checkAMKOReads(t *testing.T, c client.Client) {
	t.Helper()
	schemas := map[string]*apiextensionsv1.JSONSchemaProps{}
	for _, theirs := range amkoCRDsOf221(t) {
		schemas[theirs.Spec.Names.Kind] = theirs.Spec.Versions[0].Schema.OpenAPIV3Schema
	}
	checked := 0
	for _, kind := range []string{"AMKOCluster", "GSLBConfig", "GlobalDeploymentPolicy", "GSLBHostRule"} {
		for _, name := range namesOf(t, c, kind) {
			u := getObj(t, c, kind, name)
			if err := c.Update(context.Background(), u); err != nil {
				t.Errorf("AMKO's CRD refuses %s %s as amko left it: %v", kind, name, err)
				continue
			}
			u = getObj(t, c, kind, name)
			for k, v := range u.Object {
				if k == "apiVersion" || k == "kind" || k == "metadata" {
					continue
				}
				if extra := unknownFields(k, v, schemas[kind].Properties[k]); len(extra) > 0 {
					t.Errorf("%s %s holds fields AMKO's schema does not know: %v", kind, name, extra)
				}
			}
			checked++
		}
	}
	if checked == 0 {
		t.Error("no object to check")
	}
}

// unknownFields lists the paths in v that schema s does not describe.
func unknownFields(path string, v any, s apiextensionsv1.JSONSchemaProps) []string {
	if s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields {
		return nil
	}
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if s.AdditionalProperties != nil {
			return nil
		}
		for k, x := range v {
			p, ok := s.Properties[k]
			if !ok {
				out = append(out, path+"."+k)
				continue
			}
			out = append(out, unknownFields(path+"."+k, x, p)...)
		}
	case []any:
		if s.Items != nil && s.Items.Schema != nil {
			for i, x := range v {
				out = append(out, unknownFields(fmt.Sprintf("%s[%d]", path, i), x, *s.Items.Schema)...)
			}
		}
	}
	return out
}
