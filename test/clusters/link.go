// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package clusters

import (
	"fmt"
	"net/url"

	"k8s.io/client-go/rest"
)

// Link is a path of its own to a cluster's API server, through a proxy that a
// test can cut: unlike SetReachable, which cuts the cluster off from every
// client of the Set's kubeconfig, a Link cuts one client's path only, so a
// test can split the network between several clients and clusters.
type Link struct {
	// Config reaches the API server through the link, as a cluster administrator.
	Config *rest.Config
	proxy  *proxy
}

// NewLink opens a new link to the cluster's API server; Close it when done.
func (c *Cluster) NewLink() (*Link, error) {
	host, err := url.Parse(c.Config.Host)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Context, err)
	}
	px, err := newProxy(host.Host)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: link: %w", c.Context, err)
	}
	cfg := rest.CopyConfig(c.Config)
	cfg.Host = "https://" + px.addr()
	return &Link{Config: cfg, proxy: px}, nil
}

// SetReachable passes the link's traffic, or cuts it as an outage would: open
// connections drop and new ones are refused.
func (l *Link) SetReachable(reachable bool) { l.proxy.setDown(!reachable) }

// Close closes the link.
func (l *Link) Close() { l.proxy.close() }
