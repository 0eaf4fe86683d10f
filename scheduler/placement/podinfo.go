package placement

import (
	"strings"

	"github.com/barque-io/barque/api"
)

// podInfo is what the checks need of a pod, computed once per pod.
type podInfo struct {
	pod      *api.Pod
	cpu, mem int64 // millicores, bytes

	staticPorts []hostPort
	// dynamic lists the port names the scheduler allocates, and
	// dynamicProto their protocols.
	dynamic      []string
	dynamicProto map[string]string

	drivers []string // distinct drivers the containers need
	owner   string   // the controlling owner's uid, for distinct_* constraints
	group   groupID  // the pods a Nomad spread counts with this one

	// claims are the pod's claims the snapshot knows, resolved by the
	// first filter that asks (claimsDone); storage sums the requests of
	// the unbound ones, charged to the node the pod is placed on.
	claims     []podClaim
	claimsDone bool
	storage    int64
}

func (c *cluster) newPodInfo(pod *api.Pod) *podInfo {
	p := &podInfo{pod: pod}
	p.cpu, p.mem = c.podRequests(pod)
	p.collectPorts()
	for i := range pod.Spec.Containers {
		d := driverOf(pod, &pod.Spec.Containers[i])
		if !contains(p.drivers, d) {
			p.drivers = append(p.drivers, d)
		}
	}
	for _, ref := range pod.OwnerReferences {
		if ref.Controller != nil && *ref.Controller {
			p.owner = ref.UID
		}
	}
	p.group = groupOf(pod, p.owner)
	return p
}

// podRequests is api.PodRequests through the quantity cache: the FSM's bind
// check uses api.PodRequests, and a disagreement would bind pods the FSM
// then refuses.
func (c *cluster) podRequests(pod *api.Pod) (cpu, mem int64) {
	for i := range pod.Spec.Containers {
		cc, cm := c.containerRequests(&pod.Spec.Containers[i])
		cpu, mem = cpu+cc, mem+cm
	}
	for i := range pod.Spec.InitContainers {
		cc, cm := c.containerRequests(&pod.Spec.InitContainers[i])
		cpu, mem = max(cpu, cc), max(mem, cm)
	}
	return cpu, mem
}

// containerRequests reads requests, defaulting each to the limit when only
// the limit is set, as Kubernetes defaults them.
func (c *cluster) containerRequests(ctr *api.Container) (cpu, mem int64) {
	get := func(name string) int64 {
		if v := c.quantity(ctr.Resources.Requests[name]); v > 0 {
			return v
		}
		return max(c.quantity(ctr.Resources.Limits[name]), 0)
	}
	return get(api.ResourceCPU), units(get(api.ResourceMemory))
}

// collectPorts splits the pod's host ports into static ones (hostPort > 0)
// and the named ports listed for dynamic allocation. A port with hostPort
// 0 that is not listed claims nothing, even on a host-network pod.
func (p *podInfo) collectPorts() {
	names := dynamicPortNames(p.pod)
	for i := range p.pod.Spec.Containers {
		for _, port := range p.pod.Spec.Containers[i].Ports {
			proto := string(port.Protocol)
			if proto == "" {
				proto = string(api.ProtocolTCP)
			}
			switch {
			case port.HostPort > 0:
				p.staticPorts = append(p.staticPorts, hostPort{proto: proto, port: port.HostPort})
			case port.Name != "" && contains(names, port.Name) && p.dynamicProto[port.Name] == "":
				if p.dynamicProto == nil {
					p.dynamicProto = map[string]string{}
				}
				p.dynamic = append(p.dynamic, port.Name)
				p.dynamicProto[port.Name] = proto
			}
		}
	}
}

func dynamicPortNames(pod *api.Pod) []string {
	v := pod.Annotations[AnnotationDynamicPorts]
	if v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// driverOf is the agent's rule (node/worker.go driverFor): the container's
// driver, else the pod's annotation, else docker for an image, else exec.
func driverOf(pod *api.Pod, ctr *api.Container) string {
	if ctr.Driver != "" {
		return ctr.Driver
	}
	if d := pod.Annotations[AnnotationDriver]; d != "" {
		return d
	}
	if ctr.Image != "" {
		return "docker"
	}
	return "exec"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
