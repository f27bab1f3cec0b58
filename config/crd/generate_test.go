// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package crd_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The deepcopy code and CRD manifests must be what controller-gen makes of api/
// now: the generator runs on a copy of the API sources, without their generated
// files, and its output must match the committed files byte for byte.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "hack/boilerplate.go.txt"} {
		copyFile(t, filepath.Join(root, f), filepath.Join(tmp, f))
	}
	err = filepath.WalkDir(filepath.Join(root, "api"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || d.Name() == "zz_generated.deepcopy.go" {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		copyFile(t, path, filepath.Join(tmp, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("go", "-C", filepath.Join(root, "hack", "tools"), "tool", "controller-gen",
		"object:headerFile="+filepath.Join(tmp, "hack", "boilerplate.go.txt"),
		"crd", "paths="+filepath.Join(tmp, "api")+"/...",
		"output:crd:dir="+filepath.Join(tmp, "config", "crd"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen: %v\n%s", err, out)
	}

	generated := func(base string) map[string][]byte {
		files := map[string][]byte{}
		_ = filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(base, path)
			isDeepcopy := d.Name() == "zz_generated.deepcopy.go"
			isCRD := filepath.Dir(rel) == filepath.Join("config", "crd") && strings.HasSuffix(rel, ".yaml") && bytes.Contains(data, []byte("controller-gen.kubebuilder.io/version"))
			if isDeepcopy || isCRD {
				files[rel] = data
			}
			return nil
		})
		return files
	}
	want := generated(tmp)
	have := generated(root)
	if len(want) < 10 {
		t.Fatalf("controller-gen produced only %d files: %v", len(want), keys(want))
	}
	for name, data := range want {
		if got, ok := have[name]; !ok {
			t.Errorf("%s is missing: run `make generate`", name)
		} else if !bytes.Equal(got, data) {
			t.Errorf("%s is stale: run `make generate`", name)
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is no longer generated: delete it", name)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
