// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package statusreport

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amko-project/amko/api"
	"github.com/amko-project/amko/internal/operator"
)

// Report is what "amko status -o json" prints.
type Report struct {
	Objects []Object `json:"objects"`
	// Amko is what the running amko reports at /status; nil when unreachable.
	Amko *operator.Status `json:"amko"`
	// Compare is the comparison --compare asked for.
	Compare *Comparison `json:"compare,omitempty"`
	// Errors say what could not be read.
	Errors []string `json:"errors,omitempty"`
}

// Run is the status command, shared by "amko status" and the kubectl plugin
// "kubectl amko status" so that both take the same flags and print the same
// thing; name is how the command is called, for its usage text. It prints the
// statuses of amko's custom resources in the local cluster, then what the
// running amko reports at /status: the GSLB services, their members, health
// monitors and health. It only reads (and asks for a short-lived token for
// /status), and never reads Secrets.
func Run(ctx context.Context, name string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the cluster amko runs in; default: in-cluster, else $KUBECONFIG")
	kubeContext := fs.String("context", "", "context in --kubeconfig")
	namespace := fs.String("namespace", operator.Namespace, "namespace of amko and its configuration")
	// -n as kubectl spells it: "kubectl amko status -n avi-system" passes it on.
	fs.StringVar(namespace, "n", operator.Namespace, "shorthand for --namespace")
	service := fs.String("service", "amko", "Service in --namespace in front of amko's /status")
	port := fs.String("port", "https", "the Service's port, by name: https, or http for an amko run with --insecure-endpoints")
	addr := fs.String("addr", "", "amko's address, e.g. https://127.0.0.1:8443; default: through the API server's service proxy")
	reader := fs.String("token-service-account", DefaultReader,
		"ServiceAccount in --namespace whose short-lived token is shown to amko, asked for with your own credentials (create on serviceaccounts/token); empty: none")
	caFile := fs.String("certificate-authority", "", "with --addr: the CA that signed amko's serving certificate")
	insecureTLS := fs.Bool("insecure-skip-tls-verify", false, "with --addr: do not verify amko's certificate (its self-signed default)")
	output := fs.String("o", "table", "output format: table or json")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on the whole command")
	explain := fs.String("explain", "", `say why candidates are or are not selected: a host or GSLB service name, "namespace/name" or "cluster/namespace/name" of an Ingress, Service or Route, or "*" for all`)
	compare := fs.String("compare", "", "ask this DNS server (host:port: the Avi DNS service, before its zone moves to amko) and amko's the same questions about every GSLB service's names, print where the answers differ, and fail if any does")
	compareWith := fs.String("compare-with", "", "with --compare: amko's DNS server (host:port); default: the address amko reports")
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

	cfg, err := LoadConfig(*kubeconfig, *kubeContext)
	if err != nil {
		return err
	}
	scheme, err := api.NewScheme()
	if err != nil {
		return fmt.Errorf("building the API scheme: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("client for the local cluster: %w", err)
	}
	objects, objErr := ReadObjects(ctx, c, *namespace)
	st, amkoErr := Fetch(ctx, cfg, FetchOptions{Namespace: *namespace, Service: *service, Port: *port,
		Addr: *addr, Reader: *reader, CAFile: *caFile, Insecure: *insecureTLS, Explain: *explain})
	if amkoErr != nil {
		where := "Service " + *namespace + "/" + *service + " through the API server"
		if *addr != "" {
			where = *addr
		}
		amkoErr = fmt.Errorf("reading amko's /status from %s: %w", where, amkoErr)
	}
	var cmp *Comparison
	var cmpErr error
	if *compare != "" && st != nil {
		if cmp, cmpErr = Compare(ctx, st, *compare, *compareWith); cmpErr == nil {
			cmpErr = cmp.Err()
		}
	}
	errs := errors.Join(objErr, amkoErr, cmpErr)

	if *output == "json" {
		report := Report{Objects: objects, Amko: st, Compare: cmp}
		for _, e := range []error{objErr, amkoErr, cmpErr} {
			if e != nil {
				report.Errors = append(report.Errors, e.Error())
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
		return errs
	}
	if err := PrintObjects(stdout, objects); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if st != nil {
		if err := PrintAmko(stdout, st); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
	}
	if cmp != nil {
		if err := PrintComparison(stdout, cmp); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
	}
	return errs
}

// LoadConfig is the client configuration of the cluster amko runs in: the
// in-cluster one when neither a kubeconfig nor a context is named and amko
// status runs in a pod, else the kubeconfig's (--kubeconfig, else $KUBECONFIG,
// else ~/.kube/config), as kubectl reads it.
func LoadConfig(kubeconfig, kubeContext string) (*rest.Config, error) {
	if kubeconfig == "" && kubeContext == "" {
		if cfg, err := rest.InClusterConfig(); err == nil {
			return cfg, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, nil
}
