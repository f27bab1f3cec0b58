// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/amko-project/amko/internal/avisim/schema"
)

// maxBody bounds request bodies; the controller's largest objects are far smaller.
const maxBody = 8 << 20

// request is one API call after parsing the parts every handler needs.
type request struct {
	w       http.ResponseWriter
	r       *http.Request
	path    string // normalised
	query   url.Values
	body    []byte
	version schema.Version
	tenant  string // tenant uuid; "" with allTenants
	all     bool   // X-Avi-Tenant: *
	host    string
}

// normalisePath makes the SDK's paths routable (avi-api.md §1.1): it strips a
// leading "/<scheme>://<host>" (an absolute next link used as a path), collapses
// repeated slashes and drops a trailing slash. net/http.ServeMux is not used: it
// would answer "//api/..." with a redirect, which the Go client replays as GET.
func normalisePath(p string) string {
	for _, scheme := range []string{"/https://", "/http://"} {
		if rest, ok := strings.CutPrefix(p, scheme); ok {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				p = rest[i:]
			} else {
				p = "/"
			}
			break
		}
	}
	var b strings.Builder
	b.Grow(len(p))
	prevSlash := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '/' && prevSlash {
			continue
		}
		prevSlash = c == '/'
		b.WriteByte(c)
	}
	out := b.String()
	if len(out) > 1 {
		out = strings.TrimSuffix(out, "/")
	}
	if out == "" {
		out = "/"
	}
	return out
}

// statusWriter records the status a handler wrote, for the journal.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (sw *statusWriter) WriteHeader(code int) {
	if sw.status == 0 {
		sw.status = code
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	return sw.ResponseWriter.Write(b)
}

// Hijack lets a fault drop the connection through the wrapper.
func (sw *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := sw.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the connection cannot be hijacked")
	}
	return hj.Hijack()
}

// ServeHTTP answers one request: journal, faults, session, then the handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.opts.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	path := normalisePath(r.URL.Path)
	entry := JournalEntry{
		Time: start, Method: r.Method, Path: path, RawPath: r.URL.Path, Query: r.URL.RawQuery,
		Tenant: r.Header.Get(headerTenant), Version: r.Header.Get(headerVersion),
		UserAgent: r.Header.Get("X-Avi-UserAgent"), Body: string(body),
	}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		entry.Status = sw.status
		entry.Duration = s.opts.Now().Sub(start)
		s.mu.Lock()
		if sess := s.sessionOf(r); sess != nil {
			entry.User = sess.user
		}
		if len(s.journal) >= s.opts.JournalLimit {
			s.journal = append(s.journal[:0:0], s.journal[len(s.journal)/2:]...)
		}
		s.journal = append(s.journal, entry)
		s.mu.Unlock()
	}()
	if err != nil || len(body) > maxBody {
		writeError(sw, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}

	if f := s.matchFault(r.Method, path, entry.Tenant); f != nil {
		entry.Fault = f.Name
		if f.Latency > 0 {
			// A client that gives up during the delay has gone: the request is
			// not handled (as a real controller's would be dropped before it
			// reached the API), and the emulator's own shutdown is not held.
			select {
			case <-time.After(f.Latency):
			case <-r.Context().Done():
				sw.status = -1
				return
			}
		}
		if s.applyFault(sw, r, f) {
			if f.Drop {
				sw.status = -1
			}
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.route(sw, r, path, body)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	switch path {
	case "/login":
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "Method \""+r.Method+"\" not allowed.")
			return
		}
		s.login(w, r, body)
		return
	case "/logout":
		s.logout(w, r)
		return
	case "/api/cluster/status":
		// Unauthenticated: the SDK's controller status check sends no cookies.
		writeJSON(w, http.StatusOK, map[string]any{
			"cluster_state": map[string]any{"state": "CLUSTER_UP_HA_ACTIVE", "progress": 100},
		})
		return
	case "/api/initial-data":
		writeJSON(w, http.StatusOK, map[string]any{
			"version": s.versionObject(), "current_time": s.opts.Now().UTC().Format(time.RFC3339),
			"user_initial_setup": false, "sso": false, "banner": "",
		})
		return
	}
	if !strings.HasPrefix(path, "/api/") {
		writeError(w, http.StatusNotFound, "Resource not found: "+path)
		return
	}
	if _, status := s.authenticate(w, r); status != 0 {
		return
	}
	req := &request{w: w, r: r, path: path, query: r.URL.Query(), body: body, host: r.Host}
	if !s.parseVersion(req) || !s.parseTenant(req) {
		return
	}
	parts := strings.Split(strings.TrimPrefix(path, "/api/"), "/")
	kind := s.registry.Kind(parts[0])
	if kind == nil {
		writeError(w, http.StatusNotFound, "Resource "+parts[0]+" not found")
		return
	}
	switch {
	case len(parts) == 1 && kind.Name == "cluster" && r.Method == http.MethodGet:
		s.getCluster(req)
	case len(parts) == 1 && r.Method == http.MethodGet:
		s.list(req, kind)
	case len(parts) == 1 && r.Method == http.MethodPost:
		s.create(req, kind)
	case len(parts) == 2:
		o := s.store.get(kind.Name, parts[1])
		if o == nil || !s.visible(req, o) {
			writeError(w, http.StatusNotFound, notFound(kind))
			return
		}
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.render(o, req, s.withNames(req)))
		case http.MethodPut:
			s.replace(req, kind, o)
		case http.MethodPatch:
			s.patch(req, kind, o)
		case http.MethodDelete:
			s.delete(req, kind, o)
		default:
			writeError(w, http.StatusMethodNotAllowed, "Method \""+r.Method+"\" not allowed.")
		}
	default:
		writeError(w, http.StatusNotFound, "Resource not found: "+path)
	}
}

