// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vmware/alb-sdk/go/session"

	"github.com/amko-project/amko/internal/avisim"
)

// Each fault acts as its action says, on the requests its match and trigger
// select, and can be installed and removed while the server runs.
func TestFaults(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	var out map[string]any
	get := func() error { return c.AviSession.Get("/api/cloud", &out) }

	t.Run("5xx", func(t *testing.T) {
		for _, status := range []int{500, 502, 503, 504} {
			id, err := sim.AddFault(avisim.Fault{Name: "5xx", Method: "GET", Path: "^/api/cloud$", Status: status, Count: 1})
			if err != nil {
				t.Fatal(err)
			}
			err = get()
			if status == 500 {
				// The SDK turns a 500 into a plain error after reading the body.
				if err == nil {
					t.Fatalf("500: no error")
				}
			} else {
				wantError(t, err, status, http.StatusText(status))
			}
			if err := get(); err != nil {
				t.Fatalf("after a count-1 fault: %v", err)
			}
			if sim.FaultHits(id) != 1 {
				t.Errorf("fault hits = %d, want 1", sim.FaultHits(id))
			}
			sim.RemoveFault(id)
		}
	})

	t.Run("409 and 412 with bodies", func(t *testing.T) {
		id, _ := sim.AddFault(avisim.Fault{Method: "POST", Path: "^/api/gslbservice$", Status: 412, Body: `{"error": "Need to reload object data GslbService"}`})
		err := c.AviSession.Post("/api/gslbservice/", gsBody("f.example.com", nil, pool(10, member{"10.0.0.1", 1, ""})), &out)
		wantError(t, err, 412, "Need to reload object data GslbService")
		sim.RemoveFault(id)
		id, _ = sim.AddFault(avisim.Fault{Method: "PUT", Status: 409, Body: `{"error": "Gslb service with this Name and Tenant ref already exists."}`})
		err = c.AviSession.Put("/api/cloud/x", map[string]any{}, &out)
		wantError(t, err, 409, "already exists")
		sim.RemoveFault(id)
	})

	t.Run("401 ends the session", func(t *testing.T) {
		id, _ := sim.AddFault(avisim.Fault{Path: "^/api/cloud$", Status: 401, Nth: 1})
		before := sim.Sessions()
		wantError(t, get(), 401, "Unauthorized")
		if err := get(); err != nil {
			t.Fatalf("after re-login: %v", err)
		}
		if sim.Sessions() != before {
			t.Errorf("sessions %d → %d: the faulted session should be gone and one new", before, sim.Sessions())
		}
		sim.RemoveFault(id)
	})

	t.Run("latency", func(t *testing.T) {
		id, _ := sim.AddFault(avisim.Fault{Path: "^/api/cloud$", Latency: 150 * time.Millisecond, Count: 1})
		t0 := time.Now()
		if err := get(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(t0); d < 150*time.Millisecond {
			t.Errorf("request took %v, want at least the injected 150ms", d)
		}
		sim.RemoveFault(id)
		// Past the client's timeout the SDK reports a network error.
		slow, _ := sim.AddFault(avisim.Fault{Path: "^/api/cloud$", Latency: 2 * time.Second, Count: 1})
		short := amkoClient(t, host, "admin", session.SetTimeout(200*time.Millisecond))
		err := short.AviSession.Get("/api/cloud", &out)
		var ae session.AviError
		if err == nil || errors.As(err, &ae) {
			t.Errorf("timeout: got %v, want a network error", err)
		}
		sim.RemoveFault(slow)
	})

	t.Run("dropped connection", func(t *testing.T) {
		// Every match drops: Go's client retries an idempotent request once on a
		// reused connection that closed without an answer.
		id, _ := sim.AddFault(avisim.Fault{Name: "drop", Path: "^/api/cloud$", Drop: true})
		err := get()
		var ae session.AviError
		if err == nil || errors.As(err, &ae) {
			t.Errorf("drop: got %v, want a network error", err)
		}
		last := sim.Journal()[len(sim.Journal())-1]
		if last.Status != -1 || last.Fault != "drop" {
			t.Errorf("journal of a dropped request = %+v", last)
		}
		sim.RemoveFault(id)
		if err := get(); err != nil {
			t.Errorf("after removing the fault: %v", err)
		}
	})

	t.Run("malformed body", func(t *testing.T) {
		id, _ := sim.AddFault(avisim.Fault{Path: "^/api/cloud$", Malformed: true, Count: 1})
		if err := get(); err == nil {
			t.Error("malformed body decoded without error")
		}
		sim.RemoveFault(id)
	})

	t.Run("probability", func(t *testing.T) {
		id, _ := sim.AddFault(avisim.Fault{Method: "GET", Path: "^/api/tenant$", Status: 503, Probability: 0.5})
		failed := 0
		for range 200 {
			if err := c.AviSession.Get("/api/tenant", &out); err != nil {
				failed++
			}
		}
		if failed != sim.FaultHits(id) || failed < 60 || failed > 140 {
			t.Errorf("%d of 200 failed (%d hits), want about half", failed, sim.FaultHits(id))
		}
		sim.ClearFaults()
	})

	t.Run("tenant match", func(t *testing.T) {
		id, _ := sim.AddFault(avisim.Fault{Tenant: "*", Path: "^/api/", Status: 503})
		if err := get(); err != nil {
			t.Errorf("admin request hit a tenant-* fault: %v", err)
		}
		all := amkoClient(t, host, "*")
		wantError(t, all.AviSession.Get("/api/cloud", &out), 503, "Service Unavailable")
		sim.RemoveFault(id)
	})

	if _, err := sim.AddFault(avisim.Fault{Path: "("}); err == nil || !strings.Contains(err.Error(), "fault path") {
		t.Errorf("bad path pattern: %v", err)
	}
	if _, err := sim.AddFault(avisim.Fault{Path: "x"}); err == nil {
		t.Error("a fault without action was accepted")
	}
}

// The journal records every request with its method, normalised and raw path,
// tenant, version, user agent, session user and status, in order.
func TestJournal(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	sim.ClearJournal()
	var out map[string]any
	_ = c.AviSession.Post("/api/healthmonitor/", hmBody("amko--j"), &out)
	_ = c.AviSession.Post("/api/healthmonitor/", hmBody("amko--j"), &out)
	_ = c.AviSession.Get("/api/healthmonitor?name=amko--j", &out)
	j := sim.Journal()
	if len(j) != 3 {
		t.Fatalf("journal has %d entries, want 3: %+v", len(j), j)
	}
	first := j[0]
	if first.Method != "POST" || first.Path != "/api/healthmonitor" || first.RawPath != "//api/healthmonitor/" ||
		first.Tenant != "admin" || first.Version != "31.1.1" || first.UserAgent != "AMKO" || first.User != "admin" || first.Status != 201 ||
		!strings.Contains(first.Body, `"amko--j"`) || first.Time.IsZero() {
		t.Errorf("first entry = %+v", first)
	}
	if j[1].Status != 409 || j[2].Query != "name=amko--j" || j[2].Status != 200 {
		t.Errorf("entries = %+v", j[1:])
	}
	if w := sim.Writes(); len(w) != 2 {
		t.Errorf("writes = %d, want 2", len(w))
	}
	if !j[1].Time.After(first.Time) && !j[1].Time.Equal(first.Time) {
		t.Errorf("journal out of order")
	}
}

// A snapshot restores every object, uuids and _last_modified included.
func TestSnapshotRestore(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	var gs map[string]any
	if err := c.AviSession.Post("/api/gslbservice/", gsBody("snap.example.com", nil, pool(10, member{"10.0.0.1", 4, ""})), &gs); err != nil {
		t.Fatal(err)
	}
	snap, err := sim.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AviSession.Delete("/api/gslbservice/" + gs["uuid"].(string)); err != nil {
		t.Fatal(err)
	}
	if err := sim.Restore(snap); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := c.AviSession.Get("/api/gslbservice/"+gs["uuid"].(string), &got); err != nil {
		t.Fatalf("restored GS: %v", err)
	}
	if got["_last_modified"] != gs["_last_modified"] || got["name"] != "snap.example.com" {
		t.Errorf("restored = %v, want %v", got, gs)
	}
	// Writes after a restore keep _last_modified growing and names unique.
	wantError(t, c.AviSession.Post("/api/gslbservice/", gsBody("snap.example.com", nil, pool(10, member{"10.0.0.1", 4, ""})), &got), 409, "already exists")
	if err := sim.Restore([]byte("{")); err == nil {
		t.Error("a broken snapshot was restored")
	}
}
