// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed swagger/*.json
var swaggerFS embed.FS

// Registry holds the object kinds parsed from the embedded swagger files.
type Registry struct {
	kinds map[string]*Kind // by URL name
}

// Kind is one object type of the API.
type Kind struct {
	Name       string // URL name, "gslbservice"
	Definition string // "GslbService"
	root       *object
	refs       []RefField
	fields     []*Field // every field path, sorted
}

// RefField is a field holding references: its JSON path (e.g. "health_monitor_refs",
// "groups[].members[].some_ref", "sites[].x_ref"), the target kind's URL name
// (lowercased definition name, e.g. "healthmonitor"), and whether it is a list.
type RefField struct {
	Path   string
	Target string
	List   bool
}

// Field is the schema facts of one field.
type Field struct {
	Path       string // "groups[].members[].ratio"; "[]" marks an array step
	Type       string // swagger type: string, integer, number, boolean, array, object ($ref)
	Format     string // uint32, int32, uint64, int64, float; for arrays the items' format
	Definition string // object fields and arrays of objects: the definition, e.g. "GslbPool"
	ItemType   string // arrays: the items' type (object for a $ref)
	Enum       []string
	Min, Max   *int64 // integer "Allowed values" range (for arrays: of each item)
	// MinFloat and MaxFloat hold the range of number fields ("-90.0-+90.0"); they
	// are also set for integer ranges.
	MinFloat, MaxFloat *float64
	Special            []int64   // values accepted outside [Min, Max]
	Introduced         *Version  // earliest "Field introduced in" version; nil if always present
	IntroducedIn       []Version // every listed version, ascending (back-ports first)
	ReadOnly           bool      // accepted on input and ignored
	Required           bool      // listed in the definition's required
	Default            any       // swagger default: string, bool or json.Number
	RefTarget          string    // URL name of the referenced kind, e.g. "healthmonitor"
	MinItems, MaxItems int       // 0 when not stated
}

// AvailableIn reports whether the field exists at API version v. A back-port list
// "18.2.8, 20.1.1" means 18.2.8 and later 18.2 releases, and 20.1.1 onwards.
func (f *Field) AvailableIn(v Version) bool { return availableIn(f.IntroducedIn, v) }

// object is one swagger definition.
type object struct {
	name  string
	props map[string]*prop
	order []string // property names, sorted, for deterministic walks and errors
}

// prop is one property of a definition: its facts (Path empty) and the parsed
// pieces Validate needs.
type prop struct {
	Field
	obj     *object // definition of an object field or of an array's items
	enumSet map[string]bool
}

// Swagger document shapes; only what the files use.
type swaggerFile struct {
	Paths       map[string]json.RawMessage `json:"paths"`
	Definitions map[string]swaggerDef      `json:"definitions"`
}

type swaggerDef struct {
	Properties map[string]swaggerProp `json:"properties"`
	Required   []string               `json:"required"`
}

type swaggerProp struct {
	Type        string       `json:"type"`
	Format      string       `json:"format"`
	Ref         string       `json:"$ref"`
	Items       *swaggerProp `json:"items"`
	Default     any          `json:"default"`
	ReadOnly    bool         `json:"readOnly"`
	Description string       `json:"description"`
}

// Load parses the embedded swagger files.
func Load() (*Registry, error) {
	files, err := fs.Glob(swaggerFS, "swagger/*.json")
	if err != nil {
		return nil, fmt.Errorf("schema: listing swagger files: %w", err)
	}
	r := &Registry{kinds: make(map[string]*Kind, len(files))}
	for _, file := range files {
		data, err := swaggerFS.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("schema: reading %s: %w", file, err)
		}
		k, err := parseKind(strings.TrimSuffix(path.Base(file), ".json"), data)
		if err != nil {
			return nil, fmt.Errorf("schema: %s: %w", file, err)
		}
		if r.kinds[k.Name] != nil {
			return nil, fmt.Errorf("schema: %s: kind %s defined twice", file, k.Name)
		}
		r.kinds[k.Name] = k
	}
	return r, nil
}

