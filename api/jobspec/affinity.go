package jobspec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Pod annotations the scheduler scores with (scheduler/placement/types.go).
const (
	AnnotationAffinities = "barque.io/affinities"
	AnnotationSpreads    = "barque.io/spreads"
)

// Nomad's defaults and bounds for affinity and spread weights.
const (
	defaultPreferenceWeight = 50
	maxAffinityWeight       = 100
	maxSpreadWeight         = 100
)

// Affinity is a placement preference: nodes on which the constraint
// (attribute, operator, value, as in a constraint block) holds gain its
// weight, -100 to 100 (negative: avoid them), 50 when not given.
type Affinity struct {
	Attribute string `hcl:"attribute,optional"`
	Operator  string `hcl:"operator,optional"`
	Value     string `hcl:"value,optional"`
	Weight    *int   `hcl:"weight,optional"`

	DefRange      hcl.Range `hcl:",def_range"`
	OperatorRange hcl.Range `hcl:"operator,attr_range"`
	ValueRange    hcl.Range `hcl:"value,attr_range"`
	WeightRange   hcl.Range `hcl:"weight,attr_range"`
}

// Spread spreads a group's pods over the values of a node attribute: in
// the targets' shares, or evenly without targets. Weight (1 to 100, 50
// when not given) ranks a group's spreads against each other.
type Spread struct {
	Attribute string          `hcl:"attribute,optional"`
	Weight    *int            `hcl:"weight,optional"`
	Targets   []*SpreadTarget `hcl:"target,block"`

	DefRange    hcl.Range `hcl:",def_range"`
	WeightRange hcl.Range `hcl:"weight,attr_range"`
}

// SpreadTarget is the percent of the group's pods wanted on nodes whose
// attribute has the block's label as value.
type SpreadTarget struct {
	Value   string `hcl:"value,label"`
	Percent int    `hcl:"percent,optional"`

	DefRange     hcl.Range `hcl:",def_range"`
	PercentRange hcl.Range `hcl:"percent,attr_range"`
}

func init() {
	blockNoun[reflect.TypeOf(Affinity{})] = "affinity"
	blockNoun[reflect.TypeOf(Spread{})] = "spread"
	blockNoun[reflect.TypeOf(SpreadTarget{})] = "target"
}

// affinityOperators are the constraint operators but those that count
// other pods (distinct_hosts, distinct_property), as in Nomad.
var affinityOperators = func() (out []string) {
	for _, op := range operators {
		if !strings.HasPrefix(op, "distinct_") {
			out = append(out, op)
		}
	}
	return out
}()

// preferences writes the group's affinities (the job's, the group's and
// every task's, since the tasks share the pod, as Nomad merges them) and
// spreads (the group's, then the job's on other attributes) into the
// annotations the scheduler scores with.
func (j *Job) preferences(g *Group, ann map[string]string) error {
	type affinity struct {
		Attribute string `json:"attribute"`
		Operator  string `json:"operator"`
		Value     string `json:"value,omitempty"`
		Weight    int    `json:"weight"`
	}
	var affs []affinity
	all := append(append([]Affinity(nil), j.Affinities...), g.Affinities...)
	for _, t := range g.Tasks {
		all = append(all, t.Affinities...)
	}
	for _, a := range all {
		affs = append(affs, affinity{a.Attribute, operatorOr(a.Operator), a.Value, weightOr(a.Weight)})
	}
	if err := setJSON(ann, AnnotationAffinities, affs); err != nil {
		return err
	}
	return setJSON(ann, AnnotationSpreads, mergeSpreads(j.Spreads, g.Spreads))
}

type spreadTarget struct {
	Value   string `json:"value"`
	Percent int    `json:"percent"`
}

type spread struct {
	Attribute string         `json:"attribute"`
	Weight    int            `json:"weight"`
	Targets   []spreadTarget `json:"targets,omitempty"`
}

// mergeSpreads lists the group's spreads, then the job's on attributes the
// group does not spread over: the more specific block wins.
func mergeSpreads(job, group []Spread) []spread {
	var out []spread
	seen := map[string]bool{}
	for _, s := range append(append([]Spread(nil), group...), job...) {
		if seen[s.Attribute] {
			continue
		}
		seen[s.Attribute] = true
		sp := spread{Attribute: s.Attribute, Weight: weightOr(s.Weight)}
		for _, t := range s.Targets {
			sp.Targets = append(sp.Targets, spreadTarget{t.Value, t.Percent})
		}
		out = append(out, sp)
	}
	return out
}

