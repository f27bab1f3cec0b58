// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// nested is the value at path in o, or "absent".
func nested(o *unstructured.Unstructured, path ...string) any {
	v, found, err := unstructured.NestedFieldNoCopy(o.Object, path...)
	if err != nil || !found {
		return "absent"
	}
	return v
}

// valuesFile writes values (YAML) to a file and returns the --values flag for it.
func valuesFile(t *testing.T, values string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(path, []byte(values), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--values", path}
}

// podSpec is the StatefulSet's pod spec and its amko container.
func podSpec(t *testing.T, objs []*unstructured.Unstructured) (pod, container map[string]any) {
	t.Helper()
	sts := find(t, objs, "StatefulSet", "amko")
	pod, _, _ = unstructured.NestedMap(sts.Object, "spec", "template", "spec")
	containers, _ := pod["containers"].([]any)
	if len(containers) != 1 {
		t.Fatalf("containers %v, want amko's alone", containers)
	}
	return pod, containers[0].(map[string]any)
}

// gdpConfig.appSelector and namespaceSelector (AMKO's README spelling) and
// globalDeploymentPolicy.* (its values.yaml's) become the GDP's matchRules;
// with neither, the GDP has no matchRules.
func TestGDPSelectorsRendered(t *testing.T) {
	for _, prefix := range []string{"gdpConfig", "globalDeploymentPolicy"} {
		objs := render(t, append([]string{"--values", "test/chart/testdata/amko-2.2.1-values.yaml"}, valuesFile(t, prefix+`:
  appSelector:
    label:
      app: gslb
  namespaceSelector:
    label:
      ns: prod
      tier: web
`)...)...)
		gdp := find(t, objs, "GlobalDeploymentPolicy", "global-gdp")
		want := map[string]any{
			"appSelector":       map[string]any{"label": map[string]any{"app": "gslb"}},
			"namespaceSelector": map[string]any{"label": map[string]any{"ns": "prod", "tier": "web"}},
		}
		if got := nested(gdp, "spec", "matchRules"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: matchRules = %v, want %v", prefix, got, want)
		}
		// The other keys keep AMKO's values.yaml's.
		if got := fmt.Sprint(nested(gdp, "spec", "matchClusters")); got != "[map[cluster:cluster1-admin] map[cluster:cluster2-admin]]" {
			t.Errorf("%s: matchClusters = %s", prefix, got)
		}
	}
	// One selector alone.
	objs := render(t, "--values", "test/chart/testdata/amko-2.2.1-values.yaml", "--set", "gdpConfig.namespaceSelector.label.ns=prod")
	if got := fmt.Sprint(nested(find(t, objs, "GlobalDeploymentPolicy", "global-gdp"), "spec", "matchRules")); got != "map[namespaceSelector:map[label:map[ns:prod]]]" {
		t.Errorf("namespaceSelector alone: matchRules = %s", got)
	}
	objs = render(t, "--values", "test/chart/testdata/amko-2.2.1-values.yaml")
	if got := nested(find(t, objs, "GlobalDeploymentPolicy", "global-gdp"), "spec", "matchRules"); got != "absent" {
		t.Errorf("no selector: matchRules = %v, want none", got)
	}
}

// serviceAccount: create false renders no ServiceAccount but the pod and the
// bindings still use its name; name names it everywhere; annotations annotate
// it (IRSA, workload identity).
func TestServiceAccountValues(t *testing.T) {
	saNames := func(objs []*unstructured.Unstructured) (sas []string, pod string, subjects []string) {
		for _, o := range objs {
			switch o.GetKind() {
			case "ServiceAccount":
				sas = append(sas, o.GetName())
			case "ClusterRoleBinding", "RoleBinding":
				if o.GetName() != "amko-binding" {
					continue
				}
				subs, _, _ := unstructured.NestedSlice(o.Object, "subjects")
				for _, s := range subs {
					subjects = append(subjects, o.GetKind()+":"+fmt.Sprint(s.(map[string]any)["name"]))
				}
			}
		}
		p, _ := podSpec(t, objs)
		pod, _ = p["serviceAccountName"].(string)
		return sas, pod, subjects
	}
	contains := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}

	sas, pod, subjects := saNames(render(t, "--set", "serviceAccount.name=gslb-operator,serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::1:role/amko"))
	if !contains(sas, "gslb-operator") || contains(sas, "amko-sa") || pod != "gslb-operator" ||
		!reflect.DeepEqual(subjects, []string{"ClusterRoleBinding:gslb-operator", "RoleBinding:gslb-operator"}) {
		t.Errorf("serviceAccount.name: ServiceAccounts %v, pod's %q, binding subjects %v; want gslb-operator everywhere", sas, pod, subjects)
	}
	objs := render(t, "--set", "serviceAccount.name=gslb-operator,serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::1:role/amko")
	if got := find(t, objs, "ServiceAccount", "gslb-operator").GetAnnotations(); !reflect.DeepEqual(got, map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/amko"}) {
		t.Errorf("serviceAccount.annotations: %v", got)
	}

	sas, pod, subjects = saNames(render(t, "--set", "serviceAccount.create=false"))
	if contains(sas, "amko-sa") || pod != "amko-sa" || !reflect.DeepEqual(subjects, []string{"ClusterRoleBinding:amko-sa", "RoleBinding:amko-sa"}) {
		t.Errorf("serviceAccount.create=false: ServiceAccounts %v, pod's %q, binding subjects %v; want no amko-sa made but used", sas, pod, subjects)
	}
	// By default, AMKO's amko-sa, without annotations.
	objs = render(t)
	sas, pod, _ = saNames(objs)
	if !contains(sas, "amko-sa") || pod != "amko-sa" || len(find(t, objs, "ServiceAccount", "amko-sa").GetAnnotations()) != 0 {
		t.Errorf("default: ServiceAccounts %v, pod's %q", sas, pod)
	}
}

