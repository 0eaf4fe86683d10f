package placement

import (
	"strconv"
	"strings"
)

// holds tests a non-distinct constraint on a node, with Nomad's rules for
// missing values: is_set and is_not_set test presence, != holds when either
// side is missing, every other operator fails.
func (cc *compiled) holds(n *nodeInfo) bool {
	l, lok := resolve(cc.Attribute, n)
	r, rok := resolve(cc.Value, n)
	switch cc.Operator {
	case OpIsSet:
		return lok
	case OpIsNotSet:
		return !lok
	case OpNotEqual:
		return !lok || !rok || l != r
	}
	if !lok || !rok {
		return false
	}
	switch cc.Operator {
	case OpEqual:
		return l == r
	case "<", "<=", ">", ">=":
		return ordered(cc.Operator, l, r)
	case OpRegexp:
		return cc.re.MatchString(l)
	case OpVersion, OpSemver:
		return cc.vc.check(l)
	case OpSetContainsAll:
		return setContains(l, r, true)
	case OpSetContainsAny:
		return setContains(l, r, false)
	}
	return false
}

// ordered compares numerically when both sides are numbers, else
// lexically, as Nomad's checkOrder does.
func ordered(op, l, r string) bool {
	var c int
	lf, errL := strconv.ParseFloat(l, 64)
	rf, errR := strconv.ParseFloat(r, 64)
	if errL == nil && errR == nil {
		c = cmpFloat(lf, rf)
	} else {
		c = strings.Compare(l, r)
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func cmpFloat(a, b float64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// setContains reads both sides as comma-separated sets: all (or any) of
// the wanted items must be in the node's.
func setContains(have, want string, all bool) bool {
	set := map[string]bool{}
	for _, s := range strings.Split(have, ",") {
		set[strings.TrimSpace(s)] = true
	}
	for _, s := range strings.Split(want, ",") {
		in := set[strings.TrimSpace(s)]
		if all && !in {
			return false
		}
		if !all && in {
			return true
		}
	}
	return all
}
