package placement

import (
	"sort"

	"github.com/barque-io/barque/api"
)

// Strategies for ranking feasible nodes by their resources.
const (
	// StrategyBinPack prefers the fullest node that fits (Nomad's default),
	// leaving whole nodes free for large pods.
	StrategyBinPack = "binpack"
	// StrategySpread prefers the emptiest node, evening load.
	StrategySpread = "spread"
)

// Annotations the placement reads from pods.
const (
	// AnnotationDriver names the driver of containers that name none.
	AnnotationDriver = "barque.io/driver"
	// AnnotationDynamicPorts lists, comma-separated, the names of container
	// ports whose host port the scheduler allocates from Config.PortRange.
	AnnotationDynamicPorts = "barque.io/dynamic-ports"
	// AnnotationConstraints holds Nomad-style constraints as a JSON list of
	// {"attribute", "operator", "value"}.
	AnnotationConstraints = "barque.io/constraints"
	// AnnotationAffinities holds Nomad-style affinities, preferences
	// scored by NomadAffinityScore, as a JSON list of {"attribute",
	// "operator", "value", "weight"}.
	AnnotationAffinities = "barque.io/affinities"
	// AnnotationSpreads holds Nomad-style spreads, scored by
	// NomadSpreadScore, as a JSON list of {"attribute", "weight",
	// "targets": [{"value", "percent"}]}.
	AnnotationSpreads = "barque.io/spreads"
)

// Config tunes a placement run. The zero Config is usable: binpack, dynamic
// ports 20000-32000, Kubernetes' adaptive sampling.
type Config struct {
	Strategy  string
	PortRange [2]int
	// PercentageOfNodesToScore bounds how many feasible nodes a pod's scan
	// collects before scoring them (see the package comment); 0 means
	// adaptive, 100 means every node.
	PercentageOfNodesToScore int
}

// Default dynamic port range, as Nomad's.
const (
	DefaultMinDynamicPort = 20000
	DefaultMaxDynamicPort = 32000
)

func (c Config) withDefaults() Config {
	if c.Strategy == "" {
		c.Strategy = StrategyBinPack
	}
	if c.PortRange[0] <= 0 || c.PortRange[1] < c.PortRange[0] {
		c.PortRange = [2]int{DefaultMinDynamicPort, DefaultMaxDynamicPort}
	}
	return c
}

// Decision is where one pod goes. Node is empty when no node fits; Reason
// then says why, in Kubernetes' words.
type Decision struct {
	Pod    *api.Pod
	Node   string
	Reason string
	// Ports maps each dynamic port's name to the host port allocated for it.
	Ports map[string]int
	// Score is the chosen node's weighted score, and Feasible how many
	// feasible nodes were compared (for metrics and `job plan`).
	Score    int64
	Feasible int
}

// Snapshot is the cluster as the placement sees it: the nodes, the bound
// pods that still hold resources on them (not Succeeded or Failed), and the
// claims the pods to place mount.
type Snapshot struct {
	Nodes      []*api.Node
	PodsByNode map[string][]*api.Pod
	// Claims holds the PersistentVolumeClaims the pods to place mount, and
	// those bound to nodes. A pod's claim bound to a node keeps it on that
	// node (ClaimNode); an unbound claim's storage request must fit the
	// node's ephemeral-storage beside the requests of the claims bound
	// there (ClaimStorage). A claim missing here constrains nothing, so a
	// nil map turns both checks off.
	Claims map[ClaimKey]*api.PersistentVolumeClaim
	// Cache, when set, carries derived pod data between calls.
	Cache *PodInfoCache
}

// NewSnapshot groups bound, non-terminal pods by node. Unbound pods are left
// out, as are pods bound to nodes not in the list.
func NewSnapshot(nodes []*api.Node, pods []*api.Pod) *Snapshot {
	s := &Snapshot{Nodes: nodes, PodsByNode: make(map[string][]*api.Pod, len(nodes))}
	for _, p := range pods {
		if p.Spec.NodeName == "" || api.PodIsTerminal(p) {
			continue
		}
		s.PodsByNode[p.Spec.NodeName] = append(s.PodsByNode[p.Spec.NodeName], p)
	}
	return s
}

// sortedNodes returns the nodes by name, so that a scan's order and the
// tie-break do not depend on how the caller listed them.
func (s *Snapshot) sortedNodes() []*api.Node {
	out := make([]*api.Node, len(s.Nodes))
	copy(out, s.Nodes)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
