// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Command amko is the GSLB operator. In a cluster it uses its ServiceAccount;
// outside one, --kubeconfig and --context name the cluster that holds its
// configuration (the avi-system namespace). The member clusters come from the
// gslb-members kubeconfig, in the gslb-config-secret Secret or GSLB_CONFIG.
//
// "amko status" prints, read-only, the statuses of amko's custom resources and
// the GSLB services the running amko reports at /status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/amko-project/amko/api"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/provider/avi"
	"github.com/amko-project/amko/internal/provider/providers"
	"github.com/amko-project/amko/internal/statusreport"
)

func main() {
	// The Avi SDK parses the process's flags on its first session unless they are
	// parsed already; mark them parsed so it leaves amko's own flags alone.
	_ = flag.CommandLine.Parse(nil)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], nil)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "amko:", err)
		os.Exit(1)
	}
}

// listeners replace --listen and --health-listen where not nil (tests).
type listeners struct{ Main, Health net.Listener }

// run runs amko until ctx ends; given, when not nil, holds listeners to use
// instead of the flags' (tests). "status" as the first argument runs
// "amko status" instead.
func run(ctx context.Context, args []string, given *listeners) error {
	if len(args) > 0 && args[0] == "status" {
		return runStatus(ctx, args[1:], os.Stdout)
	}
	fs := flag.NewFlagSet("amko", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the cluster amko runs for; default: in-cluster, else $KUBECONFIG")
	kubeContext := fs.String("context", "", "context in --kubeconfig")
	listen := fs.String("listen", ":8443", "address of /metrics and /status: HTTPS, each request authenticated (TokenReview) and authorised (SubjectAccessReview for its path)")
	healthListen := fs.String("health-listen", ":8081", "address of /healthz and /readyz, plain HTTP for the kubelet; empty: not served")
	certFile := fs.String("tls-cert-file", "", "serving certificate of --listen (PEM), reloaded when it changes; default: self-signed at start")
	keyFile := fs.String("tls-key-file", "", "key of --tls-cert-file (PEM)")
	insecure := fs.Bool("insecure-endpoints", false,
		"INSECURE, for local use only: serve /metrics, /status (and /healthz, /readyz) on --listen over plain HTTP with no authentication, so that anyone who reaches the port reads the controller's address, every service and member")
	resync := fs.Duration("resync", 0, "period of the full comparison with the backend; default: the GSLBConfig's refreshInterval")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	leaderElect := fs.Bool("leader-elect", false, "elect one active amko among the replicas in this cluster with a Lease")
	leaseNamespace := fs.String("leader-elect-namespace", operator.Namespace, "namespace of the Lease")
	identity := fs.String("leader-elect-identity", os.Getenv("POD_NAME"), "this replica's name in the Lease; default $POD_NAME, else host name and process id")
	noGHRFederation := fs.Bool("no-gslbhostrule-federation", false, "do not replicate GSLBHostRules to the federation's members")
	logFile := fs.String("log-file", "", "also append the logs to this file (AMKO's logs on a persistent volume)")
	profiling := fs.Bool("pprof", false, "serve Go's profiles at /debug/pprof/ on --listen, behind the same authentication (off by default)")
	deletionWindow := fs.Duration("deletion-window", plan.DefaultDeletionWindow,
		"how long a pass that would delete more than --deletion-threshold of amko's GSLB services waits, so that a typo can be fixed first; 0 disables")
	deletionThreshold := fs.Float64("deletion-threshold", plan.DefaultDeletionThreshold,
		"fraction of amko's GSLB services above which a pass's deletions wait --deletion-window")
	concurrency := fs.Int("controller-concurrency", avi.DefaultConcurrency,
		"how many writes go to the Avi Controller at once, each stage of a plan in turn (1: one at a time, as AMKO)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *concurrency < 1 {
		return fmt.Errorf("--controller-concurrency %d: want at least 1", *concurrency)
	}
	if *deletionThreshold <= 0 || *deletionThreshold > 1 {
		return fmt.Errorf("--deletion-threshold %v: want a fraction in (0, 1]", *deletionThreshold)
	}
	window := *deletionWindow
	if window <= 0 {
		window = -1 // disabled (the operator's zero means its default)
	}
	if *logFormat != "text" && *logFormat != "json" {
		return fmt.Errorf("--log-format %q: want text or json", *logFormat)
	}

	var logOut io.Writer = os.Stderr
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return fmt.Errorf("--log-file: %w", err)
		}
		defer func() { _ = f.Close() }()
		logOut = io.MultiWriter(os.Stderr, f)
	}
	level := new(slog.LevelVar)
	var handler slog.Handler = slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level})
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level})
	}
	log := slog.New(handler)
	ctrllog.SetLogger(logr.FromSlogHandler(handler))
	// The Avi SDK's warnings and errors reach amko's handler at debug level
	// (third_party/glog), under the live log level.
	slog.SetDefault(log)

	cfg, err := statusreport.LoadConfig(*kubeconfig, *kubeContext)
	if err != nil {
		return err
	}
	members, err := operator.ReadKubeconfigEnv()
	if err != nil {
		return fmt.Errorf("reading GSLB_CONFIG: %w", err)
	}
	scheme, err := api.NewScheme()
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	op, err := operator.New(operator.Options{
		Config: cfg, Scheme: scheme, Log: log, MembersKubeconfig: members,
		Resync: *resync, Metrics: operator.NewMetrics(reg), LogLevel: level, NoHostRuleFederation: *noGHRFederation,
		Standby: *leaderElect, Providers: providers.Build,
		DeletionWindow: window, DeletionThreshold: *deletionThreshold, ControllerConcurrency: *concurrency,
	})
	if err != nil {
		return err
	}

	ls := listeners{}
	if given != nil {
		ls = *given
	}
	if ls.Main == nil {
		if ls.Main, err = net.Listen("tcp", *listen); err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
	}
	if ls.Health == nil && *healthListen != "" {
		if ls.Health, err = net.Listen("tcp", *healthListen); err != nil {
			_ = ls.Main.Close()
			return fmt.Errorf("--health-listen: %w", err)
		}
	}
	srvs, err := newServers(ctx, cfg, endpointOptions{Insecure: *insecure, CertFile: *certFile, KeyFile: *keyFile, Pprof: *profiling},
		ls, reg, op, logr.FromSlogHandler(handler))
	if err != nil {
		_ = ls.Main.Close()
		if ls.Health != nil {
			_ = ls.Health.Close()
		}
		return err
	}
	srvs.serve()
	defer srvs.shutdown()
	if *insecure {
		log.Warn("--insecure-endpoints: /metrics and /status are served over plain HTTP to anyone who can reach " + ls.Main.Addr().String())
	}
	healthAddr := ""
	if ls.Health != nil {
		healthAddr = ls.Health.Addr().String()
	}
	log.Info("amko started", "listen", ls.Main.Addr().String(), "tls", !*insecure, "health", healthAddr)
	if *leaderElect {
		return runElected(ctx, cfg, *leaseNamespace, *identity, log, op)
	}
	if err := op.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// runElected runs the operator as a standby replica at once (caches warm,
