package placement

import "slices"

// PodAntiAffinityName names the filter for required pod anti-affinity
// (the anti-affinity half of Kubernetes' InterPodAffinity).
const PodAntiAffinityName = "PodAntiAffinity"

// Kubernetes' wording.
const (
	ReasonAntiAffinity         = "node(s) didn't match pod anti-affinity rules"
	ReasonExistingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules"
)

// PodAntiAffinity rejects a node whose topology domain (the value of the
// term's topologyKey label) holds a pod the incoming pod's required terms
// select, or a pod whose own required terms select the incoming pod: the
// rule holds both ways, as in Kubernetes. Pods placed earlier in the batch
// count. A node without the topology key is not in any domain and passes.
type PodAntiAffinity struct{}

var _ Filter = PodAntiAffinity{}

var (
	statusAntiAffinity         = newStatus(PodAntiAffinityName, ReasonAntiAffinity)
	statusExistingAntiAffinity = newStatus(PodAntiAffinityName, ReasonExistingAntiAffinity)
)

// Name is the filter's name.
func (PodAntiAffinity) Name() string { return PodAntiAffinityName }

// Prepare gathers the counts of the pod's own terms and the existing terms
// that select the pod; with neither, the pod skips the filter.
func (PodAntiAffinity) Prepare(c *cluster, p *podInfo) Check {
	var own []*termCount
	for _, t := range requiredAntiTerms(p.pod) {
		if at, ok := parseTerm(p.pod, t); ok {
			own = append(own, c.termCounts(at.namespaces, at.sel, at.topo))
		}
	}
	var existing []*antiGroup
	for _, g := range c.antiTerms {
		if slices.Contains(g.term.namespaces, p.pod.Namespace) && g.term.sel.Matches(p.pod.Labels) {
			existing = append(existing, g)
		}
	}
	if len(own) == 0 && len(existing) == 0 {
		return nil
	}
	return func(n *nodeInfo) *Status {
		for _, tc := range own {
			if count, _ := tc.inDomainOf(n); count > 0 {
				return statusAntiAffinity
			}
		}
		for _, g := range existing {
			if d := g.topo.domainOf[n.idx]; d >= 0 && g.counts[d] > 0 {
				return statusExistingAntiAffinity
			}
		}
		return nil
	}
}