// Kind returns the kind with URL name name ("gslbservice"), or nil.
func (r *Registry) Kind(name string) *Kind { return r.kinds[name] }

// Kinds returns every kind, sorted by name.
func (r *Registry) Kinds() []*Kind {
	out := make([]*Kind, 0, len(r.kinds))
	for _, k := range r.kinds {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b *Kind) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// parseKind builds the kind whose top-level definition is named def.
func parseKind(def string, data []byte) (*Kind, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // defaults as json.Number, like request bodies
	var doc swaggerFile
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	name, err := collectionName(doc.Paths)
	if err != nil {
		return nil, err
	}
	if name != strings.ToLower(def) {
		return nil, fmt.Errorf("collection path /%s does not match definition %s", name, def)
	}

	// Create every definition first so that $refs resolve in any order.
	objs := make(map[string]*object, len(doc.Definitions))
	for n := range doc.Definitions {
		objs[n] = &object{name: n, props: map[string]*prop{}}
	}
	for n, d := range doc.Definitions {
		o := objs[n]
		for pn, sp := range d.Properties {
			p, err := parseProp(sp, objs)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", n, pn, err)
			}
			o.props[pn] = p
			o.order = append(o.order, pn)
		}
		for _, rq := range d.Required {
			p := o.props[rq]
			if p == nil {
				return nil, fmt.Errorf("%s: required field %s is not a property", n, rq)
			}
			p.Required = true
		}
		slices.Sort(o.order)
	}
	root := objs[def]
	if root == nil {
		return nil, fmt.Errorf("no definition %s", def)
	}
	k := &Kind{Name: name, Definition: def, root: root}
	k.index()
	return k, nil
}

// collectionName finds the collection path ("/gslbservice") among the paths.
func collectionName(paths map[string]json.RawMessage) (string, error) {
	var names []string
	for p := range paths {
		if rest, ok := strings.CutPrefix(p, "/"); ok && rest != "" && !strings.ContainsAny(rest, "/{") {
			names = append(names, rest)
		}
	}
	if len(names) != 1 {
		return "", fmt.Errorf("want one collection path, found %q", names)
	}
	return names[0], nil
}

// parseProp reads one property; objs resolves its $ref.
func parseProp(sp swaggerProp, objs map[string]*object) (*prop, error) {
	p := &prop{}
	p.Type, p.Format, p.ReadOnly = sp.Type, sp.Format, sp.ReadOnly
	resolve := func(ref string) (*object, error) {
		n, ok := strings.CutPrefix(ref, "#/definitions/")
		if o := objs[n]; ok && o != nil {
			return o, nil
		}
		return nil, fmt.Errorf("unresolvable $ref %q", ref)
	}
	scalar := p.Type // the type constraints apply to: the field's or its items'
	switch {
	case sp.Ref != "":
		o, err := resolve(sp.Ref)
		if err != nil {
			return nil, err
		}
		p.Type, p.obj, p.Definition = "object", o, o.name
		scalar = "object"
	case p.Type == "array":
		if sp.Items == nil {
			return nil, fmt.Errorf("array without items")
		}
		if sp.Items.Ref != "" {
			o, err := resolve(sp.Items.Ref)
			if err != nil {
				return nil, err
			}
			p.ItemType, p.obj, p.Definition = "object", o, o.name
		} else {
			p.ItemType = sp.Items.Type
			if sp.Items.Format != "" {
				p.Format = sp.Items.Format
			}
		}
		scalar = p.ItemType
	}
	switch scalar {
	case "string", "integer", "number", "boolean", "object":
	default:
		return nil, fmt.Errorf("unsupported type %q", scalar)
	}

	f, err := parseDescription(sp.Description, scalar == "integer")
	if err != nil {
		return nil, err
	}
	p.Min, p.Max, p.MinFloat, p.MaxFloat, p.Special = f.min, f.max, f.minFloat, f.maxFloat, f.special
	p.Enum, p.MinItems, p.MaxItems = f.enum, f.minItems, f.maxItems
	if len(f.introduced) > 0 {
		p.IntroducedIn = f.introduced
		first := f.introduced[0]
		p.Introduced = &first
	}
	if f.refTarget != "" {
		p.RefTarget = strings.ToLower(f.refTarget)
	}
	if len(p.Enum) > 0 {
		p.enumSet = make(map[string]bool, len(p.Enum))
		for _, e := range p.Enum {
			p.enumSet[e] = true
		}
	}
	p.Default = sp.Default
	if p.Default == nil && p.Type == "boolean" && f.enterpriseDefault != nil {
		p.Default = *f.enterpriseDefault
	}
	if err := checkDefault(p); err != nil {
		return nil, err
	}
	return p, nil
}

