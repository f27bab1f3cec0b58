// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vmware/alb-sdk/go/clients"
	"github.com/vmware/alb-sdk/go/session"

	"github.com/amko-project/amko/internal/avisim"
)

// rawClient talks HTTP to the emulator without the SDK, to see exact answers.
func rawClient() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

func do(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := rawClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func newRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// Login sets the CSRF token and both session cookies in one answer with a JSON
// body carrying the version; bad credentials get 401 "Invalid credentials".
func TestLogin(t *testing.T) {
	_, host := start(t, avisim.Options{})
	status, body, hdr := do(t, newRequest(t, "POST", "https://"+host+"/login", `{"username":"admin","password":"avi123"}`))
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	cookies := map[string]string{}
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		cookies[c.Name] = c.Value
	}
	if cookies["csrftoken"] == "" || cookies["sessionid"] == "" || cookies["sessionid"] != cookies["avi-sessionid"] {
		t.Errorf("cookies = %v, want csrftoken and equal sessionid/avi-sessionid", cookies)
	}
	var login map[string]any
	if err := json.Unmarshal([]byte(body), &login); err != nil {
		t.Fatal(err)
	}
	if login["version"].(map[string]any)["Version"] != "31.1.1" {
		t.Errorf("login version = %v", login["version"])
	}

	// Form-encoded, as the Python SDK posts it.
	form := newRequest(t, "POST", "https://"+host+"/login", "username=admin&password=avi123")
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, body, _ := do(t, form); status != 200 {
		t.Errorf("form login: %d %s", status, body)
	}

	_, err := clients.NewAviClient(host, "admin", session.SetPassword("wrong"), session.SetInsecure,
		session.DisableControllerStatusCheckOnFailure(true))
	wantError(t, err, 401, "Invalid credentials")
}

