// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/amko-project/amko/internal/avisim"
)

// FuzzRequest sends arbitrary methods, paths, headers and bodies through an
// authenticated session. The emulator must never panic, must answer every
// request, must give every refusal a non-empty body, and must answer successful
// reads with JSON.
func FuzzRequest(f *testing.F) {
	sim, err := avisim.New(avisim.Options{})
	if err != nil {
		f.Fatal(err)
	}
	login := httptest.NewRequest("POST", "https://avisim/login", strings.NewReader(`{"username":"admin","password":"avi123"}`))
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, login)
	cookies := rec.Result().Cookies()
	csrf := ""
	for _, c := range cookies {
		if c.Name == "csrftoken" {
			csrf = c.Value
		}
	}

	f.Add("GET", "//api/healthmonitor/", "include_name=&is_federated=true&page_size=2", "", "admin", "31.1.1")
	f.Add("POST", "/api/gslbservice", "", `{"name":"a.example.com","domain_names":["a.example.com"],"groups":[{"name":"p","algorithm":"GSLB_ALGORITHM_ROUND_ROBIN","members":[{"ip":{"addr":"10.0.0.1","type":"V4"}}]}]}`, "admin", "31.1.1")
	f.Add("PUT", "/https://h:1/api/gslb/x", "", `{"name":null}`, "*", "20.1.1")
	f.Add("PATCH", "/api/healthmonitor/healthmonitor-1", "", `{"add":{"x":[1]}}`, "admin", "")
	f.Add("DELETE", "/api/tenant/admin", "", "", "", "99")
	f.Add("GET", "/api/gslbservice", "page=0&page_size=-1&fields=,,&refers_to=a:b", "", "admin", "31.1.1")
	f.Fuzz(func(t *testing.T, method, path, query, body, tenant, version string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path+query, " \t\r\n#?") {
			return
		}
		req, err := http.NewRequest(method, "https://avisim"+path+"?"+query, strings.NewReader(body))
		if err != nil {
			return
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		req.Header.Set("X-CSRFToken", csrf)
		req.Header.Set("X-Avi-Tenant", tenant)
		req.Header.Set("X-Avi-Version", version)
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		status, out := rec.Code, rec.Body.Bytes()
		if status < 200 || status > 599 {
			t.Fatalf("%s %s: status %d", method, path, status)
		}
		if status >= 300 && len(out) == 0 {
			t.Fatalf("%s %s?%s: %d with an empty body", method, path, query, status)
		}
		if status == 200 && method == "GET" && !json.Valid(out) {
			t.Fatalf("%s %s: 200 with invalid JSON %q", method, path, out)
		}
	})
}
