// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/provider"
)

// Following the GSLB leader controller. An Avi GSLB federation has one
// leader site; when it is lost, an admin makes another site leader. AMKO then
// needs its GSLBConfig edited; amko, given the other sites' controllers in
// spec.gslbLeader.alternateControllers, finds the new leader by itself: it
// asks each controller whether it leads and builds its backend on the one
// that says so. It never writes to a controller that does not say it leads,
// so an amko cut off from the leader (a network fault, the leader alive)
// finds no other leader and stays put.

// DefaultAlternateAfter is how long the controller in use may be unreachable
// before amko looks among the alternates.
const DefaultAlternateAfter = 30 * time.Second

// Event reasons of the search.
const (
	ReasonLeaderMoved    = "GSLBLeaderMoved"
	ReasonNoLeaderFound  = "GSLBLeaderNotFound"
	ReasonAlternatesNoCA = "AlternatesNeedCA"
)

// candidates are the controllers that may lead: ControllerIP first, then the
// alternates, each once.
func candidates(gc *amkov1alpha1.GSLBConfig) []string {
	out := []string{gc.Spec.GSLBLeader.ControllerIP}
	for _, a := range gc.Spec.GSLBLeader.AlternateControllers {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// following returns the alternate controller the backend is to be built on,
// "" for ControllerIP. A followed controller no longer listed, or without a
// CA to verify it by, is dropped: back to ControllerIP.
func (o *Operator) following(gc *amkov1alpha1.GSLBConfig, ca []byte) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	active := o.state.controller
	if active == "" || active == gc.Spec.GSLBLeader.ControllerIP {
		return ""
	}
	if len(ca) == 0 || !slices.Contains(gc.Spec.GSLBLeader.AlternateControllers, active) {
		o.log.Info("back to the GSLBConfig's controller: the alternate followed is no longer usable",
			"alternate", active, "controllerIP", gc.Spec.GSLBLeader.ControllerIP, "listed", slices.Contains(gc.Spec.GSLBLeader.AlternateControllers, active), "ca", len(ca) > 0)
		o.state.controller = ""
		return ""
	}
	return active
}

// withController is gc with the controller address replaced, for building
// the backend only: statuses and Events go to the GSLBConfig as it is.
func withController(gc *amkov1alpha1.GSLBConfig, addr string) *amkov1alpha1.GSLBConfig {
	c := gc.DeepCopy()
	c.Spec.GSLBLeader.ControllerIP = addr
	return c
}

// inUse is the controller address the backend talks to.
func (o *Operator) inUse(gc *amkov1alpha1.GSLBConfig) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state.controller != "" {
		return o.state.controller
	}
	return gc.Spec.GSLBLeader.ControllerIP
}

// alternateAfter is the GSLBConfig's alternateAfter, or the default.
func alternateAfter(gc *amkov1alpha1.GSLBConfig) time.Duration {
	if d := gc.Spec.GSLBLeader.AlternateAfter; d != nil && d.Duration > 0 {
		return d.Duration
	}
	return DefaultAlternateAfter
}

// shouldSearch says why to look for the leader among the alternates, "" not
// to: the controller in use answered it is not the leader (notLeader), or has
// been unreachable for alternateAfter.
func (o *Operator) shouldSearch(gc *amkov1alpha1.GSLBConfig, notLeader bool) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.shouldSearchLocked(gc, notLeader)
}

func (o *Operator) shouldSearchLocked(gc *amkov1alpha1.GSLBConfig, notLeader bool) string {
	if len(gc.Spec.GSLBLeader.AlternateControllers) == 0 || dnsOnly(gc) {
		return ""
	}
	if notLeader {
		return "it is not the GSLB leader"
	}
	if since := o.state.unreachableSince; !since.IsZero() {
		if d := time.Since(since); d >= alternateAfter(gc) {
			return fmt.Sprintf("it has been unreachable for %s", d.Round(time.Second))
		}
	}
	return ""
}

// searchDueLocked says whether a pass is to ask the controllers which leads: with
// alternates, while the controller in use does not lead or does not answer,
// every searchEvery. The caller holds o.mu.
func (o *Operator) searchDueLocked(gc *amkov1alpha1.GSLBConfig) bool {
	return len(gc.Spec.GSLBLeader.AlternateControllers) > 0 && !dnsOnly(gc) &&
		(!o.state.leader || !o.state.unreachableSince.IsZero()) && time.Since(o.state.searchedAt) >= searchEvery
}

