// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"context"
	"io"

	"github.com/amko-project/amko/internal/statusreport"
)

// statusReport is what "amko status -o json" prints.
type statusReport = statusreport.Report

// runStatus is "amko status": the statuses of amko's custom resources in the
// local cluster, then what the running amko reports at /status. The command
// lives in statusreport, shared with the kubectl plugin (cmd/kubectl-amko),
// so that "kubectl amko status" and "amko status" are the same command.
func runStatus(ctx context.Context, args []string, stdout io.Writer) error {
	return statusreport.Run(ctx, "amko status", args, stdout)
}
