// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Cookie and header names of the Avi session protocol (avi-api.md §1.2–1.4).
const (
	cookieCSRF       = "csrftoken"
	cookieSession    = "sessionid"
	cookieAviSession = "avi-sessionid"
	headerCSRF       = "X-CSRFToken"
	headerVersion    = "X-Avi-Version"
	headerTenant     = "X-Avi-Tenant"
	headerTenantUUID = "X-Avi-Tenant-UUID"
)

// Messages of session failures. Only the CSRF text is documented; the SDK and AMKO
// depend on the expired-session text NOT containing "Invalid credentials".
const (
	msgInvalidCredentials = "Invalid credentials"
	msgNoSession          = "Authentication credentials were not provided."
	msgCSRF               = "CSRF token missing or incorrect."
	msgReferer            = "Referer checking failed - no Referer."
)

type session struct {
	id, csrf, user string
	created        time.Time
	lastUsed       time.Time
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// login handles POST /login with JSON or form-encoded credentials.
func (s *Server) login(w http.ResponseWriter, r *http.Request, body []byte) int {
	creds := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return writeError(w, http.StatusBadRequest, "malformed login form")
		}
		for k := range values {
			creds[k] = values.Get(k)
		}
	} else if err := json.Unmarshal(body, &creds); err != nil {
		return writeError(w, http.StatusBadRequest, "malformed login body: "+err.Error())
	}
	user := creds["username"]
	password, ok := s.opts.Users[user]
	if !ok || creds["password"] != password || password == "" {
		return writeError(w, http.StatusUnauthorized, msgInvalidCredentials)
	}
	now := s.opts.Now()
	sess := &session{id: randomToken(), csrf: randomToken(), user: user, created: now, lastUsed: now}
	s.sessions[sess.id] = sess

	life := int(s.opts.SessionLifetime / time.Second)
	http.SetCookie(w, &http.Cookie{Name: cookieCSRF, Value: sess.csrf, MaxAge: 31449600, Path: "/", Secure: true})
	for _, name := range []string{cookieAviSession, cookieSession} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: sess.id, MaxAge: life, Path: "/", Secure: true, HttpOnly: true})
	}
	w.Header().Set("AVI_API_VERSION", s.version.String())
	return writeJSON(w, http.StatusOK, map[string]any{
		"user_initialized": true,
		"version":          s.versionObject(),
		"user": map[string]any{
			"username": user, "name": user, "is_superuser": true, "full_name": user,
			"local": true, "uuid": "user-1", "default_tenant_ref": "https://" + r.Host + "/api/tenant/admin",
		},
		"tenants":             []any{map[string]any{"url": "https://" + r.Host + "/api/tenant/admin", "uuid": "admin", "name": "admin", "local": true}},
		"system_config":       map[string]any{"uuid": "default", "url": "https://" + r.Host + "/api/systemconfiguration"},
		"controller":          map[string]any{"api_idle_timeout": int(s.opts.IdleTimeout / time.Minute)},
		"session_cookie_name": cookieAviSession,
	})
}

func (s *Server) versionObject() map[string]any {
	return map[string]any{
		"Version": s.version.String(), "build": 9046, "Tag": s.version.String() + "-9046-20260101.000000",
		"Date": "2026-01-01T00:00:00+00:00", "min_version": 15.2,
		"Product": "controller", "ProductName": "Avi Cloud Controller",
	}
}

// logout handles POST /logout.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) int {
	if sess := s.sessionOf(r); sess != nil {
		delete(s.sessions, sess.id)
	}
	return writeJSON(w, http.StatusOK, map[string]any{})
}

// sessionOf returns the live session named by the request's cookies, or nil.
func (s *Server) sessionOf(r *http.Request) *session {
	now := s.opts.Now()
	for _, c := range r.Cookies() {
		if c.Name != cookieSession && c.Name != cookieAviSession {
			continue
		}
		sess := s.sessions[c.Value]
		if sess == nil {
			continue
		}
		if now.Sub(sess.lastUsed) > s.opts.IdleTimeout || now.Sub(sess.created) > s.opts.SessionLifetime {
			delete(s.sessions, sess.id)
			continue
		}
		return sess
	}
	return nil
}

// authenticate checks the session, CSRF token and Referer of an API request. It
// writes the refusal and returns its status, or returns 0 when the request may go on.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*session, int) {
	sess := s.sessionOf(r)
	if sess == nil {
		return nil, writeError(w, http.StatusUnauthorized, msgNoSession)
	}
	unsafe := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
	if unsafe && s.opts.Strict.CSRFCheck {
		cookie, err := r.Cookie(cookieCSRF)
		if r.Header.Get(headerCSRF) != sess.csrf || err != nil || cookie.Value != sess.csrf {
			// The real controller answers plain text with a JSON content type.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, msgCSRF)
			return nil, http.StatusUnauthorized
		}
	}
	if unsafe && s.opts.Strict.RefererCheck {
		ref, err := url.Parse(r.Header.Get("Referer"))
		if err != nil || ref.Host != r.Host || !strings.HasPrefix(ref.Scheme, "http") {
			return nil, writeError(w, http.StatusForbidden, msgReferer)
		}
	}
	sess.lastUsed = s.opts.Now()
	return sess, 0
}
