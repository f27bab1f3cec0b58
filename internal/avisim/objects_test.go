// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/vmware/alb-sdk/go/models"

	"github.com/amko-project/amko/internal/avisim"
)

// The lifecycle AMKO drives, with its own paths ("//api/..." on the wire), bodies
// and response parsing: HM then GS created, read back with names, updated, the GS
// deleted before the HM.
func TestAMKOLifecycle(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")

	var hm map[string]any
	if err := c.AviSession.Post("/api/healthmonitor/", hmBody("amko--hm1"), &hm); err != nil {
		t.Fatalf("POST healthmonitor: %v", err)
	}
	for _, f := range []string{"url", "name", "uuid", "type", "monitor_port", "description"} {
		if hm[f] == nil {
			t.Errorf("HM response lacks %s: %v", f, hm)
		}
	}
	if !strings.HasSuffix(hm["url"].(string), "#amko--hm1") || !strings.Contains(hm["url"].(string), "/api/healthmonitor/healthmonitor-") {
		t.Errorf("HM url = %v, want /api/healthmonitor/healthmonitor-…#amko--hm1", hm["url"])
	}
	if hm["tenant_ref"] != "https://"+host+"/api/tenant/admin#admin" {
		t.Errorf("tenant_ref = %v", hm["tenant_ref"])
	}

	var gs map[string]any
	body := gsBody("app.example.com", []string{"amko--hm1"}, pool(10, member{"10.0.0.1", 8, "virtualservice-1"}))
	if err := c.AviSession.Post("/api/gslbservice/", body, &gs); err != nil {
		t.Fatalf("POST gslbservice: %v", err)
	}
	refs := gs["health_monitor_refs"].([]any)
	if len(refs) != 1 || !strings.HasSuffix(refs[0].(string), "/api/healthmonitor/"+hm["uuid"].(string)+"#amko--hm1") {
		t.Errorf("health_monitor_refs = %v, want the HM's url with #name", refs)
	}
	if gs["site_persistence_enabled"] != false || gs["_last_modified"] == nil {
		t.Errorf("GS response lacks site_persistence_enabled or _last_modified: %v", gs)
	}
	mod1 := gs["_last_modified"].(string)

	// Read back as AMKO's cache does: tenant *, include_name, created_by filter.
	all := amkoClient(t, host, "*")
	res, err := all.AviSession.GetCollectionRaw("/api/gslbservice?created_by=amko-1234&include_name=&page_size=100")
	if err != nil || res.Count != 1 {
		t.Fatalf("list: count %d err %v", res.Count, err)
	}

	// PUT the full object with another member ratio.
	body["groups"].([]any)[0].(map[string]any)["members"].([]any)[0].(map[string]any)["ratio"] = 3
	var put map[string]any
	if err := c.AviSession.Put("/api/gslbservice/"+gs["uuid"].(string), body, &put); err != nil {
		t.Fatalf("PUT gslbservice: %v", err)
	}
	member := put["groups"].([]any)[0].(map[string]any)["members"].([]any)[0].(map[string]any)
	if member["ratio"] != float64(3) {
		t.Errorf("ratio after PUT = %v, want 3", member["ratio"])
	}
	if mod2, _ := strconv.ParseInt(put["_last_modified"].(string), 10, 64); mod2 <= mustInt(t, mod1) {
		t.Errorf("_last_modified did not grow: %s then %v", mod1, put["_last_modified"])
	}

	// The HM cannot go while the GS refers to it; after the GS, it can.
	err = c.AviSession.Delete("/api/healthmonitor/" + hm["uuid"].(string))
	wantError(t, err, 403, "Cannot delete, object is referred by: ['GslbService app.example.com']")
	if err := c.AviSession.Delete("/api/gslbservice/" + gs["uuid"].(string)); err != nil {
		t.Fatalf("DELETE gslbservice: %v", err)
	}
	if err := c.AviSession.Delete("/api/healthmonitor/" + hm["uuid"].(string)); err != nil {
		t.Fatalf("DELETE healthmonitor: %v", err)
	}
	if sim.Object("gslbservice", "app.example.com") != nil || sim.Object("healthmonitor", "amko--hm1") != nil {
		t.Error("objects still stored after DELETE")
	}
	err = c.AviSession.Delete("/api/gslbservice/" + gs["uuid"].(string))
	wantError(t, err, 404, "GslbService object not found")
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The SDK's typed clients create, list, get, update, patch and delete every kind
// amko manages or reads.
func TestTypedClientsCRUD(t *testing.T) {
	_, host := start(t, avisim.Options{})
	c := amkoClient(t, host, "admin")

	name, typ, fed := "hm-typed", "HEALTH_MONITOR_TCP", true
	hm, err := c.HealthMonitor.Create(&models.HealthMonitor{Name: &name, Type: &typ, IsFederated: &fed,
		TCPMonitor: &models.HealthMonitorTCP{}})
	if err != nil {
		t.Fatalf("create HM: %v", err)
	}
	if *hm.SendInterval != 10 || *hm.ReceiveTimeout != 4 || *hm.SuccessfulChecks != 2 {
		t.Errorf("HM defaults = %d/%d/%d, want 10/4/2", *hm.SendInterval, *hm.ReceiveTimeout, *hm.SuccessfulChecks)
	}
	port := int32(8080)
	hm.MonitorPort = &port
	if hm, err = c.HealthMonitor.Update(hm); err != nil || *hm.MonitorPort != 8080 {
		t.Fatalf("update HM: %v", err)
	}
	got, err := c.HealthMonitor.GetByName("hm-typed")
	if err != nil || *got.UUID != *hm.UUID {
		t.Fatalf("get HM by name: %v", err)
	}

	gsName := "typed.example.com"
	prio, ratio := uint32(20), uint32(5)
	addr, v4 := "10.1.0.1", "V4"
	poolName, algo := "p20", "GSLB_ALGORITHM_ROUND_ROBIN"
	gs, err := c.GslbService.Create(&models.GslbService{
		Name: &gsName, DomainNames: []string{gsName},
		HealthMonitorRefs: []string{*hm.URL},
		Groups: []*models.GslbPool{{Name: &poolName, Algorithm: &algo, Priority: &prio,
			Members: []*models.GslbPoolMember{{IP: &models.IPAddr{Addr: &addr, Type: &v4}, Ratio: &ratio}}}},
	})
	if err != nil {
		t.Fatalf("create GS: %v", err)
	}
	if !*gs.Enabled || !*gs.IsFederated || *gs.PoolAlgorithm != "GSLB_SERVICE_ALGORITHM_PRIORITY" || *gs.Groups[0].Members[0].Enabled != true {
		t.Errorf("GS defaults not filled: %+v", gs)
	}
	ttl := uint32(60)
	gs.TTL = &ttl
	if gs, err = c.GslbService.Update(gs); err != nil || *gs.TTL != 60 {
		t.Fatalf("update GS: %v", err)
	}
	patched, err := c.GslbService.Patch(*gs.UUID, map[string]any{"domain_names": []string{"alias.example.com"}}, "add")
	if err != nil || len(patched.DomainNames) != 2 {
		t.Fatalf("patch add domain: %v %v", err, patched)
	}
	all, err := c.GslbService.GetAll()
	if err != nil || len(all) != 1 {
		t.Fatalf("list GS: %d %v", len(all), err)
	}
	if err := c.GslbService.Delete(*gs.UUID); err != nil {
		t.Fatal(err)
	}
	if err := c.HealthMonitor.DeleteByName("hm-typed"); err != nil {
		t.Fatal(err)
	}

	// Profiles, tenants and the read-only kinds.
	appName, appType := "gap-2", "PERSISTENCE_TYPE_GSLB_SITE"
	app, err := c.ApplicationPersistenceProfile.Create(&models.ApplicationPersistenceProfile{Name: &appName, PersistenceType: &appType, IsFederated: &fed})
	if err != nil {
		t.Fatalf("create APP: %v", err)
	}
	if err := c.ApplicationPersistenceProfile.Delete(*app.UUID); err != nil {
		t.Fatal(err)
	}
	pkiName := "pki-2"
	pki, err := c.PKIprofile.Create(&models.PKIprofile{Name: &pkiName, IsFederated: &fed})
	if err != nil {
		t.Fatalf("create PKI: %v", err)
	}
	if _, err := c.PKIprofile.GetByName("pki-2"); err != nil {
		t.Fatal(err)
	}
	if err := c.PKIprofile.Delete(*pki.UUID); err != nil {
		t.Fatal(err)
	}
	tenantName := "team-a"
	tenant, err := c.Tenant.Create(&models.Tenant{Name: &tenantName})
	if err != nil || !strings.HasPrefix(*tenant.UUID, "tenant-") {
		t.Fatalf("create tenant: %v", err)
	}
	if _, err := c.Cloud.GetByName("Default-Cloud"); err != nil {
		t.Fatalf("cloud: %v", err)
	}
	if vs, err := c.VirtualService.GetAll(); err != nil || len(vs) != 0 {
		t.Fatalf("virtualservice list: %v %v", vs, err)
	}
	gslbs, err := c.Gslb.GetAll()
	if err != nil || len(gslbs) != 1 || *gslbs[0].LeaderClusterUUID != avisim.LeaderClusterUUID {
		t.Fatalf("gslb: %v %v", gslbs, err)
	}
	if *gslbs[0].Sites[0].Password != "<sensitive>" {
		t.Errorf("site password rendered as %q", *gslbs[0].Sites[0].Password)
	}
	var cluster map[string]any
	if err := c.AviSession.Get("/api/cluster", &cluster); err != nil || cluster["uuid"] != avisim.LeaderClusterUUID {
		t.Fatalf("cluster = %v, %v; want the bare object", cluster, err)
	}
	version, err := c.AviSession.GetControllerVersion()
	if err != nil || version != "31.1.1" {
		t.Fatalf("controller version %q %v", version, err)
	}
}

// Collections: filters, fields, names in refs, and pages whose absolute next link
// keeps every filter, followed the way AMKO follows it.
func TestCollections(t *testing.T) {
	sim, host := start(t, avisim.Options{PageSize: 3})
	for i := range 7 {
		body := hmBody("amko--page" + strconv.Itoa(i))
		if i%2 == 1 {
			body["is_federated"] = false
		}
		if _, err := sim.Seed("healthmonitor", "", body); err != nil {
			t.Fatal(err)
		}
	}
	c := amkoClient(t, host, "*")

	// 4 federated amko monitors + 5 federated System-GSLB ones, in pages of 2.
	uri := "/api/healthmonitor?include_name=&is_federated=true&page_size=2"
	var names []string
	pages := 0
	for uri != "" {
		res, err := c.AviSession.GetCollectionRaw(uri)
		if err != nil {
			t.Fatalf("GET %s: %v", uri, err)
		}
		pages++
		if res.Count != 9 {
			t.Fatalf("count = %d, want 9 matching objects on every page", res.Count)
		}
		var objs []map[string]any
		mustUnmarshal(t, res.Results, &objs)
		for _, obj := range objs {
			names = append(names, obj["name"].(string))
			if !strings.Contains(obj["url"].(string), "#") {
				t.Errorf("include_name: url %v has no #name", obj["url"])
			}
		}
		uri = ""
		if res.Next != "" {
			if !strings.HasPrefix(res.Next, "https://"+host+"/api/healthmonitor?") {
				t.Fatalf("next %q is not absolute", res.Next)
			}
			next, _ := url.Parse(res.Next)
			if next.Query().Get("is_federated") != "true" || next.Query().Get("page_size") != "2" {
				t.Fatalf("next %q lost the filters", res.Next)
			}
			// AMKO requests what follows "/api/healthmonitor", adding the filter again.
			uri = "/api/healthmonitor" + strings.SplitN(res.Next, "/api/healthmonitor", 2)[1] + "&is_federated=true"
		}
	}
	if pages != 5 || len(names) != 9 {
		t.Fatalf("%d pages, %d objects; want 5 and 9", pages, len(names))
	}

	res, err := c.AviSession.GetCollectionRaw("/api/healthmonitor?name=amko--page3&fields=monitor_port")
	if err != nil || res.Count != 1 {
		t.Fatalf("name filter: %d %v", res.Count, err)
	}
	var objs []map[string]any
	mustUnmarshal(t, res.Results, &objs)
	obj := objs[0]
	if len(obj) != 4 || obj["monitor_port"] == nil || strings.Contains(obj["url"].(string), "#") {
		t.Errorf("fields=monitor_port gave %v, want name, url (no #name), uuid, monitor_port", obj)
	}
	res, err = c.AviSession.GetCollectionRaw("/api/gslbservice?name=none")
	if err != nil || res.Count != 0 || string(res.Results) != "[]" {
		t.Fatalf("empty list: %+v %v; want 200 with count 0", res, err)
	}
	res, err = c.AviSession.GetCollectionRaw("/api/healthmonitor?page=2")
	var page2 []map[string]any
	mustUnmarshal(t, res.Results, &page2)
	if err != nil || res.Count != 17 || len(page2) != 3 {
		t.Fatalf("default page size: %d results of %d, %v", len(page2), res.Count, err)
	}
}

// Objects of one tenant are invisible to another; tenant * sees all, but cannot write.
func TestTenantIsolation(t *testing.T) {
	sim, host := start(t, avisim.Options{})
	if _, err := sim.Seed("tenant", "", map[string]any{"name": "team-a"}); err != nil {
		t.Fatal(err)
	}
	a := amkoClient(t, host, "team-a")
	body := hmBody("amko--a")
	body["tenant_ref"] = "https:///api/tenant/?name=team-a"
	var hm map[string]any
	if err := a.AviSession.Post("/api/healthmonitor/", body, &hm); err != nil {
		t.Fatal(err)
	}
	admin := amkoClient(t, host, "admin")
	res, err := admin.AviSession.GetCollectionRaw("/api/healthmonitor?name=amko--a")
	if err != nil || res.Count != 0 {
		t.Fatalf("admin sees team-a's HM: count %d %v", res.Count, err)
	}
	var got map[string]any
	wantError(t, admin.AviSession.Get("/api/healthmonitor/"+hm["uuid"].(string), &got), 404, "HealthMonitor object not found")
	// The same name is free in another tenant.
	if err := admin.AviSession.Post("/api/healthmonitor/", hmBody("amko--a"), &got); err != nil {
		t.Fatalf("same name in admin: %v", err)
	}
	all := amkoClient(t, host, "*")
	res, err = all.AviSession.GetCollectionRaw("/api/healthmonitor?name=amko--a")
	if err != nil || res.Count != 2 {
		t.Fatalf("tenant * sees %d, want 2 (%v)", res.Count, err)
	}
	wantError(t, all.AviSession.Post("/api/healthmonitor/", hmBody("amko--b"), &got), 400, "read operations only")
	unknown := amkoClient(t, host, "admin")
	wantError(t, unknown.AviSession.Get("/api/healthmonitor", &got, sessionTenant("nobody")), 400, "Tenant 'nobody' does not exist!")
}
