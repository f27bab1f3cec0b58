// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package compat_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/amko-project/amko/config/crd"
	"github.com/amko-project/amko/test/clusters"
)

// keptRefusal is an object AMKO 2.2.1's CRDs accept and amko's refuse, because
// AMKO's own code cannot read it either. The list is short on purpose; each
// entry says why, and amko's message must say so (contain "AMKO").
type keptRefusal struct {
	kind, field string
	// message matches amko's whole refusal: one cause, naming AMKO.
	message *regexp.Regexp
	why     string
}

var keptRefusals = []keptRefusal{
	{"GSLBHostRule", "spec.trafficSplit[].priority",
		regexp.MustCompile(`^GSLBHostRule.amko.vmware.com "[^"]+" is invalid: spec.trafficSplit\[\d+\].priority: Invalid value: \d+: ` +
			`priority must be at most 4294967295: neither AMKO 2.2.1 nor amko can read a larger value .*AMKO's CRD accepts it, AMKO's code cannot$`),
		"above 4294967295: AMKO's Go type is uint32, so AMKO (like amko) fails to decode it and, " +
			"its informer's list failing, reads no GSLBHostRule at all; AMKO's CRD has no maximum"},
}

// kept returns the entry that explains amko's refusal err of an object of
// kind, or nil.
func kept(kind string, err error) *keptRefusal {
	for i, k := range keptRefusals {
		if k.kind == kind && k.message.MatchString(err.Error()) {
			return &keptRefusals[i]
		}
	}
	return nil
}

// Every YAML example of the AMKO reference (amko.md, kept verbatim in
// testdata) applies to AMKO's CRDs and to amko's, and amko stores the same
// spec as AMKO. AMKO's CRD manifests themselves are the other files of the
// reference: installing them is amkoCluster.
func TestReferenceExamples(t *testing.T) {
	theirs := amkoCluster(t)
	ours := set.Clusters[0].Client
	objs, fragments := referenceExamples(t, "testdata/amko.md")
	if len(objs) < 7 {
		t.Fatalf("found %d example objects in amko.md, want at least 7", len(objs))
	}
	// amko.md's one fragment is the spec of an AKO HostRule (§1.5).
	if len(fragments) != 1 {
		t.Fatalf("found %d example fragments in amko.md, want the HostRule one", len(fragments))
	}
	hr := &unstructured.Unstructured{Object: fragments[0]}
	hr.SetAPIVersion("ako.vmware.com/v1beta1")
	hr.SetKind("HostRule")
	hr.SetName("example")
	hr.SetNamespace("default")
	objs = append(objs, hr)
	for i, obj := range objs {
		t.Run(fmt.Sprintf("%d-%s", i, obj.GetKind()), func(t *testing.T) {
			if obj.GetNamespace() == "" {
				obj.SetNamespace(clusters.Namespace)
			}
			got := compare(t, theirs, ours, obj)
			if got != "" {
				t.Error(got)
			}
		})
	}
}

// compare applies obj (dry run) to AMKO's CRDs and to amko's and returns what
// differs: a refusal by amko of what AMKO accepts (unless a kept refusal), or
// a different stored spec. A refusal by AMKO's CRDs is a bad test object.
func compare(t *testing.T, theirs, ours client.Client, obj *unstructured.Unstructured) string {
	ctx := context.Background()
	a, b := obj.DeepCopy(), obj.DeepCopy()
	if err := theirs.Create(ctx, a, client.DryRunAll); err != nil {
		t.Fatalf("AMKO's CRDs refuse the test object %s: %v", js(obj.Object["spec"]), err)
	}
	if err := ours.Create(ctx, b, client.DryRunAll); err != nil {
		if k := kept(obj.GetKind(), err); k != nil {
			return ""
		}
		return fmt.Sprintf("amko refuses what AMKO accepts: %s: %v", js(obj.Object["spec"]), err)
	}
	if !reflect.DeepEqual(a.Object["spec"], b.Object["spec"]) {
		return fmt.Sprintf("stored differently: sent %s, AMKO stores %s, amko %s", js(obj.Object["spec"]), js(a.Object["spec"]), js(b.Object["spec"]))
	}
	return ""
}

