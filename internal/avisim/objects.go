// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avisim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/amko-project/amko/internal/avisim/schema"
)

// Fields every object carries that the store keeps outside Data.
var identityFields = []string{"uuid", "url", "_last_modified", "tenant_ref"}

// List parameters that are not equality filters (avi-api.md §2.3).
var listParams = map[string]bool{
	"include_name": true, "page": true, "page_size": true, "fields": true, "skip_default": true,
	"join_subresources": true, "refers_to": true, "referred_by": true, "tenant": true, "sort": true,
}

func notFound(kind *schema.Kind) string { return kind.Definition + " object not found" }

// verboseName is Django's verbose name of a model, as the controller's messages use
// it: GslbService → "Gslb service", PKIProfile → "Pki profile".
func verboseName(definition string) string {
	var words []string
	runes := []rune(definition)
	start := 0
	for i := 1; i <= len(runes); i++ {
		boundary := i == len(runes) ||
			(unicode.IsUpper(runes[i]) && (unicode.IsLower(runes[i-1]) ||
				(i+1 < len(runes) && unicode.IsLower(runes[i+1]))))
		if boundary {
			words = append(words, strings.ToLower(string(runes[start:i])))
			start = i
		}
	}
	s := strings.Join(words, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// scoped reports whether objects of kind belong to a tenant.
func scoped(kind *schema.Kind) bool { return kind.Field("tenant_ref") != nil }

// refURL renders a reference: https://<host>/api/<kind>/<uuid>[#name].
func (s *Server) refURL(kind, uuid, host string, names bool) string {
	u := "https://" + host + refPath(kind, uuid)
	if names {
		if o := s.store.get(kind, uuid); o != nil {
			u += "#" + o.name()
		}
	}
	return u
}

// render returns o as the API shows it at the request's version.
func (s *Server) render(o *object, req *request, names bool) map[string]any {
	kind := s.registry.Kind(o.Kind)
	out := deepCopy(o.Data).(map[string]any)
	kind.Strip(out, req.version)
	for _, rf := range s.refFields(kind) {
		_ = visit(out, rf.Path, rf.List, func(v any) (any, error) {
			if k, id, ok := parseRefPath(fmt.Sprint(v)); ok {
				return s.refURL(k, id, req.host, names), nil
			}
			return v, nil
		})
	}
	out["uuid"] = o.UUID
	out["url"] = s.refURL(o.Kind, o.UUID, req.host, names)
	out["_last_modified"] = formatModified(o.Modified)
	if o.Tenant != "" {
		out["tenant_ref"] = s.refURL("tenant", o.Tenant, req.host, names)
	}
	if o.Kind == "gslb" {
		// Site passwords are write-only.
		_ = visit(out, "sites[].password", false, func(any) (any, error) { return "<sensitive>", nil })
	}
	if fields := req.query.Get("fields"); fields != "" {
		keep := map[string]bool{"name": true, "url": true, "uuid": true}
		for _, f := range strings.Split(fields, ",") {
			keep[strings.TrimSpace(f)] = true
		}
		for k := range out {
			if !keep[k] {
				delete(out, k)
			}
		}
	}
	if v := req.query.Get("skip_default"); v == "true" || v == "True" {
		for k, val := range out {
			if f := kind.Field(k); f != nil && f.Default != nil && fmt.Sprint(f.Default) == fmt.Sprint(val) {
				delete(out, k)
			}
		}
	}
	return out
}

// refFields are the kind's reference fields other than tenant_ref, which the
// store keeps as the object's tenant. Computed once per kind in New.
func (s *Server) refFields(kind *schema.Kind) []schema.RefField {
	return s.refs[kind.Name]
}

// refFieldsOf computes what refFields returns for every kind of the registry.
func refFieldsOf(registry *schema.Registry) map[string][]schema.RefField {
	out := map[string][]schema.RefField{}
	for _, kind := range registry.Kinds() {
		var refs []schema.RefField
		for _, rf := range kind.RefFields() {
			if rf.Path != "tenant_ref" {
				refs = append(refs, rf)
			}
		}
		out[kind.Name] = refs
	}
	return out
}

// objectRefs lists the stored references o holds, its tenant's included, for
// the store's reference index.
func (s *Server) objectRefs(o *object) []string {
	var refs []string
	if o.Tenant != "" {
		refs = append(refs, refPath("tenant", o.Tenant))
	}
	kind := s.registry.Kind(o.Kind)
	if kind == nil {
		return refs
	}
	for _, rf := range s.refFields(kind) {
		_ = visit(o.Data, rf.Path, rf.List, func(v any) (any, error) {
			if ref, ok := v.(string); ok && !slices.Contains(refs, ref) {
				refs = append(refs, ref)
			}
			return v, nil
		})
	}
	return refs
}

func (s *Server) getCluster(req *request) {
	objs := s.store.list("cluster")
	if len(objs) == 0 {
		writeError(req.w, http.StatusNotFound, "Cluster object not found")
		return
	}
	writeJSON(req.w, http.StatusOK, s.render(objs[0], req, s.withNames(req)))
}

// list answers a collection GET: filters, pages with an absolute next link that
// keeps every filter (AMKO requests the part after /api/<kind> verbatim).
func (s *Server) list(req *request, kind *schema.Kind) {
	var matched []*object
	for _, o := range s.store.list(kind.Name) {
		if s.visible(req, o) && s.matches(req, kind, o) {
			matched = append(matched, o)
		}
	}
	size := s.opts.PageSize
	if v := req.query.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(req.w, http.StatusBadRequest, "Invalid page_size "+v)
			return
		}
		size = min(n, s.opts.MaxPageSize)
	}
	page := 1
	if v := req.query.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(req.w, http.StatusBadRequest, "Invalid page "+v)
			return
		}
		page = n
	}
	from := min((page-1)*size, len(matched))
	to := min(from+size, len(matched))
	results := make([]any, 0, to-from)
	names := s.withNames(req)
	for _, o := range matched[from:to] {
		results = append(results, s.render(o, req, names))
	}
	resp := map[string]any{"count": len(matched), "results": results}
	if to < len(matched) {
		q := url.Values{}
		for k, v := range req.query {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(page+1))
		q.Set("page_size", strconv.Itoa(size))
		resp["next"] = "https://" + req.host + "/api/" + kind.Name + "?" + q.Encode()
	}
	writeJSON(req.w, http.StatusOK, resp)
}

