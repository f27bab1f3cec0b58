// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/amko-project/amko/internal/avisim/schema"
	"github.com/amko-project/amko/internal/gslb"
)

// This file is the control API tests use to steer the emulator and observe it
// (avi-api.md §5.5). Every method is safe for concurrent use with requests.

// controlHost is the host objects are rendered for outside a request.
const controlHost = "avisim"

// JournalEntry is one request as the emulator received and answered it.
type JournalEntry struct {
	Time      time.Time
	Duration  time.Duration
	Method    string
	Path      string // normalised, e.g. /api/gslbservice/gslbservice-…
	RawPath   string // as sent, e.g. //api/gslbservice/
	Query     string
	Tenant    string // X-Avi-Tenant as sent
	Version   string // X-Avi-Version as sent
	UserAgent string // X-Avi-UserAgent
	User      string // the session's user; "" without a session
	Body      string
	Status    int    // -1 when a fault dropped the connection
	Fault     string // the fault that applied, if any
}

// IsWrite reports whether the entry changed (or tried to change) an object.
func (e JournalEntry) IsWrite() bool {
	switch e.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return e.Path != "/login" && e.Path != "/logout"
	}
	return false
}

// Journal returns a copy of every request received since the last ClearJournal.
func (s *Server) Journal() []JournalEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]JournalEntry(nil), s.journal...)
}

// Writes returns the journal's write requests.
func (s *Server) Writes() []JournalEntry {
	var out []JournalEntry
	for _, e := range s.Journal() {
		if e.IsWrite() {
			out = append(out, e)
		}
	}
	return out
}

// ClearJournal forgets the journal.
func (s *Server) ClearJournal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.journal = nil
}

// Reset returns the emulator to its initial objects and forgets sessions, faults,
// health, locations and the journal.
func (s *Server) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store = newStore(s.opts.DeterministicUUIDs, s.objectRefs)
	s.sessions = map[string]*session{}
	s.journal = nil
	s.faults = nil
	s.health = map[string]bool{}
	s.locations = map[netip.Prefix]gslb.Location{}
	s.dns = nil
	return s.seed(!s.opts.NoSeed)
}

// Seed creates an object of kind in tenant ("" for admin) from its JSON body, with
// defaults, schema checks and references resolved, bypassing sessions and the
// leader rules; it returns the object's uuid.
func (s *Server) Seed(kind, tenant string, data map[string]any) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.insert(kind, tenant, data)
	if err != nil {
		return "", err
	}
	return o.UUID, nil
}

// Objects returns the objects of kind in every tenant, rendered as a GET with
// include_name would show them.
func (s *Server) Objects(kind string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := s.controlRequest()
	var out []map[string]any
	for _, o := range s.store.list(kind) {
		out = append(out, s.render(o, req, true))
	}
	return out
}

// Count returns the number of objects of kind in every tenant.
func (s *Server) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.store.objects[kind])
}

// Object returns the object of kind named name in any tenant, or nil.
func (s *Server) Object(kind, name string) map[string]any {
	for _, o := range s.Objects(kind) {
		if o["name"] == name {
			return o
		}
	}
	return nil
}

func (s *Server) controlRequest() *request {
	return &request{host: controlHost, version: s.version, all: true, query: url.Values{}}
}

// SetControllerVersion changes the version the controller reports and accepts.
func (s *Server) SetControllerVersion(v string) error {
	parsed, err := schema.ParseVersion(v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = parsed
	return nil
}

// SetLeader makes this controller the GSLB leader or a follower by rewriting the
// gslb object's leader_cluster_uuid, as a leader change on the real system does.
func (s *Server) SetLeader(leader bool) error {
	return s.updateGslb(func(g map[string]any) {
		g["leader_cluster_uuid"] = FollowerClusterUUID
		if c := s.clusterObject(); leader && c != nil {
			g["leader_cluster_uuid"] = c.UUID
		}
	})
}

// SetMaintenance turns the GSLB maintenance mode on or off.
func (s *Server) SetMaintenance(on bool) error {
	return s.updateGslb(func(g map[string]any) { g["maintenance_mode"] = on })
}

// SetSiteEnabled enables or disables a GSLB site by name; a disabled site's
// members are left out of DNS answers.
func (s *Server) SetSiteEnabled(name string, enabled bool) error {
	found := false
	err := s.updateGslb(func(g map[string]any) {
		sites, _ := g["sites"].([]any)
		for _, it := range sites {
			if site, ok := it.(map[string]any); ok && site["name"] == name {
				site["enabled"] = enabled
				found = true
			}
		}
	})
	if err == nil && !found {
		err = fmt.Errorf("avisim: no GSLB site %q", name)
	}
	return err
}

// updateGslb changes the gslb object under the lock.
func (s *Server) updateGslb(change func(map[string]any)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.gslbObject()
	if g == nil {
		return fmt.Errorf("avisim: no gslb object")
	}
	updated := &object{Kind: g.Kind, UUID: g.UUID, Tenant: g.Tenant, Seq: g.Seq, Data: deepCopy(g.Data).(map[string]any)}
	change(updated.Data)
	s.store.put(updated, s.opts.Now())
	return nil
}

// SetMemberHealth sets the operational state of the pool members whose IP address
// or vs_uuid is key; members are up until set otherwise.
func (s *Server) SetMemberHealth(key string, up bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health[key] = up
}

// SetClientLocation places the clients of prefix for the geo algorithm.
func (s *Server) SetClientLocation(prefix netip.Prefix, loc gslb.Location) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locations[prefix.Masked()] = loc
}

// ExpireSessions ends every session, as an idle timeout or controller restart
// does; it returns how many there were.
func (s *Server) ExpireSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sessions)
	s.sessions = map[string]*session{}
	return n
}

// Sessions returns the number of live sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// snapshot is the persisted state of the emulator.
type snapshot struct {
	Version      string    `json:"controller_version"`
	Objects      []*object `json:"objects"`
	LastModified int64     `json:"last_modified"`
}

// Snapshot returns the emulator's objects as JSON, for Restore or a snapshot file.
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

func (s *Server) snapshotLocked() ([]byte, error) {
	return json.Marshal(snapshot{Version: s.version.String(), Objects: s.store.all(), LastModified: s.store.lastModified})
}

// Restore replaces the emulator's objects with those of a Snapshot.
func (s *Server) Restore(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("avisim: snapshot: %w", err)
	}
	version, err := schema.ParseVersion(snap.Version)
	if err != nil {
		return fmt.Errorf("avisim: snapshot: %w", err)
	}
	st := newStore(s.opts.DeterministicUUIDs, s.objectRefs)
	for _, o := range snap.Objects {
		if s.registry.Kind(o.Kind) == nil || o.UUID == "" || o.Data == nil {
			return fmt.Errorf("avisim: snapshot: invalid object %q/%q", o.Kind, o.UUID)
		}
		// Keep numbers as json.Number, as requests store them.
		raw, err := json.Marshal(o.Data)
		if err != nil {
			return err
		}
		if o.Data, err = decode(raw); err != nil {
			return err
		}
		seq, modified := o.Seq, o.Modified
		st.put(o, time.UnixMicro(modified))
		o.Seq, o.Modified = seq, modified
		st.seq = max(st.seq, seq)
	}
	st.lastModified = max(st.lastModified, snap.LastModified)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store = st
	s.version = version
	s.dns = nil
	return nil
}
