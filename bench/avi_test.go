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
// clusters), with amko running as its own process, at controller write
// concurrency 1 (one write at a time, as AMKO: the anchor), 4, 8 and 16,
// interleaved on the same clusters and Ingresses (the order reversed every
// other round; AMKO_BENCH_ROUNDS rounds, default 3 at 1,000 and 1 at 10,000).
// AMKO_BENCH_AVI_LATENCY=<duration> makes avisim take that long over each
// write, as a real controller's commit does (avisim on loopback takes well
// under a millisecond). For each concurrency c, the median over the rounds of:
//   - c<c>-cold-sync-s and c<c>-cold-writes: from amko's start until every
//     GSLB service exists on the controller, and the writes that took;
//     c<c>/c1-cold: its ratio to concurrency 1; c<c>-writing-s: from the
//     first write's arrival to the last's answer, the part concurrency acts
//     on (the rest is amko's start, the clusters' lists and the first plan);
//   - c<c>-change-p50-ms, c<c>-change-p99-ms: from an Ingress status change to
//     the controller's answer to the resulting write;
//   - c<c>-writes/change: controller writes per such change;
//   - c<c>-peak-rss-MB: amko's peak resident memory.
func BenchmarkAviSync(b *testing.B) { benchSizes(b, benchAviSync) }

// aviConcurrencies are the controller write concurrencies BenchmarkAviSync
// compares; the first is the anchor.
var aviConcurrencies = []int{1, 4, 8, 16}

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

// aviRun is what one amko run measured.
type aviRun struct {
	cold, writing          time.Duration
	coldWrites             int
	p50, p90, p99          float64 // ms
	writesPerChange, rssMB float64
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
	bin := buildAmko(b)

	rounds := 3
	if n > 1000 {
		rounds = 1
	}
	if v := os.Getenv("AMKO_BENCH_ROUNDS"); v != "" {
		if rounds, err = strconv.Atoi(v); err != nil || rounds < 1 {
			b.Fatalf("AMKO_BENCH_ROUNDS=%q: want a positive number", v)
		}
	}
	var latency time.Duration
	if v := os.Getenv("AMKO_BENCH_AVI_LATENCY"); v != "" {
		if latency, err = time.ParseDuration(v); err != nil {
			b.Fatalf("AMKO_BENCH_AVI_LATENCY=%q: %v", v, err)
		}
	}
	concurrencies := aviConcurrencies
	if v := os.Getenv("AMKO_BENCH_CONCURRENCY"); v != "" {
		concurrencies = nil
		for _, f := range strings.Split(v, ",") {
			c, err := strconv.Atoi(f)
			if err != nil || c < 1 {
				b.Fatalf("AMKO_BENCH_CONCURRENCY=%q: want positive numbers, comma-separated", v)
			}
			concurrencies = append(concurrencies, c)
		}
	}
	bins := amkoBinaries(b, bin)
	runs := map[string]map[int][]aviRun{}
	run := 0
	for r := range rounds {
		order := slices.Clone(concurrencies)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for i, c := range order {
			for _, bn := range alternate(bins, r+i) {
				if err := sim.Reset(); err != nil {
					b.Fatal(err)
				}
				if latency > 0 {
					if _, err := sim.AddFault(avisim.Fault{Name: "commit", Path: "^/api/(gslbservice|healthmonitor)", Method: "POST", Latency: latency}); err != nil {
						b.Fatal(err)
					}
					if _, err := sim.AddFault(avisim.Fault{Name: "commit", Path: "^/api/(gslbservice|healthmonitor)/", Latency: latency}); err != nil {
						b.Fatal(err)
					}
				}
				res := aviSyncRun(b, set, sim, bn.path, n, c, run)
				b.Logf("round %d, %sconcurrency %d: cold sync %.2f s (writing %.2f s), %d writes; change p50 %.1f ms, p90 %.1f ms, p99 %.1f ms; %.0f MB",
					r+1, bn.label, c, res.cold.Seconds(), res.writing.Seconds(), res.coldWrites, res.p50, res.p90, res.p99, res.rssMB)
				if runs[bn.label] == nil {
					runs[bn.label] = map[int][]aviRun{}
				}
				runs[bn.label][c] = append(runs[bn.label][c], res)
				run++
			}
		}
	}
	for _, bn := range bins {
		reportAviRuns(b, bn.label, runs[bn.label], concurrencies)
	}
}