// A corpus generated from AMKO 2.2.1's schemas (every optional field absent,
// present and empty, every enum value, each bound, values AMKO's code
// refuses at runtime, duplicates) applies to both, and is stored the same,
// but for keptRefusals. Before issue 13, amko refused about a third of it.
func TestGeneratedCorpus(t *testing.T) {
	theirs := amkoCluster(t)
	ours := set.Clusters[0].Client
	type item struct {
		kind string
		obj  *unstructured.Unstructured
	}
	var items []item
	// AMKO's own kinds. The AKO HostRule CRD is AKO's in a real cluster:
	// amko's copy serves tests only.
	for _, f := range amkoCRDFiles[:4] {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := crd.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		v := c.Spec.Versions[0]
		spec := v.Schema.OpenAPIV3Schema.Properties["spec"]
		specs := generate(&spec, 0)
		t.Logf("%s: %d objects", c.Spec.Names.Kind, len(specs))
		for i, s := range specs {
			obj := &unstructured.Unstructured{Object: map[string]any{"spec": s}}
			obj.SetAPIVersion(c.Spec.Group + "/" + v.Name)
			obj.SetKind(c.Spec.Names.Kind)
			obj.SetNamespace(clusters.Namespace)
			obj.SetName(fmt.Sprintf("corpus-%d", i))
			items = append(items, item{c.Spec.Names.Kind, obj})
		}
	}
	if len(items) < 1000 {
		t.Fatalf("generated %d objects, want at least 1000", len(items))
	}
	var (
		mu       sync.Mutex
		failures []string
		refused  = map[string]int{}
	)
	work := make(chan item)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				ctx := context.Background()
				b := it.obj.DeepCopy()
				err := ours.Create(ctx, b, client.DryRunAll)
				if err != nil {
					if k := kept(it.kind, err); k != nil {
						mu.Lock()
						refused[k.field]++
						mu.Unlock()
						// AMKO's CRDs accept it: the refusal is amko's own.
						if err := theirs.Create(ctx, it.obj.DeepCopy(), client.DryRunAll); err != nil {
							mu.Lock()
							failures = append(failures, fmt.Sprintf("%s kept refusal %s is AMKO's too: %v", it.kind, k.field, err))
							mu.Unlock()
						}
						continue
					}
				}
				a := it.obj.DeepCopy()
				aerr := theirs.Create(ctx, a, client.DryRunAll)
				var diff string
				switch {
				case aerr != nil:
					diff = fmt.Sprintf("AMKO's CRDs refuse the generated object %s: %v", js(it.obj.Object["spec"]), aerr)
				case err != nil:
					diff = fmt.Sprintf("amko refuses what AMKO accepts: %s: %v", js(it.obj.Object["spec"]), err)
				case !reflect.DeepEqual(a.Object["spec"], b.Object["spec"]):
					diff = fmt.Sprintf("stored differently: sent %s, AMKO stores %s, amko %s", js(it.obj.Object["spec"]), js(a.Object["spec"]), js(b.Object["spec"]))
				}
				if diff != "" {
					mu.Lock()
					failures = append(failures, it.kind+": "+diff)
					mu.Unlock()
				}
			}
		}()
	}
	for _, it := range items {
		work <- it
	}
	close(work)
	wg.Wait()
	sort.Strings(failures)
	for i, f := range failures {
		if i == 30 {
			t.Errorf("... and %d more", len(failures)-30)
			break
		}
		t.Error(f)
	}
	t.Logf("%d objects valid under AMKO 2.2.1's CRDs: %d differ, kept refusals %v", len(items), len(failures), refused)
	for _, k := range keptRefusals {
		// Each kept refusal is exercised, so that its message is checked.
		if refused[k.field] == 0 {
			t.Errorf("the corpus never reaches the kept refusal %s %s", k.kind, k.field)
		}
	}
}

