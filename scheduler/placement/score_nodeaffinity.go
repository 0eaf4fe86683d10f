package placement

import "github.com/barque-io/barque/api"

// NodeAffinityScoreName names the scorer for preferred node affinity.
const NodeAffinityScoreName = "NodeAffinityScore"

// NodeAffinityScore gives a node the weights of the preferred terms it
// matches, as a share of all the terms' weight, so that the score stays in
// 0-MaxScore whatever the weights (Kubernetes normalises over the nodes
// instead, which needs a second pass).
type NodeAffinityScore struct{}

var _ Scorer = NodeAffinityScore{}

// Name is the scorer's name.
func (NodeAffinityScore) Name() string { return NodeAffinityScoreName }

// Weight is the scorer's weight in the sum (Kubernetes gives NodeAffinity 2).
func (NodeAffinityScore) Weight() int64 { return 2 }

type weightedTerm struct {
	term   nodeTerm
	weight int64
}

// Prepare parses the preferred terms; pods without any skip.
func (NodeAffinityScore) Prepare(_ *cluster, p *podInfo) ScoreFunc {
	a := p.pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil {
		return nil
	}
	var terms []weightedTerm
	var total int64
	for _, pt := range a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		if pt.Weight <= 0 {
			continue
		}
		terms = append(terms, weightedTerm{term: parseNodeTerm(pt.Preference), weight: int64(pt.Weight)})
		total += int64(pt.Weight)
	}
	if total == 0 {
		return nil
	}
	return func(n *nodeInfo) int64 {
		var got int64
		for i := range terms {
			if terms[i].term.matches(n) {
				got += terms[i].weight
			}
		}
		return got * MaxScore / total
	}
}

// preferredAntiTerms lists a pod's preferred anti-affinity terms.
func preferredAntiTerms(pod *api.Pod) []api.WeightedPodAffinityTerm {
	if a := pod.Spec.Affinity; a != nil && a.PodAntiAffinity != nil {
		return a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}
