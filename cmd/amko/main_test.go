// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/statusreport"
	"github.com/amko-project/amko/test/avidns"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

var set *clusters.Set

// readerToken is a token of the ServiceAccount that may read amko's
// /status and /metrics, as the chart makes it.
var readerToken string

// insecureClient trusts any certificate, amko's self-signed one included.
var insecureClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

func TestMain(m *testing.M) {
	os.Exit(clusters.Main(m, 1, &set, clusters.Options{Setup: func(ctx context.Context, s *clusters.Set) error {
		var err error
		readerToken, err = serviceAccountToken(ctx, s.Clusters[0], statusreport.DefaultReader, "/status", "/metrics")
		return err
	}}))
}

// replica runs amko with --leader-elect under identity until the returned
// stop; base is its HTTPS address.
func replica(t *testing.T, identity string, extra ...string) (stop func(), base string) {
	t.Helper()
	ls := testListeners(t, "127.0.0.1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--kubeconfig", set.KubeconfigPath, "--context", set.Clusters[0].Context,
			"--leader-elect", "--leader-elect-identity", identity}, extra...), ls)
	}()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("replica %s: %v", identity, err)
		}
	}, "https://" + ls.Main.Addr().String()
}

// testListeners are amko's two listeners on ip, on free ports.
func testListeners(t *testing.T, ip string) *listeners {
	t.Helper()
	var ls listeners
	var err error
	if ls.Main, err = net.Listen("tcp", net.JoinHostPort(ip, "0")); err != nil {
		t.Fatal(err)
	}
	if ls.Health, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return &ls
}

func holder() (string, error) {
	var lease coordinationv1.Lease
	if err := set.Clusters[0].Client.Get(context.Background(), client.ObjectKey{Namespace: clusters.Namespace, Name: "amko"}, &lease); err != nil {
		return "", err
	}
	if lease.Spec.HolderIdentity == nil {
		return "", nil
	}
	return *lease.Spec.HolderIdentity, nil
}

func waitHolder(t *testing.T, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got string
	var err error
	for time.Now().Before(deadline) {
		if got, err = holder(); err == nil {
			for _, w := range want {
				if got == w {
					return got
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("Lease holder %q (%v), want one of %v", got, err, want)
	return ""
}

// Two replicas elect one active amko with a Lease; when it stops, the other
// takes over.
func TestLeaderElection(t *testing.T) {
	logs := map[string]string{"amko-a": filepath.Join(t.TempDir(), "a.log"), "amko-b": filepath.Join(t.TempDir(), "b.log")}
	// With the DNS backend, the standby answers DNS too.
	if err := set.ConfigureDNS(context.Background(), "127.0.0.1:0", "gslb.example.com"); err != nil {
		t.Fatal(err)
	}
	stops, bases := map[string]func(){}, map[string]string{}
	stops["amko-a"], bases["amko-a"] = replica(t, "amko-a", "--log-file", logs["amko-a"], "--log-format", "json")
	// Two run calls in one process set controller-runtime's global logger each:
	// start the second once the first has (it then serves HTTP), which a
	// process of its own never needs.
	await.Eventually(t, "amko-a serving", func() error { _, err := getStatus(bases["amko-a"]); return err })
	stops["amko-b"], bases["amko-b"] = replica(t, "amko-b", "--log-file", logs["amko-b"])
	// --log-file gets the logs too, in the --log-format asked for. The elected
	// replica logs so once it runs, a moment after it holds the Lease: wait for
	// the line before stopping it.
	elected := map[string]string{"amko-a": `"msg":"elected: this replica is the active amko"`, "amko-b": `msg="elected: this replica is the active amko"`}
	loggedElected := func(id string) {
		t.Helper()
		await.Eventually(t, id+" logs its election to its --log-file", func() error {
			data, err := os.ReadFile(logs[id])
			if err != nil {
				return err
			}
			if !strings.Contains(string(data), elected[id]) {
				return fmt.Errorf("no %s in:\n%s", elected[id], data)
			}
			return nil
		})
	}
	first := waitHolder(t, "amko-a", "amko-b")
	other := map[string]string{"amko-a": "amko-b", "amko-b": "amko-a"}[first]
	loggedElected(first)
	await.Eventually(t, "the standby answers DNS, and says it is a standby", func() error {
		st, err := getStatus(bases[other])
		if err != nil {
			return err
		}
		if st.Active || st.Backend == nil || st.Backend.DNSAddr == "" {
			return fmt.Errorf("standby's status: active %v, backend %+v", st.Active, st.Backend)
		}
		m := new(dns.Msg)
		m.SetQuestion("gslb.example.com.", dns.TypeSOA)
		resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, st.Backend.DNSAddr)
		if err != nil {
			return err
		}
		if !resp.Authoritative || len(resp.Answer) != 1 {
			return fmt.Errorf("SOA answer from the standby: %v", resp)
		}
		return nil
	})
	start := time.Now()
	stops[first]()
	waitHolder(t, other)
	t.Logf("%s took over from %s in %v", other, first, time.Since(start))
	loggedElected(other)
	stops[other]()
}

// A bad --log-format is refused before anything starts.
func TestBadLogFormat(t *testing.T) {
	err := run(context.Background(), []string{"--log-format", "xml"}, nil)
	if err == nil || !strings.Contains(err.Error(), `--log-format "xml": want text or json`) {
		t.Errorf("err = %v", err)
	}
}

// nonLoopbackIP is an IPv4 address of this host outside the loopback and
// link-local ranges, or "".
func nonLoopbackIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// startAmko runs amko (run) with its HTTPS server on ip until the returned
// stop.
func startAmko(t *testing.T, ip string, extra ...string) (*listeners, func()) {
	t.Helper()
	ls := testListeners(t, ip)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--kubeconfig", set.KubeconfigPath, "--context", set.Clusters[0].Context}, extra...), ls)
	}()
	return ls, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("amko: %v", err)
		}
	}
}

