// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/federation"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/provider/providers"
	"github.com/amko-project/amko/internal/quorum"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// electedAmko is one amko of an Automatic set: its operator, its own links
// to every cluster (what its gslb-members kubeconfig reaches them by), and
// its metrics.
type electedAmko struct {
	op    *operator.Operator
	links []*clusters.Link
	reg   *prometheus.Registry
	log   *lockedBuffer
	stop  func()
}

// writes is how many changes this amko has written to the controller.
func (a *electedAmko) writes(t testing.TB) float64 {
	t.Helper()
	mfs, err := a.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "amko_backend_changes_total" {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// linksKubeconfig is a gslb-members kubeconfig whose contexts reach the
// clusters cls through links.
func linksKubeconfig(t testing.TB, cls []*clusters.Cluster, links []*clusters.Link) []byte {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	for i, l := range links {
		name := cls[i].Context
		kc.Clusters[name] = &clientcmdapi.Cluster{Server: l.Config.Host, CertificateAuthorityData: l.Config.CAData}
		kc.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: l.Config.CertData, ClientKeyData: l.Config.KeyData, Token: l.Config.BearerToken}
		kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	}
	kc.CurrentContext = cls[0].Context
	data, err := clientcmd.Write(*kc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// runElectedAmkoIn runs the amko of cls[i], reaching every cluster of cls
// through a link of its own; tune, if any, changes its options.
func runElectedAmkoIn(t testing.TB, cls []*clusters.Cluster, i int, tune ...func(*operator.Options)) *electedAmko {
	t.Helper()
	a := &electedAmko{reg: prometheus.NewRegistry(), log: &lockedBuffer{}}
	for _, cl := range cls {
		l, err := cl.NewLink()
		if err != nil {
			t.Fatal(err)
		}
		a.links = append(a.links, l)
	}
	opts := operator.Options{Config: cls[i].Config, Scheme: set.Scheme, PendingGrace: time.Second,
		ProbeScale: 0.05, Providers: providers.Build, DeletionWindow: -1, Metrics: operator.NewMetrics(a.reg),
		MembersKubeconfig: linksKubeconfig(t, cls, a.links), Log: slog.New(slog.NewTextHandler(a.log, nil))}
	for _, f := range tune {
		f(&opts)
	}
	op, err := operator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- op.Run(ctx) }()
	a.op = op
	a.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("amko in %s: %v", cls[i].Context, err)
		}
		for _, l := range a.links {
			l.Close()
		}
	}
	return a
}

// elected is the index of the amko whose election says it leads, and its term.
func elected(amkos []*electedAmko) (int, int64, error) {
	found, term := -1, int64(0)
	for i, a := range amkos {
		e := a.op.Status().Election
		if e == nil {
			return -1, 0, fmt.Errorf("amko %d has no election", i)
		}
		if e.Role == "leading" && e.ValidUntil != nil {
			if found >= 0 {
				return -1, 0, fmt.Errorf("amkos %d and %d both lead", found, i)
			}
			found, term = i, e.Term
		}
	}
	if found < 0 {
		return -1, 0, fmt.Errorf("no amko leads")
	}
	if r := amkos[found].op.Role(); r != operator.RoleLeader {
		return -1, 0, fmt.Errorf("amko %d holds term %d but its role is %v", found, term, r)
	}
	return found, term, nil
}

