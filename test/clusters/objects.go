// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package clusters

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	routev1 "github.com/amko-project/amko/api/route/v1"
)

// No ingress controller runs in test clusters, so these helpers create an
// application object and then write its status the way AKO would once it had
// placed a virtual service: load balancer addresses, and AKO's identifiers.

// AKO is what AKO records on an object it has placed: the virtual service uuid per
// host name, the Avi controller cluster's uuid and the tenant. The zero value
// records nothing, as for objects of a cluster synced with syncVipOnly.
type AKO struct {
	VSUUIDs        map[string]string
	ControllerUUID string
	Tenant         string
}

// annotations returns AKO's annotations for a, or nil when a is empty.
func (a AKO) annotations() (map[string]string, error) {
	out := map[string]string{}
	if len(a.VSUUIDs) > 0 {
		m, err := json.Marshal(a.VSUUIDs)
		if err != nil {
			return nil, fmt.Errorf("encoding VS uuids: %w", err)
		}
		out[akov1beta1.AnnotationVSUUIDMap] = string(m)
	}
	if a.ControllerUUID != "" {
		out[akov1beta1.AnnotationControllerClusterUUID] = a.ControllerUUID
	}
	if a.Tenant != "" {
		out[akov1beta1.AnnotationTenant] = a.Tenant
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// withAKO merges AKO's annotations into the user's, the user's winning.
func withAKO(user map[string]string, a AKO) (map[string]string, error) {
	ako, err := a.annotations()
	if err != nil || (ako == nil && user == nil) {
		return user, err
	}
	out := map[string]string{}
	maps.Copy(out, ako)
	maps.Copy(out, user)
	return out, nil
}

// IngressRule is one host of an Ingress and the address AKO gave it; an empty IP
// leaves the host out of the status, as before AKO has placed it.
type IngressRule struct {
	Host  string
	IP    string
	Paths []string
}

// Ingress describes a networking.k8s.io/v1 Ingress as AKO has processed it.
type Ingress struct {
	Namespace, Name     string
	Labels, Annotations map[string]string
	Rules               []IngressRule
	// TLSHosts are listed in spec.tls.
	TLSHosts []string
	AKO      AKO
}

// CreateIngress creates the Ingress, backed by a Service of the same name, and
// writes its status.
func (c *Cluster) CreateIngress(ctx context.Context, in Ingress) (*networkingv1.Ingress, error) {
	annotations, err := withAKO(in.Annotations, in.AKO)
	if err != nil {
		return nil, err
	}
	prefix := networkingv1.PathTypePrefix
	backend := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
		Name: in.Name, Port: networkingv1.ServiceBackendPort{Number: 80},
	}}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{
		Namespace: in.Namespace, Name: in.Name, Labels: in.Labels, Annotations: annotations,
	}}
	var status []networkingv1.IngressLoadBalancerIngress
	for _, r := range in.Rules {
		paths := r.Paths
		if len(paths) == 0 {
			paths = []string{"/"}
		}
		http := &networkingv1.HTTPIngressRuleValue{}
		for _, p := range paths {
			http.Paths = append(http.Paths, networkingv1.HTTPIngressPath{Path: p, PathType: &prefix, Backend: backend})
		}
		ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{
			Host: r.Host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: http},
		})
		if r.IP != "" {
			status = append(status, networkingv1.IngressLoadBalancerIngress{IP: r.IP, Hostname: r.Host})
		}
	}
	if len(in.TLSHosts) > 0 {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: in.TLSHosts, SecretName: in.Name + "-tls"}}
	}
	if err := c.create(ctx, ing); err != nil {
		return nil, err
	}
	ing.Status.LoadBalancer.Ingress = status
	if err := c.updateStatus(ctx, ing); err != nil {
		return nil, err
	}
	return ing, nil
}

