package scheduler

import (
	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/scheduler/placement"
)

// PlacementPlacer places pods with the filters and scorers of package
// placement.
type PlacementPlacer struct {
	Config placement.Config
	// Cache, when set, keeps derived pod data between rounds.
	Cache *placement.PodInfoCache
}

var _ Placer = PlacementPlacer{}

// NewPlacementPlacer is the scheduler's placer, with its cache of pod data
// between rounds.
func NewPlacementPlacer() PlacementPlacer {
	return PlacementPlacer{Cache: placement.NewPodInfoCache()}
}

// Place implements Placer.
func (p PlacementPlacer) Place(nodes []*api.Node, podsByNode map[string][]*api.Pod, claims Claims, pending []*api.Pod) []Decision {
	snap := &placement.Snapshot{Nodes: nodes, PodsByNode: podsByNode, Claims: claims, Cache: p.Cache}
	ds := placement.Place(snap, pending, p.Config)
	out := make([]Decision, len(ds))
	for i, d := range ds {
		out[i] = Decision{Pod: d.Pod, Node: d.Node, Reason: d.Reason, Ports: d.Ports}
	}
	return out
}
