// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package chart

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/federation"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/provider/providers"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

// The chart's two identities: amkoSA, the pod's, and memberSA, the one other
// clusters' amkos use through their gslb-members kubeconfig.
const (
	amkoSA   = "system:serviceaccount:avi-system:amko-sa"
	memberSA = "system:serviceaccount:avi-system:amko-member"
)

// AMKO's own default values file renders AMKO's objects with AMKO's names and
// meanings, and every object installs on a real API server.
func TestInstallWithAMKOValues(t *testing.T) {
	objs := render(t, "--include-crds", "--values", "test/chart/testdata/amko-2.2.1-values.yaml")
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
	}
	for _, want := range []string{
		"ServiceAccount/amko-sa", "Secret/gslb-avi-secret", "ClusterRole/amko-role", "ClusterRoleBinding/amko-binding",
		"Role/amko-role", "RoleBinding/amko-binding", "Service/amko", "StatefulSet/amko",
		"ServiceAccount/amko-member", "Secret/amko-member-token", "ClusterRole/amko-member-role",
		"ClusterRoleBinding/amko-member-binding", "Role/amko-member-role", "RoleBinding/amko-member-binding",
		"GSLBConfig/gc-1", "GlobalDeploymentPolicy/global-gdp", "AMKOCluster/amkocluster-federation",
		"CustomResourceDefinition/gslbconfigs.amko.vmware.com", "CustomResourceDefinition/globaldeploymentpolicies.amko.vmware.com",
		"CustomResourceDefinition/gslbhostrules.amko.vmware.com", "CustomResourceDefinition/amkoclusters.amko.vmware.com",
	} {
		if !slices.Contains(kinds, want) {
			t.Errorf("%s not rendered; got %v", want, kinds)
		}
	}
	for _, k := range kinds {
		if strings.HasPrefix(k, "Service/amko-dns") {
			t.Errorf("a DNS Service is rendered for an Avi install")
		}
	}

	c := set.Clusters[2]
	install(t, c, objs)
	ctx := context.Background()
	key := func(name string) client.ObjectKey { return client.ObjectKey{Namespace: "avi-system", Name: name} }

	var gc amkov1alpha1.GSLBConfig
	if err := c.Client.Get(ctx, key("gc-1"), &gc); err != nil {
		t.Fatal(err)
	}
	tenant := ""
	if gc.Spec.GSLBLeader.Tenant != nil {
		tenant = *gc.Spec.GSLBLeader.Tenant
	}
	if l := gc.Spec.GSLBLeader; l.Credentials != "gslb-avi-secret" || l.ControllerVersion != "31.1.1" || l.ControllerIP != "" || tenant != "admin" {
		t.Errorf("gslbLeader = %+v (tenant %q), want AMKO's defaults", l, tenant)
	}
	if got := fmt.Sprint(gc.Spec.MemberClusters); got != "[{cluster1-admin} {cluster2-admin}]" {
		t.Errorf("memberClusters = %s", got)
	}
	if gc.Spec.RefreshInterval != 1800 || gc.Spec.LogLevel != "INFO" || gc.Spec.UseCustomGlobalFqdn == nil || *gc.Spec.UseCustomGlobalFqdn || gc.Spec.DNS != nil {
		t.Errorf("GSLBConfig spec = %+v", gc.Spec)
	}
	if _, ok := gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation]; ok {
		t.Error("an amko-uuid annotation is set though configs.amkoUUID is empty")
	}

	var gdp amkov1alpha2.GlobalDeploymentPolicy
	if err := c.Client.Get(ctx, key("global-gdp"), &gdp); err != nil {
		t.Fatal(err)
	}
	if gdp.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Error("helm uninstall would delete the GDP, and amko the GSLB services with it")
	}
	if got := fmt.Sprint(gdp.Spec.MatchClusters); got != "[{cluster1-admin false} {cluster2-admin false}]" {
		t.Errorf("GDP matchClusters = %s", got)
	}

	var ac amkov1alpha1.AMKOCluster
	if err := c.Client.Get(ctx, key("amkocluster-federation"), &ac); err != nil {
		t.Fatal(err)
	}
	if s := ac.Spec; s.ClusterContext != "cluster1-admin" || !s.IsLeader || fmt.Sprint(s.Clusters) != "[cluster1-admin cluster2-admin]" || s.Version == "" {
		t.Errorf("AMKOCluster spec = %+v", s)
	}

	var secret corev1.Secret
	if err := c.Client.Get(ctx, key("gslb-avi-secret"), &secret); err != nil {
		t.Fatal(err)
	}
	if len(secret.Data["username"]) != 0 || len(secret.Data["password"]) != 0 {
		t.Error("the credentials Secret is not empty with empty gslbLeaderCredentials")
	}

	// AMKO's image repository stands for amko's image.
	sts := find(t, objs, "StatefulSet", "amko")
	containers, _, _ := unstructured.NestedSlice(sts.Object, "spec", "template", "spec", "containers")
	if img := containers[0].(map[string]any)["image"]; img != "ghcr.io/amko-project/amko:0.1.0" {
		t.Errorf("image = %v", img)
	}
}

