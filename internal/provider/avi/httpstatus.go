// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi

// HTTPStatus is the controller's answer, for metrics by status code.
func (e *Error) HTTPStatus() int { return e.Status }
