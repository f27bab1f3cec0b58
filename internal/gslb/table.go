// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import (
	"bytes"
	"strings"
)

// Table maps query names to services. It is immutable after NewTable and
// safe for concurrent use.
//
// Lookup matches exactly (case-insensitive, trailing dot ignored) on any
// DomainNames entry first; otherwise, among services with WildcardMatch, the
// longest domain name d such that the query name ends with "."+d wins
// (avi-api.md §4.1).
type Table struct {
	services []*Service
	exact    map[string]int32 // index in services
	wildcard map[string]int32 // only services with WildcardMatch
}

// NewTable indexes services. When several services claim the same name the
// first one in the slice wins, so results do not depend on map order. Nil
// entries are ignored.
func NewTable(services []*Service) *Table {
	t := &Table{
		exact:    make(map[string]int32),
		wildcard: make(map[string]int32),
	}
	for _, s := range services {
		if s == nil {
			continue
		}
		i := int32(len(t.services))
		t.services = append(t.services, s)
		for _, d := range s.DomainNames {
			d = canonicalName(d)
			if d == "" {
				continue
			}
			if _, dup := t.exact[d]; !dup {
				t.exact[d] = i
			}
			if _, dup := t.wildcard[d]; s.WildcardMatch && !dup {
				t.wildcard[d] = i
			}
		}
	}
	return t
}

// Lookup returns the service answering name, or nil.
func (t *Table) Lookup(name string) *Service {
	if i := t.Index(name); i >= 0 {
		return t.services[i]
	}
	return nil
}

// Index returns the position of the service answering name in Services, or -1.
func (t *Table) Index(name string) int {
	if t == nil {
		return -1
	}
	name = canonicalName(name)
	if name == "" {
		return -1
	}
	if i, ok := t.exact[name]; ok {
		return int(i)
	}
	// Strip one leading label at a time: the first suffix found is the
	// longest wildcard domain under which the name falls.
	for rest := name; ; {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return -1
		}
		rest = rest[i+1:]
		if s, ok := t.wildcard[rest]; ok {
			return int(s)
		}
	}
}

// IndexBytes is Index for a name already in canonical form (lower case, no
// trailing dot), without allocating: a DNS server's hot path.
func (t *Table) IndexBytes(name []byte) int {
	if t == nil || len(name) == 0 {
		return -1
	}
	if i, ok := t.exact[string(name)]; ok {
		return int(i)
	}
	for rest := name; ; {
		i := bytes.IndexByte(rest, '.')
		if i < 0 {
			return -1
		}
		rest = rest[i+1:]
		if s, ok := t.wildcard[string(rest)]; ok {
			return int(s)
		}
	}
}

// Len is the number of services indexed.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.services)
}

// Service returns the service at position i of Services.
func (t *Table) Service(i int) *Service { return t.services[i] }

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
