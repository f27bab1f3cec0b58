// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// setControllerPassword writes password into the controller credentials Secret
// and returns the one it replaced.
func setControllerPassword(t *testing.T, password string) (previous string) {
	t.Helper()
	ctx := context.Background()
	var secret corev1.Secret
	key := client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.ControllerSecret}
	if err := leader().Client.Get(ctx, key, &secret); err != nil {
		t.Fatal(err)
	}
	previous = string(secret.Data["password"])
	secret.Data["password"] = []byte(password)
	if err := leader().Client.Update(ctx, &secret); err != nil {
		t.Fatal(err)
	}
	return previous
}

// loginsSince counts the login attempts avisim received since t0.
func loginsSince(t0 time.Time) int {
	n := 0
	for _, e := range sim.Journal() {
		if e.Method == http.MethodPost && e.Path == "/login" && !e.Time.Before(t0) {
			n++
		}
	}
	return n
}

// writesSince counts the writes avisim received since t0.
func writesSince(t0 time.Time) int {
	n := 0
	for _, e := range sim.Writes() {
		if !e.Time.Before(t0) {
			n++
		}
	}
	return n
}

// A wrong password in the credentials Secret costs one login attempt, however
// many passes the changes of applications bring (controllers lock accounts
// after a few failed logins); once the right password is back, amko converges.
func TestCredentialsRefusedLogInOnce(t *testing.T) {
	ctx := context.Background()
	s := begin(t, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "creds"}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: "cluster1-admin"}},
	})
	cl := set.Clusters[0]
	ingress := func(i int) string {
		host := fmt.Sprintf("creds-%d.example.com", i)
		s.ingress(cl, clusters.Ingress{Namespace: "default", Name: fmt.Sprintf("creds-%d", i), Labels: map[string]string{"app": "creds"},
			Rules: []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.60.0.%d", i+1)}},
			AKO:   ako(host, fmt.Sprintf("virtualservice-creds-%d", i))})
		s.track(host)
		return host
	}
	member := func(i int) string { return fmt.Sprintf("10:10.60.0.%d:1", i+1) }

	first := ingress(0)
	await.Eventually(t, "amko works with the right password", wantMembers(first, member(0)))

	mark := time.Now()
	good := setControllerPassword(t, "wrong-password-for-the-test")
	restored := false
	restore := func() {
		if !restored {
			restored = true
			setControllerPassword(t, good)
		}
	}
	t.Cleanup(restore) // before the scenario's cleanup, which needs amko working
	await.Eventually(t, "the refused login is reported", func() error {
		var gc amkov1alpha1.GSLBConfig
		if err := leader().Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}, &gc); err != nil {
			return err
		}
		if !strings.Contains(gc.Status.State, "Invalid credentials") {
			return fmt.Errorf("GSLBConfig state %q", gc.Status.State)
		}
		return nil
	})

	// Five seconds of passes, each brought by a change of an application.
	var pending []string
	for i := 1; i <= 5; i++ {
		pending = append(pending, ingress(i))
		time.Sleep(500 * time.Millisecond)
		setIngressIP(t, cl, "default", "creds-0", first, fmt.Sprintf("10.60.1.%d", i))
		time.Sleep(500 * time.Millisecond)
	}
	if n := loginsSince(mark); n > 1 {
		t.Errorf("%d login attempts with the wrong password, want at most 1", n)
	}
	if n := writesSince(mark); n != 0 {
		t.Errorf("%d writes with the wrong password", n)
	}

	restore()
	checks := []func() error{wantMembers(first, "10:10.60.1.5:1")}
	for i, host := range pending {
		checks = append(checks, wantMembers(host, member(i+1)))
	}
	await.Eventually(t, "converged once the password is right", all(checks...))
	last := ingress(6)
	await.Eventually(t, "a new application's service appears", wantMembers(last, member(6)))
}