// The values AMKO documents in keys of its README (configs.federation,
// gdpConfig, configs.gsllbLeaderController) mean what AMKO's values.yaml keys do.
func TestREADMEKeyAliases(t *testing.T) {
	objs := render(t, "--values", "test/chart/testdata/amko-2.2.1-values.yaml",
		"--set", "configs.federation.currentCluster=site-b,configs.federation.currentClusterIsLeader=false",
		"--set", "configs.gsllbLeaderController=10.10.10.10",
		"--set", "gdpConfig.matchClusters[0].cluster=site-b,gdpConfig.ttl=10",
		"--set", "gslbLeaderCredentials.username=admin,gslbLeaderCredentials.password=s3cret",
		"--set", "configs.amkoUUID=0b2b4e5a-8c1d-4a55-9f3e-0a1b2c3d4e5f")
	ac := find(t, objs, "AMKOCluster", "amkocluster-federation")
	if v, _, _ := unstructured.NestedString(ac.Object, "spec", "clusterContext"); v != "site-b" {
		t.Errorf("clusterContext = %q", v)
	}
	if v, _, _ := unstructured.NestedBool(ac.Object, "spec", "isLeader"); v {
		t.Error("isLeader still true")
	}
	gc := find(t, objs, "GSLBConfig", "gc-1")
	if v, _, _ := unstructured.NestedString(gc.Object, "spec", "gslbLeader", "controllerIP"); v != "10.10.10.10" {
		t.Errorf("controllerIP = %q", v)
	}
	if v := gc.GetAnnotations()[amkov1alpha1.AMKOUUIDAnnotation]; v != "0b2b4e5a-8c1d-4a55-9f3e-0a1b2c3d4e5f" {
		t.Errorf("amko-uuid = %q", v)
	}
	gdp := find(t, objs, "GlobalDeploymentPolicy", "global-gdp")
	mc, _, _ := unstructured.NestedSlice(gdp.Object, "spec", "matchClusters")
	if fmt.Sprint(mc) != "[map[cluster:site-b]]" {
		t.Errorf("matchClusters = %v", mc)
	}
	if v, _, _ := unstructured.NestedFieldNoCopy(gdp.Object, "spec", "ttl"); fmt.Sprint(v) != "10" {
		t.Errorf("ttl = %v", v)
	}
	secret := find(t, objs, "Secret", "gslb-avi-secret")
	if v, _, _ := unstructured.NestedString(secret.Object, "data", "password"); v != "czNjcmV0" {
		t.Errorf("password = %q, want base64 of the value", v)
	}
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// asAmkoSAKubeconfig is the Set's kubeconfig with every context acting as
// that cluster's amko-sa: what the pod runs as.
func asAmkoSAKubeconfig(t *testing.T) []byte { return kubeconfigAs(t, amkoSA) }

// asMemberKubeconfig is the Set's kubeconfig with every context acting as that
// cluster's amko-member: a gslb-members kubeconfig.
func asMemberKubeconfig(t *testing.T) []byte { return kubeconfigAs(t, memberSA) }

func kubeconfigAs(t *testing.T, user string) []byte {
	t.Helper()
	kc, err := clientcmd.Load(set.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, ai := range kc.AuthInfos {
		ai.Impersonate = user
	}
	data, err := clientcmd.Write(*kc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// createMembersSecret creates gslb-config-secret in c, its gslb-members
// kubeconfig acting as each cluster's amko-member, for the test's duration.
func createMembersSecret(t *testing.T, c *clusters.Cluster) {
	t.Helper()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "avi-system", Name: operator.MembersSecret},
		Data:       map[string][]byte{operator.MembersKey: asMemberKubeconfig(t)},
	}
	if err := c.Client.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	cleanup(t, c, secret)
}

// asAmkoSA is cfg acting as the chart's ServiceAccount for the pod.
func asAmkoSA(cfg *rest.Config) *rest.Config { return as(cfg, amkoSA) }

func as(cfg *rest.Config, user string) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: user}
	return c
}

