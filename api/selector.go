package api

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// SelectorOperator is the relation a requirement tests.
type SelectorOperator string

// Selector operators, spelled as they are written in a selector string.
const (
	OpEquals       SelectorOperator = "="
	OpDoubleEquals SelectorOperator = "=="
	OpNotEquals    SelectorOperator = "!="
	OpIn           SelectorOperator = "in"
	OpNotIn        SelectorOperator = "notin"
	OpExists       SelectorOperator = "exists"
	OpDoesNotExist SelectorOperator = "!"
	OpGreaterThan  SelectorOperator = "gt"
	OpLessThan     SelectorOperator = "lt"
)

// Requirement is one term of a label selector.
type Requirement struct {
	Key      string
	Operator SelectorOperator
	Values   []string // sorted, without duplicates
}

// Selector is an AND of requirements over labels. The zero Selector matches
// everything; SelectorFromLabelSelector(nil) matches nothing, as in
// Kubernetes (a controller without a selector must own no pods).
type Selector struct {
	reqs    []Requirement
	nothing bool
}

// Everything matches every object.
func Everything() Selector { return Selector{} }

// Nothing matches no object.
func Nothing() Selector { return Selector{nothing: true} }

// SelectorFromSet makes an equality selector from a label map.
func SelectorFromSet(set map[string]string) Selector {
	var s Selector
	for k, v := range set {
		s.reqs = append(s.reqs, Requirement{Key: k, Operator: OpEquals, Values: []string{v}})
	}
	s.sort()
	return s
}

// Requirements returns the selector's terms, sorted by key.
func (s Selector) Requirements() []Requirement { return slices.Clone(s.reqs) }

// Empty reports whether the selector has no requirements (so it matches
// everything).
func (s Selector) Empty() bool { return !s.nothing && len(s.reqs) == 0 }

// Matches reports whether labels satisfy every requirement.
func (s Selector) Matches(labels map[string]string) bool {
	if s.nothing {
		return false
	}
	for i := range s.reqs {
		if !s.reqs[i].Matches(labels) {
			return false
		}
	}
	return true
}

// String renders the selector in the syntax ParseSelector reads, with the
// requirements sorted by key so that equal selectors print the same.
func (s Selector) String() string {
	parts := make([]string, len(s.reqs))
	for i := range s.reqs {
		parts[i] = s.reqs[i].String()
	}
	return strings.Join(parts, ",")
}

func (s *Selector) sort() {
	sort.SliceStable(s.reqs, func(i, j int) bool { return s.reqs[i].Key < s.reqs[j].Key })
}

// Matches tests one requirement. As in Kubernetes, != and notin hold for
// objects that lack the key entirely.
func (r *Requirement) Matches(labels map[string]string) bool {
	v, has := labels[r.Key]
	switch r.Operator {
	case OpEquals, OpDoubleEquals, OpIn:
		return has && slices.Contains(r.Values, v)
	case OpNotEquals, OpNotIn:
		return !has || !slices.Contains(r.Values, v)
	case OpExists:
		return has
	case OpDoesNotExist:
		return !has
	case OpGreaterThan, OpLessThan:
		return has && compareInt(v, r.Values[0], r.Operator)
	}
	return false
}

func compareInt(label, bound string, op SelectorOperator) bool {
	l, err1 := strconv.ParseInt(label, 10, 64)
	b, err2 := strconv.ParseInt(bound, 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	if op == OpGreaterThan {
		return l > b
	}
	return l < b
}

// String renders one requirement.
func (r *Requirement) String() string {
	switch r.Operator {
	case OpExists:
		return r.Key
	case OpDoesNotExist:
		return "!" + r.Key
	case OpIn, OpNotIn:
		return r.Key + " " + string(r.Operator) + " (" + strings.Join(r.Values, ",") + ")"
	case OpGreaterThan:
		return r.Key + ">" + r.Values[0]
	case OpLessThan:
		return r.Key + "<" + r.Values[0]
	}
	return r.Key + string(r.Operator) + r.Values[0]
}

// NewRequirement checks a requirement's key, values and arity the way
// Kubernetes does and returns it with its values sorted.
func NewRequirement(key string, op SelectorOperator, values []string) (Requirement, error) {
	if errs := IsQualifiedName(key); len(errs) > 0 {
		return Requirement{}, fmt.Errorf("invalid label key %q: %s", key, strings.Join(errs, "; "))
	}
	switch op {
	case OpIn, OpNotIn:
		if len(values) == 0 {
			return Requirement{}, fmt.Errorf("for 'in', 'notin' operators, values set can't be empty")
		}
	case OpEquals, OpDoubleEquals, OpNotEquals:
		if len(values) != 1 {
			return Requirement{}, fmt.Errorf("exact-match compatibility requires one single value")
		}
	case OpExists, OpDoesNotExist:
		if len(values) != 0 {
			return Requirement{}, fmt.Errorf("values set must be empty for exists and does not exist")
		}
	case OpGreaterThan, OpLessThan:
		if len(values) != 1 {
			return Requirement{}, fmt.Errorf("for 'Gt', 'Lt' operators, exactly one value is required")
		}
		if _, err := strconv.ParseInt(values[0], 10, 64); err != nil {
			return Requirement{}, fmt.Errorf("for 'Gt', 'Lt' operators, the value must be an integer: %q", values[0])
		}
	default:
		return Requirement{}, fmt.Errorf("operator %q is not recognized", op)
	}
	for _, v := range values {
		if errs := IsValidLabelValue(v); len(errs) > 0 && op != OpGreaterThan && op != OpLessThan {
			return Requirement{}, fmt.Errorf("invalid label value %q: at key %q: %s", v, key, strings.Join(errs, "; "))
		}
	}
	vals := slices.Clone(values)
	slices.Sort(vals)
	return Requirement{Key: key, Operator: op, Values: slices.Compact(vals)}, nil
}

// SelectorFromLabelSelector converts a manifest's selector (matchLabels and
// matchExpressions). A nil selector matches nothing; an empty one matches
// everything, as in Kubernetes.
func SelectorFromLabelSelector(ls *LabelSelector) (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	var s Selector
	for k, v := range ls.MatchLabels {
		r, err := NewRequirement(k, OpEquals, []string{v})
		if err != nil {
			return Selector{}, err
		}
		s.reqs = append(s.reqs, r)
	}
	for _, e := range ls.MatchExpressions {
		op, ok := labelSelectorOps[e.Operator]
		if !ok {
			return Selector{}, fmt.Errorf("%q is not a valid label selector operator", e.Operator)
		}
		r, err := NewRequirement(e.Key, op, e.Values)
		if err != nil {
			return Selector{}, err
		}
		s.reqs = append(s.reqs, r)
	}
	s.sort()
	return s, nil
}

var labelSelectorOps = map[LabelSelectorOperator]SelectorOperator{
	LabelSelectorOpIn:           OpIn,
	LabelSelectorOpNotIn:        OpNotIn,
	LabelSelectorOpExists:       OpExists,
	LabelSelectorOpDoesNotExist: OpDoesNotExist,
}
