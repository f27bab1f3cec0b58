// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Command dnsbench (`make bench-dns`) measures amko's built-in DNS server
// beside NSD, Knot and CoreDNS on the same zone: names with two A records each,
// every server alone on one core (taskset), dnsperf on the other, the servers
// interleaved round by round so that the machine's load falls on all of them
// alike. It prints each run, then the medians and each server's ratio to NSD
// (the median of the per-round ratios: what a shared machine disturbs least),
// and then the memory figure: the RSS of amko's server and CoreDNS serving
// many names before and after dnsperf queries them at random.
//
// amko's server runs as a separate process, this program re-executed as
// `dnsbench serve-amko`: pinned like the others, with nothing of the harness
// on its core, and an RSS of its own. The harness sleeps while dnsperf runs
// (dnsperf writes to a file, parsed afterwards), so it disturbs neither core.
//
// It is a main package with no tests: `go test ./...` does not run it.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve-amko" {
		if err := serveAmko(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "serve-amko:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dnsbench:", err)
		os.Exit(1)
	}
}

type harness struct {
	// ctx ends at SIGINT or SIGTERM: the servers and dnsperf run in sessions
	// of their own, out of reach of the terminal's signals, so the harness
	// stops them itself.
	ctx                             context.Context
	names, rounds, seconds, clients int
	order                           []string
	serverCPU, clientCPU            string
	weights                         string
	amkoIPs                         int
	coredns, dnsperf                string
	latencyQPS, latencySeconds      int
	nice                            int
	memNames, memSeconds            int
	memServers                      []string
	work                            string
	port                            int
	queries                         map[int]string // query files by number of names
}