// amkoBin is an amko binary a benchmark runs, with the prefix of its metrics.
type amkoBin struct{ label, path string }

// amkoBinaries are this tree's amko, built, and the anchor's when
// AMKO_BENCH_ANCHOR names one (an amko binary built from another commit):
// the benchmarks then run both on the same clusters and objects, in turn,
// and report the anchor's figures with the prefix "anchor-".
func amkoBinaries(b *testing.B, built string) []amkoBin {
	bins := []amkoBin{{path: built}}
	if a := os.Getenv("AMKO_BENCH_ANCHOR"); a != "" {
		if _, err := os.Stat(a); err != nil {
			b.Fatalf("AMKO_BENCH_ANCHOR: %v", err)
		}
		bins = append(bins, amkoBin{label: "anchor-", path: a})
	}
	return bins
}

// alternate is bins in the order of run k: reversed every other run.
func alternate(bins []amkoBin, k int) []amkoBin {
	out := slices.Clone(bins)
	if k%2 == 1 {
		slices.Reverse(out)
	}
	return out
}

// reportAviRuns reports the medians of one binary's runs per concurrency.
func reportAviRuns(b *testing.B, label string, runs map[int][]aviRun, concurrencies []int) {
	anchor := medianOf(runs[concurrencies[0]], func(r aviRun) float64 { return r.cold.Seconds() })
	for _, c := range concurrencies {
		m := func(f func(aviRun) float64) float64 { return medianOf(runs[c], f) }
		p := fmt.Sprintf("%sc%d-", label, c)
		cold := m(func(r aviRun) float64 { return r.cold.Seconds() })
		b.ReportMetric(cold, p+"cold-sync-s")
		b.ReportMetric(cold/anchor, fmt.Sprintf("%sc%d/c%d-cold", label, c, concurrencies[0]))
		b.ReportMetric(m(func(r aviRun) float64 { return r.writing.Seconds() }), p+"writing-s")
		b.ReportMetric(m(func(r aviRun) float64 { return float64(r.coldWrites) }), p+"cold-writes")
		b.ReportMetric(m(func(r aviRun) float64 { return r.p50 }), p+"change-p50-ms")
		b.ReportMetric(m(func(r aviRun) float64 { return r.p90 }), p+"change-p90-ms")
		b.ReportMetric(m(func(r aviRun) float64 { return r.p99 }), p+"change-p99-ms")
		b.ReportMetric(m(func(r aviRun) float64 { return r.writesPerChange }), p+"writes/change")
		b.ReportMetric(m(func(r aviRun) float64 { return r.rssMB }), p+"peak-rss-MB")
	}
}

