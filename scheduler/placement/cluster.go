package placement

import "github.com/barque-io/barque/api"

// cluster is the mutable view one Place call works on: the snapshot's
// nodes with what is charged to them, plus indexes built lazily for the
// filters that look at other pods. Nothing in it outlives the call.
type cluster struct {
	cfg    Config
	nodes  []*nodeInfo
	byName map[string]*nodeInfo

	// quantities caches parsed quantity strings: manifests repeat a few
	// values ("100m", "128Mi") across thousands of pods, and parsing is
	// the dominant cost of building the view.
	quantities map[string]int64
	// terms counts, per (namespaces, selector, topology key), the matching
	// pods in each topology domain (anti-affinity and spread read it).
	terms map[string]*termCount
	// antiTerms groups the required anti-affinity terms of pods already
	// placed, which repel incoming pods they select (the rule is symmetric).
	antiTerms map[string]*antiGroup
	// byLabel indexes charged pods by "key=value" label, once a term
	// needs it (see candidates).
	byLabel map[string][]podAt
	// cache, when set, holds the pods' derived data across calls.
	cache *PodInfoCache
	// claims is the snapshot's claims lookup (see claimsOf).
	claims map[ClaimKey]*api.PersistentVolumeClaim
	// driverBits numbers the drivers nodes offer, so that the driver
	// check is one mask test per node instead of string comparisons.
	driverBits map[string]uint64
	// owners counts, per controller uid, the owner's pods on each node.
	owners map[string]map[int]int

	topologies  map[string]*topology
	constraints map[string]parsedConstraints
	domains     map[string][]int32

	// Nomad affinities and spreads (score_nomad*.go): parsed annotations,
	// attribute values numbered per reference, and group counts kept
	// current by commit (groupList, for a scan without map iteration).
	affinities  map[string]*affinitySet
	spreads     map[string][]Spread
	attrDoms    map[string]*attrDomains
	groupCounts map[groupCountKey]*groupCount
	groupList   []*groupCount
}

func newCluster(snap *Snapshot, cfg Config) *cluster {
	c := &cluster{
		cfg: cfg, byName: make(map[string]*nodeInfo, len(snap.Nodes)),
		quantities: map[string]int64{}, terms: map[string]*termCount{},
		antiTerms: map[string]*antiGroup{}, owners: map[string]map[int]int{},
		topologies: map[string]*topology{}, constraints: map[string]parsedConstraints{},
		domains: map[string][]int32{}, driverBits: map[string]uint64{}, cache: snap.Cache,
		claims:     snap.Claims,
		affinities: map[string]*affinitySet{}, spreads: map[string][]Spread{},
		attrDoms: map[string]*attrDomains{}, groupCounts: map[groupCountKey]*groupCount{},
	}
	for i, node := range snap.sortedNodes() {
		n := c.newNodeInfo(i, node)
		c.nodes = append(c.nodes, n)
		c.byName[node.Name] = n
	}
	c.reserveClaims(snap.Claims)
	for _, n := range c.nodes {
		for _, p := range snap.PodsByNode[n.name] {
			if api.PodIsTerminal(p) {
				continue
			}
			c.commit(c.podInfoFor(p), n, nil)
		}
	}
	return c
}

// commit charges a placed (or already bound) pod to its node and to every
// index, so that the pods placed after it see it.
func (c *cluster) commit(p *podInfo, n *nodeInfo, dynamic map[string]int) {
	n.cpu += p.cpu
	n.mem += p.mem
	n.podCount++
	n.storage += p.storage
	n.pods = append(n.pods, p.pod)
	for _, hp := range p.staticPorts {
		n.usePort(hp, c.cfg)
	}
	for name, port := range dynamic {
		n.usePort(hostPort{proto: p.dynamicProto[name], port: int32(port)}, c.cfg)
	}
	for _, tc := range c.terms {
		tc.add(p.pod, n)
	}
	if c.byLabel != nil {
		c.indexLabels(p.pod, n)
	}
	c.addAntiTerms(p, n)
	if len(c.groupList) > 0 {
		c.countGroup(p, n)
	}
	if p.owner != "" {
		m := c.owners[p.owner]
		if m == nil {
			m = map[int]int{}
			c.owners[p.owner] = m
		}
		m[n.idx]++
	}
}

// quantity parses s in thousandths, through the cache; an unparseable
// quantity counts as zero, as api.PodRequests treats it.
func (c *cluster) quantity(s string) int64 {
	if v, ok := c.quantities[s]; ok {
		return v
	}
	var v int64
	if q, err := api.ParseQuantity(s); err == nil {
		v = q.MilliValue()
	}
	c.quantities[s] = v
	return v
}

// units rounds thousandths up to whole units (bytes), as Quantity.Value.
func units(milli int64) int64 {
	v := milli / 1000
	if milli%1000 > 0 {
		v++
	}
	return v
}

// driverBit is the bit numbering driver d, 0 once 64 drivers are numbered
// (the check then compares names).
func (c *cluster) driverBit(d string) uint64 {
	if b, ok := c.driverBits[d]; ok {
		return b
	}
	var b uint64
	if len(c.driverBits) < 64 {
		b = 1 << len(c.driverBits)
	}
	c.driverBits[d] = b
	return b
}
