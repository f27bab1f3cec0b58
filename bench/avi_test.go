// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/test/clusters"
)

// BenchmarkAviSync measures amko with the Avi backend against avisim, three
// clusters and n selected Ingresses (each its own host, spread over the
// clusters), with amko running as its own process:
//   - cold-sync-s and cold-writes: from amko's start until every GSLB service
//     exists on the controller, and the writes that took;
//   - change-p50-ms, change-p99-ms: from an Ingress status change to the
//     controller's answer to the resulting write;
//   - writes/change: controller writes per such change;
//   - peak-rss-MB: amko's peak resident memory.
func BenchmarkAviSync(b *testing.B) { benchSizes(b, benchAviSync) }

// benchSizes runs bench with 1,000 and 10,000 objects, each time on three
// fresh clusters.
func benchSizes(b *testing.B, bench func(b *testing.B, set *clusters.Set, n int)) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				set, err := clusters.Start(context.Background(), 3, clusters.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = set.Stop() })
				bench(b, set, n)
			}
		})
	}
}

func benchAviSync(b *testing.B, set *clusters.Set, n int) {
	sim, srv, err := avisim.Start(avisim.Options{JournalLimit: 10 * n})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()

	if err := set.ConfigureAMKO(context.Background(), avisim.Host(srv), ""); err != nil {
		b.Fatal(err)
	}
	selectApps(b, set, amkov1alpha2.GDPSpec{})
	createIngresses(b, set, n)

	// AMKO_BENCH_CPUPROFILE=<file> profiles amko's CPU while the changes run.
	profile := os.Getenv("AMKO_BENCH_CPUPROFILE")
	listen, extra := "127.0.0.1:0", []string(nil)
	if profile != "" {
		// Local use: the profile is fetched over plain HTTP with no token.
		listen, extra = "127.0.0.1:18099", []string{"--pprof", "--insecure-endpoints"}
	}
	bin := buildAmko(b)
	sim.ClearJournal()
	start := time.Now()
	cmd, exited, stop := startAmko(b, set, bin, append([]string{"--listen", listen}, extra...)...)
	defer stop()

	waitUntil(b, 10*time.Minute, func() bool {
		select {
		case err := <-exited:
			exited <- err
			b.Fatalf("amko exited: %v", err)
		default:
		}
		return countServices(sim) == n
	})
	cold := time.Since(start)
	coldWrites := len(sim.Writes())

	profiled := make(chan error, 1)
	if profile != "" {
		go func() { profiled <- fetchProfile("http://"+listen+"/debug/pprof/profile?seconds=20", profile) }()
	}
	sim.ClearJournal()
	// A change is done when avisim has answered the PUT carrying it.
	lat := measureChanges(b, set, func(host, ip string) time.Time {
		var done time.Time
		waitUntil(b, time.Minute, func() bool {
			for _, e := range sim.Journal() {
				if e.Method == "PUT" && strings.Contains(e.Body, ip) && strings.Contains(e.Body, host) && e.Status == 200 {
					done = e.Time.Add(e.Duration)
					return true
				}
			}
			return false
		})
		return done
	})
	writes := len(sim.Writes())
	if profile != "" {
		if err := <-profiled; err != nil {
			b.Error(err)
		}
	}

	b.ReportMetric(cold.Seconds(), "cold-sync-s")
	b.ReportMetric(float64(coldWrites), "cold-writes")
	reportLatencies(b, lat)
	b.ReportMetric(float64(writes)/float64(len(lat)), "writes/change")
	b.ReportMetric(peakRSSMB(b, cmd.Process.Pid), "peak-rss-MB")
}

// selectApps sets the GDP: spec, selecting label app=gslb in every cluster.
func selectApps(b *testing.B, set *clusters.Set, spec amkov1alpha2.GDPSpec) {
	for _, name := range set.Contexts() {
		spec.MatchClusters = append(spec.MatchClusters, amkov1alpha2.ClusterProperty{Cluster: name})
	}
	spec.MatchRules = amkov1alpha2.MatchRules{AppSelector: amkov1alpha2.AppSelector{Label: map[string]string{"app": "gslb"}}}
	if err := set.SetGDP(context.Background(), spec); err != nil {
		b.Fatal(err)
	}
}

