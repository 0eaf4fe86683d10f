package placement

import (
	"encoding/json"

	"github.com/barque-io/barque/api"
)

// TopologySpreadName names the filter for topology spread constraints with
// whenUnsatisfiable: DoNotSchedule (Kubernetes' PodTopologySpread).
const TopologySpreadName = "TopologySpread"

// Kubernetes' wording.
const (
	ReasonSpread             = "node(s) didn't match pod topology spread constraints"
	ReasonSpreadMissingLabel = ReasonSpread + " (missing required label)"
)

// TopologySpread rejects a node when placing the pod there would make its
// domain hold more than maxSkew matching pods above the least-loaded
// eligible domain. Eligible domains are those of nodes that pass the pod's
// nodeSelector and required node affinity (Kubernetes' default
// nodeAffinityPolicy: Honor); with fewer than minDomains of them the
// minimum counts as zero. Nodes without the topology key are rejected.
type TopologySpread struct{}

var _ Filter = TopologySpread{}

var (
	statusSpread             = newStatus(TopologySpreadName, ReasonSpread)
	statusSpreadMissingLabel = newStatus(TopologySpreadName, ReasonSpreadMissingLabel)
)

// Name is the filter's name.
func (TopologySpread) Name() string { return TopologySpreadName }

type spreadCheck struct {
	tc       *termCount
	maxSkew  int
	self     int // 1 when the pod matches its own selector
	minCount int
}

// Prepare computes, per hard constraint, the counts and the current
// minimum over eligible domains.
func (TopologySpread) Prepare(c *cluster, p *podInfo) Check {
	var checks []spreadCheck
	for _, tsc := range p.pod.Spec.TopologySpreadConstraints {
		if tsc.WhenUnsatisfiable != api.DoNotSchedule || tsc.TopologyKey == "" {
			continue
		}
		sel, err := api.SelectorFromLabelSelector(tsc.LabelSelector)
		if err != nil || tsc.LabelSelector == nil {
			sel = api.Nothing()
		}
		sc := spreadCheck{tc: c.termCounts([]string{p.pod.Namespace}, sel, tsc.TopologyKey),
			maxSkew: max(int(tsc.MaxSkew), 1)}
		if tsc.LabelSelector != nil && sel.Matches(p.pod.Labels) {
			sc.self = 1
		}
		domains := c.eligibleDomains(p, tsc.TopologyKey)
		sc.minCount = minCount(sc.tc, domains)
		if tsc.MinDomains != nil && len(domains) < int(*tsc.MinDomains) {
			sc.minCount = 0
		}
		checks = append(checks, sc)
	}
	if len(checks) == 0 {
		return nil
	}
	return func(n *nodeInfo) *Status {
		for i := range checks {
			count, ok := checks[i].tc.inDomainOf(n)
			if !ok {
				return statusSpreadMissingLabel
			}
			if count+checks[i].self-checks[i].minCount > checks[i].maxSkew {
				return statusSpread
			}
		}
		return nil
	}
}

func minCount(tc *termCount, domains []int32) int {
	lowest := 0
	for i, d := range domains {
		if v := tc.counts[d]; i == 0 || v < lowest {
			lowest = v
		}
	}
	return lowest
}

// eligibleDomains lists the topology key's values among nodes the pod's
// node selection admits. Nodes do not change during a call, so the set is
// cached per key and selection (replicas of a deployment share both).
func (c *cluster) eligibleDomains(p *podInfo, topo string) []int32 {
	var aff any
	if a := p.pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		aff = a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	fp, _ := json.Marshal([]any{topo, p.pod.Spec.NodeSelector, aff})
	if d, ok := c.domains[string(fp)]; ok {
		return d
	}
	m, restricted := requiredNodeMatcher(p.pod)
	t := c.topology(topo)
	seen := make([]bool, t.domains)
	var out []int32
	for _, n := range c.nodes {
		if d := t.domainOf[n.idx]; d >= 0 && !seen[d] && (!restricted || m.matches(n)) {
			seen[d] = true
			out = append(out, d)
		}
	}
	c.domains[string(fp)] = out
	return out
}