// checkDefault makes sure a default would pass validation, so FillDefaults never
// produces a body Validate refuses.
func checkDefault(p *prop) error {
	if p.Default == nil {
		return nil
	}
	if p.Type == "array" || p.Type == "object" {
		return fmt.Errorf("default %v on a %s", p.Default, p.Type)
	}
	if e := checkScalar(p, p.Type, p.Default, "default"); e != nil {
		return fmt.Errorf("bad default: %s", e.Message)
	}
	return nil
}

// index computes the kind's field list and reference fields.
func (k *Kind) index() {
	var walk func(o *object, prefix string, stack []*object)
	walk = func(o *object, prefix string, stack []*object) {
		if slices.Contains(stack, o) {
			return // recursive definition: stop (none in 31.2.1, but do not loop)
		}
		stack = append(stack, o)
		for _, n := range o.order {
			p := o.props[n]
			fp := prefix + n
			k.fields = append(k.fields, p.at(fp))
			if p.RefTarget != "" {
				k.refs = append(k.refs, RefField{Path: fp, Target: p.RefTarget, List: p.Type == "array"})
			}
			if p.obj != nil {
				step := fp + "."
				if p.Type == "array" {
					step = fp + "[]."
				}
				walk(p.obj, step, stack)
			}
		}
	}
	walk(k.root, "", nil)
	slices.SortFunc(k.fields, func(a, b *Field) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(k.refs, func(a, b RefField) int { return strings.Compare(a.Path, b.Path) })
}

// at returns a copy of the field's facts at path p.
func (p *prop) at(path string) *Field {
	f := p.Field.clone()
	f.Path = path
	return f
}

// clone returns a deep copy, so that callers cannot change the registry.
func (f *Field) clone() *Field {
	c := *f
	c.Enum = slices.Clone(f.Enum)
	c.Special = slices.Clone(f.Special)
	c.IntroducedIn = slices.Clone(f.IntroducedIn)
	c.Introduced = clonePtr(f.Introduced)
	c.Min, c.Max = clonePtr(f.Min), clonePtr(f.Max)
	c.MinFloat, c.MaxFloat = clonePtr(f.MinFloat), clonePtr(f.MaxFloat)
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// RefFields returns the kind's reference fields, sorted by path.
func (k *Kind) RefFields() []RefField { return slices.Clone(k.refs) }

// Fields returns the facts of every field of the kind at every depth, sorted by path.
func (k *Kind) Fields() []*Field {
	out := make([]*Field, len(k.fields))
	for i, f := range k.fields {
		out[i] = f.clone()
	}
	return out
}

// Field returns the schema facts of a dotted path ("groups[].members[].ratio";
// "groups[0].members[1].ratio" and "groups.members.ratio" work too), or nil if the
// path is unknown.
func (k *Kind) Field(path string) *Field {
	o := k.root
	var norm []string
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		name, _, indexed := strings.Cut(seg, "[")
		if o == nil {
			return nil
		}
		p := o.props[name]
		if p == nil || (indexed && p.Type != "array") {
			return nil
		}
		if p.Type == "array" {
			name += "[]"
		}
		norm = append(norm, name)
		if i == len(segs)-1 {
			return p.at(strings.TrimSuffix(strings.Join(norm, "."), "[]"))
		}
		o = p.obj
	}
	return nil
}
