package placement

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Constraint is one Nomad constraint, as the barque.io/constraints
// annotation lists them: {"attribute": "${attr.kernel.name}",
// "operator": "=", "value": "linux"}. Either side may be a literal or a
// ${...} reference to the node: attr.<name>, meta.<name>, node.datacenter,
// node.class, node.unique.name, node.unique.id, and (a Barque addition)
// label.<name>.
type Constraint struct {
	Attribute string `json:"attribute"`
	Operator  string `json:"operator"`
	Value     string `json:"value,omitempty"`
}

// Constraint operators, as Nomad spells them.
const (
	OpEqual            = "="
	OpNotEqual         = "!="
	OpRegexp           = "regexp"
	OpVersion          = "version"
	OpSemver           = "semver"
	OpSetContains      = "set_contains"
	OpSetContainsAll   = "set_contains_all"
	OpSetContainsAny   = "set_contains_any"
	OpIsSet            = "is_set"
	OpIsNotSet         = "is_not_set"
	OpDistinctHosts    = "distinct_hosts"
	OpDistinctProperty = "distinct_property"
)

// compiled is a constraint ready to test nodes: its operator normalised,
// its pattern or version range parsed once, its rejection built once.
type compiled struct {
	Constraint
	re     *regexp.Regexp
	vc     versionConstraint
	limit  int // distinct_property: pods allowed per value
	status *Status
}

type parsedConstraints struct {
	list   []compiled
	status *Status // set when the annotation cannot be used at all
}

// parseConstraints reads and compiles a pod's annotation, cached per
// annotation text (replicas repeat it).
func (c *cluster) parseConstraints(text string) parsedConstraints {
	if pc, ok := c.constraints[text]; ok {
		return pc
	}
	var raw []Constraint
	pc := parsedConstraints{}
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		pc.status = newStatus(ConstraintsName, "invalid "+AnnotationConstraints+" annotation: "+err.Error())
	}
	for _, r := range raw {
		cc, err := compile(r)
		if err != nil {
			pc = parsedConstraints{status: newStatus(ConstraintsName, "invalid constraint: "+err.Error())}
			break
		}
		pc.list = append(pc.list, cc)
	}
	c.constraints[text] = pc
	return pc
}

var operatorAliases = map[string]string{"==": OpEqual, "is": OpEqual, "not": OpNotEqual,
	OpSetContains: OpSetContainsAll}

func compile(r Constraint) (compiled, error) {
	if op, ok := operatorAliases[r.Operator]; ok {
		r.Operator = op
	}
	cc := compiled{Constraint: r}
	var err error
	switch r.Operator {
	case OpRegexp:
		cc.re, err = regexp.Compile(r.Value)
	case OpVersion, OpSemver:
		cc.vc, err = parseVersionConstraint(r.Value, r.Operator == OpSemver)
	case OpDistinctProperty:
		cc.limit = 1
		if r.Value != "" {
			cc.limit, err = strconv.Atoi(r.Value)
		}
	case OpEqual, OpNotEqual, "<", "<=", ">", ">=", OpSetContainsAll, OpSetContainsAny,
		OpIsSet, OpIsNotSet, OpDistinctHosts:
	default:
		err = fmt.Errorf("unknown operator %q", r.Operator)
	}
	if err != nil {
		return compiled{}, fmt.Errorf("%s %s %s: %w", r.Attribute, r.Operator, r.Value, err)
	}
	cc.status = newStatus(ConstraintsName, "node(s) didn't satisfy constraint "+describe(r))
	return cc, nil
}

func describe(r Constraint) string {
	if r.Operator == OpDistinctHosts {
		return OpDistinctHosts
	}
	return strings.TrimSpace(r.Attribute + " " + r.Operator + " " + r.Value)
}

// resolve reads a constraint side against a node: a literal stands for
// itself; a reference may be missing.
func resolve(target string, n *nodeInfo) (string, bool) {
	if !strings.HasPrefix(target, "${") || !strings.HasSuffix(target, "}") {
		return target, true
	}
	ref := target[2 : len(target)-1]
	st := &n.node.Status
	switch {
	case ref == "node.unique.name":
		return n.name, true
	case ref == "node.unique.id":
		return n.node.UID, n.node.UID != ""
	case ref == "node.datacenter":
		return st.Datacenter, st.Datacenter != ""
	case ref == "node.class":
		return st.NodeClass, true
	case strings.HasPrefix(ref, "attr."):
		v, ok := st.Attributes[ref[len("attr."):]]
		return v, ok
	case strings.HasPrefix(ref, "meta."):
		v, ok := st.Meta[ref[len("meta."):]]
		return v, ok
	case strings.HasPrefix(ref, "label."):
		v, ok := n.labels[ref[len("label."):]]
		return v, ok
	}
	return "", false
}
