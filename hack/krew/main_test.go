// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readTemplate(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("amko.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The manifest, as kept and as filled in, is a krew Plugin named amko whose
// every platform installs the binary kubectl-amko, for linux and darwin on
// amd64 and arm64, each from the archive of its own os and arch.
func TestManifestPlatforms(t *testing.T) {
	tmpl := readTemplate(t)
	sums := map[string]string{}
	for i, p := range Platforms {
		sums[strings.ReplaceAll(p, "/", "_")] = strings.Repeat(string("0123"[i]), 64)
	}
	filled, err := Render(tmpl, "1.2.3", "https://example.com/releases/v1.2.3/", sums)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"template": tmpl, "filled": filled} {
		m, err := ParseManifest(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Metadata.Name != "amko" || m.Spec.ShortDescription == "" {
			t.Errorf("%s: name %q, shortDescription %q", name, m.Metadata.Name, m.Spec.ShortDescription)
		}
		var got []string
		for _, p := range m.Spec.Platforms {
			goos, goarch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
			got = append(got, goos+"/"+goarch)
			if p.Bin != Binary || len(p.Files) != 1 || p.Files[0].From != Binary || p.Files[0].To != "." {
				t.Errorf("%s: platform %s/%s installs bin %q from %+v, want %s", name, goos, goarch, p.Bin, p.Files, Binary)
			}
			if !strings.HasSuffix(p.URI, "/"+ArchiveName(goos, goarch)) {
				t.Errorf("%s: platform %s/%s uri %q is not its archive %s", name, goos, goarch, p.URI, ArchiveName(goos, goarch))
			}
			if name == "filled" {
				if want := "https://example.com/releases/v1.2.3/" + ArchiveName(goos, goarch); p.URI != want {
					t.Errorf("uri %q, want %q", p.URI, want)
				}
				if p.SHA256 != sums[goos+"_"+goarch] {
					t.Errorf("%s/%s: sha256 %q, want %q", goos, goarch, p.SHA256, sums[goos+"_"+goarch])
				}
			}
		}
		if !slices.Equal(got, Platforms) {
			t.Errorf("%s: platforms %v, want %v", name, got, Platforms)
		}
		if name == "filled" && m.Spec.Version != "v1.2.3" {
			t.Errorf("version %q, want v1.2.3", m.Spec.Version)
		}
	}

	// A platform without its digest is refused, not written as "<no value>".
	delete(sums, "darwin_arm64")
	if _, err := Render(tmpl, "1.2.3", "https://example.com", sums); err == nil {
		t.Error("a manifest missing a platform's sha256 was rendered")
	}
}

// An archive holds the binary alone, executable, under the name files.from
// gives, and its digest is the one returned; packing twice gives the same
// bytes.
func TestPack(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "built")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho amko\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, ArchiveName("linux", "amd64"))
	sum, err := Pack(bin, archive)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
		t.Errorf("Pack returned %s, the archive's digest is %x", sum, got)
	}
	again, err := Pack(bin, filepath.Join(dir, "again.tar.gz"))
	if err != nil || again != sum {
		t.Errorf("packing again: %s (%v), want %s", again, err, sum)
	}

	gz, err := gzip.NewReader(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(tr)
	if hdr.Name != Binary || hdr.Mode&0o111 == 0 || string(body) != "#!/bin/sh\necho amko\n" {
		t.Errorf("archive entry %s mode %o body %q", hdr.Name, hdr.Mode, body)
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("the archive holds more than the binary: %v", err)
	}
}
