// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package chart

import (
	"bytes"
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/test/clusters"
)

// helmOn runs helm against cluster c (its context in the set's kubeconfig)
// and returns its stdout and stderr, and whether it succeeded.
func helmOn(t *testing.T, c *clusters.Cluster, args ...string) (string, string, error) {
	t.Helper()
	cmd := helmCmd(t, append(args, "--kubeconfig", set.KubeconfigPath, "--kube-context", c.Context)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func objectMeta(k types.NamespacedName) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: k.Namespace, Name: k.Name}
}

// mustHelmOn is helmOn that fails the test when helm does.
func mustHelmOn(t *testing.T, c *clusters.Cluster, args ...string) string {
	t.Helper()
	stdout, stderr, err := helmOn(t, c, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// The GDP helm uninstall keeps does not stop a release of another name from
// installing: the new release leaves it as it is (amko keeps running from the
// same GDP, same object, same spec) and its NOTES say so and how to hand it
// over; after that procedure, an upgrade adopts it as it is, the next change
// of the values reaches it, and it survives that release's uninstall too.
func TestReinstallUnderAnotherReleaseName(t *testing.T) {
	ctx := context.Background()
	c := set.Clusters[2]
	key := types.NamespacedName{Namespace: clusters.Namespace, Name: "global-gdp"}
	values := []string{"--namespace", clusters.Namespace, "--values", "test/chart/testdata/amko-2.2.1-values.yaml"}
	uninstall := func(release string) {
		t.Helper()
		mustHelmOn(t, c, "uninstall", release, "--namespace", clusters.Namespace)
	}
	t.Cleanup(func() {
		// Whatever the test left: both releases, then the kept GDP.
		for _, r := range []string{"amko-a", "amko-b"} {
			_, _, _ = helmOn(t, c, "uninstall", r, "--namespace", clusters.Namespace, "--ignore-not-found")
		}
		if err := client.IgnoreNotFound(c.Client.Delete(ctx, &amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: objectMeta(key)})); err != nil {
			t.Error(err)
		}
	})

	// Release A makes the GDP, then goes; the GDP stays.
	mustHelmOn(t, c, append([]string{"install", "amko-a", chartDir, "--set", "globalDeploymentPolicy.ttl=42"}, values...)...)
	uninstall("amko-a")
	var kept amkov1alpha2.GlobalDeploymentPolicy
	if err := c.Client.Get(ctx, key, &kept); err != nil {
		t.Fatalf("helm uninstall did not keep the GDP: %v", err)
	}
	if kept.Annotations["meta.helm.sh/release-name"] != "amko-a" || kept.Spec.TTL == nil || *kept.Spec.TTL != 42 {
		t.Fatalf("kept GDP: annotations %v, ttl %v; want release amko-a's, ttl 42", kept.Annotations, kept.Spec.TTL)
	}

	// Release B, another name and other GDP values, installs; the GDP is the
	// same object with the same spec.
	out := mustHelmOn(t, c, append([]string{"install", "amko-b", chartDir, "--set", "globalDeploymentPolicy.ttl=7"}, values...)...)
	for _, want := range []string{
		"WARNING: the GlobalDeploymentPolicy avi-system/global-gdp exists already and belongs\nto release amko-a (namespace avi-system), not to this release",
		"meta.helm.sh/release-name=amko-b meta.helm.sh/release-namespace=avi-system",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("helm install amko-b's NOTES lack %q:\n%s", want, out)
		}
	}
	var after amkov1alpha2.GlobalDeploymentPolicy
	if err := c.Client.Get(ctx, key, &after); err != nil {
		t.Fatalf("the GDP after installing amko-b: %v", err)
	}
	if after.UID != kept.UID || after.Spec.TTL == nil || *after.Spec.TTL != 42 || after.Generation != kept.Generation {
		t.Fatalf("the GDP changed under amko-b: uid %s→%s, generation %d→%d, ttl %v; want it untouched", kept.UID, after.UID,
			kept.Generation, after.Generation, after.Spec.TTL)
	}
	// The rest of release B is installed.
	if status := mustHelmOn(t, c, "status", "amko-b", "--namespace", clusters.Namespace); !strings.Contains(status, "STATUS: deployed") {
		t.Errorf("helm status amko-b:\n%s", status)
	}

	// The NOTES' procedure (kubectl annotate/label --overwrite, here the same
	// patch), then an upgrade: amko-b adopts the GDP and its values apply.
	patch := []byte(`{"metadata":{"annotations":{"meta.helm.sh/release-name":"amko-b","meta.helm.sh/release-namespace":"avi-system"},` +
		`"labels":{"app.kubernetes.io/managed-by":"Helm"}}}`)
	if err := c.Client.Patch(ctx, &amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: objectMeta(key)}, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	out = mustHelmOn(t, c, "upgrade", "amko-b", chartDir, "--namespace", clusters.Namespace, "--reuse-values")
	if strings.Contains(out, "WARNING: the GlobalDeploymentPolicy") {
		t.Errorf("the upgrade still warns of a GDP it now owns:\n%s", out)
	}
	if manifest := mustHelmOn(t, c, "get", "manifest", "amko-b", "--namespace", clusters.Namespace); !strings.Contains(manifest, "kind: GlobalDeploymentPolicy") {
		t.Error("release amko-b does not manage the GDP after the hand-over")
	}
	// Adopted as it is, as the NOTES say: amko sees no change.
	if err := c.Client.Get(ctx, key, &after); err != nil {
		t.Fatal(err)
	}
	if after.UID != kept.UID || after.Spec.TTL == nil || *after.Spec.TTL != 42 {
		t.Errorf("after the hand-over: uid %s (was %s), ttl %v; want the same object, as it was (ttl 42)", after.UID, kept.UID, after.Spec.TTL)
	}
	// The next change of the values reaches it.
	mustHelmOn(t, c, "upgrade", "amko-b", chartDir, "--namespace", clusters.Namespace, "--reuse-values", "--set", "globalDeploymentPolicy.ttl=9")
	if err := c.Client.Get(ctx, key, &after); err != nil {
		t.Fatal(err)
	}
	if after.UID != kept.UID || after.Spec.TTL == nil || *after.Spec.TTL != 9 {
		t.Errorf("after an upgrade to ttl 9: uid %s (was %s), ttl %v; want the same object with ttl 9", after.UID, kept.UID, after.Spec.TTL)
	}

	// amko-b's uninstall keeps it in turn.
	uninstall("amko-b")
	if err := c.Client.Get(ctx, key, &after); err != nil || after.UID != kept.UID {
		t.Errorf("helm uninstall amko-b did not keep the GDP: %v", err)
	}
}
