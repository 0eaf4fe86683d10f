package node

import (
	"github.com/barque-io/barque/api"
)

// allocated sums the resource requests (limits where no request is given,
// as Kubernetes defaults them) of the pods this agent runs, for `barque get
// nodes` and for operators; the scheduler computes its own from the store.
func (a *Agent) allocated() api.ResourceList {
	a.mu.Lock()
	pods := make([]*api.Pod, 0, len(a.workers))
	for _, w := range a.workers {
		pods = append(pods, w.currentPod())
	}
	a.mu.Unlock()
	var cpu, mem api.Quantity
	for _, p := range pods {
		if p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		for _, c := range p.Spec.Containers {
			cpu = cpu.Add(request(c, "cpu"))
			mem = mem.Add(request(c, "memory"))
		}
	}
	return api.ResourceList{"cpu": cpu.String(), "memory": binaryBytes(mem.Value()), "pods": itoa(len(pods))}
}

func request(c api.Container, name string) api.Quantity {
	for _, rl := range []api.ResourceList{c.Resources.Requests, c.Resources.Limits} {
		if q, err := rl.Get(name); err == nil && q.MilliValue() > 0 {
			return q
		}
	}
	return api.Quantity{}
}

// binaryBytes writes a byte count with the largest binary suffix that
// divides it ("256Mi"), as people write memory requests.
func binaryBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return itoa(int(n/u.size)) + u.suffix
		}
	}
	return itoa(int(n))
}