// federate runs one amko per cluster of cls, all with failover Automatic over
// cls: each cluster gets the controller's Secret, the GSLBConfig and a GDP
// selecting app, and the application runs in the clusters hosts (indexes in
// cls, among the GSLBConfig's three members) as LoadBalancer services named
// app, at 10.<net>.<i+1>.1 in cls[i], under the host it returns. When tb
// ends, the leader of the moment deletes the service, the amkos stop and the
// election's objects go.
func federate(tb testing.TB, cls []*clusters.Cluster, hosts []int, app string, net int) ([]*electedAmko, string) {
	tb.Helper()
	ctx := context.Background()
	if err := set.ConfigureAMKO(ctx, host, amkoUUID); err != nil {
		tb.Fatal(err)
	}
	contexts := make([]string, len(cls))
	for i, cl := range cls {
		contexts[i] = cl.Context
	}
	spec := amkov1alpha2.GDPSpec{
		MatchRules: amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": app}}},
	}
	for _, i := range hosts {
		spec.MatchClusters = append(spec.MatchClusters, amkov1alpha2.ClusterProperty{Cluster: contexts[i]})
	}
	if err := set.SetGDP(ctx, spec); err != nil {
		tb.Fatal(err)
	}
	// Every cluster holds the configuration: any amko may be elected.
	var gc amkov1alpha1.GSLBConfig
	if err := leader().Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}, &gc); err != nil {
		tb.Fatal(err)
	}
	for i, cl := range cls {
		setControllerUser(tb, cl, controllerUser(contexts[i]))
	}
	for _, cl := range cls[1:] {
		for _, obj := range []client.Object{
			&amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: gc.Name, Annotations: gc.Annotations}, Spec: gc.Spec},
			&amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GDPName}, Spec: spec},
		} {
			if err := cl.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
				tb.Fatal(err)
			}
		}
	}
	for i, cl := range cls {
		ac := &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: amkoClusterName},
			Spec: amkov1alpha1.AMKOClusterSpec{ClusterContext: contexts[i], Version: "2.2.1", Clusters: contexts,
				Failover: amkov1alpha1.FailoverAutomatic}}
		if err := cl.Client.Create(ctx, ac); err != nil {
			tb.Fatal(err)
		}
	}
	gs := app + ".example.com"
	for _, i := range hosts {
		if _, err := cls[i].CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: app,
			Labels: map[string]string{"app": app}, Hostname: gs, IP: fmt.Sprintf("10.%d.%d.1", net, i+1),
			AKO: ako(gs, fmt.Sprintf("virtualservice-%s%d", app, i+1))}); err != nil {
			tb.Fatal(err)
		}
	}

	amkos := make([]*electedAmko, len(cls))
	for i := range cls {
		amkos[i] = runElectedAmkoIn(tb, cls, i)
	}
	tb.Cleanup(func() {
		for _, a := range amkos {
			for _, l := range a.links {
				l.SetReachable(true)
			}
		}
		if tb.Failed() {
			for i, a := range amkos {
				tb.Logf("amko of %s: %+v\n%s", contexts[i], a.op.Status().Election, a.log.tail(30))
			}
		}
		for _, i := range hosts {
			_ = cls[i].Client.Delete(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: app}})
		}
		// The leader of the moment deletes the service before the amkos stop.
		if slices.ContainsFunc(amkos, func(a *electedAmko) bool { return a.op.Role() == operator.RoleLeader }) {
			await.Eventually(tb, "the GSLB service is deleted", noService(gs))
		}
		for _, a := range amkos {
			a.stop()
		}
		for _, cl := range cls {
			_ = cl.Client.Delete(ctx, &amkov1alpha1.AMKOCluster{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: amkoClusterName}})
			_ = cl.Client.Delete(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: quorum.LeaseNamespace, Name: quorum.LeaseName}})
		}
		for _, cl := range cls[1:] {
			_ = cl.Client.DeleteAllOf(ctx, &amkov1alpha1.GSLBConfig{}, client.InNamespace(clusters.Namespace))
			_ = cl.Client.DeleteAllOf(ctx, &amkov1alpha2.GlobalDeploymentPolicy{}, client.InNamespace(clusters.Namespace))
		}
		for _, cl := range cls {
			setControllerUser(tb, cl, "admin")
		}
	})
	return amkos, gs
}

// controllerUser is the avisim user the amko of the cluster context logs in
// as in an elected federation.
func controllerUser(context string) string { return "amko-" + context }

// setControllerUser makes the cluster's controller Secret name user.
func setControllerUser(tb testing.TB, cl *clusters.Cluster, user string) {
	tb.Helper()
	ctx := context.Background()
	data := map[string][]byte{"username": []byte(user), "password": []byte("avi123")}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var sec corev1.Secret
		err := cl.Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.ControllerSecret}, &sec)
		if apierrors.IsNotFound(err) {
			return cl.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.ControllerSecret}, Data: data})
		}
		if err != nil {
			return err
		}
		sec.Data = data
		return cl.Client.Update(ctx, &sec)
	})
	if err != nil {
		tb.Fatalf("the controller Secret in %s: %v", cl.Context, err)
	}
}

// writesBy returns avisim's writes by user ("": anyone) after t.
func writesBy(user string, after time.Time) []avisim.JournalEntry {
	var out []avisim.JournalEntry
	for _, w := range sim.Writes() {
		if (user == "" || w.User == user) && w.Time.After(after) {
			out = append(out, w)
		}
	}
	return out
}

