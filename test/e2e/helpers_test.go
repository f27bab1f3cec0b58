// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	akov1beta1 "github.com/amko-project/amko/api/ako/v1beta1"
	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	routev1 "github.com/amko-project/amko/api/route/v1"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// The expected values below are AMKO's (amko.md §2.7), written out here rather
// than taken from amko's own code, so that the tests check amko against AMKO.

// monitorName is the name AMKO gives a monitor it owns: "amko--" and the hex
// SHA-1 of its key parts joined by "--".
func monitorName(parts ...string) string {
	sum := sha1.Sum([]byte(strings.Join(parts, "--")))
	return "amko--" + hex.EncodeToString(sum[:])
}

// pathMonitor is the monitor of one path of a service: protocol is http or https.
func pathMonitor(protocol, service, path string) string { return monitorName(protocol, service, path) }

// nonPathMonitor is the TCP or UDP monitor of a service of LoadBalancer Services.
func nonPathMonitor(service string) string { return monitorName(service) }

// passthroughMonitor is the TCP monitor every passthrough service shares.
func passthroughMonitor() string { return "amko--passthrough-hm-tcp-" + amkoUUID }

// Fields every monitor amko writes carries, as AMKO writes them.
var commonMonitorFields = map[string]string{
	"is_federated": "true", "send_interval": "10", "receive_timeout": "4",
	"successful_checks": "3", "failed_checks": "3", "allow_duplicate_monitors": "true",
}