// measureChanges moves 50 Ingresses' addresses one at a time (changed), each
// waited for with applied (which returns when the change took effect), and
// returns the latencies, sorted.
func measureChanges(b *testing.B, set *clusters.Set, applied func(host, ip string) time.Time) []time.Duration {
	return measureChangesWith(func(k int) (string, string) {
		name, ip := changed(k)
		setIP(b, set.Clusters[k%3], name, ip)
		return name + ".example.com", ip
	}, applied)
}

// changes is how many changes measureChangesWith measures.
const changes = 50

// changed is the object (app-<i>, in cluster k%3) that change k moves, and
// the address it moves it to.
func changed(k int) (name, ip string) {
	return fmt.Sprintf("app-%d", k*3+k%3), fmt.Sprintf("10.200.%d.%d", k/250, k%250+1)
}

// measureChangesWith makes the changes one at a time with change, which
// returns the host it moved and its new address, each waited for with
// applied, and returns the latencies, sorted.
func measureChangesWith(change func(k int) (host, ip string), applied func(host, ip string) time.Time) []time.Duration {
	var lat []time.Duration
	for k := range changes {
		t0 := time.Now()
		host, ip := change(k)
		lat = append(lat, applied(host, ip).Sub(t0))
	}
	slices.Sort(lat)
	return lat
}

// reportLatencies reports the median and 99th percentile of sorted latencies.
func reportLatencies(b *testing.B, lat []time.Duration) {
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "change-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "change-p99-ms")
}

// createIngresses creates n Ingresses, app-<i> in cluster i%3, each with its own host.
func createIngresses(b *testing.B, set *clusters.Set, n int) {
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for c, cl := range set.Clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < n; i += 3 {
				name := fmt.Sprintf("app-%d", i)
				host := name + ".example.com"
				_, err := cl.CreateIngress(context.Background(), clusters.Ingress{Namespace: "default", Name: name,
					Labels: map[string]string{"app": "gslb"},
					Rules:  []clusters.IngressRule{{Host: host, IP: fmt.Sprintf("10.%d.%d.%d", c+1, i/250%250, i%250+1)}},
					AKO: clusters.AKO{VSUUIDs: map[string]string{host: "virtualservice-" + name},
						ControllerUUID: avisim.LeaderClusterUUID, Tenant: "admin"}})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func setIP(b *testing.B, cl *clusters.Cluster, name, ip string) {
	var ing networkingv1.Ingress
	if err := cl.Client.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &ing); err != nil {
		b.Fatal(err)
	}
	ing.Status.LoadBalancer.Ingress[0].IP = ip
	if err := cl.Client.Status().Update(context.Background(), &ing); err != nil {
		b.Fatal(err)
	}
}

// fetchProfile saves the profile at url into file.
func fetchProfile(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return fmt.Errorf("profiling amko: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("profiling amko: %w", err)
	}
	return os.WriteFile(file, data, 0o644)
}

func countServices(sim *avisim.Server) int { return sim.Count("gslbservice") }

func waitUntil(b *testing.B, limit time.Duration, done func() bool) {
	deadline := time.Now().Add(limit)
	for !done() {
		if time.Now().After(deadline) {
			b.Fatalf("not done within %s", limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// buildAmko builds cmd/amko for the benchmark.
// startAmko runs bin (buildAmko's) as its own process for set's first
// cluster; exited receives its end, stop kills it (and logs its output if the
// benchmark failed).
func startAmko(b *testing.B, set *clusters.Set, bin string, args ...string) (cmd *exec.Cmd, exited chan error, stop func()) {
	logFile, err := os.Create(filepath.Join(b.TempDir(), "amko.log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd = exec.Command(bin, append([]string{"--kubeconfig", set.KubeconfigPath, "--context", set.Clusters[0].Context, "--health-listen="}, args...)...)
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited = make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return cmd, exited, func() {
		_ = cmd.Process.Kill()
		<-exited
		if b.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			b.Logf("amko's log:\n%s", log)
		}
	}
}

func buildAmko(b *testing.B) string {
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(b.TempDir(), "amko")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/amko")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building amko: %v\n%s", err, out)
	}
	return bin
}

// peakRSSMB reads a process's peak resident set (VmHWM).
func peakRSSMB(b *testing.B, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmHWM")
	return 0
}