// Automatic failover end to end: three amkos, one per cluster, with
// failover Automatic, elect one leader, which writes to the controller. Its
// site is cut off from the other two (its own cluster and the controller stay
// reachable from it): another amko is elected and writes a change made
// meanwhile, within about the lease duration plus one renew interval; the old
// leader, which still reaches the controller, writes nothing from the moment
// its term lapsed. When the site comes back it follows by itself.
func TestAutomaticFailover(t *testing.T) {
	ctx := context.Background()
	amkos, gs := federate(t, set.Clusters, []int{0, 1, 2}, "qf", 71)

	// One is elected, and it writes.
	var first int
	var term int64
	await.Eventually(t, "one amko is elected", func() (err error) {
		first, term, err = elected(amkos)
		return err
	})
	t.Logf("elected: the amko of %s, term %d", set.Clusters[first].Context, term)
	want := []string{"10:10.71.1.1:1", "10:10.71.2.1:1", "10:10.71.3.1:1"}
	await.Eventually(t, "the elected amko syncs", wantMembers(gs, want...))
	await.Eventually(t, "the others follow", func() error {
		for i, a := range amkos {
			if i != first && a.op.Role() != operator.RoleFollower {
				return fmt.Errorf("amko %d is %v", i, a.op.Role())
			}
		}
		if got := condition(first, federation.TypeElected); !strings.HasPrefix(got, "True") {
			return fmt.Errorf("leader's Elected condition %q", got)
		}
		return nil
	})

	// First the others lose the leader's cluster while the leader still
	// renews on theirs: a change there is written by the leader alone, and
	// the others never see it. The next leader must keep it, not write back
	// the last address it knew (the controller's copy is the fresher one).
	old := amkos[first]
	for j := range set.Clusters {
		if j != first {
			amkos[j].links[first].SetReachable(false)
		}
	}
	defer func() {
		for j := range set.Clusters {
			old.links[j].SetReachable(true)
			amkos[j].links[first].SetReachable(true)
		}
	}()
	setServiceIP(t, set.Clusters[first], "default", "qf", fmt.Sprintf("10.71.%d.5", first+1))
	want[first] = fmt.Sprintf("10:10.71.%d.5:1", first+1)
	await.Eventually(t, "the leader writes the change in its own cluster", wantMembers(gs, want...))

	// Then the leader's site is cut off from the others, both ways.
	for j := range set.Clusters {
		if j != first {
			old.links[j].SetReachable(false)
		}
	}
	cut := time.Now()
	// A change the next leader must write: in a cluster the majority reaches.
	changed := (first + 1) % 3
	setServiceIP(t, set.Clusters[changed], "default", "qf", fmt.Sprintf("10.71.%d.9", changed+1))
	want[changed] = fmt.Sprintf("10:10.71.%d.9:1", changed+1)

	// The old leader's term lapses (it cannot renew on a majority) before any
	// other can begin: from then on it writes nothing.
	await.Eventually(t, "the cut-off leader stops leading", func() error {
		if r := old.op.Role(); r == operator.RoleLeader {
			return fmt.Errorf("still %v", r)
		}
		return nil
	})
	lapsed := time.Since(cut)
	oldWrites := old.writes(t)
	var next int
	var nextTerm int64
	await.Eventually(t, "another amko is elected", func() (err error) {
		next, nextTerm, err = elected(amkos)
		return err
	})
	await.Eventually(t, "the new leader writes the change", wantMembers(gs, want...))
	took := time.Since(cut)
	if next == first || nextTerm <= term {
		t.Fatalf("new leader %d term %d, old %d term %d", next, nextTerm, first, term)
	}
	began := *amkos[next].op.Status().Election.LastChange
	t.Logf("failover: the old leader stopped %v after the cut; %s elected for term %d %v after it; the change written %v after it (lease %v + renew interval %v = %v)",
		lapsed.Round(time.Millisecond), set.Clusters[next].Context, nextTerm, began.Sub(cut).Round(time.Millisecond), took.Round(time.Millisecond),
		quorum.DefaultLeaseDuration, quorum.DefaultRetryPeriod, quorum.DefaultLeaseDuration+quorum.DefaultRetryPeriod)
	var firstWrite time.Time
	for _, w := range sim.Writes() {
		if w.Time.After(cut) {
			if w.Time.Before(began) {
				t.Errorf("a controller write at %v, after the cut and before the new term began at %v: %s %s", w.Time, began, w.Method, w.Path)
			}
			if firstWrite.IsZero() {
				firstWrite = w.Time
			}
		}
	}
	t.Logf("first controller write after the cut: %v after it", firstWrite.Sub(cut).Round(time.Millisecond))

	// The new leader federates with its term on what it writes.
	var ngdp amkov1alpha2.GlobalDeploymentPolicy
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error { // amko writes its status meanwhile
		if err := set.Clusters[next].Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GDPName}, &ngdp); err != nil {
			return err
		}
		ngdp.Spec.TTL = ptr(33)
		return set.Clusters[next].Client.Update(ctx, &ngdp)
	}); err != nil {
		t.Fatal(err)
	}
	third := 3 - first - next
	await.Eventually(t, "the GDP edit federated with the new term", func() error {
		var g amkov1alpha2.GlobalDeploymentPolicy
		if err := set.Clusters[third].Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GDPName}, &g); err != nil {
			return err
		}
		if g.Spec.TTL == nil || *g.Spec.TTL != 33 || g.Annotations[quorum.TermAnnotation] != quorum.FormatTerm(nextTerm) {
			return fmt.Errorf("ttl %v, term annotation %q", g.Spec.TTL, g.Annotations[quorum.TermAnnotation])
		}
		return nil
	})

	// The site comes back: the old leader follows by itself.
	for j := range set.Clusters {
		old.links[j].SetReachable(true)
		amkos[j].links[first].SetReachable(true)
	}
	await.Eventually(t, "the old leader follows the new one", func() error {
		e := old.op.Status().Election
		if e.Holder == "" || e.HolderTerm != nextTerm || e.Role != "follower" || old.op.Role() != operator.RoleFollower {
			return fmt.Errorf("role %v, election %s term %d, holder %q term %d", old.op.Role(), e.Role, e.Term, e.Holder, e.HolderTerm)
		}
		if got := condition(first, federation.TypeElected); !strings.HasPrefix(got, "False") {
			return fmt.Errorf("old leader's Elected condition %q", got)
		}
		return nil
	})
	// From its lapse to its return as a follower, the old leader wrote
	// nothing: on the controller's journal (by its user) and by its count.
	if ws := writesBy(controllerUser(set.Clusters[first].Context), began); len(ws) > 0 {
		t.Errorf("the old leader wrote to the controller after the new term began:%s", describeWrites(ws))
	}
	if w := old.writes(t); w != oldWrites {
		t.Errorf("the old leader wrote %v changes to the controller after its term lapsed", w-oldWrites)
	}
	if e := old.op.Status().Election; e.LastChange == nil || !e.LastChange.Before(began) {
		t.Errorf("the old leader's last change %v (%s), want before the new term began at %v", e.LastChange, e.LastChangeWhy, began)
	}
	// One leader after the heal: the new one, unless its term lapsed since
	// (renewals slower than the renew deadline under load) and a later term
	// began; never the old term.
	var healed int
	await.Eventually(t, "one leader after the heal", func() error {
		l, lt, err := elected(amkos)
		if err == nil && lt < nextTerm {
			err = fmt.Errorf("amko %d leads with term %d, older than %d", l, lt, nextTerm)
		}
		healed = l
		return err
	})
	if healed != next {
		t.Logf("after the heal the amko of %s leads: the term of %s lapsed meanwhile", set.Clusters[healed].Context, set.Clusters[next].Context)
	}
	next = healed
	// Changes keep flowing from the leader, in every cluster now.
	last := (changed + 1) % 3
	setServiceIP(t, set.Clusters[last], "default", "qf", fmt.Sprintf("10.71.%d.8", last+1))
	want[last] = fmt.Sprintf("10:10.71.%d.8:1", last+1)
	await.Eventually(t, "the leader writes a change after the heal", wantMembers(gs, want...))

	// Back to Manual, the new leader named by isLeader: every amko leaves the
	// election, the term is released in every cluster, isLeader decides.
	for i, cl := range set.Clusters {
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error { // amko writes its status meanwhile
			var ac amkov1alpha1.AMKOCluster
			if err := cl.Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: amkoClusterName}, &ac); err != nil {
				return err
			}
			ac.Spec.Failover, ac.Spec.IsLeader = amkov1alpha1.FailoverManual, i == next
			return cl.Client.Update(ctx, &ac)
		}); err != nil {
			t.Fatal(err)
		}
	}
	await.Eventually(t, "the elections stop and the term is released", func() error {
		for i, a := range amkos {
			if e := a.op.Status().Election; e != nil {
				return fmt.Errorf("amko %d still elects: %+v", i, e)
			}
			if want := map[bool]operator.Role{true: operator.RoleLeader, false: operator.RoleFollower}[i == next]; a.op.Role() != want {
				return fmt.Errorf("amko %d is %v, want %v", i, a.op.Role(), want)
			}
			var l coordinationv1.Lease
			if err := set.Clusters[i].Client.Get(ctx, client.ObjectKey{Namespace: quorum.LeaseNamespace, Name: quorum.LeaseName}, &l); err != nil {
				return err
			}
			if rec, err := quorum.LeaseRecord(&l); err != nil || !rec.Released || rec.Term < nextTerm {
				return fmt.Errorf("the Lease in %s holds %+v (%v), want term %d or later released", set.Clusters[i].Context, rec, err, nextTerm)
			}
		}
		return nil
	})
}
