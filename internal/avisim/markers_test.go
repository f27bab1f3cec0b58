// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim_test

import (
	"encoding/json"
	"testing"

	"github.com/vmware/alb-sdk/go/session"

	"github.com/amko-project/amko/internal/avisim"
)

// markers (RoleFilterMatchLabel, 20.1.5) on a GSLB service and a health
// monitor, as an elected amko writes its term: stored and rendered back in
// order; anything but key and values in a marker, a marker without a key,
// and markers at a version before 20.1.5 are refused as the controller does.
func TestMarkers(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")
	term := map[string]any{"key": "amko-leader-term", "values": []any{"3"}}

	hm := hmBody("amko--hm1")
	hm["markers"] = append(hm["markers"].([]any), term)
	var out map[string]any
	if err := c.AviSession.Post("/api/healthmonitor/", hm, &out); err != nil {
		t.Fatal(err)
	}
	gs := gsBody("m.example.com", []string{"amko--hm1"}, pool(10, member{"10.0.0.1", 1, "virtualservice-1"}))
	gs["markers"] = []any{term}
	if err := c.AviSession.Post("/api/gslbservice/", gs, &out); err != nil {
		t.Fatal(err)
	}
	for kind, want := range map[string]string{
		"healthmonitor": `[{"key":"created-by","values":["amko-1234"]},{"key":"amko-leader-term","values":["3"]}]`,
		"gslbservice":   `[{"key":"amko-leader-term","values":["3"]}]`,
	} {
		obj := sim.Objects(kind)
		var got string
		for _, o := range obj {
			if o["name"] == "amko--hm1" || o["name"] == "m.example.com" {
				got = mustJSON(t, o["markers"])
			}
		}
		if got != want {
			t.Errorf("%s markers %s, want %s", kind, got, want)
		}
	}

	bad := gsBody("b.example.com", nil, pool(10, member{"10.0.0.2", 1, ""}))
	bad["markers"] = []any{map[string]any{"key": "amko-leader-term", "values": []any{"3"}, "value": "3"}}
	wantError(t, c.AviSession.Post("/api/gslbservice/", bad, &out), 400, "Unknown field markers[0].value in RoleFilterMatchLabel")
	bad["markers"] = []any{map[string]any{"values": []any{"3"}}}
	wantError(t, c.AviSession.Post("/api/gslbservice/", bad, &out), 400, "markers[0].key: This field is required.")
	bad["markers"] = []any{term}
	if err := session.SetVersion("20.1.4")(c.AviSession); err != nil {
		t.Fatal(err)
	}
	wantError(t, c.AviSession.Post("/api/gslbservice/", bad, &out), 400,
		"Incoming request (v20_1_4) has field (markers) introduced in later versions(v20_1_5).")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
