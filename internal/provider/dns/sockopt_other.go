// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

//go:build !(linux && (amd64 || arm64))

package dns

import "syscall"

// socketOptions sets nothing here: without SO_REUSEPORT the second socket on
// the port fails to bind and the listener serves with one reader.
func socketOptions(bool) func(network, address string, c syscall.RawConn) error { return nil }