// resources are the amko container's, as given; AMKO's values file's are its
// defaults.
func TestResourcesRendered(t *testing.T) {
	_, c := podSpec(t, render(t, "--values", "test/chart/testdata/amko-2.2.1-values.yaml"))
	want := map[string]any{"limits": map[string]any{"cpu": "250m", "memory": "300Mi"}, "requests": map[string]any{"cpu": "100m", "memory": "200Mi"}}
	if !reflect.DeepEqual(c["resources"], want) {
		t.Errorf("AMKO's values: resources %v, want %v", c["resources"], want)
	}
	_, c = podSpec(t, render(t, append([]string{"--values", "test/chart/testdata/amko-2.2.1-values.yaml"}, valuesFile(t, `resources:
  limits:
    cpu: "1"
    memory: 1Gi
  requests:
    cpu: 500m
    memory: 512Mi
`)...)...))
	want = map[string]any{"limits": map[string]any{"cpu": "1", "memory": "1Gi"}, "requests": map[string]any{"cpu": "500m", "memory": "512Mi"}}
	if !reflect.DeepEqual(c["resources"], want) {
		t.Errorf("resources %v, want %v", c["resources"], want)
	}
}

// service.type and service.port (unused by AMKO's chart) are those of the
// Service amko in front of /metrics and /status; its target stays the pod's
// https port.
func TestServiceValues(t *testing.T) {
	svc := find(t, render(t, "--set", "service.type=NodePort,service.port=9443"), "Service", "amko")
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if typ := nested(svc, "spec", "type"); typ != "NodePort" || len(ports) != 1 {
		t.Fatalf("Service amko: type %v, ports %v", typ, ports)
	}
	p := ports[0].(map[string]any)
	if fmt.Sprint(p["port"]) != "9443" || p["targetPort"] != "https" || p["name"] != "https" {
		t.Errorf("Service amko port %v, want 9443 to the pod's https", p)
	}
	// AMKO's defaults: ClusterIP, port 80.
	svc = find(t, render(t, "--values", "test/chart/testdata/amko-2.2.1-values.yaml"), "Service", "amko")
	ports, _, _ = unstructured.NestedSlice(svc.Object, "spec", "ports")
	if typ := nested(svc, "spec", "type"); typ != "ClusterIP" || len(ports) != 1 || fmt.Sprint(ports[0].(map[string]any)["port"]) != "80" {
		t.Errorf("AMKO's values: Service amko type %v, ports %v; want ClusterIP, 80", typ, ports)
	}
}

