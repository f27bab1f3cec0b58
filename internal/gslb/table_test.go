// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package gslb

import "testing"

func TestTableLookup(t *testing.T) {
	named := func(name string, wildcard bool, domains ...string) *Service {
		return &Service{Name: name, DomainNames: domains, Enabled: true, WildcardMatch: wildcard}
	}
	services := []*Service{
		named("app", false, "app.example.com", "alias.example.org."),
		named("foo", true, "foo.com"),
		named("test", true, "Test.Foo.com"),
		named("bar", false, "bar.foo.com"),
		named("dup", false, "app.example.com"), // loses to "app", listed first
		nil,
	}
	tab := NewTable(services)
	tests := []struct {
		query string
		want  string // service name, "" for none
	}{
		{"app.example.com", "app"},
		{"APP.Example.COM", "app"},
		{"app.example.com.", "app"},
		{"alias.example.org", "app"},
		{"alias.example.org.", "app"},
		{"x.app.example.com", ""}, // not a wildcard service
		{"foo.com", "foo"},
		{"y.foo.com", "foo"},
		{"a.b.c.foo.com", "foo"},
		{"test.foo.com", "test"},
		{"x.test.foo.com", "test"}, // longest wildcard wins
		{"a.b.TEST.foo.com.", "test"},
		{"bar.foo.com", "bar"},
		{"x.bar.foo.com", "foo"}, // bar is exact only
		{"xfoo.com", ""},         // suffix must start at a label
		{"com", ""},
		{"other.org", ""},
		{"", ""},
		{".", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := ""
			if s := tab.Lookup(tt.query); s != nil {
				got = s.Name
			}
			if got != tt.want {
				t.Errorf("Lookup(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}

	got := tab.Services()
	if len(got) != 5 || got[0].Name != "app" || got[4].Name != "dup" {
		t.Fatalf("Services() = %v", got)
	}
	got[0] = nil // the table must not share its slice
	if tab.Services()[0] == nil {
		t.Error("Services() exposes the table's slice")
	}

	var nilTable *Table
	if nilTable.Lookup("app.example.com") != nil || nilTable.Services() != nil {
		t.Error("nil table answers")
	}
}
