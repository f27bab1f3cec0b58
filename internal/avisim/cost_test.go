// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/amko-project/amko/internal/avisim"
)

// handler drives a Server's ServeHTTP directly with one logged-in session, so
// that a benchmark measures the emulator's own work, not TLS or the SDK.
type handler struct {
	sim     *avisim.Server
	cookies []*http.Cookie
	csrf    string
}

func newHandler(tb testing.TB, sim *avisim.Server) *handler {
	tb.Helper()
	w := httptest.NewRecorder()
	sim.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "https://avisim/login",
		strings.NewReader(`{"username": "admin", "password": "avi123"}`)))
	if w.Code != http.StatusOK {
		tb.Fatalf("login: %d %s", w.Code, w.Body)
	}
	h := &handler{sim: sim, cookies: w.Result().Cookies()}
	for _, c := range h.cookies {
		if c.Name == "csrftoken" {
			h.csrf = c.Value
		}
	}
	return h
}

// do sends one request and returns the status and the decoded answer.
func (h *handler) do(tb testing.TB, method, path string, body any) (int, map[string]any) {
	tb.Helper()
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			tb.Fatal(err)
		}
	}
	r := httptest.NewRequest(method, "https://avisim"+path, &buf)
	for _, c := range h.cookies {
		r.AddCookie(c)
	}
	r.Header.Set("X-CSRFToken", h.csrf)
	r.Header.Set("X-Avi-Version", "31.1.1")
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.sim.ServeHTTP(w, r)
	var out map[string]any
	if w.Body.Len() > 0 {
		_ = json.Unmarshal(w.Body.Bytes(), &out)
	}
	return w.Code, out
}