func run() error {
	h := &harness{}
	var order, memServers string
	flag.IntVar(&h.names, "names", 1000, "names in the zone for the throughput runs")
	flag.IntVar(&h.rounds, "rounds", 3, "rounds: each runs every server once, in -servers order")
	flag.IntVar(&h.seconds, "seconds", 10, "dnsperf's length of one run")
	flag.IntVar(&h.clients, "clients", 10, "dnsperf clients (-c); at most 100 queries outstanding (-q)")
	flag.StringVar(&order, "servers", "amko,nsd,knot,coredns", "servers, in the order each round runs them")
	flag.StringVar(&h.serverCPU, "server-cpu", "0", "core the servers are pinned to (taskset -c)")
	flag.StringVar(&h.clientCPU, "client-cpu", "1", "core dnsperf is pinned to")
	flag.StringVar(&h.weights, "weights", "3:1", "ratios of amko's two members per service (weighted round robin)")
	flag.IntVar(&h.amkoIPs, "amko-ips", 0, "addresses per amko answer: 0 both (the records the other servers answer), 1 one (amko's default num_dns_ip)")
	flag.StringVar(&h.coredns, "coredns", "bin/coredns", "CoreDNS binary (go -C hack/coredns build)")
	flag.IntVar(&h.latencyQPS, "latency-qps", 10000, "rate of the latency run after each throughput run (dnsperf -Q, -v); 0 skips it")
	flag.IntVar(&h.latencySeconds, "latency-seconds", 5, "length of the latency run")
	flag.IntVar(&h.memNames, "mem-names", 100000, "names for the memory runs; 0 skips them")
	flag.IntVar(&h.memSeconds, "mem-seconds", 15, "length of the memory runs' queries")
	flag.StringVar(&memServers, "mem-servers", "amko,coredns", "servers of the memory runs")
	flag.IntVar(&h.port, "port", 45300, "first port; each server started takes the next")
	flag.IntVar(&h.nice, "nice", -20, "niceness of the servers and dnsperf (root only below 0): on a shared machine a negative one keeps other work from taking their cores; 0 leaves it")
	keep := flag.Bool("keep", false, "keep the working directory (configurations, logs, dnsperf's output)")
	flag.Parse()
	h.order = strings.Split(order, ",")
	h.memServers = strings.Split(memServers, ",")
	for _, s := range slices.Concat(h.order, h.memServers) {
		if _, ok := servers[s]; !ok {
			return fmt.Errorf("unknown server %q", s)
		}
	}
	if !slices.Contains(h.order, "nsd") {
		return errors.New("-servers must include nsd, the anchor of the ratios")
	}
	if _, _, err := parseWeights(h.weights); err != nil {
		return err
	}
	var err error
	if h.dnsperf, err = exec.LookPath("dnsperf"); err != nil {
		return errors.New("dnsperf is not installed: apt-get install dnsperf")
	}
	var stop context.CancelFunc
	h.ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if h.work, err = os.MkdirTemp("", "dnsbench-"); err != nil {
		return err
	}
	if *keep {
		fmt.Println("working directory:", h.work)
	} else {
		defer func() { _ = os.RemoveAll(h.work) }()
	}
	h.queries = map[int]string{}

	fmt.Printf("dnsbench %s, %d names, %d rounds of %d s, dnsperf -c %d on core %s, servers on core %s\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), h.names, h.rounds, h.seconds, h.clients, h.clientCPU, h.serverCPU)
	if h.nice != 0 {
		fmt.Printf("servers and dnsperf at nice %d\n", h.nice)
	}
	fmt.Printf("amko: two members per service weighted %s, %s per answer; the others answer both records, rotated\n",
		h.weights, map[bool]string{true: "both addresses", false: "one address"}[h.amkoIPs == 0])
	for _, v := range versions(h) {
		fmt.Println("  " + v)
	}
	fmt.Println("uptime before:", uptime())

	var results []result
	for round := 1; round <= h.rounds; round++ {
		for _, name := range h.order {
			r, err := h.throughput(servers[name], round)
			if err != nil {
				return err
			}
			fmt.Println(r.line())
			results = append(results, r)
		}
	}
	if h.rounds > 0 {
		fmt.Println("uptime after runs:", uptime())
		summarise(h, results)
	}

	if h.memNames > 0 {
		fmt.Printf("\nmemory: %d names, dnsperf -c %d for %d s over them at random (RSS from /proc, MB)\n", h.memNames, h.clients, h.memSeconds)
		fmt.Println("| server | RSS before | RSS after | peak (VmHWM) | q/s | lost |")
		fmt.Println("| --- | --- | --- | --- | --- | --- |")
		for _, name := range h.memServers {
			if err := h.memory(servers[name]); err != nil {
				return err
			}
		}
		fmt.Println("uptime after memory:", uptime())
	}
	return nil
}

// result is one dnsperf run against one server.
type result struct {
	server        string
	round         int
	qps           float64
	sent, lost    int
	p50, p99, max float64 // seconds; p50 and p99 from the latency run
	latencyLost   int
	// cost is the server's CPU time per answered query: what dnsperf's
	// speed and other work on the machine disturb least.
	cost            time.Duration
	perSecond       []float64
	size            int // bytes of the answer to app-0
	loadBefore      string
	loadAfter       string
	slowest, median float64 // per-second rates
	// The share of one core the server (with its child processes) and
	// dnsperf used during the run: a server well below 1 with dnsperf below
	// 1 too lost its core to something else.
	serverCPU, clientCPU float64
	// What the two cores did besides: idle, interrupts (softirq carries
	// loopback delivery) and steal (the hypervisor), as shares of the run,
	// server core then client core.
	idle, irq, steal [2]float64
}

func (r result) line() string {
	stall := ""
	if r.slowest < r.median/2 {
		stall = fmt.Sprintf("  STALL: slowest second %.0f q/s, median second %.0f", r.slowest, r.median)
	}
	return fmt.Sprintf("round %d %-7s %7.0f q/s %5.1f µs/q  cpu server %3.0f%% dnsperf %3.0f%%  idle %2.0f/%2.0f%% irq %2.0f/%2.0f%% steal %2.0f/%2.0f%%  lost %d/%d  slowest second %.0f  max %5.1f ms  p50 %.3f p99 %.3f ms  %d B  load %s → %s%s",
		r.round, r.server, r.qps, float64(r.cost)/1e3, r.serverCPU*100, r.clientCPU*100,
		r.idle[0]*100, r.idle[1]*100, r.irq[0]*100, r.irq[1]*100, r.steal[0]*100, r.steal[1]*100,
		r.lost, r.sent, r.slowest, r.max*1e3, r.p50*1e3, r.p99*1e3, r.size, r.loadBefore, r.loadAfter, stall)
}

// throughput starts s on the zone, checks its answers and runs dnsperf at it.
func (h *harness) throughput(s server, round int) (result, error) {
	p, err := h.start(s, h.names)
	if err != nil {
		return result{}, err
	}
	defer p.stop()
	r := result{server: s.name, round: round, size: p.size, loadBefore: loadavg()}
	cores0 := [2]coreTimes{readCore(h.serverCPU), readCore(h.clientCPU)}
	cpu0, start := treeCPU(p.cmd.Process.Pid), time.Now()
	out, client, err := h.runDNSPerf(p, h.names, h.seconds, 0)
	if err != nil {
		return result{}, err
	}
	wall := time.Since(start)
	served := treeCPU(p.cmd.Process.Pid) - cpu0
	r.serverCPU = float64(served) / float64(wall)
	r.clientCPU = float64(client) / float64(wall)
	for i, c := range []string{h.serverCPU, h.clientCPU} {
		r.idle[i], r.irq[i], r.steal[i] = readCore(c).since(cores0[i])
	}
	r.loadAfter = loadavg()
	if err := parseDNSPerf(out, &r); err != nil {
		return result{}, fmt.Errorf("%s round %d: %w", s.name, round, err)
	}
	if r.sent > r.lost {
		r.cost = served / time.Duration(r.sent-r.lost)
	}
	if h.latencyQPS > 0 {
		out, _, err := h.runDNSPerf(p, h.names, h.latencySeconds, h.latencyQPS)
		if err != nil {
			return result{}, err
		}
		var l result
		if err := parseDNSPerf(out, &l); err != nil {
			return result{}, fmt.Errorf("%s round %d latency: %w", s.name, round, err)
		}
		r.p50, r.p99, r.latencyLost = l.p50, l.p99, l.lost
	}
	return r, nil
}

// memory reports s's RSS before and after dnsperf queries h.memNames names.
func (h *harness) memory(s server) error {
	p, err := h.start(s, h.memNames)
	if err != nil {
		return err
	}
	defer p.stop()
	before, _, err := rss(p.cmd.Process.Pid)
	if err != nil {
		return err
	}
	out, _, err := h.runDNSPerf(p, h.memNames, h.memSeconds, 0)
	if err != nil {
		return err
	}
	after, peak, err := rss(p.cmd.Process.Pid)
	if err != nil {
		return err
	}
	var r result
	if err := parseDNSPerf(out, &r); err != nil {
		return fmt.Errorf("%s memory: %w", s.name, err)
	}
	fmt.Printf("| %s | %.0f | %.0f | %.0f | %.0f | %d/%d |\n", s.name, before, after, peak, r.qps, r.lost, r.sent)
	return nil
}

// process is a server started by start.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	port   int
	size   int
	log    string
}

