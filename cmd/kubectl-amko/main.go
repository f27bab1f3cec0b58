// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Command kubectl-amko is amko's kubectl plugin: with kubectl-amko on the PATH
// (or installed by krew from hack/krew/amko.yaml), "kubectl amko status ..." runs
// what "amko status ..." runs, with the same flags and output, without the
// operator's binary on the user's machine. kubectl passes the arguments after
// "amko" unchanged; its own flags (--kubeconfig, --context, -n) are taken by
// the command when given after "status".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/amko-project/amko/internal/statusreport"
)

const usage = `kubectl amko: amko's kubectl plugin.

Usage:
  kubectl amko status [flags]   what amko did: its objects' statuses, its GSLB services, members, health monitors and health

"kubectl amko status -h" lists the flags; they are amko status's.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the plugin with args and returns the process's exit code: 0 on
// success, 1 when the command failed, 2 for a usage error, as kubectl does.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		_, _ = fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "status":
		err := statusreport.Run(ctx, "kubectl amko status", args[1:], stdout)
		switch {
		case errors.Is(err, flag.ErrHelp):
			return 0 // the flags were printed, as asked
		case err != nil:
			_, _ = fmt.Fprintln(stderr, "kubectl amko status:", err)
			return 1
		}
		return 0
	case "help", "-h", "-help", "--help":
		_, _ = fmt.Fprint(stdout, usage)
		return 0
	}
	_, _ = fmt.Fprintf(stderr, "kubectl amko: unknown command %q\n\n%s", args[0], usage)
	return 2
}
