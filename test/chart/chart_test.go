// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package chart tests the Helm chart in charts/amko with helm itself (built from
// the module pinned in hack/helm): it lints, renders with AMKO 2.2.1's own values
// file and with a minimal built-in DNS values file, installs the rendered
// manifests on real API servers, and runs amko there under the chart's RBAC.
package chart

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amko-project/amko/test/clusters"
)

var (
	set  *clusters.Set
	helm string // the helm binary
	root string // the repository
)

const chartDir = "charts/amko"

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	if root, err = filepath.Abs("../.."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "amko-chart-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	// make test builds helm before go test (AMKO_TEST_HELM); a bare go test
	// builds it here, the go build cache making it quick after the first time.
	if helm = os.Getenv("AMKO_TEST_HELM"); helm == "" {
		helm = filepath.Join(dir, "helm")
		build := exec.Command("go", "build", "-o", helm, "helm.sh/helm/v3/cmd/helm")
		build.Dir = filepath.Join(root, "hack/helm")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building helm: %v\n%s", err, out)
			return 1
		}
	}
	// cluster1 and cluster2 get the DNS install (leader and follower), cluster3
	// AMKO's default values.
	return clusters.Main(m, 3, &set, clusters.Options{})
}

// helmCmd is helm with args, run in the repository with a private home.
func helmCmd(t *testing.T, args ...string) *exec.Cmd {
	home := t.TempDir()
	cmd := exec.Command(helm, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	return cmd
}

// runHelm runs helm and returns stdout.
func runHelm(t *testing.T, args ...string) string {
	t.Helper()
	cmd := helmCmd(t, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// render runs helm template and decodes the manifests, in helm's install order.
func render(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	out := runHelm(t, append([]string{"template", "amko", chartDir, "--namespace", "avi-system"}, args...)...)
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	var objs []*unstructured.Unstructured
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("decoding rendered manifests: %v", err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, &u)
		}
	}
	return objs
}

// find returns the rendered object of kind and name.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}

// install creates every rendered object on c, as helm install does (the CRDs
// are there already: TestChartCRDsAreAmkos checks they are the same), and
// deletes them when the test ends, so that it can run again.
func install(t *testing.T, c *clusters.Cluster, objs []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			continue
		}
		if err := c.Client.Create(ctx, o.DeepCopy()); err != nil {
			t.Fatalf("installing %s %s/%s on %s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), c.Context, err)
		}
		cleanup(t, c, o.DeepCopy())
	}
}

// cleanup deletes obj from c when the test ends.
func cleanup(t *testing.T, c *clusters.Cluster, obj client.Object) {
	t.Cleanup(func() {
		if err := c.Client.Delete(context.Background(), obj); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting %s/%s from %s: %v", obj.GetNamespace(), obj.GetName(), c.Context, err)
		}
	})
}

func TestLint(t *testing.T) {
	for _, values := range [][]string{
		nil,
		{"--values", "test/chart/testdata/amko-2.2.1-values.yaml"},
		{"--values", "test/chart/testdata/dns-values.yaml"},
		{"--values", "test/chart/testdata/dns-values.yaml", "--set", "replicaCount=3"},
	} {
		out := runHelm(t, append([]string{"lint", "--strict", chartDir}, values...)...)
		if !strings.Contains(out, "0 chart(s) failed") {
			t.Errorf("helm lint %v:\n%s", values, out)
		}
	}
}

