package placement

import (
	"github.com/barque-io/barque/api"
)

// NodeAffinityName names the filter for the pod's nodeSelector and its
// required node affinity (Kubernetes' NodeAffinity).
const NodeAffinityName = "NodeAffinity"

// ReasonNodeAffinity is Kubernetes' wording.
const ReasonNodeAffinity = "node(s) didn't match Pod's node affinity/selector"

// NodeAffinity rejects nodes whose labels do not satisfy the nodeSelector,
// or none of the required affinity's terms (terms are ORed, requirements
// within a term ANDed; matchFields may test metadata.name).
type NodeAffinity struct{}

var _ Filter = NodeAffinity{}

var statusNodeAffinity = newStatus(NodeAffinityName, ReasonNodeAffinity)

// Name is the filter's name.
func (NodeAffinity) Name() string { return NodeAffinityName }

// Prepare parses the selector and terms once; a pod with neither skips.
func (NodeAffinity) Prepare(_ *cluster, p *podInfo) Check {
	m, ok := requiredNodeMatcher(p.pod)
	if !ok {
		return nil
	}
	return func(n *nodeInfo) *Status {
		if !m.matches(n) {
			return statusNodeAffinity
		}
		return nil
	}
}

// nodeMatcher is a pod's nodeSelector AND its required affinity's terms.
type nodeMatcher struct {
	selector api.Selector
	terms    []nodeTerm // ORed; nil means no required affinity
	hasTerms bool
}

// nodeTerm is one NodeSelectorTerm: label and field requirements, ANDed.
// invalid marks a term that cannot match (a bad operator or value), as
// Kubernetes treats one.
type nodeTerm struct {
	labels, fields []api.Requirement
	invalid        bool
}

func requiredNodeMatcher(pod *api.Pod) (nodeMatcher, bool) {
	m := nodeMatcher{selector: api.SelectorFromSet(pod.Spec.NodeSelector)}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil &&
		a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		m.hasTerms = true
		for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			m.terms = append(m.terms, parseNodeTerm(t))
		}
	}
	return m, len(pod.Spec.NodeSelector) > 0 || m.hasTerms
}

func (m *nodeMatcher) matches(n *nodeInfo) bool {
	if !m.selector.Matches(n.labels) {
		return false
	}
	if !m.hasTerms {
		return true
	}
	for i := range m.terms {
		if m.terms[i].matches(n) {
			return true
		}
	}
	return false
}

var nodeSelectorOps = map[string]api.SelectorOperator{
	api.NodeSelectorOpIn: api.OpIn, api.NodeSelectorOpNotIn: api.OpNotIn,
	api.NodeSelectorOpExists: api.OpExists, api.NodeSelectorOpDoesNotExist: api.OpDoesNotExist,
	api.NodeSelectorOpGt: api.OpGreaterThan, api.NodeSelectorOpLt: api.OpLessThan,
}

// parseNodeTerm converts a term to requirements. An empty term matches
// nothing, as in Kubernetes.
func parseNodeTerm(t api.NodeSelectorTerm) nodeTerm {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return nodeTerm{invalid: true}
	}
	labels, ok1 := requirements(t.MatchExpressions)
	fields, ok2 := requirements(t.MatchFields)
	return nodeTerm{labels: labels, fields: fields, invalid: !ok1 || !ok2}
}

func requirements(reqs []api.NodeSelectorRequirement) ([]api.Requirement, bool) {
	out := make([]api.Requirement, 0, len(reqs))
	for _, r := range reqs {
		op, ok := nodeSelectorOps[r.Operator]
		if !ok {
			return nil, false
		}
		req, err := api.NewRequirement(r.Key, op, r.Values)
		if err != nil {
			return nil, false
		}
		out = append(out, req)
	}
	return out, true
}

func (t *nodeTerm) matches(n *nodeInfo) bool {
	if t.invalid || !matchAll(t.labels, n.labels) {
		return false
	}
	return len(t.fields) == 0 || matchAll(t.fields, n.fieldSet())
}

func matchAll(reqs []api.Requirement, set map[string]string) bool {
	for i := range reqs {
		if !reqs[i].Matches(set) {
			return false
		}
	}
	return true
}
