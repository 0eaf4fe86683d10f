package placement

// PodAntiAffinityScoreName names the scorer for preferred pod
// anti-affinity.
const PodAntiAffinityScoreName = "PodAntiAffinityScore"

// PodAntiAffinityScore starts every node at MaxScore and takes off each
// preferred term's share of the total weight when the node's domain already
// holds a pod the term selects (pods placed earlier in the batch count).
// Kubernetes weighs by the number of such pods and normalises over nodes;
// presence keeps the score bounded in one pass.
type PodAntiAffinityScore struct{}

var _ Scorer = PodAntiAffinityScore{}

// Name is the scorer's name.
func (PodAntiAffinityScore) Name() string { return PodAntiAffinityScoreName }

// Weight is the scorer's weight (Kubernetes gives InterPodAffinity 2).
func (PodAntiAffinityScore) Weight() int64 { return 2 }

type weightedCount struct {
	tc     *termCount
	weight int64
}

// Prepare looks up the counts of the pod's preferred terms; pods without
// any skip.
func (PodAntiAffinityScore) Prepare(c *cluster, p *podInfo) ScoreFunc {
	var terms []weightedCount
	var total int64
	for _, wt := range preferredAntiTerms(p.pod) {
		at, ok := parseTerm(p.pod, wt.PodAffinityTerm)
		if !ok || wt.Weight <= 0 {
			continue
		}
		terms = append(terms, weightedCount{tc: c.termCounts(at.namespaces, at.sel, at.topo), weight: int64(wt.Weight)})
		total += int64(wt.Weight)
	}
	if total == 0 {
		return nil
	}
	return func(n *nodeInfo) int64 {
		var penalty int64
		for _, t := range terms {
			if count, _ := t.tc.inDomainOf(n); count > 0 {
				penalty += t.weight
			}
		}
		return MaxScore - penalty*MaxScore/total
	}
}
