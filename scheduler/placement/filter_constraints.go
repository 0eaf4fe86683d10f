package placement

// ConstraintsName names the filter for Nomad constraints from the
// barque.io/constraints annotation.
const ConstraintsName = "Constraints"

// Constraints rejects nodes that fail any of the pod's Nomad constraints.
// distinct_hosts allows at most one pod of the pod's owner (its controller,
// e.g. the ReplicaSet) per node; distinct_property allows at most value
// (default 1) of the owner's pods per value of the attribute. Pods without
// an owner are alone in their group, so those two always hold for them.
// The rejection names the constraint: "node(s) didn't satisfy constraint
// ${attr.kernel.name} = linux".
type Constraints struct{}

var _ Filter = Constraints{}

// Name is the filter's name.
func (Constraints) Name() string { return ConstraintsName }

// Prepare compiles the annotation (cached) and, for distinct_property,
// counts the owner's pods per attribute value.
func (Constraints) Prepare(c *cluster, p *podInfo) Check {
	text := p.pod.Annotations[AnnotationConstraints]
	if text == "" {
		return nil
	}
	pc := c.parseConstraints(text)
	if pc.status != nil {
		return func(*nodeInfo) *Status { return pc.status }
	}
	ownerNodes := c.owners[p.owner]
	used := make([]map[string]int, len(pc.list))
	for i := range pc.list {
		if pc.list[i].Operator == OpDistinctProperty && p.owner != "" {
			used[i] = c.propertyUse(pc.list[i].Attribute, ownerNodes)
		}
	}
	return func(n *nodeInfo) *Status {
		for i := range pc.list {
			cc := &pc.list[i]
			if !constraintHolds(cc, n, p.owner, ownerNodes, used[i]) {
				return cc.status
			}
		}
		return nil
	}
}

func constraintHolds(cc *compiled, n *nodeInfo, owner string, ownerNodes map[int]int, used map[string]int) bool {
	switch cc.Operator {
	case OpDistinctHosts:
		return owner == "" || ownerNodes[n.idx] == 0
	case OpDistinctProperty:
		if owner == "" {
			return true
		}
		v, ok := resolve(cc.Attribute, n)
		return ok && used[v] < cc.limit
	}
	return cc.holds(n)
}

// propertyUse counts an owner's pods per value of attr on their nodes.
func (c *cluster) propertyUse(attr string, ownerNodes map[int]int) map[string]int {
	used := map[string]int{}
	for idx, count := range ownerNodes {
		if v, ok := resolve(attr, c.nodes[idx]); ok {
			used[v] += count
		}
	}
	return used
}
