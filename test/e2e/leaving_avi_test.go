// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/dnscompare"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/backend"
	"github.com/amko-project/amko/test/clusters"
)

// The way off Avi, as docs/operations.md ("Leaving Avi") writes it, with no
// moment where a name does not resolve: (1) a dns section beside the
// controller makes amko serve the controller's services from its own server;
// (2) the two answer alike (the check before delegating the zone); (3) the
// controller is removed from the GSLBConfig and the same server, on the same
// address, goes on as the backend, while a resolver asks it all along; and
// back.
func TestLeavingAvi(t *testing.T) {
	ctx := context.Background()
	spec := appGDP("leave")
	spec.TTL = ptr(30)
	s := begin(t, spec)
	name := "leave.gslb.example.com"
	for i, cl := range set.Clusters[:2] {
		ip := fmt.Sprintf("127.0.0.%d", 51+i)
		backend.TCP(t, ip+":18086")
		s.lbService(cl, clusters.LoadBalancerService{Namespace: "default", Name: "leave", Labels: map[string]string{"app": "leave"},
			Hostname: name, IP: ip, Ports: []corev1.ServicePort{tcpPort("tcp", 18086)}, AKO: ako(name, fmt.Sprintf("virtualservice-leave%d", i))})
	}
	s.track(name)
	await.Eventually(t, "the service on the controller", wantMembers(name, "10:127.0.0.51:1", "10:127.0.0.52:1"))
	aviDNS, err := sim.ServeDNS(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = aviDNS.Close() }()

	// Step 1: the dns section beside the controller.
	t.Cleanup(func() {
		changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
			gc.Spec.DNS, gc.Spec.GSLBLeader.ControllerIP = nil, host
		})
	})
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
		gc.Spec.DNS = &amkov1alpha1.DNSConfig{Listen: "127.0.0.1:0", Zones: []amkov1alpha1.DNSZone{{Name: "gslb.example.com"}},
			CompareWith: aviDNS.Addr}
	})
	var mirror string
	await.Eventually(t, "amko serves the controller's services from its DNS server", func() error {
		b := amko.Status().Backend
		if b == nil || b.Kind != "avi" || !b.Mirror || b.DNSAddr == "" {
			return fmt.Errorf("backend %+v", b)
		}
		mirror = b.DNSAddr
		return nil
	})
	// Step 2: both answer alike (amko's probes find both members up).
	await.Eventually(t, "the Avi DNS service and amko's answer alike", func() error {
		diffs, err := dnscompare.Compare(ctx, aviDNS.Addr, mirror, []string{name}, dnscompare.Options{Timeout: 300 * time.Millisecond})
		if err != nil {
			return err
		}
		if len(diffs) > 0 {
			return fmt.Errorf("differences: %v", diffs)
		}
		return nil
	})

	// amko compares too, with spec.dns.compareWith, after its passes.
	await.Eventually(t, "amko's own comparison finds no difference", func() error {
		c := amko.Status().Comparison
		if c == nil || c.Error != "" || c.Names != 1 || len(c.Differences) != 0 {
			return fmt.Errorf("comparison %+v", c)
		}
		return nil
	})

	// A resolver asks amko's server all along the switch.
	var asked, failed atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		c := &dns.Client{Timeout: time.Second}
		for {
			select {
			case <-done:
				return
			default:
			}
			m := new(dns.Msg)
			m.SetQuestion(name+".", dns.TypeA)
			resp, _, err := c.Exchange(m, mirror)
			asked.Add(1)
			if err != nil || resp.Rcode != dns.RcodeSuccess || len(resp.Answer) == 0 {
				failed.Add(1)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	// Step 3: the controller removed; the DNS server goes on as the backend.
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.GSLBLeader.ControllerIP = "" })
	await.Eventually(t, "the DNS server is the backend, on the same address", func() error {
		b := amko.Status().Backend
		if b == nil || b.Kind != "dns" || b.DNSAddr != mirror {
			return fmt.Errorf("backend %+v, want dns on %s", b, mirror)
		}
		if !amko.Status().Ready {
			return fmt.Errorf("not ready: %s", amko.Status().NotReady)
		}
		return nil
	})
	// Some more questions once it has taken over, then the verdict.
	n := asked.Load()
	await.Eventually(t, "20 more questions to the new backend", func() error {
		if got := asked.Load() - n; got < 20 {
			return fmt.Errorf("%d asked", got)
		}
		return nil
	})
	close(done)
	<-stopped
	if f := failed.Load(); f != 0 {
		t.Errorf("%d of %d questions to amko's DNS server failed during the switch", f, asked.Load())
	}
	t.Logf("%d questions during the switch, none failed", asked.Load())
	// The controller's service is left as it was, unmanaged, as when amko stops.
	if err := wantMembers(name, "10:127.0.0.51:1", "10:127.0.0.52:1")(); err != nil {
		t.Errorf("the controller's service after leaving: %v", err)
	}
	// And back (a rollback of the switch): the DNS backend goes on as the
	// controller's mirror, on the same address.
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.GSLBLeader.ControllerIP = host })
	await.Eventually(t, "the controller again, the DNS server its mirror on the same address", func() error {
		b := amko.Status().Backend
		if b == nil || b.Kind != "avi" || !b.Mirror || b.DNSAddr != mirror {
			return fmt.Errorf("backend %+v, want avi mirrored on %s", b, mirror)
		}
		return nil
	})
	if counts, err := answers(mirror, name+".", 4); err != nil || len(counts) != 2 {
		t.Errorf("the mirror's answers after going back: %v %v", counts, err)
	}
}
