// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package statusreport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/amko-project/amko/internal/dnscompare"
	"github.com/amko-project/amko/internal/operator"
)

// Comparison is what "amko status --compare" found: the names of amko's GSLB
// services asked of two DNS servers, and where the answers differ.
type Comparison struct {
	// Other is the server compared with (the Avi DNS service, during a
	// migration off Avi); Amko is amko's own.
	Other string `json:"other"`
	Amko  string `json:"amko"`
	// Names is how many names were asked.
	Names       int                     `json:"names"`
	Differences []dnscompare.Difference `json:"differences"`
}

// Compare asks other and amko's DNS server (amkoAddr, else the one st reports)
// about every domain name of st's services.
func Compare(ctx context.Context, st *operator.Status, other, amkoAddr string) (*Comparison, error) {
	if amkoAddr == "" && st.Backend != nil {
		amkoAddr = st.Backend.DNSAddr
	}
	if amkoAddr == "" {
		return nil, errors.New("amko reports no DNS server of its own: give its address with --compare-with")
	}
	var names []string
	for _, s := range st.Services {
		names = append(names, s.DomainNames...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	diffs, err := dnscompare.Compare(ctx, other, amkoAddr, names, dnscompare.Options{})
	if err != nil {
		return nil, fmt.Errorf("comparing %s with %s: %w", other, amkoAddr, err)
	}
	if diffs == nil {
		diffs = []dnscompare.Difference{}
	}
	return &Comparison{Other: other, Amko: amkoAddr, Names: len(names), Differences: diffs}, nil
}

// Err is the comparison's verdict: nil when the servers agree.
func (c *Comparison) Err() error {
	if len(c.Differences) == 0 {
		return nil
	}
	return fmt.Errorf("%d answers differ between %s and amko's DNS server %s", len(c.Differences), c.Other, c.Amko)
}

// PrintComparison writes the comparison as a table, a line per difference.
func PrintComparison(w io.Writer, c *Comparison) error {
	_, _ = fmt.Fprintln(w)
	tw := newTable(w)
	row(tw, "COMPARED:", fmt.Sprintf("%d names, %s and amko's %s: %d differences", c.Names, c.Other, c.Amko, len(c.Differences)))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(c.Differences) == 0 {
		return nil
	}
	_, _ = fmt.Fprintln(w)
	tw = newTable(w)
	row(tw, "NAME", "TYPE", "DIFFERS", c.Other, "AMKO")
	for _, d := range c.Differences {
		row(tw, strings.TrimSuffix(d.Name, "."), d.Type, d.What, outcome(d.Left), outcome(d.Right))
	}
	return tw.Flush()
}

// outcome is one server's answer in a cell: addresses and TTL, or the code.
func outcome(o dnscompare.Outcome) string {
	if !o.Resolves() {
		return o.Rcode
	}
	return fmt.Sprintf("%s ttl %d", strings.Join(o.Addresses, ","), o.TTL)
}