// medianOf is the median of f over runs.
func medianOf(runs []aviRun, f func(aviRun) float64) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// aviSyncRun starts amko with controller write concurrency c against sim
// (reset: holding none of amko's objects), measures its cold sync, then its
// changes, and stops it. run numbers the runs on the same clusters: each
// moves the Ingresses to addresses of its own, so that each run's changes
// are changes.
func aviSyncRun(b *testing.B, set *clusters.Set, sim *avisim.Server, bin string, n, c, run int) aviRun {
	// AMKO_BENCH_CPUPROFILE=<file> profiles amko's CPU while the changes run
	// (<file>.c<c>, in the first round).
	profile := os.Getenv("AMKO_BENCH_CPUPROFILE")
	if profile != "" && run < len(aviConcurrencies) {
		profile = fmt.Sprintf("%s.c%d", profile, c)
	} else {
		profile = ""
	}
	// AMKO_BENCH_COLD_CPUPROFILE=<file> profiles amko's CPU over its first
	// AMKO_BENCH_COLD_SECONDS (default 15) from its start: the cold sync
	// (<file>.c<c>, in the first round).
	cold := os.Getenv("AMKO_BENCH_COLD_CPUPROFILE")
	if cold != "" && run < len(aviConcurrencies) {
		cold = fmt.Sprintf("%s.c%d", cold, c)
	} else {
		cold = ""
	}
	coldSeconds := 15
	if v := os.Getenv("AMKO_BENCH_COLD_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("AMKO_BENCH_COLD_SECONDS=%q: want a positive number", v)
		}
		coldSeconds = n
	}
	listen, extra := "127.0.0.1:0", []string(nil)
	if profile != "" || cold != "" {
		// Local use: the profile is fetched over plain HTTP with no token.
		listen, extra = "127.0.0.1:18099", []string{"--pprof", "--insecure-endpoints"}
	}
	sim.ClearJournal()
	start := time.Now()
	cmd, exited, stop := startAmko(b, set, bin, append([]string{"--listen", listen, fmt.Sprintf("--controller-concurrency=%d", c)}, extra...)...)
	defer stop()
	coldProfiled := make(chan error, 1)
	if cold != "" {
		go func() {
			// The endpoint serves once amko has started.
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
				resp, err := http.Get("http://" + listen + "/healthz")
				if err == nil {
					resp.Body.Close()
					break
				}
				if time.Now().After(deadline) {
					coldProfiled <- fmt.Errorf("amko's endpoints: %w", err)
					return
				}
			}
			coldProfiled <- fetchProfile(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", listen, coldSeconds), cold)
		}()
	}

	waitUntil(b, 10*time.Minute, func() bool {
		select {
		case err := <-exited:
			exited <- err
			b.Fatalf("amko exited: %v", err)
		default:
		}
		return countServices(sim) == n
	})
	res := aviRun{cold: time.Since(start)}
	var first, last time.Time
	for _, e := range sim.Writes() {
		res.coldWrites++
		if first.IsZero() || e.Time.Before(first) {
			first = e.Time
		}
		if end := e.Time.Add(e.Duration); end.After(last) {
			last = end
		}
	}
	res.writing = last.Sub(first)
	if cold != "" {
		if err := <-coldProfiled; err != nil {
			b.Error(err)
		}
	}

	profiled := make(chan error, 1)
	if profile != "" {
		go func() { profiled <- fetchProfile("http://"+listen+"/debug/pprof/profile?seconds=20", profile) }()
	}
	sim.ClearJournal()
	// A change is done when avisim has answered the PUT carrying it.
	lat := measureChangesWith(func(k int) (string, string) {
		name, _ := changed(k)
		ip := fmt.Sprintf("10.%d.%d.%d", 200+run%50, k/250, k%250+1)
		setIP(b, set.Clusters[k%3], name, ip)
		return name + ".example.com", ip
	}, func(host, ip string) time.Time {
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
	res.p50 = float64(lat[len(lat)/2].Microseconds()) / 1000
	res.p90 = float64(lat[len(lat)*9/10].Microseconds()) / 1000
	res.p99 = float64(lat[len(lat)*99/100].Microseconds()) / 1000
	res.writesPerChange = float64(writes) / float64(len(lat))
	res.rssMB = peakRSSMB(b, cmd.Process.Pid)
	return res
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
	// AMKO_BENCH_TRACE=<file>: each change's start and latency, to match with
	// amko's log (AMKO_BENCH_LOGDIR).
	var trace *os.File
	if f := os.Getenv("AMKO_BENCH_TRACE"); f != "" {
		trace, _ = os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		defer trace.Close()
	}
	for k := range changes {
		t0 := time.Now()
		host, ip := change(k)
		l := applied(host, ip).Sub(t0)
		lat = append(lat, l)
		if trace != nil {
			fmt.Fprintf(trace, "%d %s %s %.1f\n", k, host, t0.UTC().Format("15:04:05.000000"), float64(l.Microseconds())/1000)
		}
	}
	slices.Sort(lat)
	return lat
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
	dir := b.TempDir()
	if d := os.Getenv("AMKO_BENCH_LOGDIR"); d != "" {
		dir = d
	}
	logFile, err := os.CreateTemp(dir, "amko-*.log")
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
