// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package providers

import (
	"context"

	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/provider/avi"
)

// aviProvider adapts the Avi backend while it grows the provider interface.
type aviProvider struct{ *avi.Provider }

func (aviProvider) Kind() string                                { return "avi" }
func (aviProvider) Shared() bool                                { return true }
func (aviProvider) Close() error                                { return nil }
func (p aviProvider) Leading(ctx context.Context) (bool, error) { return p.IsLeader(ctx) }
func (aviProvider) Equality() plan.Options {
	return plan.Options{ServiceEqual: avi.ServiceEqual, MonitorEqual: avi.MonitorEqual}
}
func (p aviProvider) Controller() policy.Controller { return p.Provider }
