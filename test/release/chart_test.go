// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package release

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// The chart as make release publishes it, installed from the OCI registry
// with the commands of AMKO's install and upgrade guide: it shows the chart
// and its values, pulls the very package pushed, renders its CRDs for the
// upgrade step, and installs on a real API server, where its StatefulSet runs
// the image pushed beside it, whose binary accepts the chart's arguments.
func TestChartFromOCIRegistry(t *testing.T) {
	version := chartVersion(t)
	h := newHelmHome(t, t.TempDir())
	h.login(t)
	pkg := packageChart(t, h, version, t.TempDir())
	_, out := h.helmBoth(t, "push", pkg, "oci://"+reg.addr+"/helm-charts")
	if !strings.Contains(out, "Pushed: "+reg.addr+"/helm-charts/amko:"+version) {
		t.Errorf("helm push: %q, want Pushed: %s/helm-charts/amko:%s", out, reg.addr, version)
	}
	chart := "oci://" + reg.addr + "/helm-charts/amko"

	// Step 2 of the guide: the chart is there, in this version.
	checkChartYAML(t, h.helm(t, "show", "chart", chart, "--version", version), version)
	// Step 3: the values to edit are the chart's, byte for byte.
	checkValues(t, h.helm(t, "show", "values", chart, "--version", version))
	// helm pull brings back the package pushed.
	pulled := t.TempDir()
	h.helm(t, "pull", chart, "--version", version, "--destination", pulled)
	samePackage(t, pkg, filepath.Join(pulled, filepath.Base(pkg)))
	// The upgrade guide's step 2: the CRDs, to kubectl apply, from the registry.
	rendered := t.TempDir()
	h.helm(t, "template", chart, "--version", version, "--include-crds", "--output-dir", rendered)
	sameCRDs(t, filepath.Join(rendered, "amko", "crds"))

	// Step 5: install, with the image from the same registry.
	ref, digest := pushImage(t)
	repo, tag, _ := strings.Cut(ref, ":"+version)
	if tag != "" {
		t.Fatalf("image reference %s does not end in the version %s", ref, version)
	}
	h.helm(t, "install", "--generate-name", chart, "--version", version,
		"-f", filepath.Join(root, "test/release/testdata/dns-values.yaml"),
		"--set", "image.repository="+repo, "--namespace=avi-system")
	release := deployed(t, h, version)
	t.Cleanup(func() { uninstall(t, h, release) })

	c := set.Clusters[0]
	var sts appsv1.StatefulSet
	if err := c.Client.Get(context.Background(), types.NamespacedName{Namespace: clusters.Namespace, Name: "amko"}, &sts); err != nil {
		t.Fatalf("the installed StatefulSet: %v", err)
	}
	pod := sts.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("StatefulSet containers: %d, want 1", len(pod.Containers))
	}
	ctr := pod.Containers[0]
	if ctr.Image != ref {
		t.Errorf("the StatefulSet runs %s, the image pushed is %s", ctr.Image, ref)
	}
	got, err := headManifest(context.Background(), "amko", version)
	if err != nil || got != digest {
		t.Errorf("the registry has %s as %s (%v), pushed %s", ref, got, err, digest)
	}
	if len(ctr.Command) != 0 {
		t.Errorf("the container overrides the image's entrypoint with %q", ctr.Command)
	}
	// The pod's user is the image's: the chart and the image agree, and a
	// kubelet enforcing runAsNonRoot accepts both.
	sc := pod.SecurityContext
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 65532 || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and runAsUser 65532, the image's user", sc)
	}
	usage(t, imageBinary(t), ctr.Args...)
}

