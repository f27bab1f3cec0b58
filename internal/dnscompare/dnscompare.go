// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package dnscompare asks two DNS servers the same questions and reports where
// their answers differ: before a zone is delegated from the Avi DNS service to
// amko's built-in server, every name must resolve to the same addresses on
// both, so that no resolver sees a name stop resolving or move.
//
// A GSLB answer changes from one query to the next (round robin, weights), so
// one query proves nothing: each server is asked until a run of queries brings
// no new address, and the sets of addresses are compared. A name that differs
// is asked again with a ten times larger budget before it is reported, so that a
// rarely chosen member (weight 1 among 20) is not taken for a difference.
package dnscompare

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Options bound the questions asked.
type Options struct {
	// Timeout bounds one query; default 1 s. A server that does not answer in
	// time (the Avi DNS service drops queries for names it does not serve)
	// counts as "no answer".
	Timeout time.Duration
	// Settle is the run of queries bringing no new address after which a
	// server's answer set is taken as complete; default 24 (more than the
	// largest weight ratio of one pool, 20 to 1).
	Settle int
	// MaxQueries bounds the queries per name, type and server in the first
	// round; default 100 (the confirming round has ten times more).
	MaxQueries int
	// Types are the query types; default A and AAAA.
	Types []uint16
	// Parallel is how many names are compared at once; default 8.
	Parallel int
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.Settle <= 0 {
		o.Settle = 24
	}
	if o.MaxQueries <= 0 {
		o.MaxQueries = 100
	}
	if len(o.Types) == 0 {
		o.Types = []uint16{dns.TypeA, dns.TypeAAAA}
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	return o
}

// NoAnswer is the Rcode of a server that did not answer in time.
const NoAnswer = "no answer"

// Outcome is what one server answers for a name and type.
type Outcome struct {
	// Rcode is the answer's code (NOERROR, NXDOMAIN, REFUSED, ...) or NoAnswer.
	Rcode string `json:"rcode"`
	// Addresses are every address answered over the queries, sorted.
	Addresses []string `json:"addresses,omitempty"`
	// TTL is the smallest TTL answered.
	TTL uint32 `json:"ttl,omitempty"`
}

// Resolves reports whether the outcome gives at least one address.
func (o Outcome) Resolves() bool { return len(o.Addresses) > 0 }

// Difference is a name and type the two servers answer differently.
type Difference struct {
	Name  string  `json:"name"`
	Type  string  `json:"type"`
	Left  Outcome `json:"left"`
	Right Outcome `json:"right"`
	// What differs: "resolution" (one resolves, the other not), "addresses"
	// (both resolve, to different sets) or "ttl".
	What string `json:"what"`
}

func (d Difference) String() string {
	return fmt.Sprintf("%s %s: %s differ: %s %v ttl %d, %s %v ttl %d", d.Name, d.Type, d.What,
		d.Left.Rcode, d.Left.Addresses, d.Left.TTL, d.Right.Rcode, d.Right.Addresses, d.Right.TTL)
}

// Compare asks the servers at left and right (host:port, UDP) about names and
// returns the differences, by name and type. Names that resolve on neither
// side are no difference. It fails only when ctx ends.
func Compare(ctx context.Context, left, right string, names []string, o Options) ([]Difference, error) {
	o = o.withDefaults()
	type job struct {
		name  string
		qtype uint16
	}
	jobs := make(chan job)
	var (
		mu   sync.Mutex
		out  []Difference
		wg   sync.WaitGroup
		fail error
	)
	for range o.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &dns.Client{Net: "udp", Timeout: o.Timeout}
			for j := range jobs {
				d, err := compareOne(ctx, c, left, right, j.name, j.qtype, o)
				mu.Lock()
				if err != nil && fail == nil {
					fail = err
				}
				if d != nil {
					out = append(out, *d)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, n := range names {
		for _, t := range o.Types {
			select {
			case jobs <- job{dns.Fqdn(n), t}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return out, err
	}
	if fail != nil {
		return out, fail
	}
	slices.SortFunc(out, func(a, b Difference) int {
		if a.Name != b.Name {
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		if a.Type < b.Type {
			return -1
		}
		if a.Type > b.Type {
			return 1
		}
		return 0
	})
	return out, nil
}

// compareOne compares one name and type, confirming a difference with a
// larger budget.
func compareOne(ctx context.Context, c *dns.Client, left, right, name string, qtype uint16, o Options) (*Difference, error) {
	var d *Difference
	for _, budget := range []int{o.MaxQueries, 10 * o.MaxQueries} {
		l, err := ask(ctx, c, left, name, qtype, o.Settle, budget)
		if err != nil {
			return nil, err
		}
		r, err := ask(ctx, c, right, name, qtype, o.Settle, budget)
		if err != nil {
			return nil, err
		}
		if d = differ(name, qtype, l, r); d == nil {
			return nil, nil
		}
	}
	return d, nil
}

func differ(name string, qtype uint16, l, r Outcome) *Difference {
	d := &Difference{Name: name, Type: dns.TypeToString[qtype], Left: l, Right: r}
	switch {
	case !l.Resolves() && !r.Resolves():
		return nil
	case l.Resolves() != r.Resolves():
		d.What = "resolution"
	case !slices.Equal(l.Addresses, r.Addresses):
		d.What = "addresses"
	case l.TTL != r.TTL:
		d.What = "ttl"
	default:
		return nil
	}
	return d
}

// ask queries server until settle queries in a row bring no new address, at
// most budget times.
func ask(ctx context.Context, c *dns.Client, server, name string, qtype uint16, settle, budget int) (Outcome, error) {
	seen := map[string]bool{}
	var out Outcome
	quiet := 0
	for i := 0; i < budget && quiet < settle; i++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.RecursionDesired = false
		resp, _, err := c.ExchangeContext(ctx, m, server)
		if err != nil {
			var ne net.Error
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			if errors.As(err, &ne) && ne.Timeout() {
				if out.Rcode == "" {
					out.Rcode = NoAnswer
				}
				if len(seen) == 0 {
					// A server that drops the name keeps dropping it.
					return out, nil
				}
				quiet++
				continue
			}
			return out, fmt.Errorf("asking %s about %s: %w", server, name, err)
		}
		out.Rcode = dns.RcodeToString[resp.Rcode]
		added := false
		for _, rr := range resp.Answer {
			var a string
			switch v := rr.(type) {
			case *dns.A:
				a = v.A.String()
			case *dns.AAAA:
				a = v.AAAA.String()
			default:
				continue
			}
			if out.TTL == 0 || rr.Header().Ttl < out.TTL {
				out.TTL = rr.Header().Ttl
			}
			if !seen[a] {
				seen[a], added = true, true
			}
		}
		if added {
			quiet = 0
		} else {
			quiet++
		}
		if len(resp.Answer) == 0 {
			return out, nil // NXDOMAIN, NODATA, REFUSED...: the same every time
		}
	}
	for a := range seen {
		out.Addresses = append(out.Addresses, a)
	}
	slices.Sort(out.Addresses)
	return out, nil
}