// field returns the value at a dotted path of a controller object; list
// elements are addressed by index ("groups.0.members").
func field(obj map[string]any, path string) any {
	var cur any = obj
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// text renders a field for comparison; an absent field is "".
func text(obj map[string]any, path string) string {
	v := field(obj, path)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// checkFields compares fields (by dotted path) of obj with want.
func checkFields(kind string, obj map[string]any, want map[string]string) error {
	if obj == nil {
		return fmt.Errorf("no %s", kind)
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []string
	for _, k := range keys {
		if got := text(obj, k); got != want[k] {
			errs = append(errs, fmt.Sprintf("%s = %q, want %q", k, got, want[k]))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s %v: %s", kind, obj["name"], strings.Join(errs, "; "))
	}
	return nil
}

// refName is the name of a reference rendered with include_name ("…#name").
func refName(ref string) string {
	if _, name, ok := strings.Cut(ref, "#"); ok {
		return name
	}
	return ref
}

// monitorRefs returns the names of a GSLB service's health monitors, sorted.
func monitorRefs(gs map[string]any) []string {
	var out []string
	refs, _ := gs["health_monitor_refs"].([]any)
	for _, r := range refs {
		out = append(out, refName(fmt.Sprint(r)))
	}
	sort.Strings(out)
	return out
}

// wantMonitorRefs checks that the service references exactly the named monitors
// and that each exists on the controller.
func wantMonitorRefs(name string, want ...string) func() error {
	return func() error {
		gs := sim.Object("gslbservice", name)
		if gs == nil {
			return fmt.Errorf("no GSLB service %s", name)
		}
		want = slices.Clone(want)
		sort.Strings(want)
		if got := monitorRefs(gs); !slices.Equal(got, want) {
			return fmt.Errorf("monitors of %s = %v, want %v", name, got, want)
		}
		for _, hm := range want {
			if sim.Object("healthmonitor", hm) == nil {
				return fmt.Errorf("monitor %s of %s does not exist", hm, name)
			}
		}
		return nil
	}
}

// ownMonitors returns the names of the monitors amko owns for a service: those
// whose description names it (path and non-path monitors).
func ownMonitors(service string) []string {
	var out []string
	for _, hm := range sim.Objects("healthmonitor") {
		desc := text(hm, "description")
		if strings.HasPrefix(text(hm, "name"), "amko--") && strings.Contains(desc+",", ", gsname: "+service+",") {
			out = append(out, text(hm, "name"))
		}
	}
	sort.Strings(out)
	return out
}

// all combines checks.
func all(checks ...func() error) func() error {
	return func() error {
		for _, c := range checks {
			if err := c(); err != nil {
				return err
			}
		}
		return nil
	}
}

// noService checks that the GSLB service and its own monitors are gone.
func noService(name string) func() error {
	return func() error {
		if sim.Object("gslbservice", name) != nil {
			return fmt.Errorf("GSLB service %s still exists", name)
		}
		if hms := ownMonitors(name); len(hms) > 0 {
			return fmt.Errorf("monitors %v of deleted service %s left behind", hms, name)
		}
		return nil
	}
}

// akoIn is AKO's record of an object it placed in an Avi tenant.
func akoIn(tenant, host, vs string) clusters.AKO {
	return clusters.AKO{VSUUIDs: map[string]string{host: vs}, ControllerUUID: avisim.LeaderClusterUUID, Tenant: tenant}
}

// scenario is one test's use of the shared clusters and controller: amko runs
// for its duration, and everything it creates is deleted at its end, after
// which amko must have removed the GSLB services it named.
type scenario struct {
	t        *testing.T
	ctx      context.Context
	stop     func()
	services []string
	quiets   int
	// logs is amko's log over the scenario, restarts included: its end is
	// printed when the test fails, so a failure under load can be read.
	logs *lockedBuffer
}

// begin starts amko and sets the GlobalDeploymentPolicy. Cleanups run in reverse:
// the objects are deleted first, then amko must remove the services, then it stops.
func begin(t *testing.T, spec amkov1alpha2.GDPSpec) *scenario {
	t.Helper()
	s := &scenario{t: t, ctx: context.Background(), logs: &lockedBuffer{}}
	t.Cleanup(func() { s.printLogTail(200) }) // last: after every check
	s.stop = startAmkoLogging(t, s.logs)
	t.Cleanup(func() { s.stop() })
	t.Cleanup(s.checkClean)
	gdp(t, spec)
	s.gdpStatus(amkov1alpha2.GDPStatusSuccess)
	return s
}

// restart stops amko and starts it again, as after a configuration change that
// needs a restart.
func (s *scenario) restart() {
	s.t.Helper()
	s.stop()
	s.stop = startAmkoLogging(s.t, s.logs)
}

// printLogTail prints the last n lines of amko's log when the test failed.
func (s *scenario) printLogTail(n int) {
	if !s.t.Failed() {
		return
	}
	lines := strings.Split(strings.TrimSpace(s.logs.String()), "\n")
	s.t.Logf("the last %d lines of amko's log:\n%s", min(n, len(lines)), strings.Join(lines[max(0, len(lines)-n):], "\n"))
}

// track names GSLB services the scenario creates; they must be gone at its end.
func (s *scenario) track(names ...string) { s.services = append(s.services, names...) }

func (s *scenario) checkClean() {
	s.t.Helper()
	for _, name := range s.services {
		await.Eventually(s.t, "cleanup removes "+name, noService(name))
	}
}

// cleanup deletes obj from cl at the end of the scenario.
func (s *scenario) cleanup(cl *clusters.Cluster, obj client.Object) {
	s.t.Cleanup(func() {
		if err := cl.Client.Delete(context.Background(), obj); err != nil && !apierrors.IsNotFound(err) {
			s.t.Errorf("cleanup: deleting %T %s/%s: %v", obj, obj.GetNamespace(), obj.GetName(), err)
		}
	})
}

// gdpStatus waits for the GlobalDeploymentPolicy's status.
func (s *scenario) gdpStatus(want string) {
	s.t.Helper()
	await.Eventually(s.t, "GDP status "+want, func() error {
		var obj amkov1alpha2.GlobalDeploymentPolicy
		if err := leader().Client.Get(s.ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: "global-gdp"}, &obj); err != nil {
			return err
		}
		if obj.Status.ErrorStatus != want {
			return fmt.Errorf("GDP status %q", obj.Status.ErrorStatus)
		}
		return nil
	})
}

// namespace makes sure a namespace exists in each cluster given, with these
// labels and annotations, which are removed at the end of the scenario. The
// namespace itself stays: test clusters run no namespace controller, so a
// deleted namespace would stay Terminating, and a rerun could not use it.
func (s *scenario) namespace(name string, labels, annotations map[string]string, cls ...*clusters.Cluster) {
	s.t.Helper()
	for _, cl := range cls {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		err := cl.Client.Get(s.ctx, client.ObjectKeyFromObject(ns), ns)
		if apierrors.IsNotFound(err) {
			err = cl.Client.Create(s.ctx, ns)
		}
		if err != nil {
			s.t.Fatalf("cluster %s: namespace %s: %v", cl.Context, name, err)
		}
		ns.Labels, ns.Annotations = labels, annotations
		if err := cl.Client.Update(s.ctx, ns); err != nil {
			s.t.Fatalf("cluster %s: namespace %s: %v", cl.Context, name, err)
		}
		s.t.Cleanup(func() {
			ctx := context.Background()
			var ns corev1.Namespace
			err := cl.Client.Get(ctx, client.ObjectKey{Name: name}, &ns)
			if err == nil {
				ns.Labels, ns.Annotations = nil, nil
				err = cl.Client.Update(ctx, &ns)
			}
			if err != nil {
				s.t.Errorf("cleanup: cluster %s: namespace %s: %v", cl.Context, name, err)
			}
		})
	}
}

// labelNamespace replaces a namespace's labels.
func (s *scenario) labelNamespace(cl *clusters.Cluster, name string, labels map[string]string) {
	s.t.Helper()
	var ns corev1.Namespace
	if err := cl.Client.Get(s.ctx, client.ObjectKey{Name: name}, &ns); err != nil {
		s.t.Fatal(err)
	}
	ns.Labels = labels
	if err := cl.Client.Update(s.ctx, &ns); err != nil {
		s.t.Fatal(err)
	}
}

func (s *scenario) ingress(cl *clusters.Cluster, in clusters.Ingress) {
	s.t.Helper()
	ing, err := cl.CreateIngress(s.ctx, in)
	if err != nil {
		s.t.Fatal(err)
	}
	s.cleanup(cl, ing)
}

func (s *scenario) route(cl *clusters.Cluster, in clusters.Route) {
	s.t.Helper()
	r, err := cl.CreateRoute(s.ctx, in)
	if err != nil {
		s.t.Fatal(err)
	}
	s.cleanup(cl, r)
}

func (s *scenario) lbService(cl *clusters.Cluster, in clusters.LoadBalancerService) {
	s.t.Helper()
	svc, err := cl.CreateLoadBalancerService(s.ctx, in)
	if err != nil {
		s.t.Fatal(err)
	}
	s.cleanup(cl, svc)
}

// hostRule creates an AKO HostRule and writes the status AKO would give it.
func (s *scenario) hostRule(cl *clusters.Cluster, ns, name string, vh akov1beta1.HostRuleVirtualHost, status string) {
	s.t.Helper()
	hr := &akov1beta1.HostRule{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: akov1beta1.HostRuleSpec{VirtualHost: vh}}
	if err := cl.Client.Create(s.ctx, hr); err != nil {
		s.t.Fatalf("cluster %s: creating HostRule %s/%s: %v", cl.Context, ns, name, err)
	}
	s.cleanup(cl, hr)
	hr.Status = akov1beta1.HostRuleStatus{Status: status}
	if err := cl.Client.Status().Update(s.ctx, hr); err != nil {
		s.t.Fatal(err)
	}
}

// updateHostRule changes a HostRule's spec and status.
func (s *scenario) updateHostRule(cl *clusters.Cluster, ns, name string, change func(*akov1beta1.HostRule)) {
	s.t.Helper()
	var hr akov1beta1.HostRule
	if err := cl.Client.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: name}, &hr); err != nil {
		s.t.Fatal(err)
	}
	status := hr.Status
	change(&hr)
	newStatus := hr.Status
	if err := cl.Client.Update(s.ctx, &hr); err != nil {
		s.t.Fatal(err)
	}
	if newStatus != status {
		hr.Status = newStatus
		if err := cl.Client.Status().Update(s.ctx, &hr); err != nil {
			s.t.Fatal(err)
		}
	}
}

// gslbHostRule creates a GSLBHostRule in avi-system of the leader cluster.
func (s *scenario) gslbHostRule(name string, spec amkov1alpha1.GSLBHostRuleSpec) *amkov1alpha1.GSLBHostRule {
	s.t.Helper()
	ghr := &amkov1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: name}, Spec: spec}
	if err := leader().Client.Create(s.ctx, ghr); err != nil {
		s.t.Fatal(err)
	}
	s.cleanup(leader(), ghr)
	return ghr
}

