// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/model"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// /status and "amko status" say what each health monitor probes (protocol,
// port, request, the GSLB service and path it is for), not only its opaque
// amko--<sha1> name, and the names are those of the monitors on the controller.
func TestStatusShowsWhatMonitorsProbe(t *testing.T) {
	ctx := context.Background()
	cl := set.Clusters[0]
	c := cl.Client
	const web, db, app = "monitors.example.com", "monitors-db.example.com", "status-monitors-test"
	sim, srv, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	if err := set.ConfigureAMKO(ctx, avisim.Host(srv), ""); err != nil {
		t.Fatal(err)
	}
	if err := set.SetGDP(ctx, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": app}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: cl.Context}},
	}); err != nil {
		t.Fatal(err)
	}
	ako := func(host, vs string) clusters.AKO {
		return clusters.AKO{VSUUIDs: map[string]string{host: vs}, ControllerUUID: avisim.LeaderClusterUUID, Tenant: "admin"}
	}
	if _, err := cl.CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: "status-monitors", Labels: map[string]string{"app": app},
		Rules: []clusters.IngressRule{{Host: web, IP: "10.9.1.1", Paths: []string{"/", "/cart"}}},
		AKO:   ako(web, "virtualservice-monitors-web"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "status-monitors-db",
		Labels: map[string]string{"app": app}, Hostname: db, IP: "10.9.1.2", AKO: ako(db, "virtualservice-monitors-db"),
		Ports: []corev1.ServicePort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(5432)}},
	}); err != nil {
		t.Fatal(err)
	}
	defer deleteAll(t, c,
		&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "status-monitors"}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "status-monitors"}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "status-monitors-db"}},
		&amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}},
		&amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GDPName}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.MembersSecret}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.ControllerSecret}},
	)

	root, cart, tcp := model.PathMonitorName("http", web, "/"), model.PathMonitorName("http", web, "/cart"), model.NonPathMonitorName(db)
	want := map[string]operator.StatusMonitor{
		root: {Name: root, Protocol: "http", Port: 80, Path: "/", Request: "HEAD / HTTP/1.0", ResponseCodes: []string{"HTTP_2XX", "HTTP_3XX"},
			Service: web, Description: "created by: amko, gsname: " + web + ", path: /, protocol: http"},
		cart: {Name: cart, Protocol: "http", Port: 80, Path: "/cart", Request: "HEAD /cart HTTP/1.0", ResponseCodes: []string{"HTTP_2XX", "HTTP_3XX"},
			Service: web, Description: "created by: amko, gsname: " + web + ", path: /cart, protocol: http"},
		tcp: {Name: tcp, Protocol: "tcp", Port: 5432, Service: db, Description: "created by: amko, gsname: " + db},
	}

	ls, stop := startAmko(t, "127.0.0.1")
	defer stop()
	base := "https://" + ls.Main.Addr().String()
	await.Eventually(t, "the health monitors at /status, as on the controller", func() error {
		st, err := getStatus(base)
		if err != nil {
			return err
		}
		got := map[string]operator.StatusMonitor{}
		for _, s := range st.Services {
			for _, m := range s.HealthMonitors {
				if m.Service != s.Name {
					return fmt.Errorf("monitor %s is listed under %s but made for %q", m.Name, s.Name, m.Service)
				}
				got[m.Name] = m
			}
		}
		for name, w := range want {
			g, ok := got[name]
			if !ok {
				return fmt.Errorf("monitor %s (%s) not at /status: %+v", name, w.Description, got)
			}
			if g.Protocol != w.Protocol || g.Port != w.Port || g.Path != w.Path || g.Request != w.Request ||
				!slices.Equal(g.ResponseCodes, w.ResponseCodes) || g.Service != w.Service || g.Description != w.Description || g.Shared {
				return fmt.Errorf("monitor %s at /status:\n got %+v\nwant %+v", name, g, w)
			}
			if sim.Object("healthmonitor", name) == nil {
				return fmt.Errorf("monitor %s is not on the controller", name)
			}
		}
		if len(got) != len(want) {
			return fmt.Errorf("monitors at /status %v, want %d", got, len(want))
		}
		return nil
	})

	out, err := statusCmd("--addr", base, "--insecure-skip-tls-verify")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, line := range []string{
		`(?m)^FQDN\s+HEALTH MONITOR\s+PROTOCOL\s+PORT\s+REQUEST\s+UP ON\s+FOR$`,
		`(?m)^` + regexp.QuoteMeta(web) + `\s+` + cart + `\s+http\s+80\s+HEAD /cart HTTP/1\.0\s+HTTP_2XX,HTTP_3XX\s+gsname ` + regexp.QuoteMeta(web) + `, path /cart$`,
		`(?m)^` + regexp.QuoteMeta(web) + `\s+` + root + `\s+http\s+80\s+HEAD / HTTP/1\.0\s+HTTP_2XX,HTTP_3XX\s+gsname ` + regexp.QuoteMeta(web) + `, path /$`,
		`(?m)^` + regexp.QuoteMeta(db) + `\s+` + tcp + `\s+tcp\s+5432\s+connect\s+-\s+gsname ` + regexp.QuoteMeta(db) + `$`,
	} {
		if !regexp.MustCompile(line).MatchString(out) {
			t.Errorf("amko status has no line matching %s:\n%s", line, out)
		}
	}
}
