// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/statusreport"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

var (
	set    *clusters.Set
	plugin string // the kubectl-amko binary under test
	amko   string // the amko binary
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kubectl-amko-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	// The plugin and amko are tested as the programs kubectl and the pod run,
	// as make test builds them (AMKO_TEST_PLUGIN, AMKO_TEST_BINARY), else here.
	var builds [][]string
	if plugin = os.Getenv("AMKO_TEST_PLUGIN"); plugin == "" {
		plugin = filepath.Join(dir, "kubectl-amko")
		builds = append(builds, []string{plugin, "."})
	}
	if amko = os.Getenv("AMKO_TEST_BINARY"); amko == "" {
		amko = filepath.Join(dir, "amko")
		builds = append(builds, []string{amko, "../amko"})
	}
	for _, b := range builds {
		if out, err := exec.Command("go", "build", "-o", b[0], b[1]).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", b[1], err, out)
			return 1
		}
	}
	return clusters.Main(m, 1, &set, clusters.Options{})
}

// exe runs bin with args and returns its stdout, stderr and exit code.
func exe(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", bin, err)
	}
	return out.String(), errOut.String(), code
}

// syncBuffer is a bytes.Buffer safe for a process's writes and a test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// "kubectl amko status" (the binary kubectl runs for it, with the arguments
// kubectl passes) reads a real cluster and a running amko, and prints exactly
// what "amko status" prints with the same arguments, as a table and as JSON.
func TestPluginStatus(t *testing.T) {
	ctx := context.Background()
	cl := set.Clusters[0]
	if err := set.ConfigureDNS(ctx, "127.0.0.1:0", "plugin.example.com"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, obj := range []client.Object{
			&amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.MembersSecret}},
		} {
			if err := client.IgnoreNotFound(cl.Client.Delete(ctx, obj)); err != nil {
				t.Error(err)
			}
		}
	})

	// amko, as a program, with its endpoints open on loopback: the test is
	// about the plugin, not amko's authentication (cmd/amko tests that).
	listen := net.JoinHostPort("127.0.0.1", backend.FreePort(t, "127.0.0.1"))
	cmd := exec.Command(amko, "--kubeconfig", set.KubeconfigPath, "--context", cl.Context,
		"--insecure-endpoints", "--listen", listen, "--health-listen", "")
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("amko's log:\n%s", logs.String())
		}
	}()

	// As kubectl passes them: everything after "kubectl amko".
	args := []string{"status", "--kubeconfig", set.KubeconfigPath, "--context", cl.Context, "-n", clusters.Namespace,
		"--addr", "http://" + listen, "--token-service-account", ""}
	var out string
	await.Eventually(t, "kubectl-amko status showing a ready amko and member", func() error {
		stdout, stderr, code := exe(t, plugin, args...)
		out = stdout
		if code != 0 || !strings.Contains(stdout, "READY:        yes") || !strings.Contains(stdout, cl.Context+"  Ready") {
			return fmt.Errorf("exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
		}
		return nil
	})
	for _, want := range []string{
		"GSLBConfig  " + clusters.Namespace + "  " + clusters.GSLBConfigName, // from the API server
		"BACKEND:      dns, serving DNS on 127.0.0.1:",                       // from amko's /status
		"ROLE:         standalone",
		cl.Context + "  Ready",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl-amko status lacks %q:\n%s", want, out)
		}
	}

	// The same command as amko's: the same output for the same arguments
	// (once no pass ran in between to change LAST SYNCED).
	for _, format := range [][]string{nil, {"-o", "json"}} {
		await.Eventually(t, fmt.Sprintf("kubectl-amko %v and amko %v printing the same", format, format), func() error {
			a := append(append([]string{}, args...), format...)
			pluginOut, pluginErr, pluginCode := exe(t, plugin, a...)
			amkoOut, amkoErr, amkoCode := exe(t, amko, a...)
			if pluginCode != 0 || amkoCode != 0 {
				return fmt.Errorf("exit codes %d (%s) and %d (%s)", pluginCode, pluginErr, amkoCode, amkoErr)
			}
			if pluginOut != amkoOut {
				return fmt.Errorf("kubectl-amko printed\n%s\namko printed\n%s", pluginOut, amkoOut)
			}
			return nil
		})
	}
	stdout, _, _ := exe(t, plugin, append(args, "-o", "json")...)
	var report statusreport.Report
	if err := json.Unmarshal([]byte(stdout), &report); err != nil || report.Amko == nil || !report.Amko.Ready || len(report.Objects) == 0 {
		t.Errorf("kubectl-amko status -o json: %v, %+v", err, report)
	}

	// amko unreachable: the objects are still printed, and the command fails.
	stdout, stderr, code := exe(t, plugin, "status", "--kubeconfig", set.KubeconfigPath, "--context", cl.Context,
		"--addr", "http://127.0.0.1:1", "--token-service-account", "")
	if code != 1 || !strings.Contains(stdout, clusters.GSLBConfigName) || !strings.Contains(stderr, "reading amko's /status from http://127.0.0.1:1") {
		t.Errorf("with amko unreachable: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// Usage: no command and an unknown one are usage errors (exit 2), help and
// "status -h" succeed and say what the plugin does and its flags.
func TestPluginUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "kubectl amko status [flags]"},
		{[]string{"statsu"}, 2, `unknown command "statsu"`},
		{[]string{"help"}, 0, "kubectl amko status [flags]"},
		{[]string{"status", "-h"}, 0, "-token-service-account"},
		{[]string{"status", "extra"}, 1, `unexpected arguments ["extra"]`},
	} {
		stdout, stderr, code := exe(t, plugin, tc.args...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("kubectl-amko %v: exit %d, output %q; want exit %d and %q", tc.args, code, stdout+stderr, tc.code, tc.want)
		}
	}
}
