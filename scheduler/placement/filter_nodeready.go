package placement

import "github.com/barque-io/barque/api"

// NodeReadyName names the filter that keeps pods off nodes that are not
// Ready or that operators cordoned (Kubernetes' NodeUnschedulable, plus the
// readiness Kubernetes expresses as a not-ready taint).
const NodeReadyName = "NodeReady"

// Kubernetes' wording.
const (
	ReasonNotReady      = "node(s) were not ready"
	ReasonUnschedulable = "node(s) were unschedulable"
)

// TaintUnschedulable is the taint key a pod tolerates to land on a cordoned
// node, as in Kubernetes.
const TaintUnschedulable = "node.kubernetes.io/unschedulable"

// NodeReady rejects nodes without a Ready=True condition, and cordoned
// nodes unless the pod tolerates the unschedulable taint.
type NodeReady struct{}

var _ Filter = NodeReady{}

var (
	statusNotReady      = newStatus(NodeReadyName, ReasonNotReady)
	statusUnschedulable = newStatus(NodeReadyName, ReasonUnschedulable)
)

// Name is the filter's name.
func (NodeReady) Name() string { return NodeReadyName }

// Prepare decides once whether the pod tolerates cordons.
func (NodeReady) Prepare(_ *cluster, p *podInfo) Check {
	cordon := &api.Taint{Key: TaintUnschedulable, Effect: api.TaintNoSchedule}
	toleratesCordon := tolerated(p.pod.Spec.Tolerations, cordon)
	return func(n *nodeInfo) *Status {
		if !n.ready {
			return statusNotReady
		}
		if n.unschedulable && !toleratesCordon {
			return statusUnschedulable
		}
		return nil
	}
}
