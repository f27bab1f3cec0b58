// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package clusters

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// The Gateway API's release channels, whose CRDs a cluster can get.
const (
	GatewayStandard     = "standard"
	GatewayExperimental = "experimental"
)

// gatewayModule is the Go module whose config/crd holds the upstream CRDs,
// at the version go.mod requires.
const gatewayModule = "sigs.k8s.io/gateway-api"

// GatewayAPICRDs returns the upstream Gateway API CRDs of a release channel,
// read from the module sigs.k8s.io/gateway-api at the version go.mod pins (its
// zip in the module cache holds config/crd/<channel>/*.yaml): the CRDs a
// cluster gets are those of the types amko reads.
func GatewayAPICRDs(channel string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	if channel != GatewayStandard && channel != GatewayExperimental {
		return nil, fmt.Errorf("clusters: unknown Gateway API channel %q (standard or experimental)", channel)
	}
	dir, err := moduleDir(gatewayModule)
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "config", "crd", channel, "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("clusters: no Gateway API CRDs in %s (%v)", dir, err)
	}
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("clusters: %w", err)
		}
		// kustomization.yaml and the ValidatingAdmissionPolicy of safe
		// upgrades are no CRDs; a file holds one document otherwise.
		var head metav1.TypeMeta
		if err := yaml.Unmarshal(data, &head); err != nil {
			return nil, fmt.Errorf("clusters: %s: %w", f, err)
		}
		if head.Kind != "CustomResourceDefinition" || bytes.Contains(data, []byte("\n---\n")) {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			return nil, fmt.Errorf("clusters: %s: %w", f, err)
		}
		out = append(out, crd)
	}
	return out, nil
}

// moduleDir finds a required module's directory with the go command, run in
// this repository so that its go.mod decides the version.
func moduleDir(module string) (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("clusters: cannot locate the repository")
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module)
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		return "", fmt.Errorf("clusters: locating module %s (go list -m): %v %s", module, err, stderr.String())
	}
	return dir, nil
}

// InstallGatewayAPI installs (or updates to) the Gateway API CRDs of a channel
// in a running cluster and waits until they are served, as a cluster
// administrator adding the Gateway API to a cluster would.
func (c *Cluster) InstallGatewayAPI(channel string) error {
	crds, err := GatewayAPICRDs(channel)
	if err != nil {
		return err
	}
	if _, err := envtest.InstallCRDs(c.Config, envtest.CRDInstallOptions{CRDs: crds}); err != nil {
		return fmt.Errorf("cluster %s: installing the Gateway API (%s): %w", c.Context, channel, err)
	}
	return nil
}

// Gateway describes a Gateway as its controller has programmed it.
type Gateway struct {
	Namespace, Name string
	Annotations     map[string]string
	// Class defaults to "avi-lb", AKO's GatewayClass.
	Class     string
	Listeners []gatewayv1.Listener
	// Addresses are written to status.addresses as IP addresses.
	Addresses []string
}

// CreateGateway creates the Gateway and writes its status.
func (c *Cluster) CreateGateway(ctx context.Context, in Gateway) (*gatewayv1.Gateway, error) {
	class := in.Class
	if class == "" {
		class = "avi-lb"
	}
	gw := &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: in.Namespace, Name: in.Name, Annotations: in.Annotations},
		Spec:       gatewayv1.GatewaySpec{GatewayClassName: gatewayv1.ObjectName(class), Listeners: in.Listeners},
	}
	if err := c.create(ctx, gw); err != nil {
		return nil, err
	}
	if err := c.SetGatewayAddresses(ctx, in.Namespace, in.Name, in.Addresses...); err != nil {
		return nil, err
	}
	return gw, nil
}

// SetGatewayAddresses rewrites a Gateway's status.addresses, as its controller
// does when it places or moves the Gateway's virtual service.
func (c *Cluster) SetGatewayAddresses(ctx context.Context, namespace, name string, addrs ...string) error {
	var gw gatewayv1.Gateway
	if err := c.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &gw); err != nil {
		return fmt.Errorf("cluster %s: Gateway %s/%s: %w", c.Context, namespace, name, err)
	}
	gw.Status.Addresses = nil
	typ := gatewayv1.IPAddressType
	for _, a := range addrs {
		gw.Status.Addresses = append(gw.Status.Addresses, gatewayv1.GatewayStatusAddress{Type: &typ, Value: a})
	}
	return c.updateStatus(ctx, &gw)
}

