// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package schema

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The phrasings below were surveyed over every property description of the nine
// swagger files (see the package comment). A sentence ends at ". " or at the end
// of the text; values never contain ". ", but prose may ("pool.A priority").
var (
	// "Allowed values are 1-20.", "-1-+65535.", "-90.0-+90.0." — not the edition
	// restriction "Allowed in Basic (Allowed values- false)".
	reAllowed = regexp.MustCompile(`Allowed values are (-?\d+(?:\.\d+)?)\s*-\s*\+?(-?\d+(?:\.\d+)?)(?:\.|\s|$)`)
	// "Special values are 0 - Disable.", "0- No Timeout.", "65535 - end of string."
	reSpecial     = regexp.MustCompile(`Special values are (.*?)\.(?:\s|$)`)
	reSpecialItem = regexp.MustCompile(`(?:^|,\s*)(-?\d+)\s*-`)
	// "Enum options - A, B, C." (values are identifiers; the list ends at ". ").
	reEnum = regexp.MustCompile(`Enum options - (.*?)(?:\.(?:\s|$)|$)`)
	// "Field introduced in 17.2.1." and back-port lists "18.2.8, 20.1.1" / "21.1.3,22.1.1".
	reIntroduced = regexp.MustCompile(`Field introduced in (\d+\.\d+\.\d+(?:\s*,\s*\d+\.\d+\.\d+)*)`)
	reMinItems   = regexp.MustCompile(`Minimum of (\d+) items required`)
	reMaxItems   = regexp.MustCompile(`Maximum of (\d+) items allowed`)
	reRef        = regexp.MustCompile(`It is a reference to an object of type (\w+)\.`)
	// A boolean without a swagger default may state its Enterprise default:
	// "Special default for Essentials edition is true, ..., Enterprise edition is False."
	reEnterpriseDefault = regexp.MustCompile(`Special default for [^.]*Enterprise edition is (True|False|true|false)\.`)
)

// facts are the constraints read from one description.
type facts struct {
	min, max           *int64
	minFloat, maxFloat *float64
	special            []int64
	enum               []string
	introduced         []Version // ascending
	minItems, maxItems int
	refTarget          string // definition name, e.g. "HealthMonitor"
	enterpriseDefault  *bool
}

// parseDescription extracts the constraints of a property description. integer
// tells whether the range is an integer range (Min/Max) or a number range.
func parseDescription(desc string, integer bool) (facts, error) {
	var f facts
	if m := reAllowed.FindStringSubmatch(desc); m != nil {
		lo, err1 := strconv.ParseFloat(m[1], 64)
		hi, err2 := strconv.ParseFloat(m[2], 64)
		if err1 != nil || err2 != nil || lo > hi {
			return f, fmt.Errorf("bad range %q", m[0])
		}
		f.minFloat, f.maxFloat = &lo, &hi
		if integer {
			a, err1 := strconv.ParseInt(m[1], 10, 64)
			b, err2 := strconv.ParseInt(m[2], 10, 64)
			if err1 != nil || err2 != nil {
				return f, fmt.Errorf("non-integer range %q on an integer field", m[0])
			}
			f.min, f.max = &a, &b
		}
	}
	if m := reSpecial.FindStringSubmatch(desc); m != nil {
		for _, s := range reSpecialItem.FindAllStringSubmatch(m[1], -1) {
			n, err := strconv.ParseInt(s[1], 10, 64)
			if err != nil {
				return f, fmt.Errorf("bad special value in %q: %w", m[0], err)
			}
			f.special = append(f.special, n)
		}
	}
	if m := reEnum.FindStringSubmatch(desc); m != nil {
		for _, s := range strings.Split(m[1], ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.enum = append(f.enum, s)
			}
		}
	}
	if m := reIntroduced.FindStringSubmatch(desc); m != nil {
		for _, s := range strings.Split(m[1], ",") {
			v, err := ParseVersion(s)
			if err != nil {
				return f, fmt.Errorf("bad introduced-in version: %w", err)
			}
			f.introduced = append(f.introduced, v)
		}
		slices.SortFunc(f.introduced, func(a, b Version) int {
			switch {
			case a.Less(b):
				return -1
			case b.Less(a):
				return 1
			}
			return 0
		})
	}
	var err error
	if f.minItems, err = atoiMatch(reMinItems, desc); err != nil {
		return f, err
	}
	if f.maxItems, err = atoiMatch(reMaxItems, desc); err != nil {
		return f, err
	}
	if m := reRef.FindStringSubmatch(desc); m != nil {
		f.refTarget = m[1]
	}
	if m := reEnterpriseDefault.FindStringSubmatch(desc); m != nil {
		b := strings.EqualFold(m[1], "true")
		f.enterpriseDefault = &b
	}
	return f, nil
}

func atoiMatch(re *regexp.Regexp, s string) (int, error) {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, fmt.Errorf("bad count in %q: %w", m[0], err)
	}
	return n, nil
}
