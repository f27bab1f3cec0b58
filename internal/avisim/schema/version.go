// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is an Avi API version such as 31.1.1 or 22.1.2 (X-Avi-Version).
type Version struct{ Major, Minor, Patch int }

// ParseVersion parses "X.Y.Z"; "X.Y" is read as "X.Y.0" (the controller reports
// min_version as 15.2). Surrounding spaces are ignored.
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("invalid Avi version %q: want X.Y.Z", s)
	}
	var nums [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || p[0] == '+' {
			return Version{}, fmt.Errorf("invalid Avi version %q: component %q is not a number", s, p)
		}
		nums[i] = n
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2]}, nil
}

// Less reports whether v is older than o.
func (v Version) Less(o Version) bool {
	if v.Major != o.Major {
		return v.Major < o.Major
	}
	if v.Minor != o.Minor {
		return v.Minor < o.Minor
	}
	return v.Patch < o.Patch
}

// String returns "X.Y.Z".
func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// underscored returns the form used in the controller's messages: "v18_2_8".
func (v Version) underscored() string {
	return fmt.Sprintf("v%d_%d_%d", v.Major, v.Minor, v.Patch)
}

func (v Version) sameBranch(o Version) bool { return v.Major == o.Major && v.Minor == o.Minor }

// availableIn reports whether a field introduced in intro (ascending) exists at v.
// "Field introduced in 18.2.8, 20.1.1" means the field was added in 20.1.1 and
// back-ported to the 18.2 branch at 18.2.8: it exists in 18.2.8+ of 18.2 and in
// every version from 20.1.1 on, but not in, say, 19.1.x.
func availableIn(intro []Version, v Version) bool {
	if len(intro) == 0 || !v.Less(intro[len(intro)-1]) {
		return true
	}
	for _, iv := range intro[:len(intro)-1] {
		if iv.sameBranch(v) && !v.Less(iv) {
			return true
		}
	}
	return false
}

// blockingVersion is the version the gating message names for a field not
// available at v: the back-port on v's own branch if there is one, else the first
// listed version after v.
func blockingVersion(intro []Version, v Version) Version {
	if len(intro) == 0 {
		return v
	}
	for _, iv := range intro {
		if iv.sameBranch(v) && v.Less(iv) {
			return iv
		}
	}
	for _, iv := range intro {
		if v.Less(iv) {
			return iv
		}
	}
	return intro[len(intro)-1]
}