// probeAllows is the backoff probe's verdict on a controller that does not
// answer: a pass may run all the same when it is to look for the leader
// among the alternates (the probe holds passes back only while one could
// not succeed).
func (o *Operator) probeAllows(err error) bool {
	o.mu.Lock()
	gc := o.state.config
	o.mu.Unlock()
	if gc == nil {
		return false
	}
	o.noteReachable(gc, err)
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.searchDueLocked(gc) && o.shouldSearchLocked(gc, false) != ""
}

// noteReachable records whether the controller in use answers, for
// shouldSearch; a failing controller gets its next search in alternateAfter.
func (o *Operator) noteReachable(gc *amkov1alpha1.GSLBConfig, err error) {
	unreachable := errors.Is(err, provider.ErrUnavailable)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case !unreachable:
		o.state.unreachableSince = time.Time{}
	case o.state.unreachableSince.IsZero():
		o.state.unreachableSince = time.Now()
		if len(gc.Spec.GSLBLeader.AlternateControllers) > 0 {
			time.AfterFunc(alternateAfter(gc), o.Poke)
		}
	}
}

// searchLeader asks every candidate but the one in use whether it is the GSLB
// leader, and follows the first that is: the next pass builds the backend on
// it. ca is the bundle the candidates' certificates must chain to.
func (o *Operator) searchLeader(ctx context.Context, gc *amkov1alpha1.GSLBConfig, why string) {
	current := o.inUse(gc)
	o.mu.Lock()
	o.state.searchedAt = time.Now()
	o.mu.Unlock()
	_, creds, ca, err := o.backendKey(ctx, gc)
	if err != nil {
		o.log.Warn("looking for the GSLB leader controller", "err", err)
		return
	}
	if len(ca) == 0 {
		o.announceSearch(gc, ReasonAlternatesNoCA, corev1.EventTypeWarning,
			fmt.Sprintf("the controller %s: %s, but spec.gslbLeader.alternateControllers are only asked with a CA bundle "+
				"(spec.gslbLeader.caBundle or the credentials Secret's %s): a certificate pinned on first use cannot vouch for another site",
				current, why, CAKey))
		return
	}
	var tried []string
	for _, addr := range candidates(gc) {
		if addr == current {
			continue
		}
		leads, err := o.leads(ctx, gc, addr, creds, ca)
		switch {
		case err != nil:
			tried = append(tried, fmt.Sprintf("%s: %v", addr, err))
			continue
		case !leads:
			tried = append(tried, addr+": not the leader")
			continue
		}
		o.mu.Lock()
		o.state.controller, o.state.unreachableSince, o.state.searchedAt = addr, time.Time{}, time.Time{}
		if addr == gc.Spec.GSLBLeader.ControllerIP {
			o.state.controller = ""
		}
		o.state.searchAnnounced = ""
		o.mu.Unlock()
		msg := fmt.Sprintf("the GSLB leader controller is now %s: %s %s", addr, current, why)
		o.recorder.Event(gc, corev1.EventTypeWarning, ReasonLeaderMoved, msg)
		o.log.Warn("following the GSLB leader controller", "to", addr, "from", current, "why", why)
		o.metrics.leaderMoves.Inc()
		o.Poke()
		return
	}
	o.announceSearch(gc, ReasonNoLeaderFound, corev1.EventTypeWarning,
		fmt.Sprintf("the controller %s: %s, and no other controller leads (%v)", current, why, tried))
	time.AfterFunc(searchEvery, o.Poke) // a pass that writes nothing asks for none
}

// searchEvery paces the questions to the controllers while none in use leads.
const searchEvery = 10 * time.Second

// announceSearch records a search's outcome once per outcome.
func (o *Operator) announceSearch(gc *amkov1alpha1.GSLBConfig, reason, kind, msg string) {
	o.mu.Lock()
	again := o.state.searchAnnounced == reason
	o.state.searchAnnounced = reason
	o.mu.Unlock()
	if !again {
		o.recorder.Event(gc, kind, reason, msg)
		o.log.Warn("looking for the GSLB leader controller", "outcome", reason, "detail", msg)
	}
}

// leadProbeTimeout bounds the question to one candidate.
const leadProbeTimeout = 10 * time.Second

// leads asks the controller at addr whether it is the GSLB leader, through a
// backend of its own that is closed after.
func (o *Operator) leads(ctx context.Context, gc *amkov1alpha1.GSLBConfig, addr string, creds map[string][]byte, ca []byte) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, leadProbeTimeout)
	defer cancel()
	b, err := o.opts.Providers(ctx, provider.Settings{Config: withController(gc, addr), Credentials: creds,
		Timeout: leadProbeTimeout, Log: o.log, CABundle: ca})
	if err != nil {
		return false, err
	}
	defer func() { _ = b.Close() }()
	return b.Leading(ctx)
}
