// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package chart

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

// The amko binary runs with exactly the arguments the chart gives its
// container (two replicas: leader election on), as amko-sa under the chart's
// RBAC: it takes the Lease, becomes the active replica, serves the service,
// refuses nothing, and stops cleanly on SIGTERM.
func TestChartArgsRunAmko(t *testing.T) {
	ctx := context.Background()
	c := set.Clusters[0]
	objs := render(t, "--values", "test/chart/testdata/dns-values.yaml", "--set", "replicaCount=2", "--set", "statusViewers.users[0]="+viewer,
		"--set", "configs.dns.listen=127.0.0.1:"+backend.FreePort(t, "127.0.0.1"), "--set", "globalDeploymentPolicy.appSelector.label.app=bin",
		"--set", "configs.memberClusters[0].clusterContext=cluster1-admin,federation.memberClusters[0]=cluster1-admin",
		"--set", "globalDeploymentPolicy.matchClusters[0].cluster=cluster1-admin")
	install(t, c, objs)
	createMembersSecret(t, c)

	name := "bin.gslb.example.com"
	backend.TCP(t, "127.0.0.45:18092")
	svc, err := c.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "bin",
		Labels: map[string]string{"app": "bin"}, Hostname: name, IP: "127.0.0.45",
		Ports: []corev1.ServicePort{{Name: "tcp", Port: 18092, Protocol: corev1.ProtocolTCP}}})
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c, svc)

	// What amko status shows amko: a token of the chart's reader ServiceAccount.
	exp := int64(600)
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}
	if err := c.Client.SubResource("token").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: clusters.Namespace, Name: "amko-status"}}, tr); err != nil {
		t.Fatalf("a token of the chart's amko-status: %v", err)
	}
	reader := tr.Status.Token

	sts := find(t, objs, "StatefulSet", "amko")
	containers, _, _ := unstructured.NestedSlice(sts.Object, "spec", "template", "spec", "containers")
	args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")

	dir := t.TempDir()
	// make test builds amko before go test (AMKO_TEST_BINARY).
	bin := os.Getenv("AMKO_TEST_BINARY")
	if bin == "" {
		bin = filepath.Join(dir, "amko")
		build := exec.Command("go", "build", "-o", bin, "./cmd/amko")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building amko: %v\n%s", err, out)
		}
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, asAmkoSAKubeconfig(t), 0o600); err != nil {
		t.Fatal(err)
	}
	// The API server's service proxy refuses loopback endpoints: serve on the
	// host's own address (amko status goes through it below).
	hostIP := nonLoopbackIP(t)
	listen, health := net.JoinHostPort(hostIP, backend.FreePort(t, hostIP)), "127.0.0.1:"+backend.FreePort(t, "127.0.0.1")
	// In a pod: the ServiceAccount's in-cluster config and POD_NAME; here the
	// same identity through a kubeconfig, and free ports (flags: last wins).
	cmd := exec.Command(bin, append(args, "--kubeconfig", kubeconfig, "--context", c.Context, "--listen", listen, "--health-listen", health)...)
	cmd.Env = append(os.Environ(), "POD_NAME=amko-0")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("amko's log:\n%s", stderr.String())
		}
	}()

	await.Eventually(t, "the active replica serves the service, its member up", func() error {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("amko exited: %v", err)
		default:
		}
		if code, err := get("http://"+health+"/readyz", "", nil); err != nil || code != http.StatusOK {
			return fmt.Errorf("readyz: %d %v", code, err)
		}
		var st operator.Status
		if code, err := get("https://"+listen+"/status", reader, &st); err != nil || code != http.StatusOK {
			return fmt.Errorf("/status as the chart's reader: %d %v", code, err)
		}
		if !st.Active || !st.Ready {
			return fmt.Errorf("active %v, ready %v (%s)", st.Active, st.Ready, st.NotReady)
		}
		for _, s := range st.Services {
			if s.Name == name && len(s.Pools) == 1 && len(s.Pools[0].Members) == 1 && s.Pools[0].Members[0].Health == operator.HealthUp {
				return nil
			}
		}
		return fmt.Errorf("services %+v", st.Services)
	})

	// amko-sa may ask the API server about callers: a stranger is refused, the
	// chart's amko-status ServiceAccount reads /status and /metrics only.
	for _, c := range []struct {
		url, token string
		want       int
	}{
		{"https://" + listen + "/status", "", http.StatusUnauthorized},
		{"https://" + listen + "/metrics", "", http.StatusUnauthorized},
		{"https://" + listen + "/metrics", reader, http.StatusOK},
		{"https://" + listen + "/debug/pprof/", reader, http.StatusForbidden},
	} {
		if code, err := get(c.url, c.token, nil); err != nil || code != c.want {
			t.Errorf("GET %s: %d %v, want %d", c.url, code, err, c.want)
		}
	}

	// A person bound by statusViewers runs amko status with their own
	// credentials, through the API server's service proxy to the chart's
	// Service amko, port https: the Endpoints a pod would have, by hand.
	serveThroughService(t, c, hostIP, listen)
	viewerConfig := filepath.Join(dir, "viewer-kubeconfig")
	if err := os.WriteFile(viewerConfig, kubeconfigAs(t, viewer), 0o600); err != nil {
		t.Fatal(err)
	}
	status := exec.Command(bin, "status", "--kubeconfig", viewerConfig, "--context", c.Context)
	if out, err := status.CombinedOutput(); err != nil || !strings.Contains(string(out), "ROLE:") || !strings.Contains(string(out), name) {
		t.Errorf("amko status as %s through the service proxy: %v\n%s", viewer, err, out)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("amko did not stop cleanly on SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("amko did not stop within 30 s of SIGTERM")
	}
	log := stderr.String()
	for _, bad := range []string{"forbidden", "flag provided but not defined", "invalid value"} {
		if strings.Contains(strings.ToLower(log), bad) {
			t.Errorf("amko's log has %q", bad)
		}
	}
	if !strings.Contains(log, "elected: this replica is the active amko") {
		t.Error("amko's log does not say it was elected")
	}
}

