// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package schema turns the Avi Controller's OpenAPI 2.0 files (swagger/*.json,
// copied from github.com/vmware/alb-sdk, API 31.2.1) into a validator for the
// avisim emulator.
//
// Much of the controller's validation is only written in the property
// descriptions, in fixed phrasings that this package parses:
//
//	"Allowed values are 1-20."            integer range (also "-1-+65535", and
//	                                      "-90.0-+90.0" for number fields)
//	"Special values are 0 - Disable."     values accepted outside that range
//	"Enum options - A, B, C."             string enum (also for arrays of strings)
//	"Field introduced in 17.2.1."         version gate; a list such as
//	                                      "18.2.8, 20.1.1" names back-ports
//	"Minimum of 1 items required."        array length
//	"Maximum of 6 items allowed."         array length
//	"It is a reference to an object of type HealthMonitor."
//	                                      reference field (string or []string of URLs)
//	"Special default for ... Enterprise edition is False."
//	                                      default of a boolean without a swagger default
//
// Ignored phrasings: "Allowed with any value in <editions>" and "Allowed in
// Essentials (Allowed values- ...)" (the emulator is an Enterprise controller),
// "Field deprecated in X" (deprecated fields are still accepted), "Unit is X",
// "Range is a-b" (always repeated by "Allowed values are").
//
// A Registry is immutable once loaded and safe for concurrent use.
//
// Expected call order for a write (POST/PUT body decoded with UseNumber):
//
//	kind.FillDefaults(body, v)          // defaults of absent fields, introduced ≤ v
//	err := kind.Validate(body, v, gate) // refuse unknown, mistyped, out-of-range, gated fields
//
// Validate also accepts a body whose defaults were not filled yet: a required
// field that has a swagger default counts as present, because FillDefaults will
// supply it. Responses are rendered with kind.Strip(obj, v).
package schema
