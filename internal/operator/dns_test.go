// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import "testing"

func TestSameListen(t *testing.T) {
	for _, tc := range []struct {
		bound, listen string
		want          bool
	}{
		{"127.0.0.1:53", "127.0.0.1:53", true},
		{"127.0.0.1:40123", "127.0.0.1:0", true},
		{"127.0.0.1:40123", "127.0.0.2:0", false},
		{"[::]:53", ":53", true},
		{"[::]:53", ":5353", false},
		{"127.0.0.1:53", ":53", false},
		{"[::1]:53", "[::1]:53", true},
	} {
		if got := sameListen(tc.bound, tc.listen); got != tc.want {
			t.Errorf("sameListen(%q, %q) = %v, want %v", tc.bound, tc.listen, got, tc.want)
		}
	}
}