// The chart ships amko's CRDs exactly as config/crd has them.
func TestChartCRDsAreAmkos(t *testing.T) {
	matches, err := filepath.Glob(filepath.Join(root, "config/crd/amko.vmware.com_*.yaml"))
	if err != nil || len(matches) != 4 {
		t.Fatalf("amko's CRDs in config/crd: %v %v", matches, err)
	}
	shipped, err := filepath.Glob(filepath.Join(root, chartDir, "crds/*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(shipped) != len(matches) {
		t.Errorf("the chart ships %d CRDs, config/crd has %d", len(shipped), len(matches))
	}
	for _, p := range matches {
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, chartDir, "crds", filepath.Base(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s/crds/%s differs from config/crd (run make generate): %v", chartDir, filepath.Base(p), err)
		}
	}
}

// The values file kept in testdata is AMKO 2.2.1's, as in ../shared/reference.
func TestAMKOValuesFileIsAMKOs(t *testing.T) {
	ref := filepath.Join(root, "../shared/reference/amko-2.2.1/values.yaml")
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatalf("reading AMKO's values file (../shared sits beside the repository): %v", err)
	}
	got, err := os.ReadFile("testdata/amko-2.2.1-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("testdata/amko-2.2.1-values.yaml differs from AMKO's")
	}
}

// The chart's values.yaml has every key of AMKO's with the same default, except
// the image repository, where AMKO's stands for amko's image.
func TestValuesHaveAMKOsKeysAndDefaults(t *testing.T) {
	amko := readValues(t, "test/chart/testdata/amko-2.2.1-values.yaml")
	ours := readValues(t, chartDir+"/values.yaml")
	var walk func(path string, a, o any)
	walk = func(path string, a, o any) {
		am, ok := a.(map[string]any)
		if !ok {
			if path == ".image.repository" {
				return
			}
			if fmt.Sprint(a) != fmt.Sprint(o) {
				t.Errorf("%s: AMKO's default %v, ours %v", path, a, o)
			}
			return
		}
		om, ok := o.(map[string]any)
		if !ok {
			t.Errorf("%s: AMKO's is a map, ours %T", path, o)
			return
		}
		for k, v := range am {
			if _, ok := om[k]; !ok {
				t.Errorf("%s.%s: in AMKO's values, missing from ours", path, k)
				continue
			}
			walk(path+"."+k, v, om[k])
		}
	}
	walk("", amko, ours)
}

func readValues(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := utilyaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// No rule of the chart's RBAC uses a wildcard, and Secrets are readable only in
// avi-system.
func TestRBACIsLeastPrivilege(t *testing.T) {
	for _, args := range [][]string{
		{"--values", "test/chart/testdata/amko-2.2.1-values.yaml"},
		{"--values", "test/chart/testdata/dns-values.yaml", "--set", "replicaCount=2"},
	} {
		for _, o := range render(t, args...) {
			if o.GetKind() != "ClusterRole" && o.GetKind() != "Role" {
				continue
			}
			rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
			if len(rules) == 0 {
				t.Errorf("%s %s has no rules", o.GetKind(), o.GetName())
			}
			for _, r := range rules {
				rule := r.(map[string]any)
				for _, field := range []string{"apiGroups", "resources", "verbs"} {
					list, _, _ := unstructured.NestedStringSlice(rule, field)
					if slices.Contains(list, "*") {
						t.Errorf("%s %s: wildcard in %s: %v", o.GetKind(), o.GetName(), field, rule)
					}
				}
				resources, _, _ := unstructured.NestedStringSlice(rule, "resources")
				if o.GetKind() == "ClusterRole" && slices.Contains(resources, "secrets") {
					t.Errorf("ClusterRole %s reads Secrets cluster-wide", o.GetName())
				}
			}
		}
	}
}

// Bad values are refused when rendering (by values.schema.json or the
// templates), with a message saying what to change.
func TestBadValuesAreRefused(t *testing.T) {
	for _, tc := range []struct {
		set, want string
	}{
		{"configs.amkoUUID=abc", "at '/configs/amkoUUID'"},
		{"logFormat=yaml", "at '/logFormat': value must be one of 'text', 'json'"},
		{"replicaCount=0", "at '/replicaCount': minimum: got 0, want 1"},
		{"controllerConcurrency=0", "at '/controllerConcurrency': minimum: got 0, want 1"},
		{"configs.logLevel=VERBOSE", "at '/configs/logLevel': value must be one of 'DEBUG', 'INFO', 'WARN', 'ERROR'"},
		{"dnsService.type=External", "at '/dnsService/type'"},
		{"leaderElection=maybe", "at '/leaderElection'"},
		{"multiClusterIngress.enable=true", "amko does not implement AMKO's MultiClusterIngress"},
		{"configs.dns.zones[0].name=gslb.example.com,configs.dns.listen=:0", "the pod needs a fixed port"},
		{"replicaCount=2,leaderElection=false", "replicaCount > 1 needs leaderElection"},
		{"configs.dns.zones[0].name=gslb.example.com,configs.dns.rateLimit.slip=1", "at '/configs/dns/rateLimit'"},
		{"configs.dns.zones[0].name=gslb.example.com,configs.dns.tcp.maxConnections=0", "at '/configs/dns/tcp/maxConnections'"},
	} {
		out, err := helmCmd(t, "template", "amko", chartDir, "--set", tc.set).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("--set %s: err %v, output %q; want a refusal with %q", tc.set, err, out, tc.want)
		}
	}
}

