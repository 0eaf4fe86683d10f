package placement

// ClaimNodeName names the filter that keeps a pod on the node holding its
// claims' data (the node half of Kubernetes' VolumeBinding).
const ClaimNodeName = "ClaimNode"

// ReasonClaimNotHere is a node's rejection when the pod's claim is bound
// to another node.
func ReasonClaimNotHere(claim, node string) string {
	return "node(s) did not hold the pod's claim " + claim + " (bound to node " + node + ")"
}

// ReasonClaimNodeGone is the pod's rejection when its claim's node is no
// longer in the cluster, with the one way out.
func ReasonClaimNodeGone(claim, node string) string {
	return "claim " + claim + " is bound to node " + node + ", which is gone: delete the claim to release it"
}

// ClaimNode rejects every node but the one the pod's bound claims live on:
// a claim is a directory on the node where a pod first used it
// (api.ClaimNodeAnnotation), and the agent refuses to start a pod whose
// claim is elsewhere. When that node is not in the snapshot (its Node was
// deleted), no node can ever do, and the pod is rejected before the scan
// with a reason that says so. A node that exists but is not ready is left
// to NodeReady: it may come back. Claims bound to two different nodes
// reject every node (each for a claim it does not hold); deleting one of
// them releases the pod.
//
// The StatefulSet controller also pins such pods to the node with a
// required node affinity on metadata.name. Both stay: the pin is in the
// pod itself, where `job plan`, the DaemonSet-style callers of NodeFilters
// and people read it, and the controller uses it to find pods whose claims
// moved; this filter gives the reason, and holds even for a pod made
// before its claim was bound.
type ClaimNode struct{}

var (
	_ Filter    = ClaimNode{}
	_ PreFilter = ClaimNode{}
)

// Name is the filter's name.
func (ClaimNode) Name() string { return ClaimNodeName }

// PreFilter rejects the pod when one of its claims is bound to a node the
// snapshot does not have.
func (ClaimNode) PreFilter(c *cluster, p *podInfo) *Status {
	for _, cl := range c.claimsOf(p) {
		if cl.node != "" && c.byName[cl.node] == nil {
			return newStatus(ClaimNodeName, ReasonClaimNodeGone(cl.name, cl.node))
		}
	}
	return nil
}

// Prepare turns each bound claim into its node's index and its rejection,
// so that a scan compares integers and allocates nothing; a pod without
// bound claims skips.
func (ClaimNode) Prepare(c *cluster, p *podInfo) Check {
	var want []int
	var statuses []*Status
	for _, cl := range c.claimsOf(p) {
		n := c.byName[cl.node]
		if cl.node == "" || n == nil {
			continue
		}
		want = append(want, n.idx)
		statuses = append(statuses, newStatus(ClaimNodeName, ReasonClaimNotHere(cl.name, cl.node)))
	}
	if len(want) == 0 {
		return nil
	}
	return func(n *nodeInfo) *Status {
		for i, idx := range want {
			if n.idx != idx {
				return statuses[i]
			}
		}
		return nil
	}
}
