// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"
)

// Fault makes matching requests fail or slow down (avi-api.md §5.6). A request
// matches when Method (if set), Path (a regular expression on the normalised path,
// if set) and Tenant (X-Avi-Tenant, if set) all match. Of the matching requests,
// the fault applies to the first Count (if Count > 0), only to the Nth (if Nth > 0),
// to each with Probability (if 0 < Probability < 1, from the seeded generator), or
// to all.
type Fault struct {
	Name   string
	Method string
	Path   string
	Tenant string

	Count       int
	Nth         int
	Probability float64

	// Latency delays the request before anything else happens.
	Latency time.Duration
	// Status answers with this status and Body (default {"error": "<status text>"})
	// instead of handling the request. A 401 also ends the request's session, so
	// the client's re-login is exercised for real.
	Status int
	Body   string
	// Drop closes the connection without an answer.
	Drop bool
	// Malformed answers 200 with a truncated JSON body.
	Malformed bool
}

type faultRule struct {
	Fault
	id      int
	re      *regexp.Regexp
	matched int // requests that matched
	hits    int // requests the fault applied to
}

// AddFault installs a fault and returns its id.
func (s *Server) AddFault(f Fault) (int, error) {
	var re *regexp.Regexp
	if f.Path != "" {
		var err error
		if re, err = regexp.Compile(f.Path); err != nil {
			return 0, fmt.Errorf("avisim: fault path: %w", err)
		}
	}
	if f.Status == 0 && !f.Drop && !f.Malformed && f.Latency == 0 {
		return 0, fmt.Errorf("avisim: fault %q does nothing: set Latency, Status, Drop or Malformed", f.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFault++
	s.faults = append(s.faults, &faultRule{Fault: f, id: s.nextFault, re: re})
	return s.nextFault, nil
}

// RemoveFault uninstalls a fault.
func (s *Server) RemoveFault(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.faults {
		if r.id == id {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return
		}
	}
}

// ClearFaults uninstalls every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FaultHits returns how many requests a fault has applied to.
func (s *Server) FaultHits(id int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.faults {
		if r.id == id {
			return r.hits
		}
	}
	return 0
}

// matchFault returns the first fault that applies to the request, counting it.
func (s *Server) matchFault(method, path, tenant string) *faultRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.faults {
		if (r.Method != "" && r.Method != method) || (r.re != nil && !r.re.MatchString(path)) ||
			(r.Tenant != "" && r.Tenant != tenant) {
			continue
		}
		r.matched++
		apply := true
		switch {
		case r.Count > 0:
			apply = r.matched <= r.Count
		case r.Nth > 0:
			apply = r.matched == r.Nth
		case r.Probability > 0 && r.Probability < 1:
			apply = s.rng.Float64() < r.Probability
		}
		if apply {
			r.hits++
			return r
		}
	}
	return nil
}

// applyFault acts on a matched fault after its latency; it reports whether it
// answered the request.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *faultRule) bool {
	switch {
	case f.Drop:
		dropConnection(w)
		return true
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"count": 1, "results": [{"name": `)
		return true
	case f.Status != 0:
		if f.Status == http.StatusUnauthorized {
			s.mu.Lock()
			if sess := s.sessionOf(r); sess != nil {
				delete(s.sessions, sess.id)
			}
			s.mu.Unlock()
		}
		if f.Body != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, f.Body)
		} else {
			writeError(w, f.Status, http.StatusText(f.Status))
		}
		return true
	}
	return false
}
