// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package federation

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/kubeclient"
)

// errInitClientContext is AMKO's prefix (typo included) of the error of a member
// whose client could not be had.
const errInitClientContext = "error in initializing member custer context"

// member is a member cluster's client, built from its kubeconfig context.
type member struct {
	name        string
	fingerprint string // of its context: how it connects
	client      client.Client
	http        *http.Client
	probe       rest.Interface
}

// clientCache holds the member clients built from the last kubeconfig. A new
// kubeconfig rebuilds only the clients whose context connects differently.
type clientCache struct {
	kubeconfig []byte
	members    map[string]*member
}

// memberClients returns a client per context of names, in their order, reusing
// those whose context is unchanged (kubeclient's fingerprint: its cluster and
// user entries, exec plugin and impersonation included). A context the
// kubeconfig lacks, or that does not make a usable configuration, is a hard
// error, as in AMKO: the kubeconfig must be fixed. Building a client never
// touches the network.
func (f *Federator) memberClients(kubeconfig []byte, names []string) ([]*member, error) {
	if f.cache.members == nil {
		f.cache.members = map[string]*member{}
	}
	var kc *kubeclient.Kubeconfig
	parse := func() error {
		if kc != nil {
			return nil
		}
		var err error
		if kc, err = kubeclient.Parse(kubeconfig); err != nil {
			return fmt.Errorf("parsing the gslb-members kubeconfig: %w", err)
		}
		return nil
	}
	if !bytes.Equal(kubeconfig, f.cache.kubeconfig) {
		if err := parse(); err != nil {
			return nil, err
		}
		// Keep the clients whose context connects as before; drop the others.
		for name, m := range f.cache.members {
			if c, err := kc.Context(name); err != nil || c.Fingerprint != m.fingerprint {
				m.http.CloseIdleConnections()
				delete(f.cache.members, name)
			}
		}
		f.cache.kubeconfig = bytes.Clone(kubeconfig)
	}
	out := make([]*member, 0, len(names))
	for _, name := range names {
		if m, ok := f.cache.members[name]; ok {
			out = append(out, m)
			continue
		}
		if err := parse(); err != nil {
			return nil, err
		}
		m, err := f.newMember(kc, name)
		if err != nil {
			return nil, err
		}
		f.cache.members[name] = m
		out = append(out, m)
	}
	return out, nil
}

func (f *Federator) newMember(kc *kubeclient.Kubeconfig, name string) (*member, error) {
	kctx, err := kc.Context(name)
	if err != nil {
		return nil, fmt.Errorf("error in building context config for kubernetes cluster %s: %w", name, err)
	}
	cfg := kctx.Config()
	// Every request is bounded, so an unreachable member costs a pass seconds,
	// not the minutes of TCP's own timeouts.
	cfg.Timeout = f.timeout
	cfg.QPS, cfg.Burst = 50, 100
	if f.wrap != nil {
		cfg.Wrap(f.wrap)
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("error in building context config for kubernetes cluster %s: %w", name, err)
	}
	// A fixed mapping of the few kinds federated: no discovery, so a client is
	// built offline and a request costs one round trip.
	c, err := client.New(cfg, client.Options{Scheme: f.scheme, Mapper: f.mapper, HTTPClient: hc})
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", errInitClientContext, name, err)
	}
	dc, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", errInitClientContext, name, err)
	}
	return &member{name: name, fingerprint: kctx.Fingerprint, client: c, http: hc, probe: dc.RESTClient()}, nil
}

// reachable asks the member's API server for its version, once: client-go
// retries GETs that meet a dropped connection for up to ten seconds, which
// would let a lost member hold up the whole pass.
func (f *Federator) reachable(ctx context.Context, m *member) error {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	if err := m.probe.Get().AbsPath("/version").MaxRetries(0).Do(ctx).Error(); err != nil {
		return fmt.Errorf("%s %s: cluster unreachable: %w", errInitClientContext, m.name, err)
	}
	return nil
}

// probeAll checks every member at once and splits them into the reachable ones
// and the errors of the others, both in the members' order.
func (f *Federator) probeAll(ctx context.Context, members []*member) ([]*member, []error) {
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Go(func() { errs[i] = f.reachable(ctx, m) })
	}
	wg.Wait()
	var ok []*member
	var failed []error
	for i, m := range members {
		if errs[i] != nil {
			failed = append(failed, errs[i])
			continue
		}
		ok = append(ok, m)
	}
	return ok, failed
}

// newMapper maps the kinds the federation reads and writes on members.
func newMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for _, k := range []struct {
		gv           schema.GroupVersion
		kind, plural string
	}{
		{amkov1alpha1.GroupVersion, "AMKOCluster", "amkoclusters"},
		{amkov1alpha1.GroupVersion, "GSLBConfig", "gslbconfigs"},
		{amkov1alpha1.GroupVersion, "GSLBHostRule", "gslbhostrules"},
		{amkov1alpha2.GroupVersion, "GlobalDeploymentPolicy", "globaldeploymentpolicies"},
	} {
		m.AddSpecific(k.gv.WithKind(k.kind), k.gv.WithResource(k.plural),
			k.gv.WithResource(strings.ToLower(k.kind)), meta.RESTScopeNamespace)
	}
	return m
}