// setJSON writes list as the annotation's JSON, with operators such as
// ">=" left readable (json.Marshal escapes them for HTML).
func setJSON[T any](ann map[string]string, key string, list []T) error {
	if len(list) == 0 {
		return nil
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(list)
	ann[key] = strings.TrimSuffix(b.String(), "\n")
	return err
}

func operatorOr(op string) string {
	if op == "" {
		return "="
	}
	return op
}

func weightOr(w *int) int {
	if w == nil {
		return defaultPreferenceWeight
	}
	return *w
}

// validPreferences checks affinity and spread blocks as Nomad does, each
// problem an error at the offending line naming the block's attribute.
func validPreferences(job *Job) hcl.Diagnostics {
	var diags hcl.Diagnostics
	affs := job.Affinities
	spreads := job.Spreads
	for _, g := range job.Groups {
		affs = append(affs[:len(affs):len(affs)], g.Affinities...)
		spreads = append(spreads[:len(spreads):len(spreads)], g.Spreads...)
		for _, t := range g.Tasks {
			affs = append(affs, t.Affinities...)
		}
	}
	for i := range affs {
		diags = append(diags, validAffinity(&affs[i])...)
	}
	for i := range spreads {
		diags = append(diags, validSpread(&spreads[i])...)
	}
	return diags
}

func validAffinity(a *Affinity) hcl.Diagnostics {
	var diags hcl.Diagnostics
	bad := func(rng hcl.Range, format string, args ...any) {
		diags = append(diags, diag("Invalid affinity", about(a.Attribute, format, args...), orRange(rng, a.DefRange)))
	}
	op := operatorOr(a.Operator)
	switch {
	case a.Attribute == "":
		bad(a.DefRange, "attribute is missing")
	case oneOf("", op, affinityOperators) != nil:
		bad(a.OperatorRange, "operator %q is not one of %s", op, strings.Join(affinityOperators, ", "))
	case op == "regexp":
		if _, err := regexp.Compile(a.Value); err != nil {
			bad(a.ValueRange, "value is not a regular expression: %v", err)
		}
	}
	if w := weightOr(a.Weight); w == 0 || w < -maxAffinityWeight || w > maxAffinityWeight {
		bad(a.WeightRange, "weight %d must be from -%d to %d, and not 0", w, maxAffinityWeight, maxAffinityWeight)
	}
	return diags
}

func validSpread(s *Spread) hcl.Diagnostics {
	var diags hcl.Diagnostics
	bad := func(rng hcl.Range, format string, args ...any) {
		diags = append(diags, diag("Invalid spread", about(s.Attribute, format, args...), orRange(rng, s.DefRange)))
	}
	if s.Attribute == "" {
		bad(s.DefRange, "attribute is missing")
	}
	if w := weightOr(s.Weight); w <= 0 || w > maxSpreadWeight {
		bad(s.WeightRange, "weight %d must be from 1 to %d", w, maxSpreadWeight)
	}
	total, seen := 0, map[string]bool{}
	for _, t := range s.Targets {
		if seen[t.Value] {
			bad(t.DefRange, "target %q is given twice", t.Value)
		}
		seen[t.Value] = true
		if t.Percent < 0 || t.Percent > 100 {
			bad(orRange(t.PercentRange, t.DefRange), "target %q: percent %d must be from 0 to 100", t.Value, t.Percent)
		}
		total += t.Percent
	}
	if total > 100 {
		bad(s.DefRange, "target percents add up to %d%%, more than 100%%", total)
	}
	return diags
}

// about prefixes a problem with the attribute its block is about.
func about(attr, format string, args ...any) string {
	msg := fmt.Sprintf(format, args...) + "."
	if attr == "" {
		return msg
	}
	return attr + ": " + msg
}

// orRange is rng, or fallback for an attribute the block leaves out.
func orRange(rng, fallback hcl.Range) hcl.Range {
	if rng.Filename == "" {
		return fallback
	}
	return rng
}
