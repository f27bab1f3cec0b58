// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
)

// alwaysAccepted tells the top-level fields accepted and ignored even where the
// definition lacks them (Tenant has no tenant_ref): clients echo rendered objects
// back, and the store owns these fields.
func alwaysAccepted(name string) bool {
	switch name {
	case "uuid", "url", "_last_modified", "tenant_ref":
		return true
	}
	return false
}

// Validate checks a request body (decoded by encoding/json, preferably with
// UseNumber) for API version v. It refuses, with a *Error:
//   - fields unknown to the schema, at any depth (whatever their value);
//   - when gate is true, fields introduced after v (present and not null);
//   - values of the wrong JSON type; integers that are not integral or do not
//     fit their format (uint32 ≥ 0, ...);
//   - strings outside "Enum options", numbers outside "Allowed values" that are
//     not "Special values", arrays outside "Minimum/Maximum of N items";
//   - absent required fields (introduced at or before v) without a swagger
//     default, and absent arrays with a minimum item count (an absent list is an
//     empty list to the controller's protobuf model — an inference).
//
// JSON null counts as absent. Read-only fields (url, _last_modified, ...) are
// accepted with any value and not checked. Errors are reported deterministically:
// the first failure in sorted field order, depth first.
func (k *Kind) Validate(obj map[string]any, v Version, gate bool) error {
	val := validator{v: v, gate: gate}
	if e := val.object(k.root, obj, "", true); e != nil {
		return e
	}
	return nil
}

type validator struct {
	v    Version
	gate bool
}

func (val validator) object(o *object, m map[string]any, prefix string, top bool) *Error {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		path := prefix + key
		p := o.props[key]
		if p == nil {
			if top && alwaysAccepted(key) {
				continue
			}
			return errUnknown(path, o.name)
		}
		x := m[key]
		if x == nil || p.ReadOnly {
			continue
		}
		if val.gate && !p.AvailableIn(val.v) {
			return errVersion(path, key, val.v, blockingVersion(p.IntroducedIn, val.v))
		}
		if e := val.value(p, x, path); e != nil {
			return e
		}
	}
	for _, n := range o.order {
		p := o.props[n]
		if m[n] != nil || p.ReadOnly || !p.AvailableIn(val.v) {
			continue
		}
		switch {
		case p.Required && p.Default == nil:
			return errRequired(prefix + n)
		case p.MinItems > 0:
			return errMinItems(prefix+n, p.MinItems)
		}
	}
	return nil
}

func (val validator) value(p *prop, x any, path string) *Error {
	switch p.Type {
	case "object":
		m, ok := x.(map[string]any)
		if !ok {
			return errType(path, "object", x)
		}
		return val.object(p.obj, m, path+".", false)
	case "array":
		items, ok := x.([]any)
		if !ok {
			return errType(path, "array", x)
		}
		if len(items) < p.MinItems {
			return errMinItems(path, p.MinItems)
		}
		if p.MaxItems > 0 && len(items) > p.MaxItems {
			return errMaxItems(path, p.MaxItems)
		}
		for i, it := range items {
			ip := fmt.Sprintf("%s[%d]", path, i)
			if p.ItemType != "object" {
				if e := checkScalar(p, p.ItemType, it, ip); e != nil {
					return e
				}
				continue
			}
			m, ok := it.(map[string]any)
			if !ok {
				return errType(ip, "object", it)
			}
			if e := val.object(p.obj, m, ip+".", false); e != nil {
				return e
			}
		}
		return nil
	default:
		return checkScalar(p, p.Type, x, path)
	}
}

// checkScalar checks a string, boolean, integer or number value of type typ
// against p's enum, format and range (for arrays, p's constraints are the items').
func checkScalar(p *prop, typ string, x any, path string) *Error {
	switch typ {
	case "string":
		s, ok := x.(string)
		if !ok {
			return errType(path, typ, x)
		}
		if p.enumSet != nil && !p.enumSet[s] {
			return errEnum(path, s, p.Enum)
		}
	case "boolean":
		if _, ok := x.(bool); !ok {
			return errType(path, typ, x)
		}
	case "integer":
		return checkInteger(p, x, path)
	case "number":
		s, ok := numberString(x)
		if !ok {
			return errType(path, typ, x)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !math.IsInf(f, 0) {
			return errType(path, typ, x)
		}
		if p.MinFloat != nil && (f < *p.MinFloat || f > *p.MaxFloat) {
			return errRange(path, s, formatFloat(*p.MinFloat), formatFloat(*p.MaxFloat))
		}
	}
	return nil
}

// checkInteger accepts any integral JSON number (1, 1.0, 1e2) within the
// format's bounds and the "Allowed values" range or "Special values". It compares
// as big.Float so that huge exponents cannot make it allocate huge integers.
func checkInteger(p *prop, x any, path string) *Error {
	s, ok := numberString(x)
	if !ok {
		return errType(path, "integer", x)
	}
	lo, hi := formatBounds(p.Format)
	f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil {
		// An exponent beyond big.Float's range is still a number, just a huge one.
		if g, ferr := strconv.ParseFloat(s, 64); errors.Is(ferr, strconv.ErrRange) && math.IsInf(g, 0) {
			return errRange(path, s, lo.Text('f', 0), hi.Text('f', 0))
		}
		return errType(path, "integer", x)
	}
	if f.IsInf() {
		return errRange(path, s, lo.Text('f', 0), hi.Text('f', 0))
	}
	if !f.IsInt() {
		return errType(path, "integer", x)
	}
	if f.Cmp(lo) < 0 || f.Cmp(hi) > 0 {
		return errRange(path, s, lo.Text('f', 0), hi.Text('f', 0))
	}
	if p.Min == nil {
		return nil
	}
	i, acc := f.Int64()
	if acc == big.Exact && ((i >= *p.Min && i <= *p.Max) || slices.Contains(p.Special, i)) {
		return nil
	}
	return errRange(path, f.Text('f', 0), strconv.FormatInt(*p.Min, 10), strconv.FormatInt(*p.Max, 10))
}

// formatBounds returns the inclusive bounds of an integer format (int64 when
// unstated).
func formatBounds(format string) (lo, hi *big.Float) {
	switch format {
	case "int32":
		return big.NewFloat(math.MinInt32), big.NewFloat(math.MaxInt32)
	case "uint32":
		return big.NewFloat(0), big.NewFloat(math.MaxUint32)
	case "uint64":
		return big.NewFloat(0), new(big.Float).SetUint64(math.MaxUint64)
	default:
		return new(big.Float).SetInt64(math.MinInt64), new(big.Float).SetInt64(math.MaxInt64)
	}
}

// numberString returns the decimal text of a JSON number, whether decoded as
// json.Number (UseNumber) or float64, or built in Go as an integer.
func numberString(x any) (string, bool) {
	switch n := x.(type) {
	case json.Number:
		return string(n), true
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return "", false
		}
		return strconv.FormatFloat(n, 'g', -1, 64), true
	case float32:
		return numberString(float64(n))
	case int:
		return strconv.Itoa(n), true
	case int8, int16, int32, int64:
		return fmt.Sprint(n), true
	case uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(n), true
	}
	return "", false
}

// jsonType names the JSON type of a decoded value, for messages.
func jsonType(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	if _, ok := numberString(x); ok {
		return "number"
	}
	return fmt.Sprintf("%T", x)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