// The DNS server's rate limit and TCP limits reach the GSLBConfig as given.
func TestDNSLimitsRendered(t *testing.T) {
	for _, o := range render(t, "--values", "test/chart/testdata/dns-values.yaml", "--set",
		"configs.dns.rateLimit.responsesPerSecond=50,configs.dns.rateLimit.slip=0,configs.dns.tcp.maxConnections=200") {
		if o.GetKind() != "GSLBConfig" {
			continue
		}
		get := func(path ...string) string {
			v, found, _ := unstructured.NestedFieldNoCopy(o.Object, append([]string{"spec", "dns"}, path...)...)
			if !found {
				return "absent"
			}
			return fmt.Sprint(v)
		}
		rate, slip, conns := get("rateLimit", "responsesPerSecond"), get("rateLimit", "slip"), get("tcp", "maxConnections")
		if rate != "50" || slip != "0" || conns != "200" {
			t.Errorf("spec.dns: rateLimit.responsesPerSecond %s, rateLimit.slip %s, tcp.maxConnections %s; want 50, 0, 200", rate, slip, conns)
		}
		return
	}
	t.Error("no GSLBConfig rendered")
}

// The controller's CA reaches amko both ways AKO users give it: in the
// credentials Secret, and as the GSLBConfig's caBundle reference; the
// alternate controllers beside it.
func TestControllerCARendered(t *testing.T) {
	const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	objs := render(t, "--set", "configs.gslbLeaderController=10.10.10.10,configs.controllerCABundle.kind=ConfigMap,"+
		"configs.controllerCABundle.name=controller-ca,configs.alternateControllers={10.10.20.10,10.10.30.10},configs.alternateAfter=45s",
		"--set-string", "gslbLeaderCredentials.certificateAuthorityData="+pem)
	var gotRef, gotCA bool
	for _, o := range objs {
		switch {
		case o.GetKind() == "GSLBConfig":
			ref, _, _ := unstructured.NestedStringMap(o.Object, "spec", "gslbLeader", "caBundle")
			gotRef = ref["kind"] == "ConfigMap" && ref["name"] == "controller-ca"
			if !gotRef {
				t.Errorf("spec.gslbLeader.caBundle %v", ref)
			}
			alts, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "gslbLeader", "alternateControllers")
			after, _, _ := unstructured.NestedString(o.Object, "spec", "gslbLeader", "alternateAfter")
			if fmt.Sprint(alts) != "[10.10.20.10 10.10.30.10]" || after != "45s" {
				t.Errorf("spec.gslbLeader.alternateControllers %v, alternateAfter %q", alts, after)
			}
		case o.GetKind() == "Secret" && o.GetName() == "gslb-avi-secret":
			data, _, _ := unstructured.NestedStringMap(o.Object, "data")
			ca, err := base64.StdEncoding.DecodeString(data["certificateAuthorityData"])
			gotCA = err == nil && string(ca) == pem
			if !gotCA {
				t.Errorf("certificateAuthorityData %q (%v)", ca, err)
			}
		}
	}
	if !gotRef || !gotCA {
		t.Errorf("rendered the caBundle reference: %v, the CA in the credentials Secret: %v", gotRef, gotCA)
	}
}

