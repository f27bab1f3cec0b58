// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package providers

import (
	"reflect"
	"testing"
	"time"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/provider/dns"
)

func TestDNSOptionsLimits(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	for _, tc := range []struct {
		name string
		spec amkov1alpha1.DNSConfig
		rl   *dns.RateLimit
		tcp  dns.TCPLimits
	}{
		{name: "absent: no rate limit, the TCP defaults"},
		{
			name: "rate only: slip 2",
			spec: amkov1alpha1.DNSConfig{RateLimit: &amkov1alpha1.DNSRateLimit{ResponsesPerSecond: 50}},
			rl:   &dns.RateLimit{ResponsesPerSecond: 50, Slip: 2},
		},
		{
			name: "everything",
			spec: amkov1alpha1.DNSConfig{
				RateLimit: &amkov1alpha1.DNSRateLimit{ResponsesPerSecond: 5, Slip: i32(0), IPv4PrefixLength: i32(32), IPv6PrefixLength: i32(64)},
				TCP:       &amkov1alpha1.DNSTCP{MaxConnections: i32(10), MaxQueriesPerConnection: i32(3), IdleTimeoutSeconds: i32(2)},
			},
			rl:  &dns.RateLimit{ResponsesPerSecond: 5, Slip: 0, IPv4PrefixLength: 32, IPv6PrefixLength: 64},
			tcp: dns.TCPLimits{MaxConnections: 10, MaxQueriesPerConnection: 3, IdleTimeout: 2 * time.Second},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := dnsOptions(&tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(opts.RateLimit, tc.rl) || opts.TCP != tc.tcp {
				t.Errorf("rate limit %+v, tcp %+v; want %+v, %+v", opts.RateLimit, opts.TCP, tc.rl, tc.tcp)
			}
		})
	}
}
