// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amko-project/amko/api"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/internal/statusreport"
)

// statusReport is what "amko status -o json" prints.
type statusReport struct {
	Objects []statusreport.Object `json:"objects"`
	// Amko is what the running amko reports at /status; nil when unreachable.
	Amko *operator.Status `json:"amko"`
	// Errors say what could not be read.
	Errors []string `json:"errors,omitempty"`
}

// runStatus prints the statuses of amko's custom resources in the local
// cluster, then what the running amko reports at /status: the GSLB services,
// their members and health. It only reads (and asks for a short-lived token
// for /status), and never reads Secrets.
func runStatus(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("amko status", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the cluster amko runs in; default: in-cluster, else $KUBECONFIG")
	kubeContext := fs.String("context", "", "context in --kubeconfig")
	namespace := fs.String("namespace", operator.Namespace, "namespace of amko and its configuration")
	service := fs.String("service", "amko", "Service in --namespace in front of amko's /status")
	port := fs.String("port", "https", "the Service's port, by name: https, or http for an amko run with --insecure-endpoints")
	addr := fs.String("addr", "", "amko's address, e.g. https://127.0.0.1:8443; default: through the API server's service proxy")
	reader := fs.String("token-service-account", statusreport.DefaultReader,
		"ServiceAccount in --namespace whose short-lived token is shown to amko, asked for with your own credentials (create on serviceaccounts/token); empty: none")
	caFile := fs.String("certificate-authority", "", "with --addr: the CA that signed amko's serving certificate")
	insecureTLS := fs.Bool("insecure-skip-tls-verify", false, "with --addr: do not verify amko's certificate (its self-signed default)")
	output := fs.String("o", "table", "output format: table or json")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on the whole command")
	explain := fs.String("explain", "", `say why candidates are or are not selected: a host or GSLB service name, "namespace/name" or "cluster/namespace/name" of an Ingress, Service or Route, or "*" for all`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("status: unexpected arguments %q", fs.Args())
	}
	if *output != "table" && *output != "json" {
		return fmt.Errorf("status: -o must be table or json, not %q", *output)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	cfg, err := localConfig(*kubeconfig, *kubeContext)
	if err != nil {
		return err
	}
	scheme, err := api.NewScheme()
	if err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("client for the local cluster: %w", err)
	}
	objects, objErr := statusreport.ReadObjects(ctx, c, *namespace)
	st, amkoErr := statusreport.Fetch(ctx, cfg, statusreport.FetchOptions{Namespace: *namespace, Service: *service, Port: *port,
		Addr: *addr, Reader: *reader, CAFile: *caFile, Insecure: *insecureTLS, Explain: *explain})
	if amkoErr != nil {
		where := "Service " + *namespace + "/" + *service + " through the API server"
		if *addr != "" {
			where = *addr
		}
		amkoErr = fmt.Errorf("reading amko's /status from %s: %w", where, amkoErr)
	}
	errs := errors.Join(objErr, amkoErr)

	if *output == "json" {
		report := statusReport{Objects: objects, Amko: st}
		for _, e := range []error{objErr, amkoErr} {
			if e != nil {
				report.Errors = append(report.Errors, e.Error())
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
		return errs
	}
	if err := statusreport.PrintObjects(stdout, objects); err != nil {
		return err
	}
	if st != nil {
		if err := statusreport.PrintAmko(stdout, st); err != nil {
			return err
		}
	}
	return errs
}
