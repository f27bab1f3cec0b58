// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package crd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/amko-project/amko/config/crd"
)

// testdata/amko-2.2.1 holds AMKO 2.2.1's own CRD manifests. An AMKO user's objects
// must mean the same to us: every field path of AMKO's schemas must exist in ours
// with the same type, the same default and at least the same enum values.
func TestSchemasCoverAMKO(t *testing.T) {
	ours, err := crd.All()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, c := range ours {
		byName[c.Name] = c
	}
	files, err := filepath.Glob("testdata/amko-2.2.1/*.yaml")
	if err != nil || len(files) != 4 {
		t.Fatalf("want AMKO's 4 CRD manifests in testdata/amko-2.2.1, got %v (%v)", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := crd.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		t.Run(theirs.Name, func(t *testing.T) {
			mine := byName[theirs.Name]
			if mine == nil {
				t.Fatalf("no CRD %s in config/crd", theirs.Name)
			}
			compareNames(t, theirs, mine)
			for _, tv := range theirs.Spec.Versions {
				mv := version(mine, tv.Name)
				if mv == nil {
					t.Errorf("version %s missing", tv.Name)
					continue
				}
				if !mv.Served || (tv.Storage && !mv.Storage) {
					t.Errorf("version %s: served %v storage %v, want served and storage %v", tv.Name, mv.Served, mv.Storage, tv.Storage)
				}
				if mv.Subresources == nil || mv.Subresources.Status == nil {
					t.Errorf("version %s: no status subresource", tv.Name)
				}
				compareSchemas(t, tv.Schema.OpenAPIV3Schema, mv.Schema.OpenAPIV3Schema)
			}
		})
	}
}

func compareNames(t *testing.T, theirs, mine *apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	tn, mn := theirs.Spec.Names, mine.Spec.Names
	if theirs.Spec.Group != mine.Spec.Group || theirs.Spec.Scope != mine.Spec.Scope {
		t.Errorf("group/scope = %s/%s, want %s/%s", mine.Spec.Group, mine.Spec.Scope, theirs.Spec.Group, theirs.Spec.Scope)
	}
	if tn.Kind != mn.Kind || tn.ListKind != mn.ListKind || tn.Plural != mn.Plural || tn.Singular != mn.Singular {
		t.Errorf("names = %+v, want %+v", mn, tn)
	}
	for _, s := range tn.ShortNames {
		if !slices.Contains(mn.ShortNames, s) {
			t.Errorf("short name %q missing (have %v)", s, mn.ShortNames)
		}
	}
}

func version(c *apiextensionsv1.CustomResourceDefinition, name string) *apiextensionsv1.CustomResourceDefinitionVersion {
	for i := range c.Spec.Versions {
		if c.Spec.Versions[i].Name == name {
			return &c.Spec.Versions[i]
		}
	}
	return nil
}

func compareSchemas(t *testing.T, theirs, mine *apiextensionsv1.JSONSchemaProps) {
	t.Helper()
	ours := map[string]apiextensionsv1.JSONSchemaProps{}
	walk("", mine, func(path string, s apiextensionsv1.JSONSchemaProps) { ours[path] = s })
	paths := 0
	walk("", theirs, func(path string, want apiextensionsv1.JSONSchemaProps) {
		paths++
		got, ok := ours[path]
		if !ok {
			t.Errorf("%s: missing", path)
			return
		}
		if want.Type != "" && got.Type != want.Type {
			t.Errorf("%s: type %q, want %q", path, got.Type, want.Type)
		}
		if want.XIntOrString != got.XIntOrString {
			t.Errorf("%s: int-or-string %v, want %v", path, got.XIntOrString, want.XIntOrString)
		}
		if want.Default != nil && (got.Default == nil || string(got.Default.Raw) != string(want.Default.Raw)) {
			t.Errorf("%s: default %s, want %s", path, raw(got.Default), raw(want.Default))
		}
		for _, e := range want.Enum {
			if !slices.ContainsFunc(got.Enum, func(g apiextensionsv1.JSON) bool { return string(g.Raw) == string(e.Raw) }) {
				t.Errorf("%s: enum value %s missing", path, e.Raw)
			}
		}
	})
	if paths < 5 {
		t.Errorf("walked only %d paths of AMKO's schema", paths)
	}
}

// walk visits every schema node under s with its path: .field for properties,
// [] for list items and {} for map values.
func walk(path string, s *apiextensionsv1.JSONSchemaProps, visit func(string, apiextensionsv1.JSONSchemaProps)) {
	if s == nil {
		return
	}
	visit(path, *s)
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := s.Properties[n]
		walk(path+"."+n, &p, visit)
	}
	if s.Items != nil {
		walk(path+"[]", s.Items.Schema, visit)
	}
	if s.AdditionalProperties != nil {
		walk(path+"{}", s.AdditionalProperties.Schema, visit)
	}
}

func raw(j *apiextensionsv1.JSON) string {
	if j == nil {
		return "none"
	}
	b, _ := json.Marshal(j)
	return string(b)
}