// parseVersion reads X-Avi-Version: absent means the controller's version; newer
// than the controller is refused (the text is an inference, avi-api.md §1.6).
func (s *Server) parseVersion(req *request) bool {
	h := req.r.Header.Get(headerVersion)
	if h == "" {
		req.version = s.version
		return true
	}
	v, err := schema.ParseVersion(h)
	if err != nil || (s.opts.Strict.VersionCheck && s.version.Less(v)) {
		writeError(req.w, http.StatusBadRequest, "Invalid version "+h)
		return false
	}
	req.version = v
	return true
}

// parseTenant reads X-Avi-Tenant (a name, or * for all) or X-Avi-Tenant-UUID;
// absent means admin. Writes with * are refused.
func (s *Server) parseTenant(req *request) bool {
	name := req.r.Header.Get(headerTenant)
	if id := req.r.Header.Get(headerTenantUUID); name == "" && id != "" {
		if t := s.store.get("tenant", id); t != nil {
			req.tenant = t.UUID
			return true
		}
		writeError(req.w, http.StatusBadRequest, "Tenant '"+id+"' does not exist!")
		return false
	}
	if name == "" {
		name = "admin"
	}
	if name == "*" {
		if req.r.Method != http.MethodGet {
			writeError(req.w, http.StatusBadRequest, "Tenant '*' can be used for read operations only")
			return false
		}
		req.all = true
		return true
	}
	t := s.store.byName("tenant", "", name)
	if t == nil {
		writeError(req.w, http.StatusBadRequest, "Tenant '"+name+"' does not exist!")
		return false
	}
	req.tenant = t.UUID
	return true
}

// visible reports whether the request's tenant may see o.
func (s *Server) visible(req *request, o *object) bool {
	return req.all || o.Tenant == "" || o.Tenant == req.tenant
}

// withNames reports whether refs are rendered with #name: include_name with any
// value, including the empty one AMKO sends.
func (s *Server) withNames(req *request) bool {
	_, ok := req.query["include_name"]
	return ok
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return writeError(w, http.StatusInternalServerError, "encoding response: "+err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status
}

// writeError writes the controller's error body, never empty: AMKO dereferences it.
func writeError(w http.ResponseWriter, status int, msg string) int {
	if msg == "" {
		msg = http.StatusText(status)
	}
	return writeJSON(w, status, map[string]string{"error": msg})
}
