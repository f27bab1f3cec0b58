// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Command krew builds the release of amko's kubectl plugin: kubectl-amko
// cross-compiled for each platform of the krew manifest (hack/krew/amko.yaml),
// packed as kubectl-amko_<os>_<arch>.tar.gz, and the manifest with the
// version, each archive's URI and SHA-256 filled in:
//
//	go run ./hack/krew -version 0.1.0 -out dist/krew
//
// The archives go to the release at -base-url (by default the GitHub release
// of the version); the manifest to krew-index, or to `kubectl krew install
// --manifest`.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"sigs.k8s.io/yaml"
)

// Platforms are the os/arch pairs kubectl-amko is released for; the manifest
// names the same four (TestManifestPlatforms).
var Platforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"}

// Binary is the plugin's executable: kubectl finds "kubectl amko" by it.
const Binary = "kubectl-amko"

func main() {
	version := flag.String("version", "", "the release's version, without the v (e.g. 0.1.0)")
	baseURL := flag.String("base-url", "", "where the archives are published; default https://github.com/amko-project/amko/releases/download/v<version>")
	out := flag.String("out", "dist/krew", "directory for the archives and amko.yaml")
	manifest := flag.String("manifest", "hack/krew/amko.yaml", "the manifest template")
	flag.Parse()
	if err := release(*version, *baseURL, *out, *manifest); err != nil {
		fmt.Fprintln(os.Stderr, "krew:", err)
		os.Exit(1)
	}
}

func release(version, baseURL, out, manifest string) error {
	if version == "" {
		return fmt.Errorf("-version is required")
	}
	if baseURL == "" {
		baseURL = "https://github.com/amko-project/amko/releases/download/v" + version
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	tmpl, err := os.ReadFile(manifest)
	if err != nil {
		return fmt.Errorf("reading the manifest template: %w", err)
	}
	sums := map[string]string{}
	for _, p := range Platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		bin := filepath.Join(out, goos+"_"+goarch, Binary)
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/kubectl-amko")
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building %s for %s: %w", Binary, p, err)
		}
		archive := filepath.Join(out, ArchiveName(goos, goarch))
		sum, err := Pack(bin, archive)
		if err != nil {
			return err
		}
		sums[goos+"_"+goarch] = sum
	}
	m, err := Render(tmpl, version, baseURL, sums)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "amko.yaml"), m, 0o644)
}

// ArchiveName is the name of the archive of one platform, as the manifest's
// URIs name it.
func ArchiveName(goos, goarch string) string {
	return Binary + "_" + goos + "_" + goarch + ".tar.gz"
}

// Pack writes the binary at bin into a .tar.gz at archive, as the only file
// and under the name the manifest's files.from gives, and returns the
// archive's SHA-256 in hex. File times are the epoch and the owner root, so
// that the same binary always gives the same archive and digest.
func Pack(bin, archive string) (string, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", bin, err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	hdr := &tar.Header{Name: Binary, Mode: 0o755, Size: int64(len(data)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return "", fmt.Errorf("packing %s: %w", bin, err)
	}
	if _, err := tw.Write(data); err != nil {
		return "", fmt.Errorf("packing %s: %w", bin, err)
	}
	if err := tw.Close(); err != nil {
		return "", fmt.Errorf("packing %s: %w", bin, err)
	}
	if err := gz.Close(); err != nil {
		return "", fmt.Errorf("packing %s: %w", bin, err)
	}
	if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", archive, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

// Render fills the manifest template with the version, the archives' base
// URL and their SHA-256 by "<os>_<arch>", and checks that the result is a
// manifest whose every platform has a digest and a URI of this version.
func Render(tmpl []byte, version, baseURL string, sums map[string]string) ([]byte, error) {
	t, err := template.New("amko.yaml").Option("missingkey=error").Parse(string(tmpl))
	if err != nil {
		return nil, fmt.Errorf("parsing the manifest template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, map[string]any{"Version": version, "BaseURL": strings.TrimSuffix(baseURL, "/"), "SHA256": sums}); err != nil {
		return nil, fmt.Errorf("filling the manifest template: %w", err)
	}
	m, err := ParseManifest(buf.Bytes())
	if err != nil {
		return nil, err
	}
	for _, p := range m.Spec.Platforms {
		if len(p.SHA256) != 64 || strings.Trim(p.SHA256, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("platform %s/%s: sha256 %q is not a SHA-256 in hex", p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"], p.SHA256)
		}
	}
	return buf.Bytes(), nil
}

// Manifest is the part of a krew plugin manifest (krew.googlecontainertools.github.com/v1alpha2 Plugin) checked here.
type Manifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string     `json:"version"`
		ShortDescription string     `json:"shortDescription"`
		Platforms        []Platform `json:"platforms"`
	} `json:"spec"`
}

// Platform is one platform's archive in a krew manifest.
type Platform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string `json:"uri"`
	SHA256 string `json:"sha256"`
	Bin    string `json:"bin"`
	Files  []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"files"`
}

// ParseManifest reads a krew manifest and checks that it is one, with at
// least one platform. Fields not modelled (homepage, description, caveats)
// are let through.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parsing the krew manifest: %w", err)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" {
		return nil, fmt.Errorf("not a krew Plugin manifest: apiVersion %q, kind %q", m.APIVersion, m.Kind)
	}
	if len(m.Spec.Platforms) == 0 {
		return nil, fmt.Errorf("the krew manifest has no platform")
	}
	return &m, nil
}