// start runs s pinned to the server core, on a port of its own, and returns
// once it answers the zone's first and last names with both records.
func (h *harness) start(s server, names int) (*process, error) {
	dir, err := os.MkdirTemp(h.work, s.name+"-")
	if err != nil {
		return nil, err
	}
	h.port++
	argv, err := s.command(h, dir, h.port, names)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = logf.Close() }()
	cmd := h.pinned(h.ctx, h.serverCPU, argv)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{}), port: h.port, log: logPath}
	go func() { _ = cmd.Wait(); close(p.exited) }()

	// A zone of 100,000 names takes the slower servers some seconds to load.
	deadline := time.Now().Add(3 * time.Minute)
	var last error
	for {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before answering: %s", s.name, tailFile(logPath))
		default:
		}
		if p.size, last = check(h.port, names); last == nil {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not answer within 3 min: %w; log: %s", s.name, last, tailFile(logPath))
		}
		select {
		case <-h.ctx.Done():
			p.stop()
			return nil, h.ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the server: SIGTERM, then SIGKILL if it lingers.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// check asks for the first and last names and wants an authoritative
// NOERROR with exactly the two addresses of each (one for amko -amko-ips 1 is
// accepted too); it returns the size on the wire of the first answer.
func check(port, names int) (int, error) {
	size := 0
	for _, i := range []int{0, names - 1} {
		q := new(dns.Msg).SetQuestion(fmt.Sprintf("app-%d.%s.", i, zoneName), dns.TypeA)
		n, resp, err := exchange(q, port)
		if err != nil {
			return 0, err
		}
		if resp.Rcode != dns.RcodeSuccess || !resp.Authoritative || len(resp.Answer) == 0 || len(resp.Answer) > 2 {
			return 0, fmt.Errorf("app-%d: unexpected answer %v", i, resp)
		}
		a, b := memberAddrs(i)
		for _, rr := range resp.Answer {
			ar, ok := rr.(*dns.A)
			if !ok || (ar.A.String() != a.String() && ar.A.String() != b.String()) {
				return 0, fmt.Errorf("app-%d: unexpected record %v", i, rr)
			}
		}
		if size == 0 {
			size = n
		}
	}
	return size, nil
}

// exchange sends q over UDP and returns the answer and its size on the wire
// (dns.Client hides the size, and Msg.Len does not know the compression the
// server used).
func exchange(q *dns.Msg, port int) (int, *dns.Msg, error) {
	wire, err := q.Pack()
	if err != nil {
		return 0, nil, err
	}
	conn, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := conn.Write(wire); err != nil {
		return 0, nil, err
	}
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		return 0, nil, err
	}
	resp := new(dns.Msg)
	if err := resp.Unpack(buf[:n]); err != nil {
		return 0, nil, err
	}
	if resp.Id != q.Id {
		return 0, nil, fmt.Errorf("answer id %d, want %d", resp.Id, q.Id)
	}
	return n, resp, nil
}

