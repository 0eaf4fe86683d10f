package placement

import (
	"encoding/json"
	"fmt"
	"math"
)

// NomadSpreadScoreName names the scorer for Nomad spreads from the
// barque.io/spreads annotation.
const NomadSpreadScoreName = "NomadSpreadScore"

// Spread is one Nomad spread, as the barque.io/spreads annotation lists
// them: spread the group's pods over the values of Attribute (a
// ${...} reference, as a constraint's), in the Targets' shares, or evenly
// without targets. Weight (0 to 100; 0 means Nomad's default, 50) ranks
// the spreads of one pod against each other.
type Spread struct {
	Attribute string         `json:"attribute"`
	Weight    int            `json:"weight,omitempty"`
	Targets   []SpreadTarget `json:"targets,omitempty"`
}

// SpreadTarget is the share of a group's pods (Percent, 0 to 100) wanted
// on the nodes whose attribute is Value.
type SpreadTarget struct {
	Value   string `json:"value"`
	Percent int    `json:"percent"`
}

// DefaultSpreadWeight is Nomad's weight for a spread that gives none.
const DefaultSpreadWeight = 50

// NomadSpreadScore is Nomad's SpreadIterator. It counts the pods of the
// pod's group (see groupID) per value of each spread's attribute, this
// pod included, and rates each value by its deficit: how many pods it
// lacks, or holds too many, against its target.
//
// With targets, a value's target is its percent of the group's pods
// counted so far plus this one (a pod does not know its group's count, so
// the share is of what exists; once the group is complete this is Nomad's
// percent of the count), values without a target share what the targets
// leave under 100%, and when they leave nothing those values get the
// largest penalty. Without targets the spread is even: a value's deficit
// is how far it is below the least-used value that holds pods of the
// group, so a value without any gets the largest boost. Nodes without the
// attribute get the largest penalty.
//
// Deficits are counted in pods and capped at one pod either way, so that
// the preference does not fade as a group grows (Nomad divides by the
// target, which does), then averaged over the pod's spreads by weight and
// mapped from -1..1 onto 0-MaxScore. Picking the largest deficit each
// time is a quota method: a group of 8 with targets 75% and 25% lands 6
// and 2.
type NomadSpreadScore struct{}

var _ Scorer = NomadSpreadScore{}

// Name is the scorer's name.
func (NomadSpreadScore) Name() string { return NomadSpreadScoreName }

// Weight is the scorer's weight in the sum: a deficit of half a pod is
// worth 50 points, as much as binpack's preference between an empty and a
// half-full node.
func (NomadSpreadScore) Weight() int64 { return 2 }

// spreadTable is one spread's contribution per domain of its attribute,
// already weighted, and what a node without the attribute gets.
type spreadTable struct {
	dom     *attrDomains
	boost   []float64
	missing float64
}

// Prepare counts the group's pods per value and turns each spread into a
// table per value, so that scoring a node is a lookup per spread. Pods
// without an annotation, a group, or a readable annotation skip.
func (NomadSpreadScore) Prepare(c *cluster, p *podInfo) ScoreFunc {
	text := p.pod.Annotations[AnnotationSpreads]
	if text == "" || p.group == (groupID{}) {
		return nil
	}
	spreads := c.parseSpreads(text)
	if len(spreads) == 0 {
		return nil
	}
	var sum float64
	for _, s := range spreads {
		sum += float64(spreadWeight(s))
	}
	tables := make([]spreadTable, len(spreads))
	for i, s := range spreads {
		share := float64(spreadWeight(s)) / sum
		gc := c.groupCount(p.group, s.Attribute)
		tables[i] = spreadTable{dom: gc.dom, boost: deficits(s, gc), missing: -share}
		for d := range tables[i].boost {
			tables[i].boost[d] *= share
		}
	}
	return func(n *nodeInfo) int64 {
		var total float64
		for i := range tables {
			if d := tables[i].dom.domainOf[n.idx]; d >= 0 {
				total += tables[i].boost[d]
			} else {
				total += tables[i].missing
			}
		}
		return int64(math.Round(MaxScore / 2 * (1 + total)))
	}
}

func spreadWeight(s Spread) int {
	if s.Weight == 0 {
		return DefaultSpreadWeight
	}
	return s.Weight
}

// deficits rates each value of the spread's attribute from -1 to 1.
func deficits(s Spread, gc *groupCount) []float64 {
	out := make([]float64, len(gc.counts))
	if len(s.Targets) == 0 {
		least := 0
		for _, n := range gc.counts {
			if n > 0 && (least == 0 || n < least) {
				least = n
			}
		}
		for d, n := range gc.counts {
			out[d] = clampUnit(float64(least - n))
		}
		return out
	}
	pods := float64(gc.total + 1)
	targeted := make([]bool, len(gc.counts))
	percent := 0
	for _, t := range s.Targets {
		percent += t.Percent
		d, ok := gc.dom.ids[t.Value]
		if !ok {
			continue // no node has the value
		}
		targeted[d] = true
		out[d] = clampUnit(float64(t.Percent)/100*pods - float64(gc.counts[d]))
	}
	// The values without a target share the rest, as one bucket.
	rest := -1.0
	if percent < 100 {
		others := 0
		for d, n := range gc.counts {
			if !targeted[d] {
				others += n
			}
		}
		rest = clampUnit(float64(100-percent)/100*pods - float64(others))
	}
	for d := range out {
		if !targeted[d] {
			out[d] = rest
		}
	}
	return out
}

func clampUnit(v float64) float64 { return min(max(v, -1), 1) }

// parseSpreads reads an annotation once per call; nil when it is not a
// valid list of spreads.
func (c *cluster) parseSpreads(text string) []Spread {
	if s, ok := c.spreads[text]; ok {
		return s
	}
	s, err := parseSpreadList(text)
	if err != nil {
		s = nil
	}
	c.spreads[text] = s
	return s
}

func parseSpreadList(text string) ([]Spread, error) {
	var list []Spread
	if err := json.Unmarshal([]byte(text), &list); err != nil {
		return nil, err
	}
	for _, s := range list {
		if s.Attribute == "" {
			return nil, fmt.Errorf("spread without an attribute")
		}
		if s.Weight < 0 || s.Weight > 100 {
			return nil, fmt.Errorf("spread %s: weight %d is not within 0..100", s.Attribute, s.Weight)
		}
		total := 0
		for _, t := range s.Targets {
			if t.Percent < 0 || t.Percent > 100 {
				return nil, fmt.Errorf("spread %s: target %q: percent %d is not within 0..100", s.Attribute, t.Value, t.Percent)
			}
			total += t.Percent
		}
		if total > 100 {
			return nil, fmt.Errorf("spread %s: target percents add up to %d, over 100", s.Attribute, total)
		}
	}
	return list, nil
}