// The classic chart repository, an index.yaml and its packages on an HTTPS
// server, used exactly as AMKO's guide writes it: helm repo add, helm search
// repo, helm show values <repo>/amko --version, helm install <repo>/amko
// --generate-name --version with those values. Two versions are served, so
// that --version has a choice to make.
func TestChartRepository(t *testing.T) {
	version := chartVersion(t)
	const older = "0.0.1"
	if version == older {
		t.Fatalf("the chart's version is %s, the test's older one", older)
	}
	h := newHelmHome(t, t.TempDir())
	dir := t.TempDir()
	pkg := packageChart(t, h, version, dir)
	packageChart(t, h, older, dir)

	srv := httptest.NewUnstartedServer(http.StripPrefix("/chartrepo/amko", http.FileServer(http.Dir(dir))))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{tlsCert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	url := srv.URL + "/chartrepo/amko"
	// As make chart-repo writes it.
	h.helm(t, "repo", "index", dir, "--url", url)

	// The guide's steps 2 to 6.
	if out := h.helm(t, "repo", "add", "ako", url); !strings.Contains(out, `"ako" has been added`) {
		t.Errorf("helm repo add: %q", out)
	}
	rows := searchRows(t, h.helm(t, "search", "repo"))
	if len(rows) != 1 || rows[0][0] != "ako/amko" || rows[0][1] != version || rows[0][2] != version {
		t.Errorf("helm search repo: %q, want ako/amko %s %s", rows, version, version)
	}
	rows = searchRows(t, h.helm(t, "search", "repo", "amko", "--versions"))
	var versions []string
	for _, r := range rows {
		versions = append(versions, r[0]+" "+r[1])
	}
	if !slices.Equal(versions, []string{"ako/amko " + version, "ako/amko " + older}) {
		t.Errorf("helm search repo amko --versions: %q", versions)
	}
	values := h.helm(t, "show", "values", "ako/amko", "--version", version)
	checkValues(t, values)
	checkChartYAML(t, h.helm(t, "show", "chart", "ako/amko", "--version", older), older)
	pulled := t.TempDir()
	h.helm(t, "pull", "ako/amko", "--version", version, "--destination", pulled)
	samePackage(t, pkg, filepath.Join(pulled, filepath.Base(pkg)))

	valuesFile := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(valuesFile, []byte(values), 0o600); err != nil {
		t.Fatal(err)
	}
	h.helm(t, "install", "ako/amko", "--generate-name", "--version", version, "-f", valuesFile,
		"--set", "configs.gsllbLeaderController=10.10.10.10", "--namespace=avi-system")
	release := deployed(t, h, version)
	t.Cleanup(func() { uninstall(t, h, release) })
	// AMKO's README spelling reached the GSLBConfig.
	gc := &unstructured.Unstructured{}
	gc.SetAPIVersion("amko.vmware.com/v1alpha1")
	gc.SetKind("GSLBConfig")
	if err := set.Clusters[0].Client.Get(context.Background(), types.NamespacedName{Namespace: clusters.Namespace, Name: "gc-1"}, gc); err != nil {
		t.Fatalf("the installed GSLBConfig: %v", err)
	}
	if ip, _, _ := unstructured.NestedString(gc.Object, "spec", "gslbLeader", "controllerIP"); ip != "10.10.10.10" {
		t.Errorf("GSLBConfig controllerIP %q, want 10.10.10.10 from --set configs.gsllbLeaderController", ip)
	}
}

// packageChart packages charts/amko as make chart-package does and returns
// the package's path.
func packageChart(t *testing.T, h *helmHome, version, dir string) string {
	t.Helper()
	h.helm(t, "package", "charts/amko", "--version", version, "--app-version", version, "--destination", dir)
	pkg := filepath.Join(dir, "amko-"+version+".tgz")
	if _, err := os.Stat(pkg); err != nil {
		t.Fatalf("helm package wrote no %s: %v", pkg, err)
	}
	return pkg
}

func checkChartYAML(t *testing.T, out, version string) {
	t.Helper()
	var c struct {
		Name, Version, AppVersion string
	}
	if err := yaml.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("helm show chart: %v\n%s", err, out)
	}
	if c.Name != "amko" || c.Version != version || c.AppVersion != version {
		t.Errorf("helm show chart: name %q version %q appVersion %q, want amko %s %s", c.Name, c.Version, c.AppVersion, version, version)
	}
}

func checkValues(t *testing.T, out string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join(root, "charts/amko/values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != strings.TrimSpace(string(want)) {
		t.Errorf("helm show values is not charts/amko/values.yaml (%d bytes, want %d)", len(out), len(want))
	}
}

func samePackage(t *testing.T, want, got string) {
	t.Helper()
	a, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(got)
	if err != nil {
		t.Fatalf("helm pull: %v", err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("helm pull brought %s (%s), not the package published (%s)", got, sha(b), sha(a))
	}
}

// sameCRDs: the folder has charts/amko/crds' files, unchanged.
func sameCRDs(t *testing.T, dir string) {
	t.Helper()
	want, err := filepath.Glob(filepath.Join(root, "charts/amko/crds/*.yaml"))
	if err != nil || len(want) == 0 {
		t.Fatalf("charts/amko/crds: %v", err)
	}
	for _, w := range want {
		a, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.Base(w)))
		if err != nil {
			t.Errorf("helm template --include-crds: %v", err)
			continue
		}
		// helm heads each file with its source and ends it with a newline.
		header := "---\n# Source: amko/crds/" + filepath.Base(w) + "\n"
		if !bytes.HasPrefix(b, []byte(header)) || !bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b[len(header):])) {
			t.Errorf("helm template --include-crds: %s differs from charts/amko/crds", filepath.Base(w))
		}
	}
}

// searchRows are helm search's rows without its heading, split on tabs.
func searchRows(t *testing.T, out string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("helm search: %q", out)
	}
	var rows [][]string
	for _, l := range lines[1:] {
		var row []string
		for f := range strings.SplitSeq(l, "\t") {
			row = append(row, strings.TrimSpace(f))
		}
		if len(row) < 3 {
			t.Fatalf("helm search row %q", l)
		}
		rows = append(rows, row)
	}
	return rows
}

// deployed is the one release in avi-system, which must be version's chart,
// deployed.
func deployed(t *testing.T, h *helmHome, version string) string {
	t.Helper()
	var releases []struct {
		Name, Status, Chart string
		AppVersion          string `json:"app_version"`
	}
	out := h.helm(t, "list", "-n", "avi-system", "-o", "json")
	if err := json.Unmarshal([]byte(out), &releases); err != nil {
		t.Fatalf("helm list: %v\n%s", err, out)
	}
	if len(releases) != 1 || releases[0].Status != "deployed" || releases[0].Chart != "amko-"+version || releases[0].AppVersion != version {
		t.Fatalf("helm list -n avi-system: %+v, want one release of amko-%s, deployed", releases, version)
	}
	return releases[0].Name
}

// uninstall removes the release and the GlobalDeploymentPolicy the chart
// keeps on uninstall, so that the next install finds the namespace as the
// cluster started.
func uninstall(t *testing.T, h *helmHome, release string) {
	t.Helper()
	h.helm(t, "uninstall", release, "-n", "avi-system")
	gdp := &unstructured.Unstructured{}
	gdp.SetAPIVersion("amko.vmware.com/v1alpha2")
	gdp.SetKind("GlobalDeploymentPolicy")
	gdp.SetNamespace(clusters.Namespace)
	gdp.SetName("global-gdp")
	c := set.Clusters[0].Client
	if err := c.Delete(context.Background(), gdp); err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("deleting the kept GDP: %v", err)
	}
	await.Eventually(t, "the kept GDP is gone", func() error {
		err := c.Get(context.Background(), types.NamespacedName{Namespace: clusters.Namespace, Name: "global-gdp"}, gdp.DeepCopy())
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (%v)", err)
	})
}
