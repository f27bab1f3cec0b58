// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package quorum

import (
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig("a").Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, change := range map[string]func(*Config){
		"no identity":                       func(c *Config) { c.Identity = "" },
		"renew deadline outlasts the lease": func(c *Config) { c.RenewDeadline = 9 * time.Second },
		"no room for a write under drift":   func(c *Config) { c.MaxWriteDelay = 2500 * time.Millisecond },
		"drift too large":                   func(c *Config) { c.MaxClockDrift = 0.5 },
		"retry period past the deadline":    func(c *Config) { c.RetryPeriod = 7 * time.Second },
		"request timeout past the deadline": func(c *Config) { c.RequestTimeout = 8 * time.Second },
		"no request timeout":                func(c *Config) { c.RequestTimeout = 0 },
	} {
		c := DefaultConfig("a")
		change(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if b := DefaultConfig("a").FailoverBound(); b > 13*time.Second {
		t.Errorf("default failover bound %v leaves no room for round trips under the 15s goal", b)
	}
}