// LoadBalancerService describes a Service of type LoadBalancer as AKO has placed it.
type LoadBalancerService struct {
	Namespace, Name     string
	Labels, Annotations map[string]string
	// Ports default to one TCP port 80.
	Ports []corev1.ServicePort
	// Hostname and IP are written to status.loadBalancer.ingress[0].
	Hostname, IP string
	AKO          AKO
}

// CreateLoadBalancerService creates the Service and writes its status.
func (c *Cluster) CreateLoadBalancerService(ctx context.Context, in LoadBalancerService) (*corev1.Service, error) {
	annotations, err := withAKO(in.Annotations, in.AKO)
	if err != nil {
		return nil, err
	}
	ports := in.Ports
	if len(ports) == 0 {
		ports = []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}}
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: in.Namespace, Name: in.Name, Labels: in.Labels, Annotations: annotations},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Ports:    ports,
			Selector: map[string]string{"app": in.Name},
		},
	}
	if err := c.create(ctx, svc); err != nil {
		return nil, err
	}
	if in.IP != "" || in.Hostname != "" {
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: in.IP, Hostname: in.Hostname}}
	}
	if err := c.updateStatus(ctx, svc); err != nil {
		return nil, err
	}
	return svc, nil
}

// Route describes an OpenShift Route as AKO has admitted it.
type Route struct {
	Namespace, Name     string
	Labels, Annotations map[string]string
	Host, Subdomain     string
	Path                string
	// TLSTermination is edge, passthrough or reencrypt; empty means no TLS.
	TLSTermination string
	// IP is the virtual service address; empty leaves the route unadmitted.
	IP string
	// RouterName defaults to "ako-" + the cluster's context; AMKO reads only
	// status entries of routers whose name starts with "ako-".
	RouterName string
	// AKO is written as JSON into the admitting condition's reason, as AKO does.
	AKO AKO
}

// CreateRoute creates the Route and writes its status.
func (c *Cluster) CreateRoute(ctx context.Context, in Route) (*routev1.Route, error) {
	route := &routev1.Route{
		ObjectMeta: metav1.ObjectMeta{Namespace: in.Namespace, Name: in.Name, Labels: in.Labels, Annotations: in.Annotations},
		Spec: routev1.RouteSpec{
			Host: in.Host, Subdomain: in.Subdomain, Path: in.Path,
			To: routev1.RouteTargetRef{Kind: "Service", Name: in.Name},
		},
	}
	if in.TLSTermination != "" {
		route.Spec.TLS = &routev1.TLSConfig{Termination: in.TLSTermination}
	}
	if err := c.create(ctx, route); err != nil {
		return nil, err
	}
	if in.IP != "" {
		reason, err := in.AKO.annotations()
		if err != nil {
			return nil, err
		}
		reasonJSON := ""
		if reason != nil {
			b, err := json.Marshal(reason)
			if err != nil {
				return nil, fmt.Errorf("encoding route status reason: %w", err)
			}
			reasonJSON = string(b)
		}
		router := in.RouterName
		if router == "" {
			router = "ako-" + c.Context
		}
		now := metav1.Now()
		route.Status.Ingress = []routev1.RouteIngress{{
			Host:       in.Host,
			RouterName: router,
			Conditions: []routev1.RouteIngressCondition{{
				Type: "Admitted", Status: corev1.ConditionTrue,
				Reason: reasonJSON, Message: in.IP, LastTransitionTime: &now,
			}},
		}}
		if err := c.updateStatus(ctx, route); err != nil {
			return nil, err
		}
	}
	return route, nil
}

func (c *Cluster) create(ctx context.Context, obj client.Object) error {
	if err := c.Client.Create(ctx, obj); err != nil {
		return fmt.Errorf("cluster %s: creating %T %s/%s: %w", c.Context, obj, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

func (c *Cluster) updateStatus(ctx context.Context, obj client.Object) error {
	if err := c.Client.Status().Update(ctx, obj); err != nil {
		return fmt.Errorf("cluster %s: writing status of %T %s/%s: %w", c.Context, obj, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}
