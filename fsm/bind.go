package fsm

import (
	"encoding/json"
	"fmt"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

// OpBind assigns a pod to a node. The op names the pod (with the
// resourceVersion and uid the scheduler read) and carries a bindTarget.
const OpBind OpType = "bind"

// BindTarget is the payload of an OpBind.
type BindTarget struct {
	Node  string         `json:"node"`
	Ports map[string]int `json:"ports,omitempty"` // dynamic ports the scheduler allocated, by port name
}

func init() { opAppliers[OpBind] = applyBind }

// NewBindOp builds the op binding namespace/name (as read at rv, uid) to
// node, with the host ports allocated for its dynamic ports.
func NewBindOp(namespace, name, uid string, rv api.Version, node string, ports map[string]int) Op {
	b, _ := json.Marshal(BindTarget{Node: node, Ports: ports})
	return Op{Type: OpBind, Kind: "Pod", Namespace: namespace, Name: name, UID: uid, ResourceVersion: rv, Object: b}
}

// applyBind re-checks, against the state at this log index, everything that
// may have changed since the scheduler decided: the pod is still unbound and
// unchanged, and the node exists, is ready and schedulable, and still has
// room and free ports. A refused binding changes nothing; the scheduler
// tries the pod again.
func applyBind(txn *state.Txn, op *Op) Result {
	cur, err := loadForWrite(txn, op)
	if err != nil {
		return Result{Err: err}
	}
	pod := cur.(*api.Pod)
	if pod.Spec.NodeName != "" {
		return Result{Err: api.Conflict("pods", op.Name, "pod is already bound to "+pod.Spec.NodeName)}
	}
	var target BindTarget
	if err := json.Unmarshal(op.Object, &target); err != nil || target.Node == "" {
		return Result{Err: api.BadRequest("binding: a target node is required")}
	}
	nodeObj := txn.Get("Node", "", target.Node)
	if nodeObj == nil {
		return Result{Err: api.NotFound("nodes", target.Node)}
	}
	withPorts := assignPorts(pod, target.Ports)
	if why := nodeFits(txn, nodeObj.(*api.Node), withPorts); why != "" {
		return Result{Err: api.Conflict("pods", op.Name, fmt.Sprintf("node %s no longer fits: %s", target.Node, why))}
	}
	bound := api.ShallowCopy(withPorts).(*api.Pod)
	bound.Spec.NodeName = target.Node
	bound.Status.Conditions = withCondition(pod.Status.Conditions, api.Condition{Type: api.PodScheduled, Status: api.ConditionTrue})
	if err := txn.Put(bound, state.Modified); err != nil {
		return Result{Err: api.Internal(err)}
	}
	return Result{Object: bound}
}

// nodeFits is the apply-time check: readiness, schedulability, resources
// and host ports, summed over the pods the node holds at this index.
func nodeFits(txn *state.Txn, node *api.Node, pod *api.Pod) string {
	if c := api.FindCondition(node.Status.Conditions, api.NodeReady); c == nil || c.Status != api.ConditionTrue {
		return "node is not ready"
	}
	if node.Spec.Unschedulable {
		return "node is unschedulable"
	}
	cpu, mem := api.PodRequests(pod)
	used := txn.NodeUsage(node.Name)
	for _, hp := range api.HostPorts(pod) {
		if used.Ports[hp] > 0 {
			return "host port " + hp + " is in use"
		}
	}
	cpu, mem, count := cpu+used.CPU, mem+used.Memory, used.Pods+1
	return fitsAllocatable(node.Status.Allocatable, cpu, mem, count)
}

func fitsAllocatable(alloc api.ResourceList, cpu, mem, count int64) string {
	if q, err := alloc.Get("cpu"); err == nil && q.MilliValue() > 0 && cpu > q.MilliValue() {
		return "insufficient cpu"
	}
	if q, err := alloc.Get("memory"); err == nil && q.Value() > 0 && mem > q.Value() {
		return "insufficient memory"
	}
	if q, err := alloc.Get("pods"); err == nil && q.Value() > 0 && count > q.Value() {
		return "too many pods"
	}
	return ""
}

// withCondition returns conds with c set (replacing one of the same type).
func withCondition(conds []api.Condition, c api.Condition) []api.Condition {
	out := make([]api.Condition, 0, len(conds)+1)
	for _, x := range conds {
		if x.Type != c.Type {
			out = append(out, x)
		}
	}
	return append(out, c)
}

// assignPorts returns the pod with the allocated host ports written into
// its named container ports (a copy when there is anything to write).
func assignPorts(pod *api.Pod, ports map[string]int) *api.Pod {
	if len(ports) == 0 {
		return pod
	}
	p := api.ShallowCopy(pod).(*api.Pod)
	p.Spec.Containers = append([]api.Container(nil), pod.Spec.Containers...)
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		c.Ports = append([]api.ContainerPort(nil), c.Ports...)
		for j := range c.Ports {
			if hp, ok := ports[c.Ports[j].Name]; ok && c.Ports[j].Name != "" {
				c.Ports[j].HostPort = int32(hp)
			}
		}
	}
	return p
}
