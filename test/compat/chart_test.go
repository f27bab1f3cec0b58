// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package compat_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amko-project/amko/test/clusters"
)

// The chart grants amko patch on the GDP and GSLBHostRules themselves only
// where AMKO 2.2.1's CRDs serve them (no status subresource: the status is
// written on the object, as AMKO does), found by looking the CRD up at install
// or upgrade; on amko's CRDs, only their status subresources.
func TestChartRBACFollowsTheCRDs(t *testing.T) {
	helm := os.Getenv("AMKO_TEST_HELM")
	if helm == "" {
		helm = filepath.Join("..", "..", "bin", "helm")
		if _, err := os.Stat(helm); err != nil {
			t.Fatalf("no helm: run make test-tools (or set AMKO_TEST_HELM): %v", err)
		}
	}
	amkoCluster(t)
	applyCRDs(t, set.Clusters[1], amkoCRDsOf221(t))
	grants := func(cl *clusters.Cluster) (gdp, ghr bool) {
		t.Helper()
		out, err := exec.Command(helm, "template", "amko", filepath.Join("..", "..", "charts", "amko"), "--namespace", "avi-system",
			"--dry-run=server", "--kubeconfig", set.KubeconfigPath, "--kube-context", cl.Context,
			"--show-only", "templates/rbac.yaml").CombinedOutput()
		if err != nil {
			t.Fatalf("helm template against %s: %v\n%s", cl.Context, err, out)
		}
		s := string(out)
		return strings.Contains(s, "resources: [globaldeploymentpolicies]\n  verbs: [patch]"),
			strings.Contains(s, "resources: [gslbhostrules]\n  verbs: [patch]")
	}
	if gdp, ghr := grants(set.Clusters[0]); gdp || ghr {
		t.Errorf("on amko's CRDs: patch on the GDP %v, on GSLBHostRules %v; want neither", gdp, ghr)
	}
	if gdp, ghr := grants(set.Clusters[1]); !gdp || !ghr {
		t.Errorf("on AMKO 2.2.1's CRDs: patch on the GDP %v, on GSLBHostRules %v; want both", gdp, ghr)
	}
}
