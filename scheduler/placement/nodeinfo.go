package placement

import (
	"github.com/barque-io/barque/api"
)

// nodeInfo is one node with what this call has charged to it. Everything a
// check reads on every scan is precomputed here, so checks compare numbers.
type nodeInfo struct {
	idx    int
	node   *api.Node
	name   string
	labels map[string]string

	ready, unschedulable bool

	// Allocatable cpu (milli), memory (bytes) and pod count; 0 means the
	// node reports no limit, as the FSM's bind check reads it.
	allocCPU, allocMem, allocPods int64
	cpu, mem, podCount            int64
	// allocStorage is the node's allocatable ephemeral-storage in bytes
	// (0: not reported, no check), storage what unbound claims placed by
	// this call ask of it.
	allocStorage, storage int64

	ports    map[hostPort]struct{}
	dynUsed  int // ports in use inside the dynamic range
	nextPort int // where the next dynamic allocation starts looking

	hardTaints  []api.Taint // NoSchedule and NoExecute only
	taintStatus []*Status   // the rejection for each hard taint

	pods   []*api.Pod
	fields map[string]string

	drivers uint64 // the node's drivers as cluster.driverBit numbers them
}

// hostPort is a host port as the FSM counts it: protocol and number (the
// host IP is not considered, so 0.0.0.0 and a specific IP conflict).
type hostPort struct {
	proto string
	port  int32
}

func (c *cluster) newNodeInfo(idx int, node *api.Node) *nodeInfo {
	n := &nodeInfo{idx: idx, node: node, name: node.Name, labels: node.Labels,
		unschedulable: node.Spec.Unschedulable}
	if cond := api.FindCondition(node.Status.Conditions, api.NodeReady); cond != nil {
		n.ready = cond.Status == api.ConditionTrue
	}
	alloc := node.Status.Allocatable
	n.allocCPU = c.quantity(alloc[api.ResourceCPU])
	n.allocMem = units(c.quantity(alloc[api.ResourceMemory]))
	n.allocPods = units(c.quantity(alloc[api.ResourcePods]))
	n.allocStorage = units(c.quantity(alloc[api.ResourceEphemeralStorage]))
	for _, t := range node.Spec.Taints {
		if t.Effect == api.TaintNoSchedule || t.Effect == api.TaintNoExecute {
			n.hardTaints = append(n.hardTaints, t)
			n.taintStatus = append(n.taintStatus, newStatus(TaintTolerationName,
				"node(s) had untolerated taint {"+t.Key+": "+t.Value+"}"))
		}
	}
	for _, d := range node.Status.Drivers {
		n.drivers |= c.driverBit(d)
	}
	n.nextPort = c.cfg.PortRange[0]
	return n
}

func (n *nodeInfo) usePort(hp hostPort, cfg Config) {
	if n.ports == nil {
		n.ports = map[hostPort]struct{}{}
	}
	if _, dup := n.ports[hp]; dup {
		return
	}
	n.ports[hp] = struct{}{}
	if int(hp.port) >= cfg.PortRange[0] && int(hp.port) <= cfg.PortRange[1] {
		n.dynUsed++
	}
}

func (n *nodeInfo) portUsed(hp hostPort) bool {
	_, used := n.ports[hp]
	return used
}

// fieldSet is the node's fields that affinity matchFields may test; only
// metadata.name, as in Kubernetes. Built on first use.
func (n *nodeInfo) fieldSet() map[string]string {
	if n.fields == nil {
		n.fields = map[string]string{"metadata.name": n.name}
	}
	return n.fields
}
