package placement

import "github.com/barque-io/barque/api"

// TaintTolerationName names the filter that keeps pods off nodes whose
// NoSchedule or NoExecute taints they do not tolerate.
const TaintTolerationName = "TaintToleration"

// TaintToleration rejects a node when one of its hard taints has no
// matching toleration; PreferNoSchedule taints only lower a score in
// Kubernetes and are not checked here. The rejection names the taint:
// "node(s) had untolerated taint {dedicated: gpu}".
type TaintToleration struct{}

var _ Filter = TaintToleration{}

// Name is the filter's name.
func (TaintToleration) Name() string { return TaintTolerationName }

// Prepare returns the check; a node's taint reasons are built with the
// node, so rejecting allocates nothing.
func (TaintToleration) Prepare(_ *cluster, p *podInfo) Check {
	tols := p.pod.Spec.Tolerations
	return func(n *nodeInfo) *Status {
		for i := range n.hardTaints {
			if !tolerated(tols, &n.hardTaints[i]) {
				return n.taintStatus[i]
			}
		}
		return nil
	}
}

func tolerated(tols []api.Toleration, taint *api.Taint) bool {
	for i := range tols {
		if tols[i].ToleratesTaint(taint) {
			return true
		}
	}
	return false
}
