// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package chart

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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
	objs := render(t, "--values", "test/chart/testdata/dns-values.yaml", "--set", "replicaCount=2",
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
	listen := "127.0.0.1:" + backend.FreePort(t, "127.0.0.1")
	// In a pod: the ServiceAccount's in-cluster config and POD_NAME; here the
	// same identity through a kubeconfig, and a free port (flags: last wins).
	cmd := exec.Command(bin, append(args, "--kubeconfig", kubeconfig, "--context", c.Context, "--listen", listen)...)
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
		resp, err := http.Get("http://" + listen + "/status")
		if err != nil {
			return err
		}
		defer func() { _ = resp.Body.Close() }()
		var st operator.Status
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			return err
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