// An expired session gets a 401 without "Invalid credentials"; the SDK logs in
// again by itself, and with AMKO's settings returns the 401 once, then works.
func TestExpiredSessionRelogin(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	var out map[string]any
	if err := c.AviSession.Get("/api/cloud", &out); err != nil {
		t.Fatal(err)
	}
	if n := sim.ExpireSessions(); n != 1 {
		t.Fatalf("expired %d sessions, want 1", n)
	}
	sim.ClearJournal()
	err := c.AviSession.Get("/api/cloud", &out)
	status, msg := aviError(t, err)
	if status != 401 || strings.Contains(msg, "Invalid credentials") {
		t.Fatalf("expired session: %d %q, want 401 without Invalid credentials", status, msg)
	}
	if err := c.AviSession.Get("/api/cloud", &out); err != nil {
		t.Fatalf("after the SDK's re-login: %v", err)
	}
	var paths []string
	for _, e := range sim.Journal() {
		paths = append(paths, e.Method+" "+e.Path+" "+http.StatusText(e.Status))
	}
	want := []string{"GET /api/cloud Unauthorized", "POST /login OK", "GET /api/cloud OK"}
	if strings.Join(paths, ", ") != strings.Join(want, ", ") {
		t.Errorf("journal = %v, want %v", paths, want)
	}

	// With the SDK's default settings it retries the original request itself.
	def, err := clients.NewAviClient(host, "admin", session.SetPassword("avi123"), session.SetInsecure,
		session.SetVersion("31.1.1"), session.SetTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	sim.ExpireSessions()
	if err := def.AviSession.Get("/api/cloud", &out); err != nil {
		t.Fatalf("default SDK after expiry: %v", err)
	}
}

// Unsafe requests need the session's CSRF token; the refusal is plain text.
func TestCSRF(t *testing.T) {
	_, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	_ = c
	status, body, hdr := do(t, newRequest(t, "POST", "https://"+host+"/login", `{"username":"admin","password":"avi123"}`))
	if status != 200 {
		t.Fatal(body)
	}
	req := newRequest(t, "POST", "https://"+host+"/api/healthmonitor", `{"name":"x","type":"HEALTH_MONITOR_PING"}`)
	for _, ck := range (&http.Response{Header: hdr}).Cookies() {
		req.AddCookie(ck)
	}
	status, body, _ = do(t, req)
	if status != 401 || body != "CSRF token missing or incorrect." {
		t.Errorf("POST without X-CSRFToken: %d %q", status, body)
	}
	get := newRequest(t, "GET", "https://"+host+"/api/healthmonitor", "")
	for _, ck := range (&http.Response{Header: hdr}).Cookies() {
		get.AddCookie(ck)
	}
	if status, body, _ := do(t, get); status != 200 {
		t.Errorf("GET without X-CSRFToken: %d %s, want 200", status, body)
	}
	if status, body, _ := do(t, newRequest(t, "GET", "https://"+host+"/api/healthmonitor", "")); status != 401 || !strings.Contains(body, `"error"`) {
		t.Errorf("GET without a session: %d %s, want 401 with an error body", status, body)
	}
}

// The SDK's paths are routed however they are written: "//api/...", a trailing
// slash, an absolute next link used as a path. No redirects.
func TestPathNormalisation(t *testing.T) {
	_, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	for _, uri := range []string{"api/cloud", "/api/cloud", "/api/cloud/", "//api//cloud", "https://" + host + "/api/cloud"} {
		var out map[string]any
		if err := c.AviSession.Get(uri, &out); err != nil || out["count"] != float64(1) {
			t.Errorf("GET %q: %v %v", uri, out["count"], err)
		}
	}
	var created map[string]any
	if err := c.AviSession.Post("//api//healthmonitor/", hmBody("amko--slashes"), &created); err != nil {
		t.Errorf("POST //api//healthmonitor/: %v", err)
	}
	// Unauthenticated endpoints.
	if status, body, _ := do(t, newRequest(t, "GET", "https://"+host+"//api/cluster/status", "")); status != 200 {
		t.Errorf("cluster/status: %d %s", status, body)
	}
	status, body, _ := do(t, newRequest(t, "GET", "https://"+host+"/api/initial-data", ""))
	if status != 200 || !strings.Contains(body, `"Version":"31.1.1"`) {
		t.Errorf("initial-data: %d %s", status, body)
	}
}

// X-Avi-Version newer than the controller is refused; an older one is served
// without the fields introduced after it; version checks can be relaxed.
func TestVersions(t *testing.T) {
	_, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin", session.SetVersion("31.2.1"))
	if err := session.SetVersion("31.2.1")(c.AviSession); err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	wantError(t, c.AviSession.Get("/api/cloud", &out), 400, "Invalid version 31.2.1")

	cur := amkoClient(t, host, "admin")
	var gs map[string]any
	body := gsBody("v.example.com", nil, pool(10, member{"10.0.0.1", 1, ""}))
	if err := cur.AviSession.Post("/api/gslbservice", body, &gs); err != nil {
		t.Fatal(err)
	}
	if gs["record_type"] != "GSLB_SERVICE_RECORD_TYPE_A_AAAA_CNAME" {
		t.Errorf("record_type at 31.1.1 = %v, want the default", gs["record_type"])
	}
	old := amkoClient(t, host, "admin")
	if err := session.SetVersion("22.1.2")(old.AviSession); err != nil {
		t.Fatal(err)
	}
	var oldView map[string]any
	if err := old.AviSession.Get("/api/gslbservice/"+gs["uuid"].(string), &oldView); err != nil {
		t.Fatal(err)
	}
	if _, ok := oldView["record_type"]; ok || oldView["site_persistence_enabled"] != false {
		t.Errorf("at 22.1.2: record_type (31.1.1) %v shown, or site_persistence_enabled %v missing", oldView["record_type"], oldView["site_persistence_enabled"])
	}
	// A field newer than the request's version.
	body = hmBody("amko--gated")
	if err := session.SetVersion("20.1.1")(old.AviSession); err != nil {
		t.Fatal(err)
	}
	wantError(t, old.AviSession.Post("/api/healthmonitor", body, &out), 400,
		"Incoming request (v20_1_1) has field (markers) introduced in later versions(v20_1_5).")

	relaxed, rhost := start(t, avisim.Options{Strict: avisim.Strictness{CSRFCheck: true}})
	_ = relaxed
	lax := amkoClient(t, rhost, "admin")
	if err := session.SetVersion("20.1.1")(lax.AviSession); err != nil {
		t.Fatal(err)
	}
	if err := lax.AviSession.Post("/api/healthmonitor", body, &out); err != nil {
		t.Errorf("with field gating off: %v", err)
	}
}

// Every error answer has a non-empty body: AMKO dereferences the message.
func TestErrorBodiesNeverEmpty(t *testing.T) {
	_, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	var out map[string]any
	for _, call := range []func() error{
		func() error { return c.AviSession.Get("/api/nosuchkind", &out) },
		func() error { return c.AviSession.Get("/api/gslbservice/gslbservice-missing", &out) },
		func() error { return c.AviSession.Post("/api/gslbservice", map[string]any{"name": 1}, &out) },
		func() error { return c.AviSession.Delete("/api/healthmonitor/healthmonitor-missing") },
		func() error { return c.AviSession.Put("/api/cloud/none", map[string]any{}, &out) },
		func() error { return c.AviSession.Post("/api/gslbservice", "not an object", &out) },
	} {
		err := call()
		if err == nil {
			t.Fatal("call succeeded, want an error")
		}
		if _, msg := aviError(t, err); msg == "" {
			t.Errorf("%v: empty message", err)
		}
	}
}

// The strictness knobs switch their checks: Referer (off by default) and the
// version check.
func TestStrictnessKnobs(t *testing.T) {
	_, host := start(t, avisim.Options{Strict: avisim.Strictness{CSRFCheck: true, RefererCheck: true}})
	c := amkoClient(t, host, "admin")
	var out map[string]any
	if err := c.AviSession.Post("/api/healthmonitor", hmBody("amko--referer"), &out); err != nil {
		t.Errorf("the SDK sends a Referer of this host: %v", err)
	}
	status, body, hdr := do(t, newRequest(t, "POST", "https://"+host+"/login", `{"username":"admin","password":"avi123"}`))
	if status != 200 {
		t.Fatal(body)
	}
	req := newRequest(t, "DELETE", "https://"+host+"/api/healthmonitor/x", "")
	for _, ck := range (&http.Response{Header: hdr}).Cookies() {
		req.AddCookie(ck)
		if ck.Name == "csrftoken" {
			req.Header.Set("X-CSRFToken", ck.Value)
		}
	}
	if status, body, _ := do(t, req); status != 403 || !strings.Contains(body, "Referer checking failed") {
		t.Errorf("DELETE without Referer: %d %s", status, body)
	}

	_, lax := start(t, avisim.Options{Strict: avisim.Strictness{CSRFCheck: true}})
	newer := amkoClient(t, lax, "admin")
	if err := session.SetVersion("31.2.1")(newer.AviSession); err != nil {
		t.Fatal(err)
	}
	if err := newer.AviSession.Get("/api/cloud", &out); err != nil {
		t.Errorf("newer version with the version check off: %v", err)
	}
}
