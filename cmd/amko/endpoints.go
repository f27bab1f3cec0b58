// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	authorizerapi "k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	authenticationv1 "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	certutil "k8s.io/client-go/util/cert"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"

	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/statusreport"
)

// endpointOptions say how amko serves /metrics, /status and its health.
type endpointOptions struct {
	// Insecure serves /metrics and /status over plain HTTP with no
	// authentication (the behaviour before they were guarded).
	Insecure bool
	// CertFile and KeyFile hold the serving certificate, reloaded when they
	// change; without them amko makes a self-signed one at start.
	CertFile, KeyFile string
	// Pprof serves Go's profiles at /debug/pprof/ (behind the same guard).
	Pprof bool
}

// servers are amko's HTTP servers: main serves /metrics and /status (HTTPS,
// each request authenticated with a TokenReview and authorised with a
// SubjectAccessReview of its path); health serves /healthz and /readyz in the
// clear for the kubelet, and nothing else.
type servers struct {
	main, health *http.Server
	mainL        net.Listener
	healthL      net.Listener
	tls          bool
}

// newServers builds amko's endpoints on ls. cfg is what the guard's reviews
// are sent with.
func newServers(ctx context.Context, cfg *rest.Config, opts endpointOptions, ls listeners, reg *prometheus.Registry,
	op *operator.Operator, log logr.Logger) (*servers, error) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if opts.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st := op.Status()
		if q := r.URL.Query().Get("explain"); q != "" {
			var err error
			if st.Explain, err = op.Explain(r.Context(), q); err != nil {
				st.ExplainError = err.Error()
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(st)
	})
	health := http.NewServeMux()
	health.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	health.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := op.Ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})

	s := &servers{mainL: ls.Main, healthL: ls.Health, tls: !opts.Insecure}
	var handler http.Handler = mux
	var tlsConfig *tls.Config
	if opts.Insecure {
		// Local use: health on the one port as well, as before.
		mux.Handle("/healthz", health)
		mux.Handle("/readyz", health)
	} else {
		var err error
		if handler, err = guarded(cfg, mux, log.WithName("endpoints")); err != nil {
			return nil, err
		}
		handler = proxiedToken(handler)
		if tlsConfig, err = servingTLS(ctx, opts, log); err != nil {
			return nil, err
		}
	}
	s.main = &http.Server{Handler: handler, TLSConfig: tlsConfig, ReadHeaderTimeout: 10 * time.Second}
	s.health = &http.Server{Handler: health, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// guarded lets a request reach next only when its bearer token passes a
// TokenReview and its user a SubjectAccessReview for the request's path and
// verb, both cached (a minute, and five minutes allowed / 30 s denied), as
// controller-runtime's metrics filter does. Unlike that filter, a token the
// review rejects is a 401, as the API server itself answers, not a 500.
func guarded(cfg *rest.Config, next http.Handler, log logr.Logger) (http.Handler, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for the authentication reviews: %w", err)
	}
	authn, err := authenticationv1.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("client for TokenReviews: %w", err)
	}
	authz, err := authorizationv1.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("client for SubjectAccessReviews: %w", err)
	}
	// The API server's own retry of its webhooks.
	backoff := wait.Backoff{Duration: 500 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 5}
	authenticator, _, err := authenticatorfactory.DelegatingAuthenticatorConfig{
		Anonymous:                &apiserver.AnonymousAuthConfig{Enabled: false},
		CacheTTL:                 time.Minute,
		TokenAccessReviewClient:  authn,
		TokenAccessReviewTimeout: 10 * time.Second,
		WebhookRetryBackoff:      &backoff,
	}.New()
	if err != nil {
		return nil, fmt.Errorf("authentication of /metrics and /status: %w", err)
	}
	authorizer, err := authorizerfactory.DelegatingAuthorizerConfig{
		SubjectAccessReviewClient: authz,
		AllowCacheTTL:             5 * time.Minute,
		DenyCacheTTL:              30 * time.Second,
		WebhookRetryBackoff:       &backoff,
	}.New()
	if err != nil {
		return nil, fmt.Errorf("authorisation of /metrics and /status: %w", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, ok, err := authenticator.AuthenticateRequest(r)
		if err != nil || !ok {
			if err != nil {
				log.V(1).Info("request not authenticated", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err.Error())
			}
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		attrs := authorizerapi.AttributesRecord{User: res.User, Verb: strings.ToLower(r.Method), Path: r.URL.Path}
		decision, reason, err := authorizer.Authorize(r.Context(), attrs)
		if err != nil {
			log.Error(err, "authorising a request", "user", res.User.GetName(), "path", r.URL.Path)
			http.Error(w, "authorisation failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if decision != authorizerapi.DecisionAllow {
			log.V(1).Info("request forbidden", "user", res.User.GetName(), "path", r.URL.Path, "reason", reason)
			http.Error(w, fmt.Sprintf("Forbidden: user %q may not %s %s", res.User.GetName(), attrs.Verb, r.URL.Path), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}

// proxiedToken lets a bearer token reach amko through the API server's
// service proxy, which consumes the Authorization header that authenticated
// the user to the API server: "amko status" sends amko's token in
// statusreport.TokenHeader instead, and it is checked like any other.
func proxiedToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.Header.Get(statusreport.TokenHeader); tok != "" && r.Header.Get("Authorization") == "" {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", tok)
			r.Header.Del(statusreport.TokenHeader)
		}
		next.ServeHTTP(w, r)
	})
}

// servingTLS is the main endpoint's TLS: the mounted certificate, reloaded when
// its files change (cert-manager renews them in place), or a self-signed one.
func servingTLS(ctx context.Context, opts endpointOptions, log logr.Logger) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case opts.CertFile != "" && opts.KeyFile != "":
		w, err := certwatcher.New(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert-file/--tls-key-file: %w", err)
		}
		go func() {
			if err := w.Start(ctx); err != nil {
				log.Error(err, "watching the serving certificate")
			}
		}()
		cfg.GetCertificate = w.GetCertificate
	case opts.CertFile != "" || opts.KeyFile != "":
		return nil, fmt.Errorf("--tls-cert-file and --tls-key-file go together")
	default:
		host, _ := os.Hostname()
		certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey(strings.ToLower(host), nil,
			[]string{"amko", "amko." + operator.Namespace + ".svc", "localhost"})
		if err != nil {
			return nil, fmt.Errorf("generating a self-signed serving certificate: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("self-signed serving certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// serve runs both servers until Shutdown.
func (s *servers) serve() {
	if s.tls {
		go func() { _ = s.main.ServeTLS(s.mainL, "", "") }()
	} else {
		go func() { _ = s.main.Serve(s.mainL) }()
	}
	if s.healthL != nil {
		go func() { _ = s.health.Serve(s.healthL) }()
	}
}

// shutdown stops both servers, giving requests in flight a few seconds.
func (s *servers) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.main.Shutdown(ctx)
	_ = s.health.Shutdown(ctx)
}
