package placement

import (
	"sync"

	"github.com/barque-io/barque/api"
)

// PodInfoCache keeps what placement derived from bound pods (requests,
// ports, drivers, owner) from one Place call to the next, so that a round
// does not re-derive it for every pod in the cluster. Stored pods are
// immutable (a change is a new value), so a pod pointer names one version
// and its entry can never go stale; entries not used by a call are dropped
// at the end of the next one. Place stays a pure function: with or without
// the cache it decides the same.
type PodInfoCache struct {
	mu         sync.Mutex
	cur, older map[*api.Pod]*podInfo
}

// NewPodInfoCache returns an empty cache.
func NewPodInfoCache() *PodInfoCache {
	return &PodInfoCache{cur: map[*api.Pod]*podInfo{}, older: map[*api.Pod]*podInfo{}}
}

// lookup finds pod's info from this or the previous call.
func (pc *PodInfoCache) lookup(pod *api.Pod) *podInfo {
	if p := pc.cur[pod]; p != nil {
		return p
	}
	if p := pc.older[pod]; p != nil {
		pc.cur[pod] = p
		return p
	}
	return nil
}

// podInfoFor is newPodInfo through the cache, when there is one.
func (c *cluster) podInfoFor(pod *api.Pod) *podInfo {
	if c.cache == nil {
		return c.newPodInfo(pod)
	}
	if p := c.cache.lookup(pod); p != nil {
		return p
	}
	p := c.newPodInfo(pod)
	c.cache.cur[pod] = p
	return p
}

// begin and end bracket one Place call: the call holds the cache, and at
// its end what it did not use ages out.
func (pc *PodInfoCache) begin() { pc.mu.Lock() }

func (pc *PodInfoCache) end() {
	pc.older, pc.cur = pc.cur, make(map[*api.Pod]*podInfo, len(pc.cur))
	pc.mu.Unlock()
}