// queryFile is names names asked at random, ten lines a name and at least
// 100,000 (dnsperf goes round it), made once per size with a fixed seed.
func (h *harness) queryFile(names int) (string, error) {
	if f, ok := h.queries[names]; ok {
		return f, nil
	}
	var b bytes.Buffer
	rng := rand.New(rand.NewPCG(1, 2))
	for range max(10*names, 100000) {
		fmt.Fprintf(&b, "app-%d.%s A\n", rng.IntN(names), zoneName)
	}
	f := filepath.Join(h.work, fmt.Sprintf("queries-%d", names))
	if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
		return "", err
	}
	h.queries[names] = f
	return f, nil
}

// runDNSPerf runs dnsperf pinned to the client core against p for seconds,
// its output into a file (the harness reads nothing while it runs), and
// returns that output and the CPU time dnsperf used. With a rate (qps > 0) it
// sends at most that many queries a second and reports each answer's latency
// (-v): at full speed the latency says only how long the queue is (dnsperf
// keeps 100 queries outstanding), and printing every answer costs dnsperf a
// third of its speed, which would cap the fastest servers.
func (h *harness) runDNSPerf(p *process, names, seconds, qps int) ([]byte, time.Duration, error) {
	qf, err := h.queryFile(names)
	if err != nil {
		return nil, 0, err
	}
	outPath := filepath.Join(filepath.Dir(p.log), fmt.Sprintf("dnsperf-%d.out", qps))
	out, err := os.Create(outPath)
	if err != nil {
		return nil, 0, err
	}
	args := []string{h.dnsperf, "-s", "127.0.0.1", "-p", strconv.Itoa(p.port), "-d", qf,
		"-c", strconv.Itoa(h.clients), "-l", strconv.Itoa(seconds), "-S", "1"}
	if qps > 0 {
		args = append(args, "-Q", strconv.Itoa(qps), "-v")
	}
	ctx, cancel := context.WithTimeout(h.ctx, time.Duration(seconds)*time.Second+time.Minute)
	defer cancel()
	cmd := h.pinned(ctx, h.clientCPU, args)
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	_ = out.Close()
	if h.ctx.Err() != nil {
		return nil, 0, errors.New("interrupted")
	}
	if err != nil {
		return nil, 0, fmt.Errorf("dnsperf: %w: %s", err, tailFile(outPath))
	}
	b, err := os.ReadFile(outPath)
	return b, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), err
}