// Replicas elect one active amko and keep one running through drains; the
// ServiceMonitor appears only where its API exists.
func TestReplicasAndMonitoring(t *testing.T) {
	count := func(args ...string) (leaderElect, pdb, serviceMonitor int) {
		for _, o := range render(t, args...) {
			switch o.GetKind() {
			case "StatefulSet":
				containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
				args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
				if slices.Contains(args, "--leader-elect") {
					leaderElect++
				}
			case "PodDisruptionBudget":
				pdb++
			case "ServiceMonitor":
				serviceMonitor++
			}
		}
		return
	}
	for _, tc := range []struct {
		args    []string
		le, pdb int
		sm      int
	}{
		{nil, 0, 0, 0},
		{[]string{"--set", "replicaCount=2"}, 1, 1, 0},
		{[]string{"--set", "replicaCount=2,podDisruptionBudget.enabled=false"}, 1, 0, 0},
		{[]string{"--set", "leaderElection=true"}, 1, 0, 0},
		{[]string{"--set", "metrics.serviceMonitor.enabled=true"}, 0, 0, 0},
		{[]string{"--set", "metrics.serviceMonitor.enabled=true", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"}, 0, 0, 1},
	} {
		le, pdb, sm := count(tc.args...)
		if le != tc.le || pdb != tc.pdb || sm != tc.sm {
			t.Errorf("%v: --leader-elect %d, PodDisruptionBudget %d, ServiceMonitor %d; want %d, %d, %d", tc.args, le, pdb, sm, tc.le, tc.pdb, tc.sm)
		}
	}
}

// The endpoint values: by default HTTPS with a self-signed certificate, health
// on its own port, a NetworkPolicy that lets DNS and health in from anywhere;
// tlsSecretName mounts a certificate; metrics.insecure renders the old open
// port and none of the guard's RBAC; networkPolicy.enabled=false none.
func TestEndpointsRendered(t *testing.T) {
	type rendered struct {
		args, ports               []string
		probePort                 string
		serviceMonitorScheme      string
		tokenReviews, reader, npo bool
		npPorts                   []string
		secret                    string
	}
	look := func(args ...string) rendered {
		var r rendered
		for _, o := range render(t, append([]string{"--values", "test/chart/testdata/dns-values.yaml",
			"--api-versions", "monitoring.coreos.com/v1/ServiceMonitor", "--set", "metrics.serviceMonitor.enabled=true"}, args...)...) {
			switch {
			case o.GetKind() == "StatefulSet":
				containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
				ctr := containers[0].(map[string]any)
				r.args, _, _ = unstructured.NestedStringSlice(ctr, "args")
				ports, _, _ := unstructured.NestedSlice(ctr, "ports")
				for _, p := range ports {
					r.ports = append(r.ports, fmt.Sprintf("%v:%v", p.(map[string]any)["name"], p.(map[string]any)["containerPort"]))
				}
				r.probePort, _, _ = unstructured.NestedString(ctr, "livenessProbe", "httpGet", "port")
				vols, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "volumes")
				for _, v := range vols {
					if name, _, _ := unstructured.NestedString(v.(map[string]any), "secret", "secretName"); name != "" {
						r.secret = name
					}
				}
			case o.GetKind() == "ServiceMonitor":
				eps, _, _ := unstructured.NestedSlice(o.Object, "spec", "endpoints")
				r.serviceMonitorScheme = fmt.Sprint(eps[0].(map[string]any)["port"], " ", eps[0].(map[string]any)["scheme"])
			case o.GetKind() == "ClusterRole" && o.GetName() == "amko-role":
				r.tokenReviews = strings.Contains(fmt.Sprint(o.Object["rules"]), "tokenreviews")
			case o.GetKind() == "ClusterRoleBinding" && o.GetName() == "amko-status-reader":
				r.reader = true
			case o.GetKind() == "NetworkPolicy":
				r.npo = true
				ingress, _, _ := unstructured.NestedSlice(o.Object, "spec", "ingress")
				for _, rule := range ingress {
					if _, limited := rule.(map[string]any)["from"]; limited {
						continue // only rules open to anyone
					}
					ports, _, _ := unstructured.NestedSlice(rule.(map[string]any), "ports")
					for _, p := range ports {
						r.npPorts = append(r.npPorts, fmt.Sprintf("%v/%v", p.(map[string]any)["port"], p.(map[string]any)["protocol"]))
					}
				}
			}
		}
		return r
	}

	def := look()
	for _, want := range []string{"--listen=:8443", "--health-listen=:8081"} {
		if !slices.Contains(def.args, want) {
			t.Errorf("default args %v lack %s", def.args, want)
		}
	}
	if slices.Contains(def.args, "--insecure-endpoints") || def.probePort != "health" || !def.tokenReviews || !def.reader || !def.npo ||
		def.serviceMonitorScheme != "https https" || def.secret != "" || !slices.Contains(def.ports, "https:8443") {
		t.Errorf("default: %+v", def)
	}
	// DNS (the zone's port, both protocols), health and the endpoints from anywhere.
	if got, want := fmt.Sprint(def.npPorts), "[5353/UDP 5353/TCP 8081/TCP 8443/TCP]"; got != want {
		t.Errorf("NetworkPolicy ports open to anyone %s, want %s", got, want)
	}
	if r := look("--set", "networkPolicy.endpointsFrom[0].namespaceSelector.matchLabels.team=monitoring"); fmt.Sprint(r.npPorts) != "[5353/UDP 5353/TCP 8081/TCP]" {
		t.Errorf("endpointsFrom: ports open to anyone %v", r.npPorts)
	}
	if r := look("--set", "networkPolicy.enabled=false"); r.npo {
		t.Error("networkPolicy.enabled=false rendered a NetworkPolicy")
	}
	tlsR := look("--set", "metrics.tlsSecretName=amko-tls")
	if tlsR.secret != "amko-tls" || !slices.Contains(tlsR.args, "--tls-cert-file=/etc/amko/tls/tls.crt") || !slices.Contains(tlsR.args, "--tls-key-file=/etc/amko/tls/tls.key") {
		t.Errorf("tlsSecretName: %+v", tlsR)
	}
	open := look("--set", "metrics.insecure=true,metrics.tlsSecretName=amko-tls")
	if !slices.Contains(open.args, "--insecure-endpoints") || slices.Contains(open.args, "--tls-cert-file=/etc/amko/tls/tls.crt") ||
		open.tokenReviews || open.reader || open.secret != "" || open.serviceMonitorScheme != "http <nil>" || !slices.Contains(open.ports, "http:8443") {
		t.Errorf("metrics.insecure: %+v", open)
	}
}

// configs.dns beside a controller (the way off Avi): the GSLBConfig names both,
// and the chart renders what each needs: the credentials Secret and the DNS
// Service.
func TestDNSBesideController(t *testing.T) {
	objs := render(t, "--set", "configs.gslbLeaderController=10.0.0.1,configs.dns.zones[0].name=gslb.example.com")
	gc := find(t, objs, "GSLBConfig", "gc-1")
	if ip, _, _ := unstructured.NestedString(gc.Object, "spec", "gslbLeader", "controllerIP"); ip != "10.0.0.1" {
		t.Errorf("controllerIP %q", ip)
	}
	if zones, _, _ := unstructured.NestedSlice(gc.Object, "spec", "dns", "zones"); len(zones) != 1 {
		t.Errorf("dns zones %v", zones)
	}
	find(t, objs, "Secret", "gslb-avi-secret")
	find(t, objs, "Service", "amko-dns")
}
