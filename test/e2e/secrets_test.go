// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// lockedBuffer is a log sink safe for amko's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail is the last n lines written, for a failing test's log.
func (b *lockedBuffer) tail(n int) string {
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// A wrong controller password is reported in the GSLBConfig's status, and the
// password appears in no status, Event or log line.
func TestSecretsNeverLeak(t *testing.T) {
	ctx := context.Background()
	c := leader().Client
	const password = "s3cr3t-Pa55w0rd-never-shown"
	key := client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.ControllerSecret}
	var secret corev1.Secret
	if err := c.Get(ctx, key, &secret); err != nil {
		// startAmko creates it; create it first to set the wrong password.
		if err := set.ConfigureAMKO(ctx, host, amkoUUID); err != nil {
			t.Fatal(err)
		}
		if err := c.Get(ctx, key, &secret); err != nil {
			t.Fatal(err)
		}
	}
	good := secret.Data["password"]
	secret.Data["password"] = []byte(password)
	if err := c.Update(ctx, &secret); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Get(ctx, key, &secret); err == nil {
			secret.Data["password"] = good
			_ = c.Update(ctx, &secret)
		}
	}()

	var logs lockedBuffer
	stop := startAmkoLogging(t, &logs)
	defer stop()
	var gc amkov1alpha1.GSLBConfig
	await.Eventually(t, "the refused login is reported", func() error {
		if err := c.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}, &gc); err != nil {
			return err
		}
		if !strings.Contains(gc.Status.State, "Invalid credentials") {
			return fmt.Errorf("state %q", gc.Status.State)
		}
		return nil
	})
	var events corev1.EventList
	if err := c.List(ctx, &events, client.InNamespace(clusters.Namespace)); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	all.WriteString(gc.Status.State)
	for _, e := range events.Items {
		all.WriteString(e.Message)
	}
	all.WriteString(logs.String())
	if strings.Contains(all.String(), password) {
		t.Fatalf("the password leaked into a status, an Event or the log")
	}
	if !strings.Contains(logs.String(), "level=") {
		t.Fatalf("nothing was logged, so the check proves nothing")
	}
}
