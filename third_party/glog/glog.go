// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package glog stands in for github.com/golang/glog in amko's build (a replace
// directive in amko's go.mod). The Avi SDK logs through glog, and glog writes
// files under $TMPDIR without bound, exits the process when it cannot create
// them (a read-only root file system), and on a network error dumps whole
// requests, session cookies included. Here the SDK's request traces (Info) are
// dropped, and its warnings and errors go to the process's slog logger at
// debug level: amko reports every failure the SDK returns itself.
package glog

import (
	"context"
	"fmt"
	"log/slog"
)

// Info and Infof drop the SDK's request traces and request dumps.
func Info(...any) {}

// Infof drops the SDK's request traces and request dumps.
func Infof(string, ...any) {}

// Warning logs at debug level.
func Warning(args ...any) { emit(fmt.Sprint(args...)) }

// Warningf logs at debug level.
func Warningf(format string, args ...any) { emit(fmt.Sprintf(format, args...)) }

// Error logs at debug level.
func Error(args ...any) { emit(fmt.Sprint(args...)) }

// Errorf logs at debug level.
func Errorf(format string, args ...any) { emit(fmt.Sprintf(format, args...)) }

func emit(msg string) {
	slog.Default().Log(context.Background(), slog.LevelDebug, msg, "component", "alb-sdk")
}
