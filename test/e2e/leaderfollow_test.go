// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// serviceOn checks that the controller holds the GSLB service name with a
// member at ip.
func serviceOn(site *avisim.Server, label, name, ip string) func() error {
	return func() error {
		gs := site.Object("gslbservice", name)
		if gs == nil {
			return fmt.Errorf("no GSLB service %s on %s", name, label)
		}
		if _, ok := memberVS(gs, ip); !ok {
			return fmt.Errorf("GSLB service %s on %s has no member %s: %v", name, label, ip, gs["groups"])
		}
		return nil
	}
}

// controllerInUse checks that amko reports talking to addr.
func controllerInUse(addr string) func() error {
	return func() error {
		if st := amko.Status(); st.Backend == nil || st.Backend.Controller != addr {
			return fmt.Errorf("backend %+v, want the controller %s", st.Backend, addr)
		}
		return nil
	}
}

// siteWrites counts the write requests a controller got after t0, taken or
// refused.
func siteWrites(site *avisim.Server, t0 time.Time) int {
	n := 0
	for _, e := range site.Writes() {
		if e.Time.After(t0) {
			n++
		}
	}
	return n
}

// With spec.gslbLeader.alternateControllers, amko follows the GSLB leader
// controller without an edit: site A, its controllerIP, hands the leadership to
// site B and amko continues there; B lost while A is still a follower, amko
// finds no leader and writes nowhere; A leading again, amko is back on A.
func TestFollowGSLBLeader(t *testing.T) {
	siteA, srvA, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srvA.Close()
	siteB, srvB, err := avisim.Start(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srvB.Close()
	if err := siteB.SetLeader(false); err != nil {
		t.Fatal(err)
	}
	hostA, hostB := avisim.Host(srvA), avisim.Host(srvB)

	s := begin(t, appGDP("follow"))
	// Leadership asked every second (30 s by default) so that the handover
	// is seen without a write to refuse.
	s.stop()
	amko, s.stop = runAmko(t, operator.Options{ProbeScale: 0.05, LeadershipRecheck: time.Second,
		Log: slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	setCredentialsCA(t, avisim.CAPEM()) // alternates are asked only with a CA
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
		gc.Spec.GSLBLeader.ControllerIP = hostA
		gc.Spec.GSLBLeader.AlternateControllers = []string{hostB}
		gc.Spec.GSLBLeader.AlternateAfter = &metav1.Duration{Duration: time.Second}
	})
	t.Cleanup(func() {
		changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
			gc.Spec.GSLBLeader.ControllerIP, gc.Spec.GSLBLeader.AlternateControllers, gc.Spec.GSLBLeader.AlternateAfter = host, nil, nil
		})
	})

	const ip1, ip2 = "10.62.0.1", "10.62.0.2"
	first, second := "follow-1.example.com", "follow-2.example.com"
	s.ingress(leader(), clusters.Ingress{Namespace: "default", Name: "follow-1", Labels: map[string]string{"app": "follow"},
		Rules: []clusters.IngressRule{{Host: first, IP: ip1}}, AKO: ako(first, "virtualservice-follow-1")})
	await.Eventually(t, "written on site A, the controllerIP", all(serviceOn(siteA, "A", first, ip1), controllerInUse(hostA)))

	// The leadership moves to B, as an admin does after losing A's site.
	flip := time.Now()
	if err := siteA.SetLeader(false); err != nil {
		t.Fatal(err)
	}
	if err := siteB.SetLeader(true); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "amko follows the leader to site B", all(serviceOn(siteB, "B", first, ip1), controllerInUse(hostB)))
	wantGCEvent(t, flip, []string{operator.ReasonLeaderMoved}, hostB, "not the GSLB leader")
	if n := siteWrites(siteA, flip); n != 0 {
		t.Errorf("%d write requests to site A after it stopped leading", n)
	}

	// B is lost while A is still a follower: no controller leads, and amko
	// writes nowhere (a cut-off amko must not make a second writer).
	lost := time.Now()
	srvB.CloseClientConnections()
	srvB.Listener.Close()
	s.ingress(leader(), clusters.Ingress{Namespace: "default", Name: "follow-2", Labels: map[string]string{"app": "follow"},
		Rules: []clusters.IngressRule{{Host: second, IP: ip2}}, AKO: ako(second, "virtualservice-follow-2")})
	wantGCEvent(t, lost, []string{operator.ReasonNoLeaderFound}, hostA+": not the leader")
	if err := controllerInUse(hostB)(); err != nil {
		t.Errorf("with no leader found: %v", err)
	}
	if n := siteWrites(siteA, flip); n != 0 {
		t.Errorf("%d write requests to site A while it did not lead", n)
	}

	// A leads again: amko is back there, and the change made meanwhile lands.
	back := time.Now()
	if err := siteA.SetLeader(true); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, "amko back on site A", all(controllerInUse(hostA), serviceOn(siteA, "A", second, ip2)))
	wantGCEvent(t, back, []string{operator.ReasonLeaderMoved}, hostA, "unreachable")
}
