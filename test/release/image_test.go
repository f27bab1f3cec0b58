// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The OCI media types the image is made of.
const (
	ociIndex    = "application/vnd.oci.image.index.v1+json"
	ociManifest = "application/vnd.oci.image.manifest.v1+json"
	ociConfig   = "application/vnd.oci.image.config.v1+json"
	ociLayerGz  = "application/vnd.oci.image.layer.v1.tar+gzip"
)

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	} `json:"platform"`
	Annotations map[string]string `json:"annotations"`
}

type index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Manifests     []descriptor      `json:"manifests"`
	Annotations   map[string]string `json:"annotations"`
}

type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

type imageConfig struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Config       struct {
		User         string              `json:"User"`
		Entrypoint   []string            `json:"Entrypoint"`
		Cmd          []string            `json:"Cmd"`
		Env          []string            `json:"Env"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts"`
		Labels       map[string]string   `json:"Labels"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// The image pushed to the registry, read back through the registry's API as
// a container runtime reads it: an OCI index with linux/amd64 and linux/arm64;
// each image runs the amko binary of its architecture, static, as the
// Dockerfile's user with its entrypoint and ports, and says where it comes
// from in its labels.
func TestImageInRegistry(t *testing.T) {
	ref, digest := pushImage(t)
	version := chartVersion(t)
	want := dockerfile(t)

	var idx index
	body := getJSON(t, "/v2/amko/manifests/"+version, ociIndex+", "+ociManifest, &idx)
	if got := sha(body); got != digest {
		t.Errorf("%s resolves to %s, amko-image pushed %s", ref, got, digest)
	}
	if idx.SchemaVersion != 2 || idx.MediaType != ociIndex {
		t.Fatalf("%s: schemaVersion %d, mediaType %q; want an OCI image index", ref, idx.SchemaVersion, idx.MediaType)
	}
	wantLabels := map[string]string{
		"org.opencontainers.image.source":   "https://github.com/amko-project/amko",
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.revision": testRevision,
	}
	for k, v := range wantLabels {
		if idx.Annotations[k] != v {
			t.Errorf("index annotation %s = %q, want %q", k, idx.Annotations[k], v)
		}
	}
	var got []string
	for _, d := range idx.Manifests {
		if d.Platform == nil {
			t.Errorf("index entry %s has no platform", d.Digest)
			continue
		}
		got = append(got, d.Platform.OS+"/"+d.Platform.Architecture)
	}
	if !slices.Equal(got, []string{"linux/amd64", "linux/arm64"}) {
		t.Fatalf("index platforms %v, want [linux/amd64 linux/arm64]", got)
	}

	for _, d := range idx.Manifests {
		arch := d.Platform.Architecture
		t.Run(arch, func(t *testing.T) {
			if d.MediaType != ociManifest {
				t.Errorf("manifest media type %q, want %q", d.MediaType, ociManifest)
			}
			var m manifest
			body := getJSON(t, "/v2/amko/manifests/"+d.Digest, ociManifest, &m)
			if sha(body) != d.Digest || int64(len(body)) != d.Size {
				t.Errorf("manifest is %s (%d bytes), the index says %s (%d bytes)", sha(body), len(body), d.Digest, d.Size)
			}
			if m.Config.MediaType != ociConfig || len(m.Layers) != 1 || m.Layers[0].MediaType != ociLayerGz {
				t.Fatalf("manifest: config %q, layers %+v; want an OCI config and one gzipped OCI layer", m.Config.MediaType, m.Layers)
			}
			var cfg imageConfig
			if err := json.Unmarshal(blob(t, m.Config), &cfg); err != nil {
				t.Fatalf("config: %v", err)
			}
			if cfg.OS != "linux" || cfg.Architecture != arch {
				t.Errorf("config platform %s/%s, the index says linux/%s", cfg.OS, cfg.Architecture, arch)
			}
			c := cfg.Config
			if c.User != want.user {
				t.Errorf("user %q, the Dockerfile's is %q", c.User, want.user)
			}
			if !slices.Equal(c.Entrypoint, want.entrypoint) || len(c.Cmd) != 0 {
				t.Errorf("entrypoint %q, cmd %q; the Dockerfile's entrypoint is %q and the chart gives only args", c.Entrypoint, c.Cmd, want.entrypoint)
			}
			var ports []string
			for p := range c.ExposedPorts {
				ports = append(ports, p)
			}
			slices.Sort(ports)
			if !slices.Equal(ports, want.ports) {
				t.Errorf("exposed ports %v, the Dockerfile's are %v", ports, want.ports)
			}
			for k, v := range wantLabels {
				if c.Labels[k] != v {
					t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
				}
			}

			layer := blob(t, m.Layers[0])
			files := untar(t, layer, cfg.RootFS.DiffIDs)
			checkBinary(t, files["amko"], arch)
			checkUser(t, files, c.User)
		})
	}
}

// tarFile is one entry of the layer.
type tarFile struct {
	hdr  *tar.Header
	data []byte
}

// untar reads the gzipped layer, checking that its uncompressed digest is the
// config's diff_id, as a runtime does before it trusts it.
func untar(t *testing.T, layer []byte, diffIDs []string) map[string]tarFile {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(layer))
	if err != nil {
		t.Fatalf("layer: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("layer: %v", err)
	}
	if len(diffIDs) != 1 || diffIDs[0] != sha(raw) {
		t.Errorf("config's diff_ids %v, the layer's is %s", diffIDs, sha(raw))
	}
	files := map[string]tarFile{}
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("layer: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("layer %s: %v", h.Name, err)
		}
		files[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = tarFile{hdr: h, data: data}
	}
	return files
}

// checkBinary: /amko is root's, executable by all, and a static ELF of arch.
// On the machine's own architecture it also runs.
func checkBinary(t *testing.T, f tarFile, arch string) {
	t.Helper()
	if f.hdr == nil {
		t.Fatal("the layer has no /amko")
	}
	if f.hdr.Typeflag != tar.TypeReg || f.hdr.Mode&0o555 != 0o555 || f.hdr.Mode&0o022 != 0 || f.hdr.Uid != 0 {
		t.Errorf("/amko: type %c, mode %o, uid %d; want a regular file, root's, r-x for all, writable by none", f.hdr.Typeflag, f.hdr.Mode, f.hdr.Uid)
	}
	e, err := elf.NewFile(bytes.NewReader(f.data))
	if err != nil {
		t.Fatalf("/amko is not an ELF binary: %v", err)
	}
	defer func() { _ = e.Close() }()
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if e.Machine != machine || e.Class != elf.ELFCLASS64 || e.Type != elf.ET_EXEC {
		t.Errorf("/amko: %v %v %v, want %v ELFCLASS64 ET_EXEC", e.Machine, e.Class, e.Type, machine)
	}
	// A dynamically linked binary names its loader, which the image lacks.
	for _, p := range e.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("/amko is dynamically linked (%v): the image has no libc", p.Type)
		}
	}
	if arch != runtime.GOARCH || runtime.GOOS != "linux" {
		return
	}
	bin := filepath.Join(t.TempDir(), "amko")
	if err := os.WriteFile(bin, f.data, 0o755); err != nil {
		t.Fatal(err)
	}
	usage(t, bin)
}

// usage runs amko with args and -h: the binary starts, and the flag package
// reaches -h, printing the usage, only if every argument before it is a flag
// amko defines, with a valid value. This checks arguments without starting
// amko. (Whether -h exits 0 or 1 is amko's choice, not the image's.)
func usage(t *testing.T, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append(args, "-h")...).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running the image's amko: %v", err)
	}
	for _, bad := range []string{"flag provided but not defined", "invalid value", "invalid boolean"} {
		if strings.Contains(string(out), bad) {
			t.Errorf("amko %s: %s\n%s", strings.Join(args, " "), bad, out)
		}
	}
	if !strings.Contains(string(out), "Usage of amko") {
		t.Errorf("amko %s -h printed no usage: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// imageBinary is /amko from the pushed image for this machine's architecture.
func imageBinary(t *testing.T) string {
	t.Helper()
	_, digest := pushImage(t)
	var idx index
	getJSON(t, "/v2/amko/manifests/"+digest, ociIndex, &idx)
	for _, d := range idx.Manifests {
		if d.Platform == nil || d.Platform.OS != runtime.GOOS || d.Platform.Architecture != runtime.GOARCH {
			continue
		}
		var m manifest
		getJSON(t, "/v2/amko/manifests/"+d.Digest, ociManifest, &m)
		var cfg imageConfig
		if err := json.Unmarshal(blob(t, m.Config), &cfg); err != nil {
			t.Fatalf("config: %v", err)
		}
		f := untar(t, blob(t, m.Layers[0]), cfg.RootFS.DiffIDs)["amko"]
		if f.hdr == nil {
			t.Fatal("the image has no /amko")
		}
		bin := filepath.Join(t.TempDir(), "amko")
		if err := os.WriteFile(bin, f.data, 0o755); err != nil {
			t.Fatal(err)
		}
		return bin
	}
	t.Fatalf("the image has no %s/%s", runtime.GOOS, runtime.GOARCH)
	return ""
}

// checkUser: the config's user is numeric (a kubelet enforcing runAsNonRoot
// can only check a number) and /etc/passwd and /etc/group name it.
func checkUser(t *testing.T, files map[string]tarFile, user string) {
	t.Helper()
	uid, gid, ok := strings.Cut(user, ":")
	if _, err := strconv.Atoi(uid); err != nil || !ok {
		t.Fatalf("user %q is not uid:gid in numbers", user)
	}
	if uid == "0" {
		t.Fatalf("user %q is root", user)
	}
	find := func(file, id string, field int) bool {
		sc := bufio.NewScanner(bytes.NewReader(files[file].data))
		for sc.Scan() {
			if f := strings.Split(sc.Text(), ":"); len(f) > field && f[field] == id {
				return true
			}
		}
		return false
	}
	if !find("etc/passwd", uid, 2) {
		t.Errorf("/etc/passwd has no user %s:\n%s", uid, files["etc/passwd"].data)
	}
	if !find("etc/group", gid, 2) {
		t.Errorf("/etc/group has no group %s:\n%s", gid, files["etc/group"].data)
	}
}

// dockerfileImage is what the Dockerfile says of the image it builds.
type dockerfileImage struct {
	user       string
	entrypoint []string
	ports      []string // as in an OCI config: 8443/tcp
}

// dockerfile reads the Dockerfile's final stage, so that the image built
// without Docker and the one built with it cannot drift apart.
func dockerfile(t *testing.T) dockerfileImage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var d dockerfileImage
	for line := range strings.Lines(string(data)) {
		word, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(word) {
		case "FROM": // a new stage: only the last one is the image
			d = dockerfileImage{}
		case "USER":
			d.user = rest
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &d.entrypoint); err != nil {
				t.Fatalf("Dockerfile ENTRYPOINT %s: want the exec form: %v", rest, err)
			}
		case "EXPOSE":
			for p := range strings.FieldsSeq(rest) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				d.ports = append(d.ports, p)
			}
		}
	}
	slices.Sort(d.ports)
	if d.user == "" || len(d.entrypoint) == 0 {
		t.Fatalf("the Dockerfile's last stage has no USER or ENTRYPOINT: %+v", d)
	}
	return d
}

// getJSON GETs a registry path with the credentials and decodes the JSON
// answer into v; it returns the raw body, whose digest is the object's.
func getJSON(t *testing.T, path, accept string, v any) []byte {
	t.Helper()
	body := get(t, path, accept)
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, body)
	}
	return body
}

// blob fetches a blob and checks it against its descriptor.
func blob(t *testing.T, d descriptor) []byte {
	t.Helper()
	body := get(t, "/v2/amko/blobs/"+d.Digest, "")
	if sha(body) != d.Digest || int64(len(body)) != d.Size {
		t.Fatalf("blob %s: got %s, %d bytes; want %d bytes", d.Digest, sha(body), len(body), d.Size)
	}
	return body
}

func get(t *testing.T, path, accept string) []byte {
	t.Helper()
	resp, err := reg.do(context.Background(), http.MethodGet, path, accept, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
	}
	return body
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// headManifest says whether ref's manifest is in the registry, and its digest.
func headManifest(ctx context.Context, repo, tag string) (string, error) {
	resp, err := reg.do(ctx, http.MethodHead, "/v2/"+repo+"/manifests/"+tag, ociIndex+", "+ociManifest, true)
	if err != nil {
		return "", err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HEAD %s:%s: %s", repo, tag, resp.Status)
	}
	return resp.Header.Get("Docker-Content-Digest"), nil
}