// holdPairs seeds n GSLB services, each with its own health monitor, as amko
// keeps them after a cold sync.
func holdPairs(tb testing.TB, sim *avisim.Server, n int) {
	tb.Helper()
	for i := range n {
		hm := fmt.Sprintf("amko--held-%d", i)
		if _, err := sim.Seed("healthmonitor", "", hmBody(hm)); err != nil {
			tb.Fatal(err)
		}
		gs := gsBody(fmt.Sprintf("held-%d.example.com", i), []string{hm}, pool(10, member{ip: "10.1.0.1", ratio: 1}))
		if _, err := sim.Seed("gslbservice", "", gs); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkRequestCost measures the emulator's cost per write while it holds
// 1,000 or 10,000 services (each with a monitor): one op creates a monitor and
// a service referring to it, then deletes both, as amko's cold sync and
// garbage collection do. The cost per request must not grow with the objects
// held: uniqueness, domain and reference checks go through indexes.
func BenchmarkRequestCost(b *testing.B) {
	for _, held := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("held=%d", held), func(b *testing.B) {
			sim, err := avisim.New(avisim.Options{JournalLimit: 1000})
			if err != nil {
				b.Fatal(err)
			}
			holdPairs(b, sim, held)
			h := newHandler(b, sim)
			i := 0
			for b.Loop() {
				i++
				hm := fmt.Sprintf("amko--new-%d", i)
				code, out := h.do(b, http.MethodPost, "/api/healthmonitor", hmBody(hm))
				if code != http.StatusCreated {
					b.Fatalf("create monitor: %d %v", code, out)
				}
				hmUUID := out["uuid"].(string)
				gs := gsBody(fmt.Sprintf("new-%d.example.com", i), []string{hm}, pool(10, member{ip: "10.2.0.1", ratio: 1}))
				code, out = h.do(b, http.MethodPost, "/api/gslbservice", gs)
				if code != http.StatusCreated {
					b.Fatalf("create service: %d %v", code, out)
				}
				if code, out = h.do(b, http.MethodDelete, "/api/gslbservice/"+out["uuid"].(string), nil); code != http.StatusNoContent {
					b.Fatalf("delete service: %d %v", code, out)
				}
				if code, out = h.do(b, http.MethodDelete, "/api/healthmonitor/"+hmUUID, nil); code != http.StatusNoContent {
					b.Fatalf("delete monitor: %d %v", code, out)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(4*b.N), "µs/write")
		})
	}
}

// The indexes that replaced scans follow every write: a reference or domain
// an update drops frees its target at once, one it adds holds it, a delete
// frees everything, and a restored snapshot is indexed as well.
func TestIndexesFollowWrites(t *testing.T) {
	sim, err := avisim.New(avisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, sim)
	want := func(what string, code, wantCode int, out map[string]any, substr string) {
		t.Helper()
		msg, _ := out["error"].(string)
		if code != wantCode || !strings.Contains(msg, substr) {
			t.Fatalf("%s: %d %q, want %d containing %q", what, code, msg, wantCode, substr)
		}
	}
	uuidOf := func(kind, name string) string { return sim.Object(kind, name)["uuid"].(string) }
	for _, hm := range []string{"amko--hm1", "amko--hm2"} {
		code, out := h.do(t, http.MethodPost, "/api/healthmonitor", hmBody(hm))
		want("create "+hm, code, http.StatusCreated, out, "")
	}
	gs := gsBody("a.example.com", []string{"amko--hm1"}, pool(10, member{ip: "10.0.0.1", ratio: 1}))
	code, out := h.do(t, http.MethodPost, "/api/gslbservice", gs)
	want("create service", code, http.StatusCreated, out, "")
	gsUUID := out["uuid"].(string)

	code, out = h.do(t, http.MethodDelete, "/api/healthmonitor/"+uuidOf("healthmonitor", "amko--hm1"), nil)
	want("delete a referred monitor", code, http.StatusForbidden, out, "referred by: ['GslbService a.example.com']")
	code, out = h.do(t, http.MethodPost, "/api/gslbservice", gsBody("other.example.com", nil, pool(10, member{ip: "10.0.0.2", ratio: 1})))
	want("a second service", code, http.StatusCreated, out, "")
	otherUUID := out["uuid"].(string)
	other := gsBody("other.example.com", nil, pool(10, member{ip: "10.0.0.2", ratio: 1}))
	other["domain_names"] = []any{"A.Example.COM."}
	code, out = h.do(t, http.MethodPut, "/api/gslbservice/"+otherUUID, other)
	want("a held domain, in another case", code, http.StatusBadRequest, out, "domain name conflicting with existing domain name a.example.com of Gslb service a.example.com")

	// The service moves to hm2 and domain b: hm1 and domain a are free, hm2 is held.
	gs["health_monitor_refs"] = []any{"/api/healthmonitor?name=amko--hm2"}
	gs["domain_names"] = []any{"b.example.com"}
	code, out = h.do(t, http.MethodPut, "/api/gslbservice/"+gsUUID, gs)
	want("update service", code, http.StatusOK, out, "")
	code, out = h.do(t, http.MethodPut, "/api/gslbservice/"+otherUUID, other)
	want("the freed domain", code, http.StatusOK, out, "")
	code, out = h.do(t, http.MethodDelete, "/api/healthmonitor/"+uuidOf("healthmonitor", "amko--hm1"), nil)
	want("delete the freed monitor", code, http.StatusNoContent, out, "")
	code, out = h.do(t, http.MethodDelete, "/api/healthmonitor/"+uuidOf("healthmonitor", "amko--hm2"), nil)
	want("delete the newly referred monitor", code, http.StatusForbidden, out, "referred by: ['GslbService a.example.com']")
	code, out = h.do(t, http.MethodGet, "/api/gslbservice?refers_to=healthmonitor:"+uuidOf("healthmonitor", "amko--hm2"), nil)
	if code != http.StatusOK || out["count"] != 1.0 {
		t.Fatalf("refers_to hm2: %d %v, want the one service", code, out)
	}

	// A restored snapshot keeps its references.
	snap, err := sim.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Restore(snap); err != nil {
		t.Fatal(err)
	}
	code, out = h.do(t, http.MethodDelete, "/api/healthmonitor/"+uuidOf("healthmonitor", "amko--hm2"), nil)
	want("delete a referred monitor after a restore", code, http.StatusForbidden, out, "referred by")
	code, out = h.do(t, http.MethodPost, "/api/gslbservice", gsBody("b.example.com", nil, pool(10, member{ip: "10.0.0.3", ratio: 1})))
	want("a held domain after a restore", code, http.StatusBadRequest, out, "conflicting")

	// A tenant is held by the objects in it.
	if _, err := sim.Seed("tenant", "", map[string]any{"name": "team-a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Seed("healthmonitor", "team-a", hmBody("amko--team")); err != nil {
		t.Fatal(err)
	}
	code, out = h.do(t, http.MethodDelete, "/api/tenant/"+uuidOf("tenant", "team-a"), nil)
	want("delete a tenant in use", code, http.StatusForbidden, out, "referred by: ['HealthMonitor amko--team']")

	// Deleting the service frees hm2 and domain b.
	code, out = h.do(t, http.MethodDelete, "/api/gslbservice/"+gsUUID, nil)
	want("delete service", code, http.StatusNoContent, out, "")
	code, out = h.do(t, http.MethodDelete, "/api/healthmonitor/"+uuidOf("healthmonitor", "amko--hm2"), nil)
	want("delete the freed monitor", code, http.StatusNoContent, out, "")
	code, out = h.do(t, http.MethodPost, "/api/gslbservice", gsBody("b.example.com", nil, pool(10, member{ip: "10.0.0.3", ratio: 1})))
	want("the freed domain", code, http.StatusCreated, out, "")
}
