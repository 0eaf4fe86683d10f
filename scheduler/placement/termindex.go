package placement

import (
	"slices"
	"strings"

	"github.com/barque-io/barque/api"
)

// termCount counts the pods a (namespaces, selector) pair selects in each
// domain of a topology key. Anti-affinity and topology spread read it; the
// pods of a deployment share their terms, so one count serves them all and
// is kept current as pods are placed, instead of rescanning every pod.
type termCount struct {
	namespaces []string
	sel        api.Selector
	topo       *topology
	counts     []int // per domain id
}

func (tc *termCount) add(pod *api.Pod, n *nodeInfo) {
	d := tc.topo.domainOf[n.idx]
	if d < 0 || !slices.Contains(tc.namespaces, pod.Namespace) || !tc.sel.Matches(pod.Labels) {
		return
	}
	tc.counts[d]++
}

// inDomainOf reports how many selected pods share n's topology domain, and
// whether n has the key at all. It sits on the scan's hot path, hence
// slices indexed by node and domain rather than maps keyed by label.
func (tc *termCount) inDomainOf(n *nodeInfo) (int, bool) {
	d := tc.topo.domainOf[n.idx]
	if d < 0 {
		return 0, false
	}
	return tc.counts[d], true
}

// topology numbers the domains of one topology key (the distinct values
// of that node label) and records each node's.
type topology struct {
	domainOf []int32 // per node index; -1 for a node without the label
	domains  int
}

func (c *cluster) topology(key string) *topology {
	if t := c.topologies[key]; t != nil {
		return t
	}
	t := &topology{domainOf: make([]int32, len(c.nodes))}
	ids := map[string]int32{}
	for i, n := range c.nodes {
		v, ok := n.labels[key]
		if !ok {
			t.domainOf[i] = -1
			continue
		}
		id, seen := ids[v]
		if !seen {
			id = int32(len(ids))
			ids[v] = id
		}
		t.domainOf[i] = id
	}
	t.domains = len(ids)
	c.topologies[key] = t
	return t
}

func termKey(namespaces []string, sel api.Selector, topo string) string {
	return strings.Join(namespaces, ",") + "|" + sel.String() + "|" + topo
}

// termCounts returns the count for a term, building it on first use from
// every pod charged so far; commit keeps it current after that.
func (c *cluster) termCounts(namespaces []string, sel api.Selector, topo string) *termCount {
	key := termKey(namespaces, sel, topo)
	if tc := c.terms[key]; tc != nil {
		return tc
	}
	t := c.topology(topo)
	tc := &termCount{namespaces: namespaces, sel: sel, topo: t, counts: make([]int, t.domains)}
	if cands, ok := c.candidates(sel); ok {
		for _, pa := range cands {
			tc.add(pa.pod, pa.node)
		}
	} else {
		for _, n := range c.nodes {
			for _, p := range n.pods {
				tc.add(p, n)
			}
		}
	}
	c.terms[key] = tc
	return tc
}

// podAt is a charged pod and its node.
type podAt struct {
	pod  *api.Pod
	node *nodeInfo
}

// candidates narrows a selector to the pods carrying the label of its
// first equality requirement, from an index of charged pods by label
// built on first use: with tens of thousands of bound pods, scanning them
// all for every distinct term dominated a call.
func (c *cluster) candidates(sel api.Selector) ([]podAt, bool) {
	for _, r := range sel.Requirements() {
		if (r.Operator == api.OpEquals || r.Operator == api.OpDoubleEquals || r.Operator == api.OpIn) &&
			len(r.Values) == 1 {
			return c.labelIndex()[r.Key+"="+r.Values[0]], true
		}
	}
	return nil, false
}

func (c *cluster) labelIndex() map[string][]podAt {
	if c.byLabel == nil {
		c.byLabel = map[string][]podAt{}
		for _, n := range c.nodes {
			for _, p := range n.pods {
				c.indexLabels(p, n)
			}
		}
	}
	return c.byLabel
}

func (c *cluster) indexLabels(p *api.Pod, n *nodeInfo) {
	for k, v := range p.Labels {
		c.byLabel[k+"="+v] = append(c.byLabel[k+"="+v], podAt{pod: p, node: n})
	}
}

// affinityTerm is a parsed PodAffinityTerm. A term without a selector
// selects nothing, as in Kubernetes, and is dropped by parseTerm.
type affinityTerm struct {
	namespaces []string
	sel        api.Selector
	topo       string
}

func parseTerm(pod *api.Pod, t api.PodAffinityTerm) (affinityTerm, bool) {
	if t.LabelSelector == nil || t.TopologyKey == "" {
		return affinityTerm{}, false
	}
	sel, err := api.SelectorFromLabelSelector(t.LabelSelector)
	if err != nil {
		return affinityTerm{}, false
	}
	ns := t.Namespaces
	if len(ns) == 0 {
		ns = []string{pod.Namespace}
	} else {
		ns = slices.Clone(ns)
		slices.Sort(ns)
	}
	return affinityTerm{namespaces: ns, sel: sel, topo: t.TopologyKey}, true
}

func requiredAntiTerms(pod *api.Pod) []api.PodAffinityTerm {
	if a := pod.Spec.Affinity; a != nil && a.PodAntiAffinity != nil {
		return a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

// antiGroup is one required anti-affinity term held by pods already
// charged, with the domains those pods are in: a pod the term selects may
// not join them there.
type antiGroup struct {
	term   affinityTerm
	topo   *topology
	counts []int // per domain id
}

func (c *cluster) addAntiTerms(p *podInfo, n *nodeInfo) {
	for _, t := range requiredAntiTerms(p.pod) {
		at, ok := parseTerm(p.pod, t)
		if !ok {
			continue
		}
		t := c.topology(at.topo)
		d := t.domainOf[n.idx]
		if d < 0 {
			continue
		}
		key := termKey(at.namespaces, at.sel, at.topo)
		g := c.antiTerms[key]
		if g == nil {
			g = &antiGroup{term: at, topo: t, counts: make([]int, t.domains)}
			c.antiTerms[key] = g
		}
		g.counts[d]++
	}
}