// pinned is argv on the given core, at h.nice. With autogroup scheduling
// (Linux's default for desktops and this machine) a process's nice weighs only
// against its own session, so the command gets a session of its own whose
// autogroup gets the niceness too: then it weighs against the other sessions'
// work, the other helpers' compilers included. The shell execs, so the
// command keeps the shell's pid.
func (h *harness) pinned(ctx context.Context, cpu string, argv []string) *exec.Cmd {
	argv = slices.Concat([]string{"taskset", "-c", cpu}, argv)
	if h.nice != 0 {
		n := strconv.Itoa(h.nice)
		argv = slices.Concat([]string{"sh", "-c", `echo "$0" > /proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"`, n}, argv)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// SIGTERM first: NSD stops its child processes on it, not on SIGKILL.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	return cmd
}

// coreTimes are one core's counters from /proc/stat, in ticks: user nice
// system idle iowait irq softirq steal.
type coreTimes [8]int64

func readCore(cpu string) coreTimes {
	var t coreTimes
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return t
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || f[0] != "cpu"+cpu {
			continue
		}
		for i := range t {
			t[i], _ = strconv.ParseInt(f[i+1], 10, 64)
		}
	}
	return t
}

// since gives the shares of idle (with iowait), interrupts and steal between
// before and t.
func (t coreTimes) since(before coreTimes) (idle, irq, steal float64) {
	var d coreTimes
	var total int64
	for i := range t {
		d[i] = t[i] - before[i]
		total += d[i]
	}
	if total <= 0 {
		return 0, 0, 0
	}
	f := float64(total)
	return float64(d[3]+d[4]) / f, float64(d[5]+d[6]) / f, float64(d[7]) / f
}

// treeCPU is the CPU time pid and its descendants have used (NSD serves from
// a child process); 0 when /proc cannot tell.
func treeCPU(pid int) time.Duration {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	type stat struct {
		ppid  int
		ticks int64
	}
	procs := map[int]stat{}
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// After the command's closing parenthesis: state ppid ... utime stime
		// (fields 14 and 15 of proc(5)).
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		procs[id] = stat{ppid, ut + st}
	}
	var total int64
	for id, st := range procs {
		for p := id; p > 1; p = procs[p].ppid {
			if p == pid {
				total += st.ticks
				break
			}
			if _, ok := procs[p]; !ok {
				break
			}
		}
	}
	// USER_HZ is 100 on every Linux this runs on.
	return time.Duration(total) * 10 * time.Millisecond
}