// gslbHostRuleStatus waits for a GSLBHostRule's status.
func (s *scenario) gslbHostRuleStatus(name, status, msg string) {
	s.t.Helper()
	await.Eventually(s.t, "GSLBHostRule "+name+" "+status, func() error {
		var ghr amkov1alpha1.GSLBHostRule
		if err := leader().Client.Get(s.ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: name}, &ghr); err != nil {
			return err
		}
		if ghr.Status.Status != status || ghr.Status.Error != msg {
			return fmt.Errorf("status %+v", ghr.Status)
		}
		return nil
	})
}

// setIngressLabels replaces an Ingress's labels.
func (s *scenario) setIngressLabels(cl *clusters.Cluster, ns, name string, labels map[string]string) {
	s.t.Helper()
	var ing networkingv1.Ingress
	if err := cl.Client.Get(s.ctx, client.ObjectKey{Namespace: ns, Name: name}, &ing); err != nil {
		s.t.Fatal(err)
	}
	ing.Labels = labels
	if err := cl.Client.Update(s.ctx, &ing); err != nil {
		s.t.Fatal(err)
	}
}

// setServiceIP rewrites the address AKO gave a LoadBalancer Service.
func setServiceIP(t testing.TB, cl *clusters.Cluster, ns, name, ip string) {
	t.Helper()
	ctx := context.Background()
	var svc corev1.Service
	if err := cl.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &svc); err != nil {
		t.Fatal(err)
	}
	svc.Status.LoadBalancer.Ingress[0].IP = ip
	if err := cl.Client.Status().Update(ctx, &svc); err != nil {
		t.Fatal(err)
	}
}

