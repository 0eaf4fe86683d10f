package state

import "github.com/barque-io/barque/api"

// NodeUsage is what the pods bound to one node, and not yet terminal,
// request. The FSM's binding check reads it instead of summing the node's
// pods at every binding. It is derived from the stored pods (rebuilt on
// restore, never snapshotted), so it is as deterministic as they are.
type NodeUsage struct {
	CPU    int64          // millicores
	Memory int64          // bytes
	Pods   int64          // pod count
	Ports  map[string]int // host ports ("TCP/8080") -> pods claiming them
}

// usageTable is every node's usage. Only the FSM's goroutine touches it,
// through its write transaction, one at a time.
type usageTable map[string]*NodeUsage

// usageChange is one pod version entering (+1) or leaving (-1) the sums.
type usageChange struct {
	pod  *api.Pod
	sign int64
}

func buildUsage(objs []api.Object) usageTable {
	u := usageTable{}
	for _, obj := range objs {
		if p, ok := obj.(*api.Pod); ok {
			u.apply(p, 1)
		}
	}
	return u
}

// apply adds (sign 1) or removes (sign -1) the pod's requests on its node.
func (u usageTable) apply(p *api.Pod, sign int64) {
	if p == nil || p.Spec.NodeName == "" || api.PodIsTerminal(p) {
		return
	}
	n := u[p.Spec.NodeName]
	if n == nil {
		n = &NodeUsage{}
		u[p.Spec.NodeName] = n
	}
	cpu, mem := api.PodRequests(p)
	n.CPU += sign * cpu
	n.Memory += sign * mem
	n.Pods += sign
	for _, hp := range api.HostPorts(p) {
		if n.Ports == nil {
			n.Ports = map[string]int{}
		}
		if n.Ports[hp] += int(sign); n.Ports[hp] <= 0 {
			delete(n.Ports, hp)
		}
	}
	if n.Pods <= 0 && len(n.Ports) == 0 {
		delete(u, p.Spec.NodeName)
	}
}

// track records a pod's old version leaving and new version entering the
// sums, keeping the change so that an abort can undo it.
func (t *Txn) track(old, cur *api.Pod) {
	if old != nil {
		t.usage.apply(old, -1)
		t.undo = append(t.undo, usageChange{old, -1})
	}
	if cur != nil {
		t.usage.apply(cur, 1)
		t.undo = append(t.undo, usageChange{cur, 1})
	}
}

// rollback undoes this transaction's usage changes, newest first.
func (t *Txn) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		c := t.undo[i]
		t.usage.apply(c.pod, -c.sign)
	}
	t.undo = nil
}

// NodeUsage is the node's usage as this transaction sees it (zero when no
// pod holds room on it). The caller must not modify it.
func (t *Txn) NodeUsage(node string) NodeUsage {
	if n := t.usage[node]; n != nil {
		return *n
	}
	return NodeUsage{}
}
