// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package chart

import (
	"context"
	"fmt"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// access is one request an identity makes or must not be able to make.
type access struct {
	verb, group, resource, subresource, namespace, name string
	// path, when set, makes it a request for a non-resource URL.
	path string
}

func (a access) String() string {
	if a.path != "" {
		return a.verb + " " + a.path
	}
	r := a.resource
	if a.subresource != "" {
		r += "/" + a.subresource
	}
	if a.group != "" {
		r += "." + a.group
	}
	where := "cluster-wide"
	if a.namespace != "" {
		where = "in " + a.namespace
	}
	if a.name != "" {
		r += " " + a.name
	}
	return fmt.Sprintf("%s %s %s", a.verb, r, where)
}

const (
	amkoGroup = "amko.vmware.com"
	statusSA  = "system:serviceaccount:avi-system:amko-status"
	viewer    = "alice"
)

// Each of the chart's identities is allowed what amko does with it and refused
// the rest, asked of the API server as that identity (SelfSubjectAccessReview,
// impersonating it): the pod's amko-sa cannot create, update or delete amko's
// kinds nor read applications; amko-member, which other clusters' amkos use,
// cannot read Secrets or ConfigMaps, write statuses, Events or Leases, or
// touch AMKOClusters; amko-status reads amko's /status and /metrics and
// nothing of the API; a status viewer runs amko status and no more.
func TestIdentitiesRefusedWhatTheyDoNotNeed(t *testing.T) {
	c := set.Clusters[0]
	install(t, c, render(t, "--values", "test/chart/testdata/dns-values.yaml", "--set", "statusViewers.users[0]="+viewer))
	const ns = "avi-system"
	for _, id := range []struct {
		user             string
		allowed, refused []access
	}{{
		user: amkoSA,
		allowed: []access{
			{verb: "list", group: amkoGroup, resource: "gslbconfigs", namespace: ns},
			{verb: "watch", group: amkoGroup, resource: "globaldeploymentpolicies", namespace: ns},
			{verb: "list", group: amkoGroup, resource: "amkoclusters", namespace: ns},
			{verb: "watch", group: amkoGroup, resource: "gslbhostrules"},
			{verb: "patch", group: amkoGroup, resource: "gslbconfigs", namespace: ns, name: "gc-1"},
			{verb: "patch", group: amkoGroup, resource: "gslbconfigs", subresource: "status", namespace: ns},
			{verb: "patch", group: amkoGroup, resource: "globaldeploymentpolicies", subresource: "status", namespace: ns},
			{verb: "patch", group: amkoGroup, resource: "amkoclusters", subresource: "status", namespace: ns},
			{verb: "patch", group: amkoGroup, resource: "gslbhostrules", subresource: "status", namespace: "default"},
			{verb: "watch", resource: "namespaces"},
			{verb: "create", resource: "events", namespace: ns},
			{verb: "create", resource: "events", namespace: "default"},
			{verb: "get", resource: "secrets", namespace: ns, name: "gslb-config-secret"},
			{verb: "get", resource: "configmaps", namespace: ns, name: "ca"},
			{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: ns},
			{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: ns, name: "amko"},
			// Who calls /metrics and /status, and may they.
			{verb: "create", group: "authentication.k8s.io", resource: "tokenreviews"},
			{verb: "create", group: "authorization.k8s.io", resource: "subjectaccessreviews"},
		},
		refused: []access{
			{verb: "create", resource: "serviceaccounts", subresource: "token", namespace: ns, name: "amko-status"},
			{verb: "get", path: "/status"},
			{verb: "create", group: amkoGroup, resource: "gslbconfigs", namespace: ns},
			{verb: "update", group: amkoGroup, resource: "gslbconfigs", namespace: ns, name: "gc-1"},
			{verb: "delete", group: amkoGroup, resource: "gslbconfigs", namespace: ns, name: "gc-1"},
			{verb: "create", group: amkoGroup, resource: "globaldeploymentpolicies", namespace: ns},
			{verb: "update", group: amkoGroup, resource: "globaldeploymentpolicies", namespace: ns, name: "global-gdp"},
			{verb: "delete", group: amkoGroup, resource: "globaldeploymentpolicies", namespace: ns, name: "global-gdp"},
			{verb: "patch", group: amkoGroup, resource: "globaldeploymentpolicies", namespace: ns, name: "global-gdp"},
			{verb: "create", group: amkoGroup, resource: "amkoclusters", namespace: ns},
			{verb: "delete", group: amkoGroup, resource: "amkoclusters", namespace: ns, name: "amkocluster-federation"},
			{verb: "create", group: amkoGroup, resource: "gslbhostrules", namespace: "default"},
			{verb: "update", group: amkoGroup, resource: "gslbhostrules", namespace: "default", name: "shop"},
			{verb: "delete", group: amkoGroup, resource: "gslbhostrules", namespace: "default", name: "shop"},
			{verb: "list", group: "networking.k8s.io", resource: "ingresses"},
			{verb: "list", resource: "services"},
			{verb: "list", group: "route.openshift.io", resource: "routes"},
			{verb: "list", group: "ako.vmware.com", resource: "hostrules"},
			{verb: "list", resource: "secrets", namespace: ns},
			{verb: "get", resource: "secrets", namespace: ns, name: "amko-member-token"},
			{verb: "list", resource: "configmaps", namespace: ns},
			{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: ns, name: "other"},
			{verb: "delete", group: "coordination.k8s.io", resource: "leases", namespace: ns, name: "amko"},
		},
	}, {
		user: memberSA,
		allowed: []access{
			{verb: "watch", group: "networking.k8s.io", resource: "ingresses"},
			{verb: "list", resource: "services"},
			{verb: "watch", resource: "namespaces"},
			{verb: "list", group: "route.openshift.io", resource: "routes"},
			{verb: "watch", group: "gateway.networking.k8s.io", resource: "gateways"},
			{verb: "list", group: "gateway.networking.k8s.io", resource: "httproutes"},
			{verb: "watch", group: "gateway.networking.k8s.io", resource: "grpcroutes"},
			{verb: "list", group: "gateway.networking.k8s.io", resource: "tlsroutes"},
			{verb: "watch", group: "gateway.networking.k8s.io", resource: "tcproutes"},
			{verb: "get", group: "gateway.networking.k8s.io", resource: "udproutes", namespace: "default", name: "dns"},
			{verb: "list", group: "discovery.k8s.io", resource: "endpointslices", namespace: "default"},
			{verb: "watch", group: "discovery.k8s.io", resource: "endpointslices", namespace: "default"},
			{verb: "watch", group: "ako.vmware.com", resource: "hostrules"},
			{verb: "list", group: amkoGroup, resource: "amkoclusters", namespace: ns},
			{verb: "create", group: amkoGroup, resource: "gslbconfigs", namespace: ns},
			{verb: "update", group: amkoGroup, resource: "gslbconfigs", namespace: ns, name: "gc-1"},
			{verb: "delete", group: amkoGroup, resource: "gslbconfigs", namespace: ns, name: "gc-1"},
			{verb: "create", group: amkoGroup, resource: "globaldeploymentpolicies", namespace: ns},
			{verb: "update", group: amkoGroup, resource: "globaldeploymentpolicies", namespace: ns, name: "global-gdp"},
			{verb: "delete", group: amkoGroup, resource: "globaldeploymentpolicies", namespace: ns, name: "global-gdp"},
			{verb: "list", group: amkoGroup, resource: "gslbhostrules"},
			{verb: "create", group: amkoGroup, resource: "gslbhostrules", namespace: "default"},
			{verb: "update", group: amkoGroup, resource: "gslbhostrules", namespace: "default", name: "shop"},
			{verb: "delete", group: amkoGroup, resource: "gslbhostrules", namespace: "default", name: "shop"},
			// failover: Automatic: the election record (create cannot be
			// limited by name).
			{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: ns},
			{verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: ns, name: "amko-federation-leader"},
			{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: ns, name: "amko-federation-leader"},
		},
		refused: []access{
			{verb: "get", resource: "secrets", namespace: ns, name: "gslb-config-secret"},
			{verb: "get", resource: "secrets", namespace: ns, name: "amko-member-token"},
			{verb: "list", resource: "secrets", namespace: ns},
			{verb: "get", resource: "configmaps", namespace: ns, name: "ca"},
			{verb: "create", resource: "events", namespace: ns},
			{verb: "patch", resource: "events", namespace: ns},
			{verb: "delete", group: "coordination.k8s.io", resource: "leases", namespace: ns, name: "amko-federation-leader"},
			{verb: "list", group: "coordination.k8s.io", resource: "leases", namespace: ns},
			{verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: ns, name: "amko"},
			{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: ns, name: "amko"},
			{verb: "patch", group: amkoGroup, resource: "gslbconfigs", subresource: "status", namespace: ns},
			{verb: "update", group: amkoGroup, resource: "gslbconfigs", subresource: "status", namespace: ns},
			{verb: "patch", group: amkoGroup, resource: "globaldeploymentpolicies", subresource: "status", namespace: ns},
			{verb: "patch", group: amkoGroup, resource: "gslbhostrules", subresource: "status", namespace: "default"},
			{verb: "patch", group: amkoGroup, resource: "amkoclusters", subresource: "status", namespace: ns},
			{verb: "create", group: amkoGroup, resource: "amkoclusters", namespace: ns},
			{verb: "update", group: amkoGroup, resource: "amkoclusters", namespace: ns, name: "amkocluster-federation"},
			{verb: "delete", group: amkoGroup, resource: "amkoclusters", namespace: ns, name: "amkocluster-federation"},
			{verb: "create", group: amkoGroup, resource: "gslbconfigs", namespace: "default"},
			{verb: "create", group: amkoGroup, resource: "globaldeploymentpolicies", namespace: "default"},
			{verb: "create", resource: "services", namespace: "default"},
			{verb: "update", group: "networking.k8s.io", resource: "ingresses", namespace: "default", name: "shop"},
			{verb: "list", resource: "pods"},
			{verb: "create", group: "authentication.k8s.io", resource: "tokenreviews"},
			{verb: "get", path: "/metrics"},
		},
	}, {
		// The reader, whose tokens amko status shows amko: amko's two paths, no API.
		user:    statusSA,
		allowed: []access{{verb: "get", path: "/status"}, {verb: "get", path: "/metrics"}},
		refused: []access{
			{verb: "get", path: "/debug/pprof/profile"},
			{verb: "list", group: amkoGroup, resource: "gslbconfigs", namespace: ns},
			{verb: "get", resource: "secrets", namespace: ns, name: "gslb-config-secret"},
			{verb: "get", resource: "services", subresource: "proxy", namespace: ns, name: "https:amko:https"},
			{verb: "create", resource: "serviceaccounts", subresource: "token", namespace: ns, name: "amko-status"},
		},
	}, {
		// A person bound by statusViewers: what amko status does, with their
		// own credentials, and no more.
		user: viewer,
		allowed: []access{
			{verb: "list", group: amkoGroup, resource: "gslbconfigs", namespace: ns},
			{verb: "list", group: amkoGroup, resource: "globaldeploymentpolicies", namespace: ns},
			{verb: "list", group: amkoGroup, resource: "amkoclusters", namespace: ns},
			{verb: "list", group: amkoGroup, resource: "gslbhostrules"},
			{verb: "create", resource: "serviceaccounts", subresource: "token", namespace: ns, name: "amko-status"},
			{verb: "get", resource: "services", subresource: "proxy", namespace: ns, name: "https:amko:https"},
		},
		refused: []access{
			{verb: "create", resource: "serviceaccounts", subresource: "token", namespace: ns, name: "amko-sa"},
			{verb: "create", resource: "serviceaccounts", subresource: "token", namespace: ns, name: "amko-member"},
			{verb: "get", resource: "services", subresource: "proxy", namespace: ns, name: "https:other:https"},
			{verb: "get", resource: "services", subresource: "proxy", namespace: "default", name: "https:amko:https"},
			{verb: "get", resource: "secrets", namespace: ns, name: "gslb-config-secret"},
			{verb: "update", group: amkoGroup, resource: "gslbconfigs", namespace: ns, name: "gc-1"},
			{verb: "get", path: "/status"},
		},
	}} {
		cs, err := kubernetes.NewForConfig(as(c.Config, id.user))
		if err != nil {
			t.Fatal(err)
		}
		check := func(a access, want bool) {
			t.Helper()
			spec := authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource, Namespace: a.namespace, Name: a.name,
			}}
			if a.path != "" {
				spec = authorizationv1.SelfSubjectAccessReviewSpec{NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: a.verb, Path: a.path}}
			}
			review, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(),
				&authorizationv1.SelfSubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("access review as %s: %v", id.user, err)
			}
			if review.Status.Allowed != want {
				verdict := "refused"
				if review.Status.Allowed {
					verdict = "allowed"
				}
				t.Errorf("%s: %s %s, want the opposite", id.user, verdict, a)
			}
		}
		for _, a := range id.allowed {
			check(a, true)
		}
		for _, a := range id.refused {
			check(a, false)
		}
	}
}