// imagePullSecrets reach the pod, as AMKO's values file's comment shows them;
// none by default.
func TestImagePullSecretsRendered(t *testing.T) {
	pod, _ := podSpec(t, render(t, append([]string{"--values", "test/chart/testdata/amko-2.2.1-values.yaml"}, valuesFile(t, `imagePullSecrets:
  - name: regcred
  - name: mirror
`)...)...))
	if got := fmt.Sprint(pod["imagePullSecrets"]); got != "[map[name:regcred] map[name:mirror]]" {
		t.Errorf("imagePullSecrets %s", got)
	}
	pod, _ = podSpec(t, render(t, "--values", "test/chart/testdata/amko-2.2.1-values.yaml"))
	if v, ok := pod["imagePullSecrets"]; ok {
		t.Errorf("imagePullSecrets %v rendered though none is set", v)
	}
}

// rbac.pspEnable renders the PodSecurityPolicy amko and amko-role's right to
// use it where the API exists (Kubernetes < 1.25), and neither where it does
// not, nor when off.
func TestPodSecurityPolicy(t *testing.T) {
	const pspAPI = "policy/v1beta1/PodSecurityPolicy"
	pspRule := func(objs []*unstructured.Unstructured) bool {
		rules, _, _ := unstructured.NestedSlice(find(t, objs, "ClusterRole", "amko-role").Object, "rules")
		for _, r := range rules {
			rule := r.(map[string]any)
			if fmt.Sprint(rule["resources"]) == "[podsecuritypolicies]" {
				if fmt.Sprint(rule["resourceNames"]) != "[amko]" || fmt.Sprint(rule["verbs"]) != "[use]" {
					t.Errorf("PSP rule %v, want use on amko only", rule)
				}
				return true
			}
		}
		return false
	}
	hasPSP := func(objs []*unstructured.Unstructured) bool {
		for _, o := range objs {
			if o.GetKind() == "PodSecurityPolicy" {
				return o.GetName() == "amko"
			}
		}
		return false
	}

	objs := render(t, "--set", "rbac.pspEnable=true", "--api-versions", pspAPI)
	if !hasPSP(objs) || !pspRule(objs) {
		t.Fatalf("pspEnable where the API exists: PodSecurityPolicy %v, use rule %v; want both", hasPSP(objs), pspRule(objs))
	}
	psp := find(t, objs, "PodSecurityPolicy", "amko")
	if nested(psp, "spec", "privileged") != false || nested(psp, "spec", "runAsUser", "rule") != "MustRunAsNonRoot" {
		t.Errorf("PodSecurityPolicy spec %v", psp.Object["spec"])
	}
	for _, tc := range []struct {
		what string
		args []string
	}{
		{"pspEnable without the API (Kubernetes >= 1.25)", []string{"--set", "rbac.pspEnable=true"}},
		{"pspEnable off (AMKO's default)", []string{"--values", "test/chart/testdata/amko-2.2.1-values.yaml", "--api-versions", pspAPI}},
	} {
		objs := render(t, tc.args...)
		if hasPSP(objs) || pspRule(objs) {
			t.Errorf("%s: PodSecurityPolicy %v, use rule %v; want neither", tc.what, hasPSP(objs), pspRule(objs))
		}
	}
}

// configs.domainNames (AMKO 1.2's GSLBConfig domain names; AMKO 2.2.1 ignores
// the key) installs as before, and the install's notes say it is ignored and
// where such names belong instead; without it, no such warning.
func TestDomainNamesWarned(t *testing.T) {
	c := set.Clusters[0]
	install := func(extra ...string) string {
		t.Helper()
		return mustHelmOn(t, c, append([]string{"install", "amko-notes", chartDir, "--namespace", "avi-system", "--dry-run=client",
			"--values", "test/chart/testdata/amko-2.2.1-values.yaml"}, extra...)...)
	}
	out := install(valuesFile(t, "configs:\n  domainNames:\n  - avi-container-dns.internal\n")...)
	for _, want := range []string{
		"WARNING: configs.domainNames is ignored.",
		"list the zones to serve under configs.dns.zones",
		"kind: GSLBConfig", // the install goes on
	} {
		if !strings.Contains(out, want) {
			t.Errorf("helm install with configs.domainNames: output lacks %q:\n%s", want, out)
		}
	}
	if out := install(); strings.Contains(out, "domainNames") {
		t.Errorf("helm install without configs.domainNames warns of it:\n%s", out)
	}
}
