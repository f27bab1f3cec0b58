// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// push sends the layout's image index to ref and returns its digest.
func push(ctx context.Context, dir, ref string, insecure bool) (v1.Hash, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("reference %q: %w", ref, err)
	}
	idx, err := layoutIndex(dir)
	if err != nil {
		return v1.Hash{}, err
	}
	kc := authn.NewMultiKeychain(helmKeychain{path: helmRegistryConfig()}, authn.DefaultKeychain)
	if err := remote.WriteIndex(r, idx, remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing to %s: %w", ref, err)
	}
	digest, err := idx.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("index digest: %w", err)
	}
	return digest, nil
}

// layoutIndex is the one image index that build wrote into the layout.
func layoutIndex(dir string) (v1.ImageIndex, error) {
	lp, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading layout %s (run amko-image build or make image first): %w", dir, err)
	}
	root, err := lp.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("layout %s: %w", dir, err)
	}
	m, err := root.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("layout %s: %w", dir, err)
	}
	if len(m.Manifests) != 1 || !m.Manifests[0].MediaType.IsIndex() {
		return nil, fmt.Errorf("layout %s: want the one image index amko-image build writes, found %d entries", dir, len(m.Manifests))
	}
	idx, err := root.ImageIndex(m.Manifests[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("layout %s: %w", dir, err)
	}
	return idx, nil
}

// helmRegistryConfig is where `helm registry login` keeps credentials, so that
// one login serves both the chart's and the image's push.
func helmRegistryConfig() string {
	if p := os.Getenv("HELM_REGISTRY_CONFIG"); p != "" {
		return p
	}
	if d := os.Getenv("HELM_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "registry", "config.json")
	}
	d := os.Getenv("XDG_CONFIG_HOME")
	if d == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		d = filepath.Join(h, ".config")
	}
	return filepath.Join(d, "helm", "registry", "config.json")
}

// helmKeychain reads helm's registry config, which has the format of Docker's
// config.json. An absent file or registry is anonymous, so that the next
// keychain is asked.
type helmKeychain struct{ path string }

func (k helmKeychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	if k.path == "" {
		return authn.Anonymous, nil
	}
	data, err := os.ReadFile(k.path)
	if errors.Is(err, fs.ErrNotExist) {
		return authn.Anonymous, nil
	}
	if err != nil {
		return nil, fmt.Errorf("helm registry config: %w", err)
	}
	var cf struct {
		Auths map[string]struct {
			Auth          string `json:"auth"`
			Username      string `json:"username"`
			Password      string `json:"password"`
			IdentityToken string `json:"identitytoken"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(data, &cf); err != nil {
		return nil, fmt.Errorf("helm registry config %s: %w", k.path, err)
	}
	host := res.RegistryStr()
	for key, a := range cf.Auths {
		if strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://"), "/") != host {
			continue
		}
		cfg := authn.AuthConfig{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken}
		if a.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return nil, fmt.Errorf("helm registry config %s: auth for %s: %w", k.path, key, err)
			}
			user, pass, ok := strings.Cut(string(raw), ":")
			if !ok {
				return nil, fmt.Errorf("helm registry config %s: auth for %s is not user:password", k.path, key)
			}
			cfg.Username, cfg.Password = user, pass
		}
		return authn.FromConfig(cfg), nil
	}
	return authn.Anonymous, nil
}