// parseDNSPerf reads dnsperf's summary, its per-second rates (-S 1) and, with
// -v, the latency of every answered query.
func parseDNSPerf(out []byte, r *result) error {
	var lat []float64
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		value := func() string {
			_, v, _ := strings.Cut(line, ":")
			return strings.TrimSpace(v)
		}
		switch {
		case strings.HasPrefix(line, "> "):
			f := strings.Fields(line)
			if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil && f[1] == "NOERROR" {
				lat = append(lat, v)
			}
		case strings.HasPrefix(strings.TrimSpace(line), "Queries per second:"):
			r.qps, _ = strconv.ParseFloat(strings.Fields(value())[0], 64)
		case len(line) > 0 && line[0] >= '0' && line[0] <= '9':
			// -S 1: "<unix time>: <queries per second in the last interval>"
			if v, err := strconv.ParseFloat(value(), 64); err == nil {
				r.perSecond = append(r.perSecond, v)
			}
		case strings.Contains(line, "Queries sent:"):
			r.sent, _ = strconv.Atoi(strings.Fields(value())[0])
		case strings.Contains(line, "Queries lost:"):
			r.lost, _ = strconv.Atoi(strings.Fields(value())[0])
		case strings.Contains(line, "Average Latency"):
			// Average Latency (s):  0.000521 (min 0.000016, max 0.011023)
			if _, m, ok := strings.Cut(line, "max "); ok {
				r.max, _ = strconv.ParseFloat(strings.TrimRight(m, ")"), 64)
			}
		}
	}
	if r.qps == 0 {
		return fmt.Errorf("no rate in dnsperf's output: %s", tailBytes(out))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	// dnsperf prints its first interval as it starts sending, with a rate
	// of nearly 0; it is not a stall.
	if len(r.perSecond) > 1 {
		r.perSecond = r.perSecond[1:]
	}
	if len(r.perSecond) > 0 {
		s := slices.Clone(r.perSecond)
		slices.Sort(s)
		r.slowest, r.median = s[0], s[len(s)/2]
	}
	return nil
}

// summarise prints, per server, the medians of the rounds and the medians of
// its per-round ratios to NSD: queries per second, and CPU time per query.
func summarise(h *harness, results []result) {
	nsd := map[int]result{}
	for _, r := range results {
		if r.server == "nsd" {
			nsd[r.round] = r
		}
	}
	fmt.Printf("\n%d names, medians of %d rounds; × NSD is the median of the rounds' ratios; p50/p99 at %d q/s\n", h.names, h.rounds, h.latencyQPS)
	fmt.Println("| server | q/s | × NSD | CPU µs/query | × NSD | p50 | p99 | lost | stalls | rounds' q/s |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, name := range h.order {
		var qps, ratios, cost, costRatios, p50, p99 []float64
		lost, sent, stalls := 0, 0, 0
		var each []string
		for _, r := range results {
			if r.server != name {
				continue
			}
			qps = append(qps, r.qps)
			cost = append(cost, float64(r.cost)/1e3)
			p50 = append(p50, r.p50*1e3)
			p99 = append(p99, r.p99*1e3)
			lost += r.lost + r.latencyLost
			sent += r.sent
			if r.slowest < r.median/2 {
				stalls++
			}
			each = append(each, fmt.Sprintf("%.0f", r.qps))
			if n, ok := nsd[r.round]; ok {
				ratios = append(ratios, r.qps/n.qps)
				if n.cost > 0 {
					costRatios = append(costRatios, float64(r.cost)/float64(n.cost))
				}
			}
		}
		fmt.Printf("| %s | %.0f | %.2f | %.1f | %.2f | %.3f ms | %.3f ms | %d | %d | %s |\n", name, median(qps), median(ratios),
			median(cost), median(costRatios), median(p50), median(p99), lost, stalls, strings.Join(each, ", "))
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// rss is the process's resident set and its peak, in MB.
func rss(pid int) (float64, float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("rss: %w", err)
	}
	var cur, peak float64
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return cur, peak, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func uptime() string {
	out, err := exec.Command("uptime").Output()
	if err != nil {
		return "load " + loadavg()
	}
	return strings.TrimSpace(string(out))
}

// versions names what is measured.
func versions(h *harness) []string {
	first := func(argv ...string) string {
		out, _ := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return cmp.Or(line, argv[0]+": ?")
	}
	rev := first("git", "rev-parse", "--short", "HEAD")
	return []string{
		"amko " + rev + " (" + runtime.Version() + ")",
		first("nsd", "-v"),
		first("knotd", "-V"),
		first(h.coredns, "-version"),
		"dnsperf " + dnsperfVersion(h.dnsperf),
	}
}

func tailFile(path string) string {
	b, _ := os.ReadFile(path)
	return tailBytes(b)
}

func tailBytes(b []byte) string {
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return string(b)
}

func dnsperfVersion(path string) string {
	out, _ := exec.Command(path, "-h").CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Version "); ok {
			return v
		}
	}
	return "?"
}
