// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package schema

// FillDefaults sets the swagger default of every absent (or null) field that was
// introduced at or before v, in obj and, at every depth, in its present
// sub-objects and list items. Number defaults are json.Number, as in a body
// decoded with UseNumber. Values of the wrong type are left alone for Validate
// to refuse.
func (k *Kind) FillDefaults(obj map[string]any, v Version) {
	if obj != nil {
		fillDefaults(k.root, obj, v)
	}
}

func fillDefaults(o *object, m map[string]any, v Version) {
	for _, n := range o.order {
		p := o.props[n]
		if !p.AvailableIn(v) {
			continue
		}
		x := m[n]
		if x == nil {
			if p.Default != nil {
				m[n] = p.Default // strings, bools and json.Number are immutable
			}
			continue
		}
		if p.obj != nil {
			eachObject(p, x, func(sub map[string]any) { fillDefaults(p.obj, sub, v) })
		}
	}
}

// Strip removes the fields introduced after v, at every depth, for rendering a
// response at the request's version. Fields unknown to the schema are kept.
func (k *Kind) Strip(obj map[string]any, v Version) {
	strip(k.root, obj, v)
}

func strip(o *object, m map[string]any, v Version) {
	for n, x := range m {
		p := o.props[n]
		switch {
		case p == nil:
		case !p.AvailableIn(v):
			delete(m, n)
		case p.obj != nil:
			eachObject(p, x, func(sub map[string]any) { strip(p.obj, sub, v) })
		}
	}
}

// eachObject calls fn for the value x of p if p is an object field, or for each
// item of x if p is a list of objects; values of the wrong type are skipped.
func eachObject(p *prop, x any, fn func(map[string]any)) {
	switch t := x.(type) {
	case map[string]any:
		if p.Type == "object" {
			fn(t)
		}
	case []any:
		if p.Type != "array" {
			return
		}
		for _, it := range t {
			if m, ok := it.(map[string]any); ok {
				fn(m)
			}
		}
	}
}