// get GETs u over HTTP or HTTPS (trusting amko's self-signed certificate) with
// token, if any, and decodes a 200's JSON into out, if not nil.
func get(u, token string, out any) (int, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK || out == nil {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
}

// nonLoopbackIP is an IPv4 address of this host outside the loopback and
// link-local ranges.
func nonLoopbackIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
			return n.IP.String()
		}
	}
	t.Fatal("this host has no address but loopback: the API server's service proxy cannot reach a local amko")
	return ""
}

// serveThroughService points the chart's Service amko at addr (hostIP:port)
// with a Pod and Endpoints: no controller runs in the test clusters.
func serveThroughService(t *testing.T, c *clusters.Cluster, hostIP, addr string) {
	t.Helper()
	ctx := context.Background()
	_, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "amko-0"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "amko", Image: "amko"}}}}
	addresses := []corev1.EndpointAddress{{IP: hostIP,
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: clusters.Namespace, Name: pod.Name}}}
	ports := []corev1.EndpointPort{{Name: "https", Port: int32(port), Protocol: corev1.ProtocolTCP}}
	// The API server's service proxy reads Endpoints, not EndpointSlices.
	//lint:ignore SA1019 as said above
	subsets := []corev1.EndpointSubset{{Addresses: addresses, Ports: ports}}
	//lint:ignore SA1019 as said above
	eps := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "amko"}, Subsets: subsets}
	for _, obj := range []client.Object{pod, eps} {
		if err := c.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		cleanup(t, c, obj)
	}
	pod.Status.PodIP, pod.Status.PodIPs = hostIP, []corev1.PodIP{{IP: hostIP}}
	if err := c.Client.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
}