// RouteParent is a Gateway a route names, and whether it accepted the route.
type RouteParent struct {
	// Namespace defaults to the route's.
	Namespace, Gateway string
	// Section names one listener; empty attaches to all that take the route.
	Section  string
	Accepted bool
	// NoStatus leaves the parent out of status.parents, as before its
	// controller has seen the route.
	NoStatus bool
}

// CreateGatewayRoute creates a Gateway API route (an HTTPRoute, GRPCRoute,
// TLSRoute, TCPRoute or UDPRoute with its spec but for parentRefs) naming the
// parents, and writes status.parents as the Gateways' controller would.
func (c *Cluster) CreateGatewayRoute(ctx context.Context, route client.Object, parents ...RouteParent) error {
	var refs []gatewayv1.ParentReference
	for _, p := range parents {
		refs = append(refs, parentRef(p))
	}
	spec, status, err := routeParts(route)
	if err != nil {
		return err
	}
	spec.ParentRefs = refs
	if err := c.create(ctx, route); err != nil {
		return err
	}
	return c.setRouteStatus(ctx, route, status, parents)
}

// SetRouteParents rewrites a route's status.parents, as the Gateways'
// controller does when it accepts or refuses the route.
func (c *Cluster) SetRouteParents(ctx context.Context, route client.Object, parents ...RouteParent) error {
	if err := c.Client.Get(ctx, client.ObjectKeyFromObject(route), route); err != nil {
		return fmt.Errorf("cluster %s: %T %s/%s: %w", c.Context, route, route.GetNamespace(), route.GetName(), err)
	}
	_, status, err := routeParts(route)
	if err != nil {
		return err
	}
	return c.setRouteStatus(ctx, route, status, parents)
}

func (c *Cluster) setRouteStatus(ctx context.Context, route client.Object, status *gatewayv1.RouteStatus, parents []RouteParent) error {
	// Required, if empty: a route no controller has seen has an empty list.
	status.Parents = []gatewayv1.RouteParentStatus{}
	now := metav1.Now()
	for _, p := range parents {
		if p.NoStatus {
			continue
		}
		cond := metav1.Condition{Type: string(gatewayv1.RouteConditionAccepted), Status: metav1.ConditionTrue,
			Reason: string(gatewayv1.RouteReasonAccepted), Message: "accepted", LastTransitionTime: now,
			ObservedGeneration: route.GetGeneration()}
		if !p.Accepted {
			cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, string(gatewayv1.RouteReasonNotAllowedByListeners), "not allowed"
		}
		status.Parents = append(status.Parents, gatewayv1.RouteParentStatus{ParentRef: parentRef(p),
			ControllerName: "ako.vmware.com/avi-lb", Conditions: []metav1.Condition{cond}})
	}
	return c.updateStatus(ctx, route)
}

func parentRef(p RouteParent) gatewayv1.ParentReference {
	ref := gatewayv1.ParentReference{Name: gatewayv1.ObjectName(p.Gateway)}
	if p.Namespace != "" {
		ns := gatewayv1.Namespace(p.Namespace)
		ref.Namespace = &ns
	}
	if p.Section != "" {
		s := gatewayv1.SectionName(p.Section)
		ref.SectionName = &s
	}
	return ref
}

// routeParts returns the parts of a route the helpers write.
func routeParts(route client.Object) (*gatewayv1.CommonRouteSpec, *gatewayv1.RouteStatus, error) {
	switch r := route.(type) {
	case *gatewayv1.HTTPRoute:
		return &r.Spec.CommonRouteSpec, &r.Status.RouteStatus, nil
	case *gatewayv1.GRPCRoute:
		return &r.Spec.CommonRouteSpec, &r.Status.RouteStatus, nil
	case *gatewayv1.TLSRoute:
		return &r.Spec.CommonRouteSpec, &r.Status.RouteStatus, nil
	case *gatewayv1.TCPRoute:
		return &r.Spec.CommonRouteSpec, &r.Status.RouteStatus, nil
	case *gatewayv1.UDPRoute:
		return &r.Spec.CommonRouteSpec, &r.Status.RouteStatus, nil
	}
	return nil, nil, fmt.Errorf("clusters: %T is no Gateway API route", route)
}
