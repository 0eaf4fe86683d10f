package placement

import "github.com/barque-io/barque/api"

// NodeFilters tests one pod against each node with the given filters only,
// for callers that pick the node themselves, as the DaemonSet controller
// does (it asks NodeReady, Driver, TaintToleration and NodeAffinity, and
// leaves resources and ports to the FSM's checks). out[i] is nil when
// nodes[i] passes every filter, else the first rejection. Filters that
// look at other pods see none.
func NodeFilters(nodes []*api.Node, pod *api.Pod, filters ...Filter) []*Status {
	c := newCluster(&Snapshot{Nodes: nodes}, Config{}.withDefaults())
	p := c.newPodInfo(pod)
	out := make([]*Status, len(nodes))
	if st := preFilter(filters, c, p); st != nil {
		for i := range out {
			out[i] = st
		}
		return out
	}
	var checks []Check
	for _, f := range filters {
		if ch := f.Prepare(c, p); ch != nil {
			checks = append(checks, ch)
		}
	}
	for i, n := range nodes {
		out[i] = runChecks(checks, c.byName[n.Name])
	}
	return out
}