// matches applies the list's equality filters to o.
func (s *Server) matches(req *request, kind *schema.Kind, o *object) bool {
	for param, values := range req.query {
		if listParams[param] {
			continue
		}
		for _, want := range values {
			if !s.fieldEquals(kind, o, param, want) {
				return false
			}
		}
	}
	if v := req.query.Get("refers_to"); v != "" {
		target := strings.Replace(v, ":", "/", 1)
		if !s.refersTo(o, "/api/"+target) {
			return false
		}
	}
	if v := req.query.Get("referred_by"); v != "" {
		k, id, _ := strings.Cut(v, ":")
		by := s.store.get(k, id)
		if by == nil || !s.refersTo(by, refPath(o.Kind, o.UUID)) {
			return false
		}
	}
	return true
}

// fieldEquals compares a top-level field (or "<x>_ref.name"/".uuid") with a filter
// value; unknown parameters do not filter.
func (s *Server) fieldEquals(kind *schema.Kind, o *object, param, want string) bool {
	if field, sub, ok := strings.Cut(param, "."); ok && (sub == "name" || sub == "uuid") && strings.HasSuffix(field, "_ref") {
		k, id, ok := parseRefPath(fmt.Sprint(o.Data[field]))
		if !ok {
			return false
		}
		if sub == "uuid" {
			return id == want
		}
		target := s.store.get(k, id)
		return target != nil && target.name() == want
	}
	if param == "uuid" {
		return o.UUID == want
	}
	if kind.Field(param) == nil {
		return true
	}
	v, ok := o.Data[param]
	if !ok {
		return false
	}
	return fmt.Sprint(v) == want
}

// refersTo reports whether o holds the stored reference ref (its tenant's
// included), by the store's reference index.
func (s *Server) refersTo(o *object, ref string) bool {
	return s.store.holds(o, ref)
}

// decode parses a JSON request body keeping numbers exact.
func decode(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON object")
	}
	if m == nil {
		return nil, fmt.Errorf("the body must be a JSON object")
	}
	return m, nil
}