// DNS answered) and makes it the active one, which writes, while it holds the
// amko Lease; another replica takes over within seconds when it goes away.
func runElected(ctx context.Context, cfg *rest.Config, namespace, id string, log *slog.Logger, op *operator.Operator) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if id == "" {
		host, _ := os.Hostname()
		id = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: namespace, Name: "amko"},
		Client:     cs.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- op.Run(runCtx) }()
	electCtx, stopElection := context.WithCancel(runCtx)
	defer stopElection()
	elected := make(chan struct{})
	go func() {
		defer close(elected)
		leaderelection.RunOrDie(electCtx, leaderelection.LeaderElectionConfig{
			Lock: lock, ReleaseOnCancel: true,
			LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					log.Info("elected: this replica is the active amko", "identity", id)
					op.SetActive(true)
					<-ctx.Done()
				},
				OnStoppedLeading: func() {
					op.SetActive(false)
					log.Info("no longer the active amko", "identity", id)
				},
			},
		})
	}()
	select {
	case err := <-ran:
		stopElection()
		<-elected // the Lease released
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	case <-elected:
		cancel()
		err := <-ran
		if ctx.Err() == nil {
			// The Lease was lost while running: stop, so a restart rejoins the
			// election with a fresh operator.
			return errors.New("lost the amko Lease")
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}
}
