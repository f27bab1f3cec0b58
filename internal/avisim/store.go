// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"crypto/rand"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// object is one stored controller object. Data is the canonical JSON object as
// stored: defaults filled, references as "/api/<kind>/<uuid>", no uuid/url/
// _last_modified/tenant_ref (those are rendered from the fields here).
type object struct {
	Kind     string         `json:"kind"`
	UUID     string         `json:"uuid"`
	Tenant   string         `json:"tenant,omitempty"` // tenant uuid; empty for global kinds
	Seq      uint64         `json:"seq"`
	Modified int64          `json:"modified"` // microseconds since the epoch
	Data     map[string]any `json:"data"`
}

func (o *object) name() string {
	n, _ := o.Data["name"].(string)
	return n
}

// store holds every object by kind and uuid. The Server's mutex guards it.
type store struct {
	objects       map[string]map[string]*object
	names         map[string]map[string]string // kind → tenant "/" name → uuid
	seq           uint64                       // last creation sequence number
	version       uint64                       // bumped on every write
	lastModified  int64
	deterministic bool
	uuidCounter   uint64
}

func newStore(deterministic bool) *store {
	return &store{objects: map[string]map[string]*object{}, names: map[string]map[string]string{}, deterministic: deterministic}
}

// newUUID returns "<kind>-<uuid4>" (tenants too: only admin is special).
func (st *store) newUUID(kind string) string {
	if st.deterministic {
		st.uuidCounter++
		return fmt.Sprintf("%s-00000000-0000-4000-8000-%012x", kind, st.uuidCounter)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", kind, b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// touch returns a _last_modified strictly greater than any before it.
func (st *store) touch(now time.Time) int64 {
	m := now.UnixMicro()
	if m <= st.lastModified {
		m = st.lastModified + 1
	}
	st.lastModified = m
	return m
}

func (st *store) get(kind, uuid string) *object {
	return st.objects[kind][uuid]
}

// byName finds an object of kind by name in tenant ("" for global kinds).
func (st *store) byName(kind, tenant, name string) *object {
	uuid, ok := st.names[kind][tenant+"/"+name]
	if !ok {
		return nil
	}
	return st.objects[kind][uuid]
}

// list returns the objects of kind in creation order.
func (st *store) list(kind string) []*object {
	out := make([]*object, 0, len(st.objects[kind]))
	for _, o := range st.objects[kind] {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

func (st *store) put(o *object, now time.Time) {
	if st.objects[o.Kind] == nil {
		st.objects[o.Kind] = map[string]*object{}
		st.names[o.Kind] = map[string]string{}
	}
	if old := st.objects[o.Kind][o.UUID]; old != nil {
		delete(st.names[o.Kind], old.Tenant+"/"+old.name())
	}
	st.names[o.Kind][o.Tenant+"/"+o.name()] = o.UUID
	if o.Seq == 0 {
		st.seq++
		o.Seq = st.seq
	}
	o.Modified = st.touch(now)
	st.objects[o.Kind][o.UUID] = o
	st.version++
}

func (st *store) remove(o *object) {
	delete(st.objects[o.Kind], o.UUID)
	delete(st.names[o.Kind], o.Tenant+"/"+o.name())
	st.version++
}

// all returns every object, by kind then creation order.
func (st *store) all() []*object {
	kinds := make([]string, 0, len(st.objects))
	for k := range st.objects {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var out []*object
	for _, k := range kinds {
		out = append(out, st.list(k)...)
	}
	return out
}

// refPath is the canonical stored form of a reference.
func refPath(kind, uuid string) string { return "/api/" + kind + "/" + uuid }

// parseRefPath splits a stored reference into kind and uuid.
func parseRefPath(ref string) (kind, uuid string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "/api/")
	if !ok {
		return "", "", false
	}
	kind, uuid, ok = strings.Cut(rest, "/")
	return kind, uuid, ok && uuid != ""
}

func formatModified(m int64) string { return strconv.FormatInt(m, 10) }