func (s *Server) create(req *request, kind *schema.Kind) {
	data, err := decode(req.body)
	if err != nil {
		writeError(req.w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return
	}
	o, status := s.prepare(req, kind, data, nil)
	if status != 0 {
		return
	}
	s.store.put(o, s.opts.Now())
	s.afterWrite(o)
	out := s.render(o, req, true)
	req.w.Header().Set("Location", out["url"].(string))
	writeJSON(req.w, http.StatusCreated, out)
}

func (s *Server) replace(req *request, kind *schema.Kind, existing *object) {
	data, err := decode(req.body)
	if err != nil {
		writeError(req.w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return
	}
	s.write(req, kind, data, existing)
}

func (s *Server) write(req *request, kind *schema.Kind, data map[string]any, existing *object) {
	o, status := s.prepare(req, kind, data, existing)
	if status != 0 {
		return
	}
	s.store.put(o, s.opts.Now())
	s.afterWrite(o)
	writeJSON(req.w, http.StatusOK, s.render(o, req, true))
}

// patch applies {"add"|"replace"|"delete": {...}} to the stored object, then
// validates the result like a PUT.
func (s *Server) patch(req *request, kind *schema.Kind, existing *object) {
	body, err := decode(req.body)
	if err != nil {
		writeError(req.w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return
	}
	data := deepCopy(existing.Data).(map[string]any)
	for op, v := range body {
		fields, ok := v.(map[string]any)
		if !ok {
			writeError(req.w, http.StatusBadRequest, "PATCH operation "+op+" needs an object")
			return
		}
		switch op {
		case "add":
			for k, val := range fields {
				if cur, ok := data[k].([]any); ok {
					if items, ok := val.([]any); ok {
						data[k] = append(cur, items...)
						continue
					}
				}
				data[k] = val
			}
		case "replace":
			for k, val := range fields {
				data[k] = val
			}
		case "delete", "remove":
			for k, val := range fields {
				cur, isList := data[k].([]any)
				items, hasItems := val.([]any)
				if !isList || !hasItems {
					delete(data, k)
					continue
				}
				var kept []any
				for _, c := range cur {
					drop := false
					for _, it := range items {
						if fmt.Sprint(c) == fmt.Sprint(it) {
							drop = true
						}
					}
					if !drop {
						kept = append(kept, c)
					}
				}
				data[k] = kept
			}
		default:
			writeError(req.w, http.StatusBadRequest, "Unknown PATCH operation "+op+": use add, replace or delete")
			return
		}
	}
	s.write(req, kind, data, existing)
}

// prepare turns a request body into the object to store, or writes the refusal and
// returns its status. existing is nil for a POST.
func (s *Server) prepare(req *request, kind *schema.Kind, data map[string]any, existing *object) (*object, int) {
	dropNulls(data)
	o := &object{Kind: kind.Name}
	if existing != nil {
		o.UUID, o.Seq, o.Tenant = existing.UUID, existing.Seq, existing.Tenant
	} else {
		o.UUID = s.store.newUUID(kind.Name)
		if id, ok := data["uuid"].(string); ok && id != "" {
			if s.store.get(kind.Name, id) != nil {
				return nil, writeError(req.w, http.StatusConflict, verboseName(kind.Definition)+" with this Uuid already exists.")
			}
			o.UUID = id
		}
		if scoped(kind) {
			o.Tenant = req.tenant
		}
	}
	if ref, ok := data["tenant_ref"].(string); ok && scoped(kind) {
		t, err := s.resolve("tenant", ref, req.tenant)
		if err != nil {
			return nil, writeError(req.w, http.StatusBadRequest, "tenant_ref: "+err.Error())
		}
		o.Tenant = t.UUID
	}
	for _, f := range identityFields {
		delete(data, f)
	}

	fillDefaults(kind, data, req.version)
	if err := kind.Validate(data, req.version, s.opts.Strict.FieldVersionGate); err != nil {
		return nil, writeError(req.w, http.StatusBadRequest, err.Error())
	}
	for k := range data {
		if f := kind.Field(k); f != nil && f.ReadOnly {
			delete(data, k)
		}
	}
	for _, rf := range s.refFields(kind) {
		err := visit(data, rf.Path, rf.List, func(v any) (any, error) {
			ref, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%s: a reference must be a string", rf.Path)
			}
			target, err := s.resolve(rf.Target, ref, o.Tenant)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rf.Path, err)
			}
			return refPath(target.Kind, target.UUID), nil
		})
		if err != nil {
			return nil, writeError(req.w, http.StatusBadRequest, err.Error())
		}
	}
	o.Data = data

	if status := s.checkWritable(req, kind, o, existing); status != 0 {
		return nil, status
	}
	tenant := ""
	if scoped(kind) {
		tenant = o.Tenant
	}
	if dup := s.store.byName(kind.Name, tenant, o.name()); dup != nil && dup.UUID != o.UUID {
		msg := verboseName(kind.Definition) + " with this Name and Tenant ref already exists."
		if !scoped(kind) {
			msg = verboseName(kind.Definition) + " with this Name already exists."
		}
		return nil, writeError(req.w, http.StatusConflict, msg)
	}
	if status := s.checkRules(req, kind, o); status != 0 {
		return nil, status
	}
	return o, 0
}

