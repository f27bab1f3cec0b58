// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's user: distroless' nonroot, which the Dockerfile's base has and
// the chart's podSecurityContext (runAsUser 65532) expects.
const (
	uid      = 65532
	userName = "nonroot"
	home     = "/home/nonroot"
)

type platformBinary struct{ os, arch, path string }

type buildOptions struct {
	layout         string
	version        string
	revision       string
	source         string
	created        int64
	caCertificates string
	platforms      []platformBinary
}

// refNameAnnotation names an index in an OCI layout, as skopeo, crane and
// `oras` read it: the layout's tag.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// build writes the image index into a fresh OCI layout and returns its digest.
func build(o buildOptions) (v1.Hash, error) {
	created := time.Unix(o.created, 0).UTC()
	labels := map[string]string{
		"org.opencontainers.image.title":       "amko",
		"org.opencontainers.image.description": "AMKO-compatible multi-cluster GSLB operator for Kubernetes",
		"org.opencontainers.image.source":      o.source,
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.created":     created.Format(time.RFC3339),
	}
	if o.revision != "" {
		labels["org.opencontainers.image.revision"] = o.revision
	}
	var caBundle []byte
	if o.caCertificates != "" {
		var err error
		if caBundle, err = os.ReadFile(o.caCertificates); err != nil {
			return v1.Hash{}, fmt.Errorf("reading -ca-certificates: %w", err)
		}
	}

	// Compressing a layer takes seconds: the platforms' run in parallel.
	imgs := make([]v1.Image, len(o.platforms))
	errs := make([]error, len(o.platforms))
	var wg sync.WaitGroup
	for i, p := range o.platforms {
		wg.Go(func() {
			imgs[i], errs[i] = platformImage(p, created, labels, caBundle)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("image for %s/%s: %w", p.os, p.arch, errs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return v1.Hash{}, err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i, p := range o.platforms {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add: imgs[i],
			Descriptor: v1.Descriptor{
				Platform:    &v1.Platform{OS: p.os, Architecture: p.arch},
				Annotations: map[string]string{"org.opencontainers.image.version": o.version},
			},
		})
	}
	// Registries and their web pages show an index's annotations, not the
	// labels inside each image's config.
	idx = mutate.Annotations(idx, labels).(v1.ImageIndex)

	if err := clearLayout(o.layout); err != nil {
		return v1.Hash{}, err
	}
	lp, err := layout.Write(o.layout, empty.Index)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing layout %s: %w", o.layout, err)
	}
	if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{refNameAnnotation: o.version})); err != nil {
		return v1.Hash{}, fmt.Errorf("writing the index to %s: %w", o.layout, err)
	}
	digest, err := idx.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("index digest: %w", err)
	}
	return digest, nil
}

// platformImage is the image of one platform: its layer and its config.
func platformImage(p platformBinary, created time.Time, labels map[string]string, caBundle []byte) (v1.Image, error) {
	bin, err := os.ReadFile(p.path)
	if err != nil {
		return nil, fmt.Errorf("reading the binary: %w", err)
	}
	gz, err := rootLayer(bin, created, caBundle)
	if err != nil {
		return nil, err
	}
	// The layer is compressed once, here; ggcr keeps gzip input as it is, so
	// the digest, the layout and the push all use these bytes.
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gz)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "amko-image: /amko, /etc/passwd, /etc/group, /etc/nsswitch.conf, /home/nonroot, /tmp",
			Comment:   "hack/release/cmd/amko-image",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("adding the layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = p.os, p.arch
	cf.Created = v1.Time{Time: created}
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + home}
	if caBundle != nil {
		env = append(env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
	}
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", uid, uid),
		Entrypoint: []string{"/amko"},
		Env:        env,
		WorkingDir: "/",
		Labels:     labels,
		// As the Dockerfile: the metrics and health port and the DNS port of
		// a non-root process.
		ExposedPorts: map[string]struct{}{"8443/tcp": {}, "8081/tcp": {}, "5353/udp": {}, "5353/tcp": {}},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("setting the config: %w", err)
	}
	return img, nil
}

// rootLayer is the image's only layer, gzipped: the files of distroless'
// static image that amko uses, and amko. Entries are in a fixed order with
// fixed times and owners, so equal inputs give equal bytes.
func rootLayer(bin []byte, created time.Time, caBundle []byte) ([]byte, error) {
	type entry struct {
		name     string
		mode     int64
		uid      int
		data     []byte
		typeflag byte
	}
	dir := func(name string, mode int64, owner int) entry {
		return entry{name: name, mode: mode, uid: owner, typeflag: tar.TypeDir}
	}
	file := func(name string, mode int64, data []byte) entry {
		return entry{name: name, mode: mode, data: data, typeflag: tar.TypeReg}
	}
	entries := []entry{
		file("amko", 0o755, bin),
		dir("etc/", 0o755, 0),
		file("etc/group", 0o644, fmt.Appendf(nil, "root:x:0:\n%s:x:%d:\n", userName, uid)),
		file("etc/nsswitch.conf", 0o644, []byte("hosts: files dns\n")),
		file("etc/passwd", 0o644, fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", userName, uid, uid, userName, home)),
	}
	if caBundle != nil {
		entries = append(entries,
			dir("etc/ssl/", 0o755, 0),
			dir("etc/ssl/certs/", 0o755, 0),
			file("etc/ssl/certs/ca-certificates.crt", 0o644, caBundle))
	}
	entries = append(entries,
		dir("home/", 0o755, 0),
		dir("home/nonroot/", 0o700, uid),
		// Sticky and world-writable, as /tmp is everywhere; the chart mounts the
		// root filesystem read-only, so it matters only outside it.
		dir("tmp/", 0o1777, 0),
	)

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{
			Typeflag: e.typeflag,
			Name:     e.name,
			Mode:     e.mode,
			Uid:      e.uid,
			Gid:      e.uid,
			Size:     int64(len(e.data)),
			ModTime:  created,
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// clearLayout makes dir an empty folder, refusing to delete one that is neither
// empty nor an OCI layout: -layout may be mistyped.
func clearLayout(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return fmt.Errorf("layout folder: %w", err)
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return fmt.Errorf("%s is neither empty nor an OCI layout; not replacing it", dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("replacing layout %s: %w", dir, err)
	}
	return os.MkdirAll(dir, 0o755)
}
