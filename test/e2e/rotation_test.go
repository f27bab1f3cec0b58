// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

// The rotation tests change, one kind at a time, how amko connects to one
// member cluster (cluster2) through the gslb-members Secret, while that
// cluster alone backs a GSLB service: its server address, its credential, its
// CA bundle, an exec credential plugin. Each change is make-before-break: the
// cluster keeps serving its records until a replacement built from the new
// settings has synced, so the controller sees no write and DNS answers never
// lose the member.

// rotationStep is one change of the member's connection settings, made to the
// settings the previous step left.
type rotationStep struct {
	name   string
	change func(*clientcmdapi.Cluster, *clientcmdapi.AuthInfo)
}

// rotationSteps returns the changes of cl's context, in order. The credentials
// they use (a ServiceAccount token bound to cluster-admin) are removed at the
// end of the test, after every cleanup registered later.
func rotationSteps(t *testing.T, cl *clusters.Cluster) []rotationStep {
	t.Helper()
	token := serviceAccountToken(t, cl, "amko-rotation")
	extraCA := caPEM(t)
	plugin := execPlugin(t, token)
	return []rotationStep{
		{"server address: localhost for 127.0.0.1", func(c *clientcmdapi.Cluster, _ *clientcmdapi.AuthInfo) {
			c.Server = strings.Replace(c.Server, "://127.0.0.1:", "://localhost:", 1)
		}},
		{"credential: a ServiceAccount token for the client certificate", func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
			u.ClientCertificateData, u.ClientKeyData, u.Token = nil, nil, token
		}},
		{"CA: a bundle with another CA", func(c *clientcmdapi.Cluster, _ *clientcmdapi.AuthInfo) {
			c.CertificateAuthorityData = append(bytes.Clone(c.CertificateAuthorityData), extraCA...)
		}},
		{"credential: an exec plugin for the token", func(_ *clientcmdapi.Cluster, u *clientcmdapi.AuthInfo) {
			u.Token = ""
			u.Exec = &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: plugin,
				InteractiveMode: clientcmdapi.NeverExecInteractiveMode}
		}},
	}
}

// serviceAccountToken creates a ServiceAccount bound to cluster-admin in cl and
// returns a token for it; both go at the end of the test.
func serviceAccountToken(t *testing.T, cl *clusters.Cluster, name string) string {
	t.Helper()
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: name}}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: clusters.Namespace, Name: name}}}
	for _, obj := range []client.Object{sa, crb} {
		if err := cl.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := cl.Client.Delete(context.Background(), obj); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))}}
	if err := cl.Client.SubResource("token").Create(ctx, sa, tr); err != nil {
		t.Fatalf("requesting a token: %v", err)
	}
	if tr.Status.Token == "" {
		t.Fatal("no token issued")
	}
	return tr.Status.Token
}

