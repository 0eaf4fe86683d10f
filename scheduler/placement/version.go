package placement

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// version is a parsed version in hashicorp/go-version's shape (what
// Nomad's "version" operator uses): numeric segments, an optional
// prerelease after "-" and metadata after "+" (ignored in comparisons).
// It is written here rather than imported to keep the scheduler's
// dependencies those of the module.
type version struct {
	segments  []int64
	specified int // segments written (1.2 has two), for "~>"
	pre       string
}

var versionRE = regexp.MustCompile(`^v?([0-9]+(?:\.[0-9]+)*)(?:-([0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*))?(?:\+[0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*)?$`)

// parseVersion reads a version; strict demands semver's three segments.
func parseVersion(s string, strict bool) (version, error) {
	m := versionRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return version{}, fmt.Errorf("malformed version %q", s)
	}
	parts := strings.Split(m[1], ".")
	if strict && len(parts) != 3 {
		return version{}, fmt.Errorf("%q is not a semantic version", s)
	}
	v := version{specified: len(parts), pre: m[2]}
	for _, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return version{}, fmt.Errorf("malformed version %q", s)
		}
		v.segments = append(v.segments, n)
	}
	for len(v.segments) < 3 {
		v.segments = append(v.segments, 0)
	}
	return v, nil
}

// compare orders versions: segments, then a prerelease before its release,
// then prereleases by dot-separated part (numbers numerically, below words).
func (v version) compare(o version) int {
	for i := 0; i < max(len(v.segments), len(o.segments)); i++ {
		a, b := segment(v.segments, i), segment(o.segments, i)
		if a != b {
			return cmpInt(a, b)
		}
	}
	switch {
	case v.pre == o.pre:
		return 0
	case v.pre == "":
		return 1
	case o.pre == "":
		return -1
	}
	return comparePre(v.pre, o.pre)
}

func segment(s []int64, i int) int64 {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func cmpInt(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func comparePre(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < min(len(pa), len(pb)); i++ {
		na, errA := strconv.ParseInt(pa[i], 10, 64)
		nb, errB := strconv.ParseInt(pb[i], 10, 64)
		switch {
		case errA == nil && errB == nil && na != nb:
			return cmpInt(na, nb)
		case errA == nil && errB != nil:
			return -1
		case errA != nil && errB == nil:
			return 1
		case errA != nil && pa[i] != pb[i]:
			return strings.Compare(pa[i], pb[i])
		}
	}
	return cmpInt(int64(len(pa)), int64(len(pb)))
}

// versionTerm is one "op version" of a constraint.
type versionTerm struct {
	op string
	v  version
}

// versionConstraint is an AND of terms, written ">= 1.2, < 2" or "~> 1.4".
// strict is the "semver" operator: versions must be semantic versions and
// prereleases compare plainly, where "version" (go-version) lets a
// prerelease satisfy only terms that name a prerelease of the same release.
type versionConstraint struct {
	terms  []versionTerm
	strict bool
}

var versionOps = []string{">=", "<=", "!=", "~>", ">", "<", "="}

func parseVersionConstraint(s string, strict bool) (versionConstraint, error) {
	vc := versionConstraint{strict: strict}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		op := "="
		for _, o := range versionOps {
			if strings.HasPrefix(part, o) {
				op, part = o, strings.TrimSpace(part[len(o):])
				break
			}
		}
		// The range may be written short ("~> 1.2") even for semver;
		// strictness applies to the versions checked.
		v, err := parseVersion(part, false)
		if err != nil {
			return versionConstraint{}, err
		}
		vc.terms = append(vc.terms, versionTerm{op: op, v: v})
	}
	return vc, nil
}

func (vc versionConstraint) check(s string) bool {
	v, err := parseVersion(s, vc.strict)
	if err != nil {
		return false
	}
	for _, t := range vc.terms {
		if !vc.strict && v.pre != "" && !samePrerelease(v, t.v) {
			return false
		}
		if !t.holds(v) {
			return false
		}
	}
	return true
}

// samePrerelease is go-version's rule: a prerelease version only satisfies
// a term naming a prerelease of the same segments.
func samePrerelease(v, c version) bool {
	if c.pre == "" {
		return false
	}
	for i := range v.segments {
		if segment(c.segments, i) != v.segments[i] {
			return false
		}
	}
	return true
}

func (t versionTerm) holds(v version) bool {
	c := v.compare(t.v)
	switch t.op {
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case ">":
		return c > 0
	case "<":
		return c < 0
	case ">=":
		return c >= 0
	case "<=":
		return c <= 0
	case "~>":
		return c >= 0 && pessimistic(v, t.v)
	}
	return false
}

// pessimistic checks "~> 1.2.3": every written segment but the last equal.
func pessimistic(v, c version) bool {
	for i := 0; i < c.specified-1; i++ {
		if segment(v.segments, i) != c.segments[i] {
			return false
		}
	}
	return true
}