// hasMember checks that a service has a member at ip.
func hasMember(name, ip string) func() error {
	return func() error {
		gs := sim.Object("gslbservice", name)
		if gs == nil {
			return fmt.Errorf("no GSLB service %s", name)
		}
		for _, m := range members(gs) {
			if strings.Split(m, ":")[1] == ip {
				return nil
			}
		}
		return fmt.Errorf("members of %s = %v, want one at %s", name, members(gs), ip)
	}
}

// marker is a selected application whose address the quiet check moves, an
// event that needs exactly one write: a PUT of its GSLB service.
type marker struct {
	service string
	ip      string
	move    func(ip string)
}

func ingressMarker(t *testing.T, cl *clusters.Cluster, ns, name, host, ip string) marker {
	return marker{service: host, ip: ip, move: func(ip string) { setIngressIP(t, cl, ns, name, host, ip) }}
}

// quiet checks that amko writes nothing that the state does not need, once a
// scenario has settled: events that change no desired state (an unselected
// Ingress created, relabelled and deleted) write nothing, and a change to one
// member writes its service only, once. Each move of the marker is seen only
// after the pass before it ended (amko runs one pass at a time), so any other
// write of those passes lands in the journal before the last move's. It returns
// the number of requests the controller received meanwhile.
func (s *scenario) quiet(cl *clusters.Cluster, m marker) int {
	s.t.Helper()
	const alt = "10.255.255.254"
	s.quiets++
	name := fmt.Sprintf("quiet-%d-%s", s.quiets, strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(s.t.Name())))
	sim.ClearJournal()
	m.move(alt)
	await.Eventually(s.t, "quiet: first move applied", hasMember(m.service, alt))
	gs := sim.Object("gslbservice", m.service)
	uuid := text(gs, "uuid")
	// The journal records a request just after the object changed: clear it only
	// once the first move's PUT is in, or that PUT could count as the second's.
	await.Eventually(s.t, "quiet: first move journalled", func() error {
		for _, w := range sim.Writes() {
			if w.Method == "PUT" && w.Path == "/api/gslbservice/"+uuid && strings.Contains(w.Body, alt) {
				return nil
			}
		}
		return fmt.Errorf("not yet")
	})
	sim.ClearJournal()
	unrelated := clusters.Ingress{Namespace: "default", Name: name, Labels: map[string]string{"e2e": "unselected"},
		Rules: []clusters.IngressRule{{Host: name + ".example.com", IP: "10.255.0.1"}},
		AKO:   ako(name+".example.com", "virtualservice-quiet")}
	s.ingress(cl, unrelated)
	s.setIngressLabels(cl, "default", name, map[string]string{"e2e": "relabelled"})
	m.move(m.ip)
	await.Eventually(s.t, "quiet: second move applied", hasMember(m.service, m.ip))
	if err := cl.Client.Delete(s.ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}); err != nil {
		s.t.Fatal(err)
	}
	m.move(alt)
	await.Eventually(s.t, "quiet: third move applied", hasMember(m.service, alt))
	m.move(m.ip)
	await.Eventually(s.t, "quiet: fourth move applied", hasMember(m.service, m.ip))

	// The journal records a request once it is answered, just after the
	// controller's object changed: wait for the last move's entry.
	var writes []avisim.JournalEntry
	await.Eventually(s.t, "quiet: three writes journalled", func() error {
		if writes = sim.Writes(); len(writes) < 3 {
			return fmt.Errorf("%d writes", len(writes))
		}
		return nil
	})
	var unexpected []string
	for _, w := range writes {
		if w.Method != "PUT" || w.Path != "/api/gslbservice/"+uuid {
			unexpected = append(unexpected, w.Method+" "+w.Path+" "+w.Body)
		}
	}
	if len(unexpected) > 0 || len(writes) != 3 {
		s.t.Errorf("quiet: %d writes for 3 moves of %s's member, want 3 PUTs of it; others: %v",
			len(writes), m.service, unexpected)
	}
	return len(sim.Journal())
}

