// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import "strings"

// Table maps query names to services. It is immutable after NewTable and
// safe for concurrent use.
//
// Lookup matches exactly (case-insensitive, trailing dot ignored) on any
// DomainNames entry first; otherwise, among services with WildcardMatch, the
// longest domain name d such that the query name ends with "."+d wins
// (avi-api.md §4.1).
type Table struct {
	services []*Service
	exact    map[string]*Service
	wildcard map[string]*Service // only services with WildcardMatch
}

// NewTable indexes services. When several services claim the same name the
// first one in the slice wins, so results do not depend on map order. Nil
// entries are ignored.
func NewTable(services []*Service) *Table {
	t := &Table{
		exact:    make(map[string]*Service),
		wildcard: make(map[string]*Service),
	}
	for _, s := range services {
		if s == nil {
			continue
		}
		t.services = append(t.services, s)
		for _, d := range s.DomainNames {
			d = canonicalName(d)
			if d == "" {
				continue
			}
			if _, dup := t.exact[d]; !dup {
				t.exact[d] = s
			}
			if _, dup := t.wildcard[d]; s.WildcardMatch && !dup {
				t.wildcard[d] = s
			}
		}
	}
	return t
}

// Lookup returns the service answering name, or nil.
func (t *Table) Lookup(name string) *Service {
	if t == nil {
		return nil
	}
	name = canonicalName(name)
	if name == "" {
		return nil
	}
	if s, ok := t.exact[name]; ok {
		return s
	}
	// Strip one leading label at a time: the first suffix found is the
	// longest wildcard domain under which the name falls.
	for rest := name; ; {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
		if s, ok := t.wildcard[rest]; ok {
			return s
		}
	}
}

// Services returns the indexed services in the order given to NewTable.
func (t *Table) Services() []*Service {
	if t == nil {
		return nil
	}
	return append([]*Service(nil), t.services...)
}

// canonicalName lower-cases a DNS name and drops one trailing dot.
func canonicalName(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}