// The minimal DNS values file installs a leader (cluster1) and a follower
// (cluster2); amko then runs with nothing but the chart's RBAC, as amko-sa in
// its own cluster and as amko-member in the members (the gslb-members
// kubeconfig acts as each member's amko-member, the leader's own cluster
// included): it reads the Secrets, members and policies, federates to the
// follower, writes statuses and Events, takes the Lease, and answers DNS. Any
// refusal by RBAC fails the test.
func TestInstallDNSAndRunUnderChartRBAC(t *testing.T) {
	ctx := context.Background()
	since := time.Now().Truncate(time.Second)
	leaderCluster, follower := set.Clusters[0], set.Clusters[1]
	overlay := []string{"--values", "test/chart/testdata/dns-values.yaml",
		"--set", "configs.dns.listen=127.0.0.1:" + backend.FreePort(t, "127.0.0.1"), "--set", "globalDeploymentPolicy.appSelector.label.app=gslb"}
	leaderObjs := render(t, overlay...)
	dnsSvc := find(t, leaderObjs, "Service", "amko-dns")
	if ports, _, _ := unstructured.NestedSlice(dnsSvc.Object, "spec", "ports"); len(ports) != 2 {
		t.Errorf("amko-dns ports = %v, want UDP and TCP", ports)
	}
	for _, o := range leaderObjs {
		if typ, _, _ := unstructured.NestedString(o.Object, "type"); o.GetKind() == "Secret" && typ != string(corev1.SecretTypeServiceAccountToken) {
			t.Errorf("Secret %s rendered for a DNS install: no controller credentials are needed", o.GetName())
		}
	}
	install(t, leaderCluster, leaderObjs)
	install(t, follower, render(t, append(overlay,
		"--set", "federation.currentCluster=cluster2-admin,federation.currentClusterIsLeader=false")...))

	createMembersSecret(t, leaderCluster)

	// One application per cluster, with a backend its TCP probe finds up.
	name := "shop.gslb.example.com"
	backends := map[string]net.Listener{}
	for i, cl := range []*clusters.Cluster{leaderCluster, follower} {
		ip := fmt.Sprintf("127.0.0.%d", 41+i)
		backends[ip] = backend.TCP(t, ip+":18091")
		svc, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "shop",
			Labels: map[string]string{"app": "gslb"}, Hostname: name, IP: ip,
			Ports: []corev1.ServicePort{{Name: "tcp", Port: 18091, Protocol: corev1.ProtocolTCP}}})
		if err != nil {
			t.Fatal(err)
		}
		cleanup(t, cl, svc)
	}
	// A GSLBHostRule, which the leader replicates to the follower.
	ghr := &amkov1alpha1.GSLBHostRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "shop"},
		Spec:       amkov1alpha1.GSLBHostRuleSpec{Fqdn: name, TTL: ptr(30)},
	}
	if err := leaderCluster.Client.Create(ctx, ghr); err != nil {
		t.Fatal(err)
	}
	cleanup(t, leaderCluster, ghr.DeepCopy())
	cleanup(t, follower, ghr.DeepCopy()) // the federated copy

	// Everything amko and client-go log, to find refusals.
	logs := &syncBuffer{}
	handler := slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	klog.SetLogger(logr.FromSlogHandler(handler))
	ctrllog.SetLogger(logr.FromSlogHandler(handler))
	defer klog.ClearLogger()

	local := asAmkoSA(leaderCluster.Config)
	reg := prometheus.NewRegistry()
	op, err := operator.New(operator.Options{Config: local, Scheme: set.Scheme, Log: slog.New(handler), ProbeScale: 0.05,
		PendingGrace: time.Second, Metrics: operator.NewMetrics(reg), Providers: providers.Build})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- op.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("amko: %v", err)
		}
	}()

	answers := func(want ...string) func() error {
		return func() error {
			addr := op.DNSAddr()
			if addr == "" {
				return fmt.Errorf("not serving DNS yet")
			}
			got := map[string]bool{}
			for range 4 {
				m := new(dns.Msg)
				m.SetQuestion(name+".", dns.TypeA)
				resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, addr)
				if err != nil {
					return err
				}
				for _, rr := range resp.Answer {
					got[rr.(*dns.A).A.String()] = true
				}
			}
			if len(got) != len(want) {
				return fmt.Errorf("answers %v, want %v", got, want)
			}
			for _, w := range want {
				if !got[w] {
					return fmt.Errorf("answers %v, want %v", got, want)
				}
			}
			return nil
		}
	}
	await.Eventually(t, "DNS answers with both clusters' members", answers("127.0.0.41", "127.0.0.42"))
	// The only Secret amko holds: gslb-config-secret (a DNS install names no
	// credentials). A watch of all Secrets would be refused by the chart's
	// resourceNames, and the refusal logged.
	if got := op.WatchedSecrets(); !slices.Equal(got, []string{operator.MembersSecret}) {
		t.Errorf("amko watches the Secrets %v, want only %s", got, operator.MembersSecret)
	}
	await.Eventually(t, "statuses written", func() error {
		var gc amkov1alpha1.GSLBConfig
		if err := leaderCluster.Client.Get(ctx, client.ObjectKey{Namespace: "avi-system", Name: "gc-1"}, &gc); err != nil {
			return err
		}
		if gc.Status.State != amkov1alpha1.GSLBConfigStateAccepted {
			return fmt.Errorf("gc-1 state %q", gc.Status.State)
		}
		var rule amkov1alpha1.GSLBHostRule
		if err := leaderCluster.Client.Get(ctx, client.ObjectKeyFromObject(ghr), &rule); err != nil {
			return err
		}
		if rule.Status.Status != "Accepted" {
			return fmt.Errorf("GSLBHostRule status %+v", rule.Status)
		}
		return nil
	})
	await.Eventually(t, "federated to the follower", func() error {
		var ac amkov1alpha1.AMKOCluster
		if err := leaderCluster.Client.Get(ctx, client.ObjectKey{Namespace: "avi-system", Name: "amkocluster-federation"}, &ac); err != nil {
			return err
		}
		want := map[string]string{
			federation.TypeValidation: federation.StatusValidAMKOCluster, federation.TypeMemberInitialisation: federation.StatusClientsFetched,
			federation.TypeMemberValidation: federation.StatusMembersValidated, federation.TypeGSLBConfigFederation: federation.StatusFederationSuccess,
			federation.TypeGDPFederation: federation.StatusFederationSuccess, federation.TypeGSLBHostRuleFederation: federation.StatusFederationSuccess,
		}
		for _, c := range ac.Status.Conditions {
			if w, ok := want[c.Type]; ok && c.Status == w {
				delete(want, c.Type)
			}
		}
		if len(want) > 0 {
			return fmt.Errorf("conditions %+v; missing %v", ac.Status.Conditions, want)
		}
		var copied amkov1alpha1.GSLBHostRule
		return follower.Client.Get(ctx, client.ObjectKeyFromObject(ghr), &copied)
	})
	await.Eventually(t, "Events recorded as amko-sa", func() error {
		var events corev1.EventList
		if err := leaderCluster.Client.List(ctx, &events, client.InNamespace("avi-system")); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Source.Component == "amko" && e.InvolvedObject.Kind == "GlobalDeploymentPolicy" && e.Reason == "Accepted" &&
				!e.LastTimestamp.Time.Before(since) {
				return nil
			}
		}
		return fmt.Errorf("no Accepted Event on the GDP among %d", len(events.Items))
	})

	// A backend stops: its member leaves the answers, with an Event and a metric.
	_ = backends["127.0.0.42"].Close()
	await.Eventually(t, "the stopped member left the answers", answers("127.0.0.41"))
	await.Eventually(t, "MemberDown Event and metric", func() error {
		families, err := reg.Gather()
		if err != nil {
			return err
		}
		down := 0.0
		for _, f := range families {
			if f.GetName() == "amko_dns_member_health_changes_total" {
				for _, m := range f.GetMetric() {
					if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == "down" {
						down = m.GetCounter().GetValue()
					}
				}
			}
		}
		if down != 1 {
			return fmt.Errorf("amko_dns_member_health_changes_total{state=down} = %v, want 1", down)
		}
		var events corev1.EventList
		if err := leaderCluster.Client.List(ctx, &events, client.InNamespace("avi-system")); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason == "MemberDown" && e.InvolvedObject.Kind == "GSLBConfig" && strings.Contains(e.Message, "127.0.0.42") &&
				!e.LastTimestamp.Time.Before(since) {
				return nil
			}
		}
		return fmt.Errorf("no MemberDown Event")
	})

	// --leader-elect's Lease, taken and released as amko-sa.
	cs, err := kubernetes.NewForConfig(local)
	if err != nil {
		t.Fatal(err)
	}
	electCtx, stopElect := context.WithTimeout(ctx, 30*time.Second)
	defer stopElect()
	led := false
	leaderelection.RunOrDie(electCtx, leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{LeaseMeta: metav1.ObjectMeta{Namespace: "avi-system", Name: "amko"},
			Client: cs.CoordinationV1(), LockConfig: resourcelock.ResourceLockConfig{Identity: "chart-test"}},
		ReleaseOnCancel: true, LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: time.Second,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { led = true; stopElect() },
			OnStoppedLeading: func() {},
		},
	})
	if !led {
		t.Error("amko-sa could not take the Lease")
	}
	var lease coordinationv1.Lease
	if err := leaderCluster.Client.Get(ctx, client.ObjectKey{Namespace: "avi-system", Name: "amko"}, &lease); err != nil {
		t.Errorf("the Lease: %v", err)
	}

	if out := logs.String(); strings.Contains(strings.ToLower(out), "forbidden") {
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(strings.ToLower(l), "forbidden") {
				lines = append(lines, l)
			}
		}
		t.Errorf("RBAC refused requests:\n%s", strings.Join(lines, "\n"))
	}
}