// deleteAll deletes objs from c, those already gone too.
func deleteAll(t *testing.T, c client.Client, objs ...client.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := client.IgnoreNotFound(c.Delete(context.Background(), obj)); err != nil {
			t.Error(err)
		}
	}
}

// statusCmd runs "amko status" against the first cluster with args.
func statusCmd(args ...string) (string, error) {
	var out bytes.Buffer
	err := runStatus(context.Background(),
		append([]string{"--kubeconfig", set.KubeconfigPath, "--context", set.Clusters[0].Context}, args...), &out)
	return out.String(), err
}

// getStatus reads amko's /status at base, as the chart's reader.
func getStatus(base string) (*operator.Status, error) {
	body, err := get(base+"/status", readerToken)
	if err != nil {
		return nil, err
	}
	var st operator.Status
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// get GETs u with token (none if empty), trusting any server certificate:
// amko's is self-signed. A status other than 200 is an error that starts with
// the code.
func get(u, token string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := insecureClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("%d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasSuffix(u, "/status") && ct != "application/json" {
		return nil, fmt.Errorf("Content-Type %q", ct)
	}
	return body, nil
}

// amko in DNS mode reports, at /status, its service with one member whose
// probe succeeds (up) and one whose fails (down); "amko status" prints the
// policy objects' statuses and that service, directly or through the API
// server's service proxy, and still the former when amko is unreachable.
func TestStatus(t *testing.T) {
	ctx := context.Background()
	cl := set.Clusters[0]
	c := cl.Client
	const fqdn, app = "status.gslb.example.com", "status-test"

	up := backend.TCP(t, "127.0.0.31:0")
	port := int32(up.Addr().(*net.TCPAddr).Port)

	if err := set.ConfigureDNS(ctx, "127.0.0.1:0", "gslb.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := set.SetGDP(ctx, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": app}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: cl.Context}},
	}); err != nil {
		t.Fatal(err)
	}
	// 127.0.0.32 listens on nothing: its TCP probe is refused at once.
	for name, ip := range map[string]string{"status-up": "127.0.0.31", "status-down": "127.0.0.32"} {
		if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: name,
			Labels: map[string]string{"app": app}, Hostname: fqdn, IP: ip,
			Ports: []corev1.ServicePort{{Name: "http", Port: port, Protocol: corev1.ProtocolTCP}}}); err != nil {
			t.Fatal(err)
		}
	}
	defer deleteAll(t, c,
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "status-up"}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "status-down"}},
		&amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}},
		&amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GDPName}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.MembersSecret}},
	)

	// The API server's service proxy refuses loopback endpoints: serve on the
	// host's own address when it has one.
	hostIP := nonLoopbackIP()
	ls, stop := startAmko(t, cmp.Or(hostIP, "127.0.0.1"))
	defer stop()
	base := "https://" + ls.Main.Addr().String()

	var st *operator.Status
	await.Eventually(t, "the service with one member up and one down at /status", func() error {
		var err error
		if st, err = getStatus(base); err != nil {
			return err
		}
		if !st.Ready || len(st.Services) != 1 || len(st.Services[0].Pools) != 1 {
			return fmt.Errorf("not ready or not one service of one pool: %+v", st)
		}
		got := map[string]string{}
		for _, m := range st.Services[0].Pools[0].Members {
			got[m.IP] = m.Cluster + " " + m.Health
		}
		if want := map[string]string{"127.0.0.31": cl.Context + " up", "127.0.0.32": cl.Context + " down"}; fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("members %v, want %v", got, want)
		}
		return nil
	})
	svc := st.Services[0]
	if svc.DomainNames[0] != fqdn || st.Backend == nil || st.Backend.Kind != "dns" || st.HealthSource != "probes" ||
		st.GSLBConfig == nil || st.GSLBConfig.Name != clusters.GSLBConfigName || st.LastSynced == nil || !st.Active || st.Role != "standalone" {
		t.Errorf("status %+v", st)
	}

	// One table line per member, in a fixed layout.
	line := func(ip, health string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(fqdn) + ` +` + regexp.QuoteMeta(svc.Tenant) + ` +` +
			regexp.QuoteMeta(svc.Pools[0].Name) + ` +` + fmt.Sprint(svc.Pools[0].Priority) + ` +` + regexp.QuoteMeta(cl.Context) +
			` +` + regexp.QuoteMeta(ip) + ` +1 +` + health + `$`)
	}
	checkTable := func(t *testing.T, out string) {
		t.Helper()
		for _, re := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^GSLBConfig +avi-system +gc-1 +` + regexp.QuoteMeta(amkov1alpha1.GSLBConfigStateAccepted) + `$`),
			regexp.MustCompile(`(?m)^GlobalDeploymentPolicy +avi-system +global-gdp +success$`),
			regexp.MustCompile(`(?m)^ROLE: +standalone$`),
			line("127.0.0.31", "up"), line("127.0.0.32", "down"),
		} {
			if !re.MatchString(out) {
				t.Errorf("output lacks %s:\n%s", re, out)
			}
		}
	}

	t.Run("addr", func(t *testing.T) {
		out, err := statusCmd("--addr", base, "--insecure-skip-tls-verify")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		checkTable(t, out)
		// The layout is stable: the same state prints the same (the time of
		// the last pass aside, which a pass between the two may move).
		synced := regexp.MustCompile(`(?m)^LAST SYNCED: .*$`)
		if again, _ := statusCmd("--addr", base, "--insecure-skip-tls-verify"); synced.ReplaceAllString(again, "") != synced.ReplaceAllString(out, "") {
			t.Errorf("output changed between two runs:\n%s\n---\n%s", out, again)
		}
	})

	t.Run("explain", func(t *testing.T) {
		if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "status-other",
			Labels: map[string]string{"app": "other"}, Hostname: fqdn, IP: "127.0.0.33",
			Ports: []corev1.ServicePort{{Name: "http", Port: port, Protocol: corev1.ProtocolTCP}}}); err != nil {
			t.Fatal(err)
		}
		defer deleteAll(t, c, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "status-other"}})
		var out string
		await.Eventually(t, "amko status --explain names the selected and the left-out candidate", func() error {
			var err error
			if out, err = statusCmd("--addr", base, "--insecure-skip-tls-verify", "--explain", fqdn); err != nil {
				return fmt.Errorf("%v\n%s", err, out)
			}
			for _, re := range []*regexp.Regexp{
				regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cl.Context) + ` +LBSVC +default/status-up +` + regexp.QuoteMeta(fqdn) + ` +127\.0\.0\.31 +yes +` + regexp.QuoteMeta(fqdn) + `$`),
				regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cl.Context) + ` +LBSVC +default/status-other +` + regexp.QuoteMeta(fqdn) + ` +127\.0\.0\.33 +no +labels do not match the appSelector$`),
			} {
				if !re.MatchString(out) {
					return fmt.Errorf("output lacks %s:\n%s", re, out)
				}
			}
			return nil
		})
		if out, err := statusCmd("--addr", base, "--insecure-skip-tls-verify", "--explain", "default/status-down"); err != nil || !strings.Contains(out, "status-down") || strings.Contains(out, "status-up") {
			t.Errorf("explain by namespace/name: %v\n%s", err, out)
		}
		// An object AKO has not placed yet is no candidate at all: said so, with why.
		if _, err := cl.CreateLoadBalancerService(ctx, clusters.LoadBalancerService{Namespace: "default", Name: "status-unplaced",
			Labels: map[string]string{"app": app}, Ports: []corev1.ServicePort{{Name: "http", Port: port, Protocol: corev1.ProtocolTCP}}}); err != nil {
			t.Fatal(err)
		}
		defer deleteAll(t, c, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "status-unplaced"}})
		await.Eventually(t, "explain names an object with no address", func() error {
			out, err := statusCmd("--addr", base, "--insecure-skip-tls-verify", "--explain", "default/status-unplaced")
			if err != nil {
				return fmt.Errorf("%v\n%s", err, out)
			}
			re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cl.Context) + ` +Service +default/status-unplaced +- +- +no +no candidate: no address in status\.loadBalancer\.ingress`)
			if !re.MatchString(out) {
				return fmt.Errorf("output lacks %s:\n%s", re, out)
			}
			return nil
		})
	})

	// The same questions asked of another DNS server (the Avi DNS service,
	// here avisim's) and amko's: equal answers pass, a differing one fails the
	// command and is printed.
	t.Run("compare", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetQuestion(fqdn+".", dns.TypeA)
		resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, st.Backend.DNSAddr)
		if err != nil || len(resp.Answer) != 1 {
			t.Fatalf("amko's answer: %v %v", resp, err)
		}
		ttl := int(resp.Answer[0].Header().Ttl)
		same := avidns.Start(t, avidns.Service(fqdn, ttl, "127.0.0.31"))
		if out, err := statusCmd("--addr", base, "--insecure-skip-tls-verify", "--compare", same); err != nil ||
			!strings.Contains(out, "COMPARED:  1 names, "+same+" and amko's "+st.Backend.DNSAddr+": 0 differences") {
			t.Errorf("compared with equal answers: %v\n%s", err, out)
		}
		other := avidns.Start(t, avidns.Service(fqdn, ttl, "127.0.0.31", "127.0.0.99"))
		out, err := statusCmd("--addr", base, "--insecure-skip-tls-verify", "--compare", other)
		if err == nil || !strings.Contains(err.Error(), "1 answers differ") {
			t.Errorf("compared with other answers: %v", err)
		}
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(fqdn) + ` +A +addresses +127\.0\.0\.31,127\.0\.0\.99 ttl \d+ +127\.0\.0\.31 ttl \d+$`)
		if !re.MatchString(out) {
			t.Errorf("output lacks %s:\n%s", re, out)
		}
	})

	t.Run("json", func(t *testing.T) {
		out, err := statusCmd("--addr", base, "--insecure-skip-tls-verify", "-o", "json")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var report statusReport
		if err := json.Unmarshal([]byte(out), &report); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if report.Amko == nil || len(report.Amko.Services) != 1 || len(report.Objects) < 2 || report.Objects[0].Kind != "GSLBConfig" {
			t.Errorf("report %s", out)
		}
	})

	// The chart's Service amko, port http, in front of this amko: the API
	// server proxies only to addresses of Pods, so one stands for it.
	t.Run("service proxy", func(t *testing.T) {
		if hostIP == "" {
			t.Skip("no non-loopback address for the API server to proxy to")
		}
		lport := int32(ls.Main.Addr().(*net.TCPAddr).Port)
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "amko-status-test"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "amko", Image: "amko"}}}}
		svcObj := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "amko"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 8443, Protocol: corev1.ProtocolTCP}}}}
		addresses := []corev1.EndpointAddress{{IP: hostIP,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: clusters.Namespace, Name: pod.Name}}}
		ports := []corev1.EndpointPort{{Name: "https", Port: lport, Protocol: corev1.ProtocolTCP}}
		// The API server's service proxy reads Endpoints, not EndpointSlices.
		//lint:ignore SA1019 as said above
		subsets := []corev1.EndpointSubset{{Addresses: addresses, Ports: ports}}
		//lint:ignore SA1019 as said above
		eps := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "amko"}, Subsets: subsets}
		for _, obj := range []client.Object{pod, svcObj, eps} {
			if err := c.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = c.Delete(ctx, obj) }()
		}
		pod.Status.PodIP, pod.Status.PodIPs = hostIP, []corev1.PodIP{{IP: hostIP}}
		if err := c.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
		out, err := statusCmd()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		checkTable(t, out)
		// Without a token amko refuses, and amko status says so.
		if out, err := statusCmd("--token-service-account", ""); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
			t.Errorf("without a token: %v\n%s", err, out)
		}
		// A reader whose token may not be asked for: amko status says which.
		if out, err := statusCmd("--token-service-account", "no-such-reader"); err == nil ||
			!strings.Contains(err.Error(), "asking for a token of ServiceAccount avi-system/no-such-reader") {
			t.Errorf("with a missing reader: %v\n%s", err, out)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		dead, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := dead.Addr().String()
		_ = dead.Close()
		out, err := statusCmd("--addr", addr)
		if err == nil || !strings.Contains(err.Error(), "reading amko's /status from "+addr) {
			t.Errorf("error %v, want one naming %s", err, addr)
		}
		if !strings.Contains(out, "gc-1") || strings.Contains(out, fqdn) {
			t.Errorf("output without amko:\n%s", out)
		}
	})
}

// With the Avi backend, /status names the controller but no credentials, and
// leaves members' health to the controller.
func TestStatusAvi(t *testing.T) {
	ctx := context.Background()
	cl := set.Clusters[0]
	c := cl.Client
	const fqdn, app = "status-avi.example.com", "status-avi-test"
	_, srv, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	host := avisim.Host(srv)

	if err := set.ConfigureAMKO(ctx, host, ""); err != nil {
		t.Fatal(err)
	}
	if err := set.SetGDP(ctx, amkov1alpha2.GDPSpec{
		MatchRules:    amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": app}}},
		MatchClusters: []amkov1alpha2.ClusterProperty{{Cluster: cl.Context}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateIngress(ctx, clusters.Ingress{Namespace: "default", Name: "status-avi", Labels: map[string]string{"app": app},
		Rules: []clusters.IngressRule{{Host: fqdn, IP: "10.9.0.1"}},
		AKO:   clusters.AKO{VSUUIDs: map[string]string{fqdn: "virtualservice-status"}, ControllerUUID: avisim.LeaderClusterUUID, Tenant: "admin"},
	}); err != nil {
		t.Fatal(err)
	}
	defer deleteAll(t, c,
		&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "status-avi"}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "status-avi"}},
		&amkov1alpha1.GSLBConfig{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}},
		&amkov1alpha2.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.GDPName}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.MembersSecret}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: clusters.ControllerSecret}},
	)

	ls, stop := startAmko(t, "127.0.0.1")
	defer stop()
	base := "https://" + ls.Main.Addr().String()
	await.Eventually(t, "the GSLB service at /status", func() error {
		st, err := getStatus(base)
		if err != nil {
			return err
		}
		if !st.Ready || len(st.Services) != 1 || len(st.Services[0].Pools) != 1 || len(st.Services[0].Pools[0].Members) != 1 {
			return fmt.Errorf("not ready or not one service with one member: %+v", st)
		}
		m := st.Services[0].Pools[0].Members[0]
		if m.IP != "10.9.0.1" || m.Health != "" || st.HealthSource != "controller" || st.Backend.Kind != "avi" || st.Backend.Controller != host {
			return fmt.Errorf("status %+v, member %+v", st, m)
		}
		return nil
	})
	body, err := get(base+"/status", readerToken)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte("avi123")) || bytes.Contains(body, []byte(clusters.ControllerSecret)) {
		t.Errorf("/status reveals the controller's credentials: %s", body)
	}
	out, err := statusCmd("--addr", base, "--insecure-skip-tls-verify")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"BACKEND:      avi, controller " + host, "decided by the Avi controller", cl.Context + "  10.9.0.1  1       -\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
