// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package kubeclient builds the client configuration of one named context of a
// kubeconfig (the gslb-members file), and says whether two contexts reach
// their API server the same way. The member registry and the federation both
// use it, so both notice the same changes: a context is rebuilt when, and only
// when, anything about how it connects changes.
package kubeclient

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Kubeconfig is a parsed kubeconfig.
type Kubeconfig struct {
	raw *clientcmdapi.Config
}

// Parse parses a kubeconfig. It never touches the network or the files the
// kubeconfig names.
func Parse(data []byte) (*Kubeconfig, error) {
	raw, err := clientcmd.Load(data)
	if err != nil {
		return nil, err
	}
	return &Kubeconfig{raw: raw}, nil
}

// Context is one resolved context of a kubeconfig.
type Context struct {
	// Name is the context's name.
	Name string
	// Fingerprint identifies how the context reaches its server: every field
	// of its cluster entry (server, CA data or file, insecure flag, TLS server
	// name, proxy, compression, extensions) and of its user entry (client
	// certificate and key, data or files, token, token file, basic auth,
	// impersonation, auth provider, exec plugin). Two contexts have the same
	// fingerprint iff they connect the same way, whatever their names, their
	// entries' names, their default namespace or the rest of the kubeconfig.
	Fingerprint string

	config *rest.Config
}

// Config returns a copy of the context's client configuration.
func (c Context) Config() *rest.Config { return rest.CopyConfig(c.config) }

// Same reports whether two contexts reach their server the same way.
func (c Context) Same(o Context) bool { return c.Fingerprint == o.Fingerprint }

// Context resolves the named context: its client configuration and its
// fingerprint. A context the kubeconfig lacks, or whose cluster or user entry
// is missing or invalid, is an error.
func (k *Kubeconfig) Context(name string) (Context, error) {
	// The context as an override, as AMKO does: a missing one is then
	// `context "name" does not exist`.
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*k.raw, "", &clientcmd.ConfigOverrides{CurrentContext: name}, nil).ClientConfig()
	if err != nil {
		return Context{}, err
	}
	fp, err := fingerprint(k.raw, name)
	if err != nil {
		return Context{}, err
	}
	return Context{Name: name, Fingerprint: fp, config: cfg}, nil
}

// fingerprint hashes the context's cluster and user entries, written out alone
// under fixed names by clientcmd's own serializer (which sorts maps), so that
// nothing but how the context connects counts.
func fingerprint(raw *clientcmdapi.Config, name string) (string, error) {
	ctx, ok := raw.Contexts[name]
	if !ok {
		return "", fmt.Errorf("context %q not found", name)
	}
	one := clientcmdapi.NewConfig()
	if cl, ok := raw.Clusters[ctx.Cluster]; ok {
		c := *cl
		c.LocationOfOrigin = ""
		one.Clusters["cluster"] = &c
	}
	if ai, ok := raw.AuthInfos[ctx.AuthInfo]; ok {
		a := *ai
		a.LocationOfOrigin = ""
		if a.Exec != nil {
			e := *a.Exec
			// Set by the client, not the kubeconfig.
			e.Config, e.StdinUnavailable, e.StdinUnavailableMessage = nil, false, ""
			a.Exec = &e
		}
		one.AuthInfos["user"] = &a
	}
	// The context's own fields besides its entries (namespace, extensions)
	// do not change how it connects.
	one.Contexts["context"] = &clientcmdapi.Context{Cluster: "cluster", AuthInfo: "user"}
	one.CurrentContext = "context"
	data, err := clientcmd.Write(*one)
	if err != nil {
		return "", fmt.Errorf("context %q: %w", name, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
