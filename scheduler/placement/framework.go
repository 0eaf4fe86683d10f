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
// precomputed node fields first, those that read other pods last.
func filters() []Filter {
	return []Filter{
		NodeReady{}, Resources{}, HostPorts{}, Driver{}, TaintToleration{},
		NodeAffinity{}, Constraints{}, PodAntiAffinity{}, TopologySpread{},
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
