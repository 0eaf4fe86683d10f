package placement

import "github.com/barque-io/barque/api"

// TopologySpreadScoreName names the scorer for topology spread constraints
// with whenUnsatisfiable: ScheduleAnyway.
const TopologySpreadScoreName = "TopologySpreadScore"

// TopologySpreadScore is the soft half of Kubernetes' PodTopologySpread:
// a ScheduleAnyway constraint never rejects a node, but nodes whose domain
// holds fewer matching pods score higher, so that skew is kept low when it
// can be. For each constraint a node scores MaxScore × (most − here) /
// (most − fewest) over the eligible domains (those the TopologySpread
// filter uses; MaxScore when they are level), nodes without the topology
// key score 0, and constraints are averaged. Kubernetes also weighs each
// constraint by the log of its domain count; with one or two constraints,
// the usual case, the plain average ranks nodes alike.
type TopologySpreadScore struct{}

var _ Scorer = TopologySpreadScore{}

// Name is the scorer's name.
func (TopologySpreadScore) Name() string { return TopologySpreadScoreName }

// Weight is the scorer's weight in the sum (Kubernetes gives
// PodTopologySpread 2).
func (TopologySpreadScore) Weight() int64 { return 2 }

type softSpread struct {
	tc           *termCount
	fewest, most int
}

// Prepare finds, per soft constraint, the fewest and most matching pods
// in an eligible domain; pods without soft constraints skip.
func (TopologySpreadScore) Prepare(c *cluster, p *podInfo) ScoreFunc {
	var soft []softSpread
	for _, tsc := range p.pod.Spec.TopologySpreadConstraints {
		if tsc.WhenUnsatisfiable != api.ScheduleAnyway || tsc.TopologyKey == "" || tsc.LabelSelector == nil {
			continue
		}
		sel, err := api.SelectorFromLabelSelector(tsc.LabelSelector)
		if err != nil {
			continue
		}
		s := softSpread{tc: c.termCounts([]string{p.pod.Namespace}, sel, tsc.TopologyKey)}
		for i, d := range c.eligibleDomains(p, tsc.TopologyKey) {
			v := s.tc.counts[d]
			if i == 0 || v < s.fewest {
				s.fewest = v
			}
			s.most = max(s.most, v)
		}
		soft = append(soft, s)
	}
	if len(soft) == 0 {
		return nil
	}
	return func(n *nodeInfo) int64 {
		var sum int64
		for i := range soft {
			sum += soft[i].score(n)
		}
		return sum / int64(len(soft))
	}
}

func (s *softSpread) score(n *nodeInfo) int64 {
	count, ok := s.tc.inDomainOf(n)
	switch {
	case !ok:
		return 0
	case s.most == s.fewest:
		return MaxScore
	}
	// A domain outside the eligible ones may lie outside fewest..most.
	span := int64(s.most - s.fewest)
	return min(max(int64(s.most-count), 0), span) * MaxScore / span
}