// maxQuietRequests bounds the requests of the quiet check's events (7 at most:
// the unrelated Ingress's creation, status, relabelling and deletion, and 3
// moves): its 3 writes, and for each event's pass a few reads.
const maxQuietRequests = 25

// lastRefusal describes the controller's last refusal of a write, for messages.
func lastRefusal() string {
	w := sim.Writes()
	for i := len(w) - 1; i >= 0; i-- {
		if w[i].Status >= 400 {
			return fmt.Sprintf("%s %s %d %s", w[i].Method, w[i].Path, w[i].Status, w[i].Body)
		}
	}
	return "none"
}

// journalBodyName is the name in a journal entry's JSON body.
func journalBodyName(e avisim.JournalEntry) string {
	var body map[string]any
	if json.Unmarshal([]byte(e.Body), &body) != nil {
		return ""
	}
	return text(body, "name")
}

// deleteRoute deletes a Route now.
func (s *scenario) deleteRoute(cl *clusters.Cluster, ns, name string) {
	s.t.Helper()
	if err := cl.Client.Delete(s.ctx, &routev1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil {
		s.t.Fatal(err)
	}
}

// restartWithMetrics stops amko and runs it again as startAmko does (the
// configuration is in place), with its metrics registered in a new registry.
func (s *scenario) restartWithMetrics() *prometheus.Registry {
	s.t.Helper()
	s.stop()
	reg := prometheus.NewRegistry()
	amko, s.stop = runAmko(s.t, operator.Options{Metrics: operator.NewMetrics(reg)})
	return reg
}

// passes returns how many passes amko has run, from its metrics.
func passes(t *testing.T, reg *prometheus.Registry) uint64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "amko_reconcile_duration_seconds" {
			for _, m := range f.GetMetric() {
				return m.GetHistogram().GetSampleCount()
			}
		}
	}
	return 0
}

// useDNSBackend switches gc-1 to the built-in DNS backend (on a free loopback
// port, zone gslb.example.com), live, and back to the controller when the
// test ends.
func useDNSBackend(t *testing.T) {
	t.Helper()
	var avi amkov1alpha1.GSLBLeader
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
		avi = gc.Spec.GSLBLeader
		gc.Spec.GSLBLeader = amkov1alpha1.GSLBLeader{}
		gc.Spec.DNS = &amkov1alpha1.DNSConfig{Listen: "127.0.0.1:0", Zones: []amkov1alpha1.DNSZone{{Name: "gslb.example.com"}}}
	})
	t.Cleanup(func() {
		changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.GSLBLeader, gc.Spec.DNS = avi, nil })
	})
}
