package scheduler

import (
	"maps"
	"slices"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

// boundCache keeps, between rounds, what a round places against: the nodes
// and the non-terminal pods bound to each. It follows the store's event
// history, as a Kubernetes informer follows a watch, instead of walking
// every pod in the store each round. Only the scheduler's goroutine uses it.
type boundCache struct {
	index    uint64 // the last event applied
	restores uint64 // the store's restore count when last rebuilt
	nodes    map[string]*api.Node
	nodeList []*api.Node // sorted by name; nil after a node changed
	byNode   map[string][]*api.Pod
	podNode  map[podKey]string // pod -> the node it is charged to
}

type podKey struct{ namespace, name string }

func keyOf(p *api.Pod) podKey { return podKey{p.Namespace, p.Name} }

// sync brings the cache up to the store and returns its nodes and pods by
// node. The caller must not modify either.
func (c *boundCache) sync(store *state.Store) ([]*api.Node, map[string][]*api.Pod) {
	if c.nodes == nil || store.Restores() != c.restores {
		c.rebuild(store)
	}
	for {
		evs, _, err := store.EventsAfter(c.index, 8192)
		if err != nil { // fell behind the retained history
			c.rebuild(store)
			continue
		}
		if len(evs) == 0 {
			break
		}
		for i := range evs {
			c.apply(&evs[i])
		}
		c.index = evs[len(evs)-1].Index
	}
	if c.nodeList == nil {
		c.nodeList = slices.SortedFunc(maps.Values(c.nodes), func(a, b *api.Node) int { return strings.Compare(a.Name, b.Name) })
	}
	return c.nodeList, c.byNode
}

// rebuild reads the whole store. Events after the index it records may
// already be in the view; applying them again changes nothing.
func (c *boundCache) rebuild(store *state.Store) {
	c.restores = store.Restores()
	c.index = store.Index()
	view := store.View()
	c.nodes, c.nodeList = map[string]*api.Node{}, nil
	c.byNode, c.podNode = map[string][]*api.Pod{}, map[podKey]string{}
	for _, o := range view.List("Node", "", nil) {
		c.nodes[o.GetObjectMeta().Name] = o.(*api.Node)
	}
	view.Indexed("Pod", state.IndexNode, func(o api.Object) { c.putPod(o.(*api.Pod)) })
}

func (c *boundCache) apply(ev *state.Event) {
	switch obj := ev.Object.(type) {
	case *api.Node:
		c.nodeList = nil
		if ev.Type == state.Deleted {
			delete(c.nodes, obj.Name)
		} else {
			c.nodes[obj.Name] = obj
		}
	case *api.Pod:
		c.dropPod(keyOf(obj))
		if ev.Type != state.Deleted {
			c.putPod(obj)
		}
	}
}

// putPod charges a bound, non-terminal pod to its node.
func (c *boundCache) putPod(p *api.Pod) {
	if p.Spec.NodeName == "" || api.PodIsTerminal(p) {
		return
	}
	c.dropPod(keyOf(p))
	c.byNode[p.Spec.NodeName] = append(c.byNode[p.Spec.NodeName], p)
	c.podNode[keyOf(p)] = p.Spec.NodeName
}

// dropPod uncharges the pod with this key, if charged. The node's slice is
// copied, never changed in place: a round may still hold the old one.
func (c *boundCache) dropPod(key podKey) {
	node, ok := c.podNode[key]
	if !ok {
		return
	}
	delete(c.podNode, key)
	pods := c.byNode[node]
	for i, p := range pods {
		if p.Namespace == key.namespace && p.Name == key.name {
			kept := make([]*api.Pod, 0, len(pods)-1)
			kept = append(append(kept, pods[:i]...), pods[i+1:]...)
			if len(kept) == 0 {
				delete(c.byNode, node)
			} else {
				c.byNode[node] = kept
			}
			return
		}
	}
}
