package placement

// Status is a filter's rejection of one node: which filter, and the
// reasons in the words Kubernetes prints (a node short of both CPU and
// memory has two). Filters return nil for a node that fits; statuses with
// fixed reasons are allocated once, so a scan allocates nothing.
type Status struct {
	Filter  string
	Reasons []string
}

func newStatus(filter string, reasons ...string) *Status {
	return &Status{Filter: filter, Reasons: reasons}
}

// Check tests one node for the pod it was prepared for; nil means it fits.
type Check func(n *nodeInfo) *Status

// Filter is one feasibility test. Prepare does the per-pod work once
// (parsing selectors, counting matching pods) and returns the per-node
// check, or nil when the pod asks nothing of this filter, so that the scan
// skips it.
type Filter interface {
	Name() string
	Prepare(c *cluster, p *podInfo) Check
}

// PreFilter is a Filter that may rule a pod out before any node is
// examined, when no node of the snapshot could ever take it (Kubernetes'
// PreFilter rejection). The reason then stands for the whole cluster, and
// the pod's Decision says it once: "0/3 nodes are available: <reason>."
// Preemption does not try such a pod: evicting pods cannot help it.
type PreFilter interface {
	Filter
	PreFilter(c *cluster, p *podInfo) *Status
}

// preFilter runs the chain's PreFilters for p; nil means none objects.
func preFilter(fs []Filter, c *cluster, p *podInfo) *Status {
	for _, f := range fs {
		if pf, ok := f.(PreFilter); ok {
			if st := pf.PreFilter(c, p); st != nil {
				return st
			}
		}
	}
	return nil
}

// MaxScore is the most a scorer gives a node.
const MaxScore = 100

// ScoreFunc rates one feasible node from 0 to MaxScore.
type ScoreFunc func(n *nodeInfo) int64

// Scorer is one ranking criterion, weighted in the sum that picks the node.
// Like a filter, it prepares once per pod and may opt out with nil.
type Scorer interface {
	Name() string
	Weight() int64
	Prepare(c *cluster, p *podInfo) ScoreFunc
}

// filters lists the chain in the order nodes are tested: cheap checks on
// precomputed node fields first, those that read other pods last. ClaimNode
// comes before NodeAffinity so that a StatefulSet pod, which its
// controller also pins to its claim's node by affinity, is told about the
// claim rather than about a selector it never wrote.
func filters() []Filter {
	return []Filter{
		NodeReady{}, ClaimNode{}, Resources{}, ClaimStorage{}, HostPorts{}, Driver{},
		TaintToleration{}, NodeAffinity{}, Constraints{}, PodAntiAffinity{}, TopologySpread{},
	}
}

// scorers lists the ranking criteria; each weighs in with Weight() times
// its 0-MaxScore score, and those a pod asks nothing of opt out.
func scorers(cfg Config) []Scorer {
	return []Scorer{
		NewResourceScore(cfg.Strategy), NodeAffinityScore{}, PodAntiAffinityScore{},
		TopologySpreadScore{}, NomadAffinityScore{}, NomadSpreadScore{},
	}
}