// amko-sa reads only the Secrets the chart's Role names: gslb-config-secret and
// the credentials are allowed, by get and by a list or watch with their name as
// field selector; a Helm release Secret, another Secret and the list of all are
// refused.
func TestAmkoSAReadsOnlyNamedSecrets(t *testing.T) {
	ctx := context.Background()
	c := set.Clusters[0]
	install(t, c, render(t, "--set", "rbac.extraSecretNames[0]=my-ca"))
	createMembersSecret(t, c)
	for _, name := range []string{"sh.helm.release.v1.amko.v1", "unrelated", "my-ca"} {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "avi-system", Name: name}, Data: map[string][]byte{"k": []byte("v")}}
		if err := c.Client.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		cleanup(t, c, s)
	}
	cs, err := kubernetes.NewForConfig(asAmkoSA(c.Config))
	if err != nil {
		t.Fatal(err)
	}
	secrets := cs.CoreV1().Secrets("avi-system")
	for _, name := range []string{operator.MembersSecret, "gslb-avi-secret", "my-ca"} {
		if _, err := secrets.Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("get Secret %s as amko-sa: %v", name, err)
		}
		byName := metav1.ListOptions{FieldSelector: "metadata.name=" + name}
		if _, err := secrets.List(ctx, byName); err != nil {
			t.Errorf("list Secret %s by name as amko-sa: %v", name, err)
		}
		byName.TimeoutSeconds = ptr(int64(1))
		w, err := secrets.Watch(ctx, byName)
		if err != nil {
			t.Errorf("watch Secret %s by name as amko-sa: %v", name, err)
		} else {
			w.Stop()
		}
	}
	for _, name := range []string{"sh.helm.release.v1.amko.v1", "unrelated"} {
		if _, err := secrets.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("get Secret %s as amko-sa: %v, want forbidden", name, err)
		}
		if _, err := secrets.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name}); !apierrors.IsForbidden(err) {
			t.Errorf("list Secret %s by name as amko-sa: %v, want forbidden", name, err)
		}
	}
	if _, err := secrets.List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list all Secrets as amko-sa: %v, want forbidden", err)
	}
}

func ptr[T any](v T) *T { return &v }

// persistentVolumeClaim keeps AMKO's meaning: the claim is mounted at mountPath
// and amko writes logFile there.
func TestPersistentVolumeClaim(t *testing.T) {
	objs := render(t, "--values", "test/chart/testdata/amko-2.2.1-values.yaml", "--set", "persistentVolumeClaim=amko-logs")
	sts := find(t, objs, "StatefulSet", "amko")
	spec, _, _ := unstructured.NestedMap(sts.Object, "spec", "template", "spec")
	got := fmt.Sprint(spec["volumes"], spec["containers"].([]any)[0].(map[string]any)["volumeMounts"],
		spec["containers"].([]any)[0].(map[string]any)["args"])
	for _, want := range []string{"claimName:amko-logs", "mountPath:/log", "--log-file=/log/amko.log"} {
		if !strings.Contains(got, want) {
			t.Errorf("StatefulSet lacks %s: %s", want, got)
		}
	}
	if v, _, _ := unstructured.NestedFieldNoCopy(spec, "securityContext", "fsGroup"); fmt.Sprint(v) != "65532" {
		t.Errorf("fsGroup = %v: the claim would not be writable by amko's user", v)
	}
}
