package api

import (
	"fmt"
	"slices"
	"strings"
)

// fieldGetters are the fields a list may filter on, and which kinds have
// them (nil: every kind). The store indexes the same fields.
var fieldGetters = map[string]struct {
	kinds []string
	get   func(Object) string
}{
	"metadata.name":      {nil, func(o Object) string { return o.GetObjectMeta().Name }},
	"metadata.namespace": {nil, func(o Object) string { return o.GetObjectMeta().Namespace }},
	"spec.nodeName":      {[]string{"Pod"}, podField(func(p *Pod) string { return p.Spec.NodeName })},
	"status.phase":       {[]string{"Pod", "Namespace"}, phaseField},
	// Events, as Kubernetes selects them (kubectl describe lists an
	// object's events with involvedObject.*).
	"involvedObject.kind":       {events, eventField(func(e *Event) string { return e.InvolvedObject.Kind })},
	"involvedObject.namespace":  {events, eventField(func(e *Event) string { return e.InvolvedObject.Namespace })},
	"involvedObject.name":       {events, eventField(func(e *Event) string { return e.InvolvedObject.Name })},
	"involvedObject.uid":        {events, eventField(func(e *Event) string { return e.InvolvedObject.UID })},
	"involvedObject.apiVersion": {events, eventField(func(e *Event) string { return e.InvolvedObject.APIVersion })},
	"involvedObject.fieldPath":  {events, eventField(func(e *Event) string { return e.InvolvedObject.FieldPath })},
	"reason":                    {events, eventField(func(e *Event) string { return e.Reason })},
	"type":                      {events, eventField(func(e *Event) string { return e.Type })},
	"source":                    {events, eventField(func(e *Event) string { return e.Source.Component })},
}

var events = []string{"Event"}

func eventField(f func(*Event) string) func(Object) string {
	return func(o Object) string {
		if e, ok := o.(*Event); ok {
			return f(e)
		}
		return ""
	}
}

func podField(f func(*Pod) string) func(Object) string {
	return func(o Object) string {
		if p, ok := o.(*Pod); ok {
			return f(p)
		}
		return ""
	}
}

func phaseField(o Object) string {
	switch v := o.(type) {
	case *Pod:
		return string(v.Status.Phase)
	case *Namespace:
		return v.Status.Phase
	}
	return ""
}

// FieldRequirement is one term of a field selector.
type FieldRequirement struct {
	Field  string
	Negate bool // true for !=
	Value  string
}

// FieldSelector is an AND of field equalities and inequalities. The zero
// value matches everything.
type FieldSelector struct {
	reqs []FieldRequirement
}

// ParseFieldSelector reads "spec.nodeName=n1,status.phase!=Failed". Values
// may escape ',', '=' and '\' with a backslash, as in Kubernetes.
func ParseFieldSelector(s string) (FieldSelector, error) {
	var fs FieldSelector
	if strings.TrimSpace(s) == "" {
		return fs, nil
	}
	for _, term := range splitUnescaped(s, ',') {
		r, err := parseFieldTerm(strings.TrimSpace(term))
		if err != nil {
			return FieldSelector{}, err
		}
		fs.reqs = append(fs.reqs, r)
	}
	return fs, nil
}

func parseFieldTerm(term string) (FieldRequirement, error) {
	field, value, negate, ok := cutFieldOp(term)
	if !ok {
		return FieldRequirement{}, fmt.Errorf("invalid field selector: %q: expected field=value, field==value or field!=value", term)
	}
	field = strings.TrimSpace(field)
	if _, known := fieldGetters[field]; !known {
		return FieldRequirement{}, fmt.Errorf("field label not supported: %s", field)
	}
	return FieldRequirement{Field: field, Negate: negate, Value: unescapeField(strings.TrimSpace(value))}, nil
}

// cutFieldOp finds the first unescaped operator in a term.
func cutFieldOp(term string) (field, value string, negate, ok bool) {
	for i := 0; i < len(term); i++ {
		switch {
		case term[i] == '\\':
			i++
		case strings.HasPrefix(term[i:], "!="):
			return term[:i], term[i+2:], true, true
		case strings.HasPrefix(term[i:], "=="):
			return term[:i], term[i+2:], false, true
		case term[i] == '=':
			return term[:i], term[i+1:], false, true
		}
	}
	return "", "", false, false
}

func splitUnescaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unescapeField(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func escapeField(s string) string {
	return strings.NewReplacer(`\`, `\\`, `,`, `\,`, `=`, `\=`).Replace(s)
}

// CheckKind reports an error naming the first field the kind does not
// have, so that `spec.nodeName` on services is refused as Kubernetes does.
func (fs FieldSelector) CheckKind(kind string) error {
	for _, r := range fs.reqs {
		kinds := fieldGetters[r.Field].kinds
		if kinds != nil && !slices.Contains(kinds, kind) {
			return fmt.Errorf("field label not supported: %s", r.Field)
		}
	}
	return nil
}

// Matches reports whether obj satisfies every term. A field the kind does
// not have reads as "".
func (fs FieldSelector) Matches(obj Object) bool {
	for _, r := range fs.reqs {
		if (fieldGetters[r.Field].get(obj) == r.Value) == r.Negate {
			return false
		}
	}
	return true
}

// Empty reports whether the selector has no terms.
func (fs FieldSelector) Empty() bool { return len(fs.reqs) == 0 }

// Requirements returns the terms in the order they were written.
func (fs FieldSelector) Requirements() []FieldRequirement {
	return append([]FieldRequirement(nil), fs.reqs...)
}

// RequiresExactMatch returns the value the selector requires field to equal,
// so that a store can answer from an index instead of scanning.
func (fs FieldSelector) RequiresExactMatch(field string) (string, bool) {
	for _, r := range fs.reqs {
		if r.Field == field && !r.Negate {
			return r.Value, true
		}
	}
	return "", false
}

// String renders the selector as ParseFieldSelector reads it.
func (fs FieldSelector) String() string {
	parts := make([]string, len(fs.reqs))
	for i, r := range fs.reqs {
		op := "="
		if r.Negate {
			op = "!="
		}
		parts[i] = r.Field + op + escapeField(r.Value)
	}
	return strings.Join(parts, ",")
}
