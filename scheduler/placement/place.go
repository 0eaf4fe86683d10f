package placement

import (
	"hash/fnv"

	"github.com/barque-io/barque/api"
)

// Place decides a node for each pod, in order, charging each placement to
// its node so that later pods see it. It reads snap and pods and changes
// neither.
func Place(snap *Snapshot, pods []*api.Pod, cfg Config) []Decision {
	cfg = cfg.withDefaults()
	if snap.Cache != nil {
		snap.Cache.begin()
		defer snap.Cache.end()
	}
	s := &placer{c: newCluster(snap, cfg), filters: filters(), scorers: scorers(cfg)}
	if len(pods) > 0 && len(s.c.nodes) > 0 {
		s.next = startOffset(pods[0], len(s.c.nodes))
	}
	out := make([]Decision, len(pods))
	for i, pod := range pods {
		out[i] = s.place(pod)
	}
	return out
}

// placer carries the chain and the buffers reused from pod to pod.
type placer struct {
	c        *cluster
	filters  []Filter
	scorers  []Scorer
	next     int // where the next scan starts
	checks   []Check
	scores   []weighted
	feasible []*nodeInfo
	rejected []*Status
}

type weighted struct {
	fn     ScoreFunc
	weight int64
}

func (s *placer) place(pod *api.Pod) Decision {
	p := s.c.newPodInfo(pod)
	if st := preFilter(s.filters, s.c, p); st != nil {
		return Decision{Pod: pod, Reason: explainPod(len(s.c.nodes), st)}
	}
	s.prepare(p)
	examined := s.scan()
	d := Decision{Pod: pod, Feasible: len(s.feasible)}
	if len(s.feasible) == 0 {
		d.Reason = explain(examined, s.rejected)
		return d
	}
	best, score := s.pick()
	d.Node, d.Score = best.name, score
	d.Ports = allocatePorts(p, best, s.c.cfg)
	s.c.commit(p, best, d.Ports)
	return d
}

func (s *placer) prepare(p *podInfo) {
	s.checks, s.scores = s.checks[:0], s.scores[:0]
	for _, f := range s.filters {
		if ch := f.Prepare(s.c, p); ch != nil {
			s.checks = append(s.checks, ch)
		}
	}
	for _, sc := range s.scorers {
		if fn := sc.Prepare(s.c, p); fn != nil {
			s.scores = append(s.scores, weighted{fn: fn, weight: sc.Weight()})
		}
	}
}

// scan walks the nodes from s.next until it has enough feasible ones or
// has seen them all, and returns how many it examined.
func (s *placer) scan() int {
	s.feasible, s.rejected = s.feasible[:0], s.rejected[:0]
	nodes := s.c.nodes
	want := numFeasibleToFind(len(nodes), s.c.cfg.PercentageOfNodesToScore)
	examined := 0
	for examined < len(nodes) && len(s.feasible) < want {
		n := nodes[(s.next+examined)%len(nodes)]
		examined++
		if st := runChecks(s.checks, n); st != nil {
			s.rejected = append(s.rejected, st)
		} else {
			s.feasible = append(s.feasible, n)
		}
	}
	if len(nodes) > 0 {
		s.next = (s.next + examined) % len(nodes)
	}
	return examined
}

func runChecks(checks []Check, n *nodeInfo) *Status {
	for _, ch := range checks {
		if st := ch(n); st != nil {
			return st
		}
	}
	return nil
}

// pick returns the feasible node with the highest weighted score; equal
// scores go to the smaller name (nodes are sorted, so the smaller index).
func (s *placer) pick() (*nodeInfo, int64) {
	var best *nodeInfo
	var bestScore int64
	for _, n := range s.feasible {
		var total int64
		for _, w := range s.scores {
			total += w.weight * w.fn(n)
		}
		if best == nil || total > bestScore || (total == bestScore && n.idx < best.idx) {
			best, bestScore = n, total
		}
	}
	return best, bestScore
}

// Sampling bounds, as Kubernetes has them.
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// numFeasibleToFind is Kubernetes' numFeasibleNodesToFind: all nodes in
// small clusters, else a percentage (adaptive when not configured) but never
// fewer than 100.
func numFeasibleToFind(numNodes, percentage int) int {
	if numNodes < minFeasibleNodesToFind || percentage >= 100 {
		return numNodes
	}
	if percentage <= 0 {
		percentage = max(50-numNodes/125, minFeasibleNodesPercentageToFind)
	}
	return max(numNodes*percentage/100, minFeasibleNodesToFind)
}

// startOffset spreads the first scan of a call by the first pod's identity,
// keeping Place a pure function of its arguments.
func startOffset(pod *api.Pod, numNodes int) int {
	h := fnv.New32a()
	h.Write([]byte(pod.Namespace + "/" + pod.Name + "/" + pod.UID))
	return int(h.Sum32() % uint32(numNodes))
}
