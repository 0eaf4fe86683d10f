package placement

import (
	"sort"

	"github.com/barque-io/barque/api"
)

// Preemption is where a pod that fits nowhere would fit once Victims, all
// of lower priority and bound to Node, are evicted.
type Preemption struct {
	Node    string
	Victims []*api.Pod
}

// Preempt finds the node where evicting the fewest lower-priority pods lets
// pod fit, as Kubernetes' DefaultPreemption does, or reports false. Only
// nodes whose sole objections are room (resources, pod count, host ports)
// are candidates: evicting pods cannot satisfy a selector, a taint or a
// missing driver. On each candidate, lower-priority pods are removed in
// ascending priority (then newest first) until the pod fits; then each
// victim, the most important first, is spared again if the pod still fits
// without evicting it. The node needing the fewest victims wins, ties going
// to the lowest highest-victim priority, then to the smaller node name.
// Pods already being deleted are never chosen (they are leaving anyway).
// A pod whose preemptionPolicy is Never preempts nothing.
func Preempt(snap *Snapshot, pod *api.Pod, cfg Config) (Preemption, bool) {
	if !CanPreempt(pod) {
		return Preemption{}, false
	}
	c := newCluster(snap, cfg.withDefaults())
	p := c.newPodInfo(pod)
	if preFilter(filters(), c, p) != nil {
		return Preemption{}, false
	}
	placement, room := preemptChecks(c, p)
	var best *candidate
	for _, n := range c.nodes {
		if runChecks(placement, n) != nil {
			continue
		}
		victims, ok := victimsOn(c, n, p, room)
		if !ok {
			continue
		}
		cand := &candidate{node: n.name, victims: victims}
		if best == nil || cand.better(best) {
			best = cand
		}
	}
	if best == nil {
		return Preemption{}, false
	}
	return Preemption{Node: best.node, Victims: best.victims}, true
}

// roomFilters are the filters that evicting pods can satisfy.
var roomFilters = map[string]bool{ResourcesName: true, HostPortsName: true}

// preemptChecks splits the chain, prepared for p, into the checks that
// eviction cannot change and those it can.
func preemptChecks(c *cluster, p *podInfo) (placement, room []Check) {
	for _, f := range filters() {
		ch := f.Prepare(c, p)
		switch {
		case ch == nil:
		case roomFilters[f.Name()]:
			room = append(room, ch)
		default:
			placement = append(placement, ch)
		}
	}
	return placement, room
}

// victimsOn returns the pods to evict from n for p to fit, or false when
// evicting every lower-priority pod is not enough. n is left as it was.
func victimsOn(c *cluster, n *nodeInfo, p *podInfo, room []Check) ([]*api.Pod, bool) {
	if runChecks(room, n) == nil {
		return nil, true
	}
	lower := lowerPriority(c, n, PodPriority(p.pod))
	var removed []*podInfo
	fits := false
	for _, v := range lower {
		c.free(n, v)
		removed = append(removed, v)
		if runChecks(room, n) == nil {
			fits = true
			break
		}
	}
	if !fits {
		restore(c, n, removed)
		return nil, false
	}
	victims := spare(c, n, removed, room)
	restore(c, n, victims)
	out := make([]*api.Pod, len(victims))
	for i, v := range victims {
		out[i] = v.pod
	}
	return out, true
}

// spare gives back, from the last removed (the most important) to the
// first, each victim the pod does not need gone, and returns the rest in
// removal order. On return only the returned victims are freed from n.
func spare(c *cluster, n *nodeInfo, removed []*podInfo, room []Check) []*podInfo {
	keep := make([]bool, len(removed))
	for i := len(removed) - 1; i >= 0; i-- {
		c.hold(n, removed[i])
		if runChecks(room, n) == nil {
			keep[i] = true
			continue
		}
		c.free(n, removed[i])
	}
	var victims []*podInfo
	for i, v := range removed {
		if !keep[i] {
			victims = append(victims, v)
		}
	}
	return victims
}

func restore(c *cluster, n *nodeInfo, freed []*podInfo) {
	for _, v := range freed {
		c.hold(n, v)
	}
}

// lowerPriority lists n's pods below prio that are not already being
// deleted, in eviction order: lowest priority first, then newest, then name.
func lowerPriority(c *cluster, n *nodeInfo, prio int32) []*podInfo {
	var out []*podInfo
	for _, pod := range n.pods {
		if pod.DeletionTimestamp == nil && PodPriority(pod) < prio {
			out = append(out, c.newPodInfo(pod))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].pod, out[j].pod
		if pa, pb := PodPriority(a), PodPriority(b); pa != pb {
			return pa < pb
		}
		if ta, tb := created(a), created(b); !ta.Equal(tb) {
			return ta.After(tb)
		}
		return a.Key() < b.Key()
	})
	return out
}

// candidate is one node's answer, compared by victim count, then by the
// highest victim priority, then by node name.
type candidate struct {
	node    string
	victims []*api.Pod
}

func (a *candidate) better(b *candidate) bool {
	if len(a.victims) != len(b.victims) {
		return len(a.victims) < len(b.victims)
	}
	if ha, hb := maxPriority(a.victims), maxPriority(b.victims); ha != hb {
		return ha < hb
	}
	return a.node < b.node
}

func maxPriority(pods []*api.Pod) int32 {
	var m int32
	for i, p := range pods {
		if pr := PodPriority(p); i == 0 || pr > m {
			m = pr
		}
	}
	return m
}

// free takes a charged pod's room (resources, pod slot, host ports) off n;
// the indexes the room checks do not read are left alone.
func (c *cluster) free(n *nodeInfo, p *podInfo) {
	n.cpu -= p.cpu
	n.mem -= p.mem
	n.podCount--
	for _, hp := range p.staticPorts {
		if n.portUsed(hp) {
			delete(n.ports, hp)
			if int(hp.port) >= c.cfg.PortRange[0] && int(hp.port) <= c.cfg.PortRange[1] {
				n.dynUsed--
			}
		}
	}
}

// hold charges back what free took.
func (c *cluster) hold(n *nodeInfo, p *podInfo) {
	n.cpu += p.cpu
	n.mem += p.mem
	n.podCount++
	for _, hp := range p.staticPorts {
		n.usePort(hp, c.cfg)
	}
}
