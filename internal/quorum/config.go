// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package quorum

import (
	"errors"
	"fmt"
	"time"
)

// Defaults: a lost leader is replaced within RetryPeriod + LeaseDuration (both
// stretched by the drift bound) plus a few API round trips, about 12.6 s + RTTs,
// under the goal of 15 s.
const (
	DefaultLeaseDuration = 10 * time.Second
	DefaultRenewDeadline = 7 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
	DefaultMaxClockDrift = 0.05
	DefaultMaxWriteDelay = 2 * time.Second
	// DefaultRequestTimeout lets a renewal that an overloaded API server
	// answers late still count: it is acknowledged as of its sending, so an
	// answer within RenewDeadline-RetryPeriod keeps the term with a retry to
	// spare. (A 2 s bound let a new leader's term lapse under load.)
	DefaultRequestTimeout = DefaultRenewDeadline - DefaultRetryPeriod
)

// Config sets one candidate's identity and timing. The timing must satisfy
//
//	RenewDeadline/(1-MaxClockDrift) + MaxWriteDelay <= LeaseDuration/(1+MaxClockDrift)
//
// so that a holder's guard lapses, and a write it started before the lapse
// lands, before any other candidate can see the holder's records expire.
type Config struct {
	// Identity names this candidate; it must be unique per process
	// incarnation (NewIdentity adds a random suffix), since a candidate takes
	// its own records back at once.
	Identity string
	// LeaseDuration is how long, on a candidate's own clock, a record must stay
	// unchanged before the candidate may replace it.
	LeaseDuration time.Duration
	// RenewDeadline is how long, on the holder's clock, the holder's guard
	// stays valid after it sent renewals that then succeeded on a majority.
	RenewDeadline time.Duration
	// RetryPeriod paces renewals and reads.
	RetryPeriod time.Duration
	// MaxClockDrift bounds every candidate's clock rate: in any interval, local
	// time advances between (1-d) and (1+d) times true time. Offsets between
	// clocks do not matter; rates do (as in client-go's leader election).
	MaxClockDrift float64
	// MaxWriteDelay bounds how long a guarded write may take to land after its
	// Guard.Valid check. Writes slower than this are what the term marker
	// on written objects is for.
	MaxWriteDelay time.Duration
	// RequestTimeout bounds each read or write of a record; at most
	// RenewDeadline, past which an acknowledgement no longer counts.
	RequestTimeout time.Duration
}

// DefaultConfig returns the defaults for identity.
func DefaultConfig(identity string) Config {
	return Config{
		Identity:      identity,
		LeaseDuration: DefaultLeaseDuration,
		RenewDeadline: DefaultRenewDeadline,
		RetryPeriod:   DefaultRetryPeriod,
		MaxClockDrift: DefaultMaxClockDrift,
		MaxWriteDelay: DefaultMaxWriteDelay,
		// Request timeout: see DefaultRequestTimeout.
		RequestTimeout: DefaultRequestTimeout,
	}
}

// Validate checks the timing inequality and the fields' ranges.
func (c Config) Validate() error {
	switch {
	case c.Identity == "":
		return errors.New("quorum: identity is empty")
	case c.LeaseDuration <= 0 || c.RenewDeadline <= 0 || c.RetryPeriod <= 0 || c.RequestTimeout <= 0 || c.MaxWriteDelay < 0:
		return errors.New("quorum: durations must be positive")
	case c.RequestTimeout > c.RenewDeadline:
		return fmt.Errorf("quorum: request timeout %v past the renew deadline %v", c.RequestTimeout, c.RenewDeadline)
	case c.RetryPeriod >= c.RenewDeadline:
		return fmt.Errorf("quorum: retry period %v must be shorter than renew deadline %v", c.RetryPeriod, c.RenewDeadline)
	case c.MaxClockDrift < 0 || c.MaxClockDrift >= 0.5:
		return fmt.Errorf("quorum: max clock drift %v out of [0, 0.5)", c.MaxClockDrift)
	}
	holder := c.RenewDeadline.Seconds()/(1-c.MaxClockDrift) + c.MaxWriteDelay.Seconds()
	other := c.LeaseDuration.Seconds() / (1 + c.MaxClockDrift)
	if holder > other {
		return fmt.Errorf("quorum: renew deadline %v (+%v write delay) may outlast lease duration %v under %.0f%% clock drift: %.3fs > %.3fs",
			c.RenewDeadline, c.MaxWriteDelay, c.LeaseDuration, 100*c.MaxClockDrift, holder, other)
	}
	return nil
}

// FailoverBound is the longest time, after the holder's last successful
// renewal, until another candidate that reaches a majority claims the term,
// not counting API round trips: a read within one RetryPeriod sees the last
// renewal, then LeaseDuration passes on the candidate's (possibly slow) clock.
func (c Config) FailoverBound() time.Duration {
	return time.Duration(float64(c.RetryPeriod+c.LeaseDuration) / (1 - c.MaxClockDrift))
}
