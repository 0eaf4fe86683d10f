package placement

import (
	"reflect"
	"testing"

	"github.com/barque-io/barque/api"
)

// TestPodInfoCacheDecidesTheSame: rounds that bind a batch and place the
// next, with the cache and without, decide exactly alike.
func TestPodInfoCacheDecidesTheSame(t *testing.T) {
	nodes := benchNodes(60)
	pods := benchPods(1200, true)
	cache := NewPodInfoCache()
	bound := map[string][]*api.Pod{}
	for round := 0; round < 4; round++ {
		batch := pods[round*300 : (round+1)*300]
		plain := Place(&Snapshot{Nodes: nodes, PodsByNode: bound}, batch, Config{})
		cached := Place(&Snapshot{Nodes: nodes, PodsByNode: bound, Cache: cache}, batch, Config{})
		if !reflect.DeepEqual(plain, cached) {
			t.Fatalf("round %d: the cache changed the decisions", round)
		}
		next := map[string][]*api.Pod{}
		for k, v := range bound {
			next[k] = v
		}
		for _, d := range plain {
			if d.Node == "" {
				continue
			}
			p := api.ShallowCopy(d.Pod).(*api.Pod)
			p.Spec.NodeName = d.Node
			next[d.Node] = append(next[d.Node], p)
		}
		bound = next
	}
	if n := len(cache.older); n == 0 || n > 1200 {
		t.Errorf("cache holds %d pods after the last round, want the bound ones", n)
	}
}
