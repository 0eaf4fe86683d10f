package placement

import (
	"encoding/json"
	"fmt"
	"math"
)

// NomadAffinityScoreName names the scorer for Nomad affinities from the
// barque.io/affinities annotation.
const NomadAffinityScoreName = "NomadAffinityScore"

// Affinity is one Nomad affinity, as the barque.io/affinities annotation
// lists them: a constraint that, instead of rejecting nodes, adds its
// weight (-100 to 100; 0 means Nomad's default, 50) to those it holds on.
// Attribute and Value are read as a Constraint's, with the same
// operators, distinct_hosts and distinct_property excepted.
type Affinity struct {
	Attribute string `json:"attribute"`
	Operator  string `json:"operator,omitempty"`
	Value     string `json:"value,omitempty"`
	Weight    int    `json:"weight,omitempty"`
}

// DefaultAffinityWeight is Nomad's weight for an affinity that gives none.
const DefaultAffinityWeight = 50

// NomadAffinityScore is Nomad's NodeAffinityIterator: a node's score is
// the sum of the weights of the affinities it matches over the sum of
// their absolute values, from -1 (it matches every negative one and no
// positive one) to 1, mapped onto 0-MaxScore; a node matching none scores
// the middle, MaxScore/2. A pod whose annotation cannot be read is not
// scored (scoring states preferences; the filter chain has no say here).
type NomadAffinityScore struct{}

var _ Scorer = NomadAffinityScore{}

// Name is the scorer's name.
func (NomadAffinityScore) Name() string { return NomadAffinityScoreName }

// Weight is the scorer's weight in the sum: that of Kubernetes' preferred
// node affinity, so that a full-weight affinity outweighs binpack's
// preference between two nodes, as it does in Nomad, where the two scores
// are averaged.
func (NomadAffinityScore) Weight() int64 { return 2 }

// affinitySet is one annotation's affinities, compiled, with the score of
// each node once computed: node attributes do not change during a call,
// and replicas share their annotation, so each node is evaluated once per
// distinct annotation rather than once per pod.
type affinitySet struct {
	list    []compiled
	weights []int64
	sumAbs  int64
	scores  []int16 // per node index; -1 until computed
}

// Prepare compiles the annotation (cached per text); pods without one, or
// with an invalid one, skip.
func (NomadAffinityScore) Prepare(c *cluster, p *podInfo) ScoreFunc {
	text := p.pod.Annotations[AnnotationAffinities]
	if text == "" {
		return nil
	}
	set := c.affinitySet(text)
	if set == nil {
		return nil
	}
	return func(n *nodeInfo) int64 {
		s := set.scores[n.idx]
		if s < 0 {
			s = set.score(n)
			set.scores[n.idx] = s
		}
		return int64(s)
	}
}

func (s *affinitySet) score(n *nodeInfo) int16 {
	var got int64
	for i := range s.list {
		if s.list[i].holds(n) {
			got += s.weights[i]
		}
	}
	norm := float64(got) / float64(s.sumAbs)
	return int16(math.Round(MaxScore / 2 * (1 + norm)))
}

// affinitySet parses and compiles an annotation once per call; nil when
// it is not a valid list of affinities.
func (c *cluster) affinitySet(text string) *affinitySet {
	if set, ok := c.affinities[text]; ok {
		return set
	}
	set, err := parseAffinities(text)
	if err == nil {
		set.scores = make([]int16, len(c.nodes))
		for i := range set.scores {
			set.scores[i] = -1
		}
	}
	c.affinities[text] = set
	return set
}

// parseAffinities reads and compiles the annotation's text.
func parseAffinities(text string) (*affinitySet, error) {
	var raw []Affinity
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("no affinities")
	}
	set := &affinitySet{}
	for _, a := range raw {
		cc, w, err := compileAffinity(a)
		if err != nil {
			return nil, err
		}
		set.list = append(set.list, cc)
		set.weights = append(set.weights, w)
		set.sumAbs += max(w, -w)
	}
	return set, nil
}

func compileAffinity(a Affinity) (compiled, int64, error) {
	w := int64(a.Weight)
	if w == 0 {
		w = DefaultAffinityWeight
	}
	if w < -100 || w > 100 {
		return compiled{}, 0, fmt.Errorf("affinity %s: weight %d is not within -100..100", a.Attribute, w)
	}
	op := a.Operator
	if op == "" {
		op = OpEqual
	}
	if op == OpDistinctHosts || op == OpDistinctProperty {
		return compiled{}, 0, fmt.Errorf("affinity %s: operator %q is for constraints only", a.Attribute, op)
	}
	cc, err := compile(Constraint{Attribute: a.Attribute, Operator: op, Value: a.Value})
	return cc, w, err
}