// generate returns values valid under schema s: for an object, every
// combination of its properties' values when they are few, else the object
// with only its required properties plus each value of one property at a time;
// for scalars, every enum value or the bounds and typical values, including
// those AMKO's code refuses at runtime.
func generate(s *apiextensionsv1.JSONSchemaProps, depth int) []any {
	switch s.Type {
	case "object":
		if len(s.Properties) == 0 {
			if s.AdditionalProperties != nil {
				return []any{map[string]any{}, map[string]any{"app": "gslb"}, map[string]any{"": "gslb"},
					map[string]any{"app": ""}, map[string]any{"app": "gslb", "tier": "web"}}
			}
			return []any{map[string]any{}}
		}
		return generateObject(s, depth)
	case "array":
		items := generate(s.Items.Schema, depth+1)
		out := []any{[]any{}}
		for _, it := range items {
			out = append(out, []any{it})
		}
		if len(items) > 0 {
			// The same element twice, and two different ones.
			out = append(out, []any{items[0], items[0]})
			if len(items) > 1 {
				out = append(out, []any{items[0], items[len(items)-1]})
			}
		}
		return out
	case "string":
		if len(s.Enum) > 0 {
			var out []any
			for _, e := range s.Enum {
				var v any
				_ = json.Unmarshal(e.Raw, &v)
				out = append(out, v)
			}
			return out
		}
		return []any{"", "cluster1-admin", "10.10.10.10", "2001:db8::1", "not an address", strings.Repeat("a", 300)}
	case "integer":
		var out []int64
		lo, hi := int64(-9223372036854775808), int64(9223372036854775807)
		if s.Minimum != nil {
			lo = int64(*s.Minimum)
		}
		if s.Maximum != nil {
			hi = int64(*s.Maximum)
		}
		for _, v := range []int64{lo, lo + 1, 0, 1, 10, 100, 101, hi - 1, hi,
			1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32, -1} {
			if v >= lo && v <= hi && !containsInt(out, v) {
				out = append(out, v)
			}
		}
		vals := make([]any, len(out))
		for i, v := range out {
			vals[i] = v
		}
		return vals
	case "boolean":
		return []any{true, false}
	}
	return nil
}

// maxProduct bounds the combinations generated for one object.
const maxProduct = 600

func generateObject(s *apiextensionsv1.JSONSchemaProps, depth int) []any {
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	values := map[string][]any{}
	product := 1
	for _, n := range names {
		p := s.Properties[n]
		values[n] = generate(&p, depth+1)
		if product <= maxProduct {
			product *= len(values[n]) + 1 // + absent
		}
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	var out []any
	if product <= maxProduct {
		// Every combination: cross-field rules need them.
		out = []any{map[string]any{}}
		for _, n := range names {
			var next []any
			for _, o := range out {
				if !required[n] {
					next = append(next, o)
				}
				for _, v := range values[n] {
					c := copyJSON(o).(map[string]any)
					c[n] = v
					next = append(next, c)
				}
			}
			out = next
		}
		return out
	}
	minimal := map[string]any{}
	for _, n := range names {
		if required[n] {
			minimal[n] = values[n][0]
		}
	}
	out = append(out, minimal)
	for _, n := range names {
		for _, v := range values[n] {
			c := copyJSON(minimal).(map[string]any)
			c[n] = v
			out = append(out, c)
		}
	}
	// And every property at once, with its first and its last value.
	first, last := copyJSON(minimal).(map[string]any), copyJSON(minimal).(map[string]any)
	for _, n := range names {
		first[n], last[n] = values[n][0], values[n][len(values[n])-1]
	}
	out = append(out, first, last)
	if depth > 0 {
		return out
	}
	// In a spec, every two properties together, with their first and their
	// last values: the runtime rules join fields (refs and a template, ...).
	for i, a := range names {
		for _, b := range names[i+1:] {
			for _, pick := range [][2]int{{0, 0}, {0, -1}, {-1, 0}, {-1, -1}} {
				c := copyJSON(minimal).(map[string]any)
				c[a], c[b] = at(values[a], pick[0]), at(values[b], pick[1])
				out = append(out, c)
			}
		}
	}
	return out
}

// at is s[i], counting from the end when i is negative.
func at(s []any, i int) any {
	if i < 0 {
		i += len(s)
	}
	return s[i]
}

func containsInt(s []int64, v int64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func copyJSON(v any) any { return runtime.DeepCopyJSONValue(v) }

func js(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(data) > 600 {
		return string(data[:600]) + "..."
	}
	return string(data)
}

// referenceExamples returns the objects of every ```yaml block of a markdown
// file (blocks may be indented, as in a list), and the documents that are
// fragments (no kind).
func referenceExamples(t *testing.T, path string) (objs []*unstructured.Unstructured, fragments []map[string]any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	indent, in := "", false
	var blocks []string
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case !in && trimmed == "```yaml":
			in, indent, block = true, line[:len(line)-len(trimmed)], nil
		case in && trimmed == "```":
			in = false
			blocks = append(blocks, strings.Join(block, "\n"))
		case in:
			block = append(block, strings.TrimPrefix(line, indent))
		}
	}
	for _, b := range blocks {
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader([]byte(b))))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			var m map[string]any
			if err := yaml.Unmarshal(doc, &m); err != nil {
				t.Fatalf("%s: %v\n%s", path, err, doc)
			}
			switch {
			case len(m) == 0:
			case m["kind"] == nil:
				fragments = append(fragments, m)
			default:
				objs = append(objs, &unstructured.Unstructured{Object: m})
			}
		}
	}
	return objs, fragments
}
