// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// object is one stored controller object. Data is the canonical JSON object as
// stored: defaults filled, references as "/api/<kind>/<uuid>", no uuid/url/
// _last_modified/tenant_ref (those are rendered from the fields here). A stored
// object is never changed: a write stores a new one.
type object struct {
	Kind     string         `json:"kind"`
	UUID     string         `json:"uuid"`
	Tenant   string         `json:"tenant,omitempty"` // tenant uuid; empty for global kinds
	Seq      uint64         `json:"seq"`
	Modified int64          `json:"modified"` // microseconds since the epoch
	Data     map[string]any `json:"data"`

	// refs are the stored references the object holds (its tenant's
	// included), as indexed when it was stored.
	refs []string
}

func (o *object) name() string {
	n, _ := o.Data["name"].(string)
	return n
}

// objKey names a stored object.
type objKey struct{ kind, uuid string }

// store holds every object by kind and uuid, with the indexes that keep every
// request's cost independent of the number of objects held: names, creation
// order, GSLB service domains and references (who refers to whom). The
// Server's mutex guards it.
type store struct {
	objects map[string]map[string]*object
	names   map[string]map[string]string // kind → tenant "/" name → uuid
	// order holds each kind's objects by creation sequence number.
	order map[string][]*object
	// domains maps a GSLB service domain (lower case, no final dot) to the
	// services that hold it.
	domains map[string]map[string]struct{}
	// referrers maps a stored reference "/api/<kind>/<uuid>" to the objects
	// holding it.
	referrers map[string]map[objKey]struct{}
	// refsOf lists the references an object holds (the Server's schema knows
	// where they are).
	refsOf func(*object) []string

	seq           uint64 // last creation sequence number
	version       uint64 // bumped on every write
	lastModified  int64
	deterministic bool
	uuidCounter   uint64
}

func newStore(deterministic bool, refsOf func(*object) []string) *store {
	return &store{objects: map[string]map[string]*object{}, names: map[string]map[string]string{},
		order: map[string][]*object{}, domains: map[string]map[string]struct{}{},
		referrers: map[string]map[objKey]struct{}{}, refsOf: refsOf, deterministic: deterministic}
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

// list returns the objects of kind in creation order. The slice is the
// store's own: callers must not change it, nor keep it past the lock.
func (st *store) list(kind string) []*object {
	return st.order[kind]
}

// position is where the object of sequence number seq is, or would be, in
// the kind's creation order.
func (st *store) position(kind string, seq uint64) int {
	i, _ := slices.BinarySearchFunc(st.order[kind], seq, func(o *object, seq uint64) int { return cmp.Compare(o.Seq, seq) })
	return i
}

func (st *store) put(o *object, now time.Time) {
	if st.objects[o.Kind] == nil {
		st.objects[o.Kind] = map[string]*object{}
		st.names[o.Kind] = map[string]string{}
	}
	old := st.objects[o.Kind][o.UUID]
	if old != nil {
		delete(st.names[o.Kind], old.Tenant+"/"+old.name())
		st.unindex(old)
	}
	st.names[o.Kind][o.Tenant+"/"+o.name()] = o.UUID
	if o.Seq == 0 {
		st.seq++
		o.Seq = st.seq
	}
	o.Modified = st.touch(now)
	st.objects[o.Kind][o.UUID] = o
	if old != nil {
		st.unorder(old)
	}
	// Mostly an append: new objects have the highest sequence number.
	i := st.position(o.Kind, o.Seq)
	st.order[o.Kind] = slices.Insert(st.order[o.Kind], i, o)
	st.index(o)
	st.version++
}

func (st *store) remove(o *object) {
	delete(st.objects[o.Kind], o.UUID)
	delete(st.names[o.Kind], o.Tenant+"/"+o.name())
	st.unorder(o)
	st.unindex(o)
	st.version++
}

// unorder takes o out of its kind's creation order.
func (st *store) unorder(o *object) {
	order := st.order[o.Kind]
	if i := st.position(o.Kind, o.Seq); i < len(order) && order[i].UUID == o.UUID {
		st.order[o.Kind] = slices.Delete(order, i, i+1)
	}
}

// index records o's domains and references.
func (st *store) index(o *object) {
	if o.Kind == "gslbservice" {
		for _, d := range stringList(o.Data["domain_names"]) {
			d = domainKey(d)
			if st.domains[d] == nil {
				st.domains[d] = map[string]struct{}{}
			}
			st.domains[d][o.UUID] = struct{}{}
		}
	}
	if st.refsOf != nil {
		o.refs = st.refsOf(o)
	}
	k := objKey{o.Kind, o.UUID}
	for _, ref := range o.refs {
		if st.referrers[ref] == nil {
			st.referrers[ref] = map[objKey]struct{}{}
		}
		st.referrers[ref][k] = struct{}{}
	}
}

// unindex forgets what index recorded for o.
func (st *store) unindex(o *object) {
	if o.Kind == "gslbservice" {
		for _, d := range stringList(o.Data["domain_names"]) {
			d = domainKey(d)
			delete(st.domains[d], o.UUID)
			if len(st.domains[d]) == 0 {
				delete(st.domains, d)
			}
		}
	}
	k := objKey{o.Kind, o.UUID}
	for _, ref := range o.refs {
		delete(st.referrers[ref], k)
		if len(st.referrers[ref]) == 0 {
			delete(st.referrers, ref)
		}
	}
}

// domainHolders returns the GSLB services that hold domain, in creation order.
func (st *store) domainHolders(domain string) []*object {
	var out []*object
	for uuid := range st.domains[domainKey(domain)] {
		if o := st.get("gslbservice", uuid); o != nil {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b *object) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// referring returns the objects holding the stored reference ref.
func (st *store) referring(ref string) []*object {
	var out []*object
	for k := range st.referrers[ref] {
		if o := st.get(k.kind, k.uuid); o != nil {
			out = append(out, o)
		}
	}
	return out
}

// holds reports whether o holds the stored reference ref.
func (st *store) holds(o *object, ref string) bool {
	_, ok := st.referrers[ref][objKey{o.Kind, o.UUID}]
	return ok
}

// domainKey is the form domains are compared in: lower case, no final dot.
func domainKey(d string) string { return strings.ToLower(strings.TrimSuffix(d, ".")) }

// all returns every object, by kind then creation order.
func (st *store) all() []*object {
	kinds := make([]string, 0, len(st.objects))
	for k := range st.objects {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var out []*object
	for _, k := range kinds {
		out = append(out, st.order[k]...)
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