// resolve finds the object a reference names. A reference is parsed by its path
// and query only: /api/<kind>/<uuid>, /api/<kind>?name=<n> or /api/<kind>/?name=<n>,
// with any scheme and host (AMKO sends an empty one). Names are looked up in tenant,
// then in admin. The refusal texts are inferences (avi-api.md §6).
func (s *Server) resolve(target, ref, tenant string) (*object, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("invalid reference %q", ref)
	}
	path := normalisePath(u.Path)
	rest, ok := strings.CutPrefix(path, "/api/")
	if !ok {
		return nil, fmt.Errorf("invalid reference %q", ref)
	}
	kind, id, _ := strings.Cut(rest, "/")
	if kind != target {
		return nil, fmt.Errorf("reference %q is not of type %s", ref, target)
	}
	if id != "" {
		if o := s.store.get(kind, id); o != nil {
			return o, nil
		}
		return nil, refusal("Cannot find object of type %s with uuid %s", kind, id)
	}
	name := u.Query().Get("name")
	if name == "" {
		return nil, fmt.Errorf("invalid reference %q: no uuid or name", ref)
	}
	targetKind := s.registry.Kind(kind)
	if targetKind == nil {
		return nil, fmt.Errorf("unknown object type %s", kind)
	}
	if !scoped(targetKind) {
		if o := s.store.byName(kind, "", name); o != nil {
			return o, nil
		}
	} else {
		if o := s.store.byName(kind, tenant, name); o != nil {
			return o, nil
		}
		if s.opts.Strict.AdminFallback {
			if o := s.store.byName(kind, "admin", name); o != nil {
				return o, nil
			}
		}
	}
	return nil, refusal("Cannot find object of type %s with name %s", kind, name)
}

func (s *Server) delete(req *request, kind *schema.Kind, o *object) {
	if strings.HasPrefix(o.name(), "System-") || (kind.Name == "tenant" && o.UUID == "admin") {
		writeError(req.w, http.StatusForbidden, "Cannot delete system default object "+o.name())
		return
	}
	if status := s.checkWritable(req, kind, o, o); status != 0 {
		return
	}
	if by := s.referrers(o); len(by) > 0 {
		writeError(req.w, http.StatusForbidden, "Cannot delete, object is referred by: ['"+strings.Join(by, "', '")+"']")
		return
	}
	s.store.remove(o)
	s.afterWrite(o)
	req.w.WriteHeader(http.StatusNoContent)
}

// referrers names the objects that refer to o, as "<Definition> <name>".
func (s *Server) referrers(o *object) []string {
	var by []string
	for _, other := range s.store.referring(refPath(o.Kind, o.UUID)) {
		if other != o {
			by = append(by, s.registry.Kind(other.Kind).Definition+" "+other.name())
		}
	}
	sort.Strings(by)
	return by
}

// afterWrite keeps derived state in step with the store.
func (s *Server) afterWrite(o *object) {
	if o.Kind == "gslbservice" {
		// Its round-robin state is forgotten before the next answer (dnsView):
		// a walk of every state per write would make writes cost as much as
		// the names ever answered.
		s.dnsReset[o.name()] = true
	}
	if s.opts.OnWrite != nil {
		if snap, err := s.snapshotLocked(); err == nil {
			s.opts.OnWrite(snap)
		}
	}
}

// visit applies fn to every value at path ("groups[].members[].ip" style) in obj;
// with list, the value at path is a list and fn applies to each item. fn's result
// replaces the value. Missing parts of the path are skipped.
func visit(obj map[string]any, path string, list bool, fn func(any) (any, error)) error {
	head, rest, more := strings.Cut(path, ".")
	name, isList := strings.CutSuffix(head, "[]")
	v, ok := obj[name]
	if !ok {
		return nil
	}
	if !more {
		if list {
			items, ok := v.([]any)
			if !ok {
				return nil
			}
			for i, it := range items {
				nv, err := fn(it)
				if err != nil {
					return err
				}
				items[i] = nv
			}
			return nil
		}
		nv, err := fn(v)
		if err != nil {
			return err
		}
		obj[name] = nv
		return nil
	}
	if isList {
		items, _ := v.([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if err := visit(m, rest, list, fn); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if m, ok := v.(map[string]any); ok {
		return visit(m, rest, list, fn)
	}
	return nil
}

// dropNulls removes JSON nulls at every depth: the SDK marshals unset required
// fields as null, which the controller treats as absent.
func dropNulls(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropNulls(t)
		case []any:
			for _, it := range t {
				if im, ok := it.(map[string]any); ok {
					dropNulls(im)
				}
			}
		}
	}
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, val := range t {
			m[k] = deepCopy(val)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, val := range t {
			l[i] = deepCopy(val)
		}
		return l
	default:
		return v
	}
}
