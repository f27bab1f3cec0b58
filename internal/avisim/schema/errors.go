// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package schema

import (
	"fmt"
	"strings"
)

// Reason classifies a validation failure.
type Reason string

// The reasons Validate reports.
const (
	ReasonUnknown  Reason = "unknown"  // field not in the schema
	ReasonVersion  Reason = "version"  // field introduced after the request's version
	ReasonRequired Reason = "required" // required field absent or null
	ReasonType     Reason = "type"     // wrong JSON type, or a non-integral integer
	ReasonEnum     Reason = "enum"     // value not among the enum options
	ReasonRange    Reason = "range"    // number outside "Allowed values" or its format
	ReasonItems    Reason = "items"    // too few or too many array items
)

// Error is a validation failure. Error() is the controller-style message the
// emulator returns as {"error": "..."} with status 400.
type Error struct {
	Field   string // path of the offending field, e.g. "groups[0].members[1].ratio"
	Message string // full message
	Reason  Reason
}

func (e *Error) Error() string { return e.Message }

// The messages, in one place. Only the version-gating text is documented
// (terraform-provider-avi issues #14, #123, #141: "Incoming request (v18_2_8) has
// field (enable_http2) introduced in later versions(v20_1_1)."); the real
// controller's wording of the others is unknown and these are inventions.

func errUnknown(path, definition string) *Error {
	return &Error{Field: path, Reason: ReasonUnknown,
		Message: fmt.Sprintf("Unknown field %s in %s", path, definition)}
}

// errVersion names the field by its own name, not its path, as the documented
// example does for the nested services[].enable_http2.
func errVersion(path, name string, req, introduced Version) *Error {
	return &Error{Field: path, Reason: ReasonVersion,
		Message: fmt.Sprintf("Incoming request (%s) has field (%s) introduced in later versions(%s).",
			req.underscored(), name, introduced.underscored())}
}

func errRequired(path string) *Error {
	return &Error{Field: path, Reason: ReasonRequired, Message: path + ": This field is required."}
}

func errType(path, want string, got any) *Error {
	return &Error{Field: path, Reason: ReasonType,
		Message: fmt.Sprintf("%s: expected %s, got %s", path, want, jsonType(got))}
}

func errEnum(path, value string, choices []string) *Error {
	return &Error{Field: path, Reason: ReasonEnum,
		Message: fmt.Sprintf("%s: Invalid choice %s. Valid choices are: %s", path, value, strings.Join(choices, ", "))}
}

func errRange(path, value, lo, hi string) *Error {
	return &Error{Field: path, Reason: ReasonRange,
		Message: fmt.Sprintf("%s: Value %s is out of range (allowed %s-%s)", path, value, lo, hi)}
}

func errMinItems(path string, n int) *Error {
	return &Error{Field: path, Reason: ReasonItems,
		Message: fmt.Sprintf("%s: Minimum of %d items required.", path, n)}
}

func errMaxItems(path string, n int) *Error {
	return &Error{Field: path, Reason: ReasonItems,
		Message: fmt.Sprintf("%s: Maximum of %d items allowed.", path, n)}
}