// caPEM returns a self-signed CA certificate that signed nothing, in PEM.
func caPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "amko-rotation-extra-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// execPlugin writes a credential plugin that prints an ExecCredential with
// token, and returns its path.
func execPlugin(t *testing.T, token string) string {
	t.Helper()
	cred, err := json.Marshal(map[string]any{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
		"status": map[string]any{"token": token}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "amko-credential")
	script := "#!/bin/sh\ncat <<'EOF'\n" + string(cred) + "\nEOF\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// membersSecretKey is the gslb-members Secret in the leader cluster.
var membersSecretKey = client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.MembersSecret}

// keepMembersSecret puts the gslb-members kubeconfig back as it is now at the
// end of the test.
// beginRotation configures amko for the controller and returns the cluster
// whose connection settings change (cluster2) with the steps that change them;
// the members Secret is restored at the end.
func beginRotation(t *testing.T) (*clusters.Cluster, []rotationStep) {
	t.Helper()
	if err := set.ConfigureAMKO(context.Background(), host, amkoUUID); err != nil {
		t.Fatal(err)
	}
	cl := set.Clusters[1]
	steps := rotationSteps(t, cl)
	keepMembersSecret(t)
	return cl, steps
}

func keepMembersSecret(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var secret corev1.Secret
	if err := leader().Client.Get(ctx, membersSecretKey, &secret); err != nil {
		t.Fatal(err)
	}
	original := secret.Data[clusters.MembersKey]
	t.Cleanup(func() {
		var secret corev1.Secret
		err := leader().Client.Get(ctx, membersSecretKey, &secret)
		if err == nil {
			secret.Data[clusters.MembersKey] = original
			err = leader().Client.Update(ctx, &secret)
		}
		if err != nil {
			t.Errorf("cleanup: restoring the gslb-members Secret: %v", err)
		}
	})
}

// changeContext rewrites the cluster and user entries of one context of the
// gslb-members kubeconfig.
func changeContext(t *testing.T, context string, change func(*clientcmdapi.Cluster, *clientcmdapi.AuthInfo)) {
	t.Helper()
	ctx := t.Context()
	var secret corev1.Secret
	if err := leader().Client.Get(ctx, membersSecretKey, &secret); err != nil {
		t.Fatal(err)
	}
	kc, err := clientcmd.Load(secret.Data[clusters.MembersKey])
	if err != nil {
		t.Fatal(err)
	}
	kctx := kc.Contexts[context]
	if kctx == nil || kc.Clusters[kctx.Cluster] == nil || kc.AuthInfos[kctx.AuthInfo] == nil {
		t.Fatalf("no context %s in the gslb-members kubeconfig", context)
	}
	change(kc.Clusters[kctx.Cluster], kc.AuthInfos[kctx.AuthInfo])
	data, err := clientcmd.Write(*kc)
	if err != nil {
		t.Fatal(err)
	}
	secret.Data[clusters.MembersKey] = data
	if err := leader().Client.Update(ctx, &secret); err != nil {
		t.Fatal(err)
	}
}

// rotate makes step's change to context and waits until amko has swapped in
// the cluster built from the new settings (its log says so).
func rotate(t *testing.T, logs *lockedBuffer, context string, step rotationStep) {
	t.Helper()
	swapped := `msg="member cluster switched to its new connection settings" cluster=` + context
	before := strings.Count(logs.String(), swapped)
	changeContext(t, context, step.change)
	await.Eventually(t, step.name+": the new settings swapped in", func() error {
		if strings.Count(logs.String(), swapped) == before {
			if i := strings.LastIndex(logs.String(), "new connection settings fail"); i >= 0 {
				return fmt.Errorf("not swapped; %s", strings.SplitN(logs.String()[i:], "\n", 2)[0])
			}
			return fmt.Errorf("not swapped yet")
		}
		return nil
	})
}

// watchClusterState samples amko's state of a member cluster until the
// returned function is called, which returns the states other than Ready seen
// meanwhile, with their errors.
func watchClusterState(context string) (stop func() []string) {
	var (
		mu   sync.Mutex
		seen []string
	)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			for _, c := range amko.Status().Clusters {
				if c.Name == context && c.State != "Ready" {
					mu.Lock()
					if s := c.State + ": " + c.Error; !slices.Contains(seen, s) {
						seen = append(seen, s)
					}
					mu.Unlock()
				}
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() []string {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// With the Avi backend: a GSLB service that only cluster2 backs survives every
// change of cluster2's connection settings without a single controller write;
// an Ingress created after each change (a marker) proves the new settings
// serve, and its writes are the only ones.
func TestRotationAvi(t *testing.T) {
	ctx := context.Background()
	cl, steps := beginRotation(t)

	var logs lockedBuffer
	s := &scenario{t: t, ctx: ctx}
	s.stop = startAmkoLogging(t, &logs)
	t.Cleanup(func() { s.stop() })
	t.Cleanup(s.checkClean)
	labels := map[string]string{"app": "rotation"}
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: labels}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
	})
	s.gdpStatus(amkov1alpha2.GDPStatusSuccess)

	name := "rotation.example.com"
	s.track(name)
	s.ingress(cl, clusters.Ingress{Namespace: "default", Name: "rotation", Labels: labels,
		Rules: []clusters.IngressRule{{Host: name, IP: "10.60.2.1"}}, AKO: ako(name, "virtualservice-rotation")})
	await.Eventually(t, "the service of cluster2's Ingress", wantMembers(name, "10:10.60.2.1:1"))
	uuid := text(sim.Object("gslbservice", name), "uuid")

	states := watchClusterState(cl.Context)
	for i, step := range steps {
		since := len(sim.Journal())
		rotate(t, &logs, cl.Context, step)

		// The new cache serves: an Ingress created now gets its service.
		marker := fmt.Sprintf("rotation-marker-%d.example.com", i+1)
		s.track(marker)
		s.ingress(cl, clusters.Ingress{Namespace: "default", Name: fmt.Sprintf("rotation-marker-%d", i+1), Labels: labels,
			Rules: []clusters.IngressRule{{Host: marker, IP: fmt.Sprintf("10.60.2.%d", 10+i)}},
			AKO:   ako(marker, fmt.Sprintf("virtualservice-rotation-marker-%d", i+1))})
		await.Eventually(t, step.name+": the marker's service journalled", func() error {
			for _, e := range sim.Journal()[since:] {
				if e.Method == "POST" && e.Path == "/api/gslbservice" && journalBodyName(e) == marker {
					return nil
				}
			}
			return fmt.Errorf("no POST of %s yet", marker)
		})

		var others []string
		for _, e := range sim.Journal()[since:] {
			if e.IsWrite() && (e.Method != "POST" || !strings.Contains(e.Body, marker)) {
				others = append(others, e.Method+" "+e.Path+" "+e.Body)
			}
		}
		if len(others) > 0 {
			t.Errorf("%s: %d controller writes besides the marker's, want 0: %v", step.name, len(others), others)
		}
		if err := wantMembers(name, "10:10.60.2.1:1")(); err != nil {
			t.Errorf("%s: %v", step.name, err)
		}
		if got := text(sim.Object("gslbservice", name), "uuid"); got != uuid {
			t.Errorf("%s: the service was recreated: uuid %s, was %s", step.name, got, uuid)
		}
	}
	for _, st := range states() {
		t.Errorf("cluster %s was %s during the changes, want Ready throughout", cl.Context, st)
	}
}

// With the built-in DNS backend: the answers for a name that only cluster2
// backs keep its address throughout every change of cluster2's connection
// settings, asked without pause.
func TestRotationDNS(t *testing.T) {
	ctx := context.Background()
	cl, steps := beginRotation(t)

	var logs lockedBuffer
	stop := startAmkoLogging(t, &logs)
	t.Cleanup(stop)

	useDNSBackend(t)
	labels := map[string]string{"app": "rotation-dns"}
	gdp(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: labels}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}, {Cluster: "cluster2-admin"}},
	})

	const ip = "127.0.0.31"
	port := backend.FreePort(t, ip)
	backend.TCP(t, ip+":"+port)
	var portNum int32
	if _, err := fmt.Sscan(port, &portNum); err != nil {
		t.Fatal(err)
	}
	lbService := func(svcName, hostname string) {
		t.Helper()
		if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: svcName,
			Labels: labels, Hostname: hostname, IP: ip,
			Ports: []corev1.ServicePort{{Name: "http", Port: portNum, Protocol: corev1.ProtocolTCP}}}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cl.Client.Delete(context.Background(), &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: svcName}})
		})
	}
	name := "rotation.gslb.example.com."
	lbService("rotation-dns", strings.TrimSuffix(name, "."))
	answered := func(name string) func() error {
		return func() error {
			addr := amko.DNSAddr()
			if addr == "" {
				return fmt.Errorf("not serving DNS yet")
			}
			got, err := answers(addr, name, 1)
			if err != nil {
				return err
			}
			if got[ip] != 1 {
				return fmt.Errorf("answers for %s: %v, want %s", name, got, ip)
			}
			return nil
		}
	}
	await.Eventually(t, "cluster2's member answered", answered(name))

	// Ask without pause while the settings change.
	var (
		mu          sync.Mutex
		asked       int
		wrong       []string
		done, ended = make(chan struct{}), make(chan struct{})
	)
	ask := answered(name)
	go func() {
		defer close(ended)
		for {
			select {
			case <-done:
				return
			default:
			}
			err := ask()
			mu.Lock()
			asked++
			if err != nil && len(wrong) < 10 {
				wrong = append(wrong, err.Error())
			}
			mu.Unlock()
		}
	}()
	states := watchClusterState(cl.Context)
	for _, step := range steps {
		rotate(t, &logs, cl.Context, step)
	}
	// The last settings serve: a Service created now is answered.
	lbService("rotation-dns-marker", "rotation-marker.gslb.example.com")
	await.Eventually(t, "the marker answered", answered("rotation-marker.gslb.example.com."))
	close(done)
	<-ended
	for _, st := range states() {
		t.Errorf("cluster %s was %s during the changes, want Ready throughout", cl.Context, st)
	}
	mu.Lock()
	defer mu.Unlock()
	if asked < 10 || len(wrong) > 0 {
		t.Errorf("%d questions during the changes; wrong answers: %v", asked, wrong)
	}
}
