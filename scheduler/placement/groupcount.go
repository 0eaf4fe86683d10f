package placement

import "github.com/barque-io/barque/api"

// groupID names the pods a Nomad spread counts together. A job file's
// group is every pod labelled with its job and group in its namespace, so
// that the pods of an older version count while a rolling update replaces
// them, as Nomad counts a task group's allocations across versions; other
// pods are grouped by their controller. The zero groupID is no group.
type groupID struct {
	ns, job, group, owner string
}

func groupOf(pod *api.Pod, owner string) groupID {
	if job, ok := pod.Labels[api.LabelNomadJob]; ok {
		if group, ok := pod.Labels[api.LabelNomadGroup]; ok {
			return groupID{ns: pod.Namespace, job: job, group: group}
		}
	}
	if owner != "" {
		return groupID{owner: owner}
	}
	return groupID{}
}

// controllerUID is the uid of the pod's controlling owner, "" without one.
func controllerUID(pod *api.Pod) string {
	for _, ref := range pod.OwnerReferences {
		if ref.Controller != nil && *ref.Controller {
			return ref.UID
		}
	}
	return ""
}

// attrDomains numbers the values a node attribute reference
// (${meta.rack}, ${node.datacenter}…) takes over the cluster's nodes, as
// topology does for a node label.
type attrDomains struct {
	topology
	ids map[string]int32
}

func (c *cluster) attrDomains(attr string) *attrDomains {
	if a := c.attrDoms[attr]; a != nil {
		return a
	}
	a := &attrDomains{topology: topology{domainOf: make([]int32, len(c.nodes))}, ids: map[string]int32{}}
	for i, n := range c.nodes {
		v, ok := resolve(attr, n)
		if !ok {
			a.domainOf[i] = -1
			continue
		}
		id, seen := a.ids[v]
		if !seen {
			id = int32(len(a.ids))
			a.ids[v] = id
		}
		a.domainOf[i] = id
	}
	a.domains = len(a.ids)
	c.attrDoms[attr] = a
	return a
}

// groupCount counts one group's pods per value of one attribute; commit
// keeps it current once built, as it does termCount.
type groupCount struct {
	group  groupID
	dom    *attrDomains
	counts []int // per domain
	total  int   // every pod of the group, with the attribute or not
}

type groupCountKey struct {
	group groupID
	attr  string
}

func (gc *groupCount) add(n *nodeInfo) {
	gc.total++
	if d := gc.dom.domainOf[n.idx]; d >= 0 {
		gc.counts[d]++
	}
}

// groupCount returns the count for a group and attribute, building it on
// first use from the pods charged so far.
func (c *cluster) groupCount(g groupID, attr string) *groupCount {
	key := groupCountKey{group: g, attr: attr}
	if gc := c.groupCounts[key]; gc != nil {
		return gc
	}
	dom := c.attrDomains(attr)
	gc := &groupCount{group: g, dom: dom, counts: make([]int, dom.domains)}
	c.forGroup(g, gc.add)
	c.groupCounts[key] = gc
	c.groupList = append(c.groupList, gc)
	return gc
}

// countGroup charges a placed pod to the counts of its group.
func (c *cluster) countGroup(p *podInfo, n *nodeInfo) {
	if p.group == (groupID{}) {
		return
	}
	for _, gc := range c.groupList {
		if gc.group == p.group {
			gc.add(n)
		}
	}
}

// forGroup calls fn with the node of each charged pod of group g, found
// through the label index (a job file's group: its pods carry the job's
// label) or the owner's nodes, rather than by scanning every pod.
func (c *cluster) forGroup(g groupID, fn func(*nodeInfo)) {
	if g.job != "" {
		for _, pa := range c.labelIndex()[api.LabelNomadJob+"="+g.job] {
			if groupOf(pa.pod, controllerUID(pa.pod)) == g {
				fn(pa.node)
			}
		}
		return
	}
	for idx := range c.owners[g.owner] { // counting does not depend on the order
		n := c.nodes[idx]
		for _, p := range n.pods {
			if groupOf(p, controllerUID(p)) == g {
				fn(n)
			}
		}
	}
}
