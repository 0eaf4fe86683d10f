package api

// PodRequests sums what a pod asks of its node: CPU in millicores and memory
// in bytes, over its containers (a container's request defaults to its
// limit, as Kubernetes defaults it), with init containers counted as the
// largest of them, since they run one at a time before the others.
func PodRequests(p *Pod) (cpuMilli, memBytes int64) {
	// By index: a Container is a large struct, and copying it per call was
	// a visible share of the FSM's binding check.
	for i := range p.Spec.Containers {
		cpu, mem := containerRequests(&p.Spec.Containers[i])
		cpuMilli += cpu
		memBytes += mem
	}
	for i := range p.Spec.InitContainers {
		cpu, mem := containerRequests(&p.Spec.InitContainers[i])
		cpuMilli, memBytes = max(cpuMilli, cpu), max(memBytes, mem)
	}
	return cpuMilli, memBytes
}

func containerRequests(c *Container) (cpuMilli, memBytes int64) {
	return requestOrLimit(c, "cpu").MilliValue(), requestOrLimit(c, "memory").Value()
}

// requestOrLimit is the named request, else the limit (as Kubernetes
// defaults a missing request), else zero.
func requestOrLimit(c *Container, name string) Quantity {
	if q, err := c.Resources.Requests.Get(name); err == nil && q.MilliValue() > 0 {
		return q
	}
	if q, err := c.Resources.Limits.Get(name); err == nil && q.MilliValue() > 0 {
		return q
	}
	return Quantity{}
}

// HostPorts lists the host ports a pod's containers claim ("TCP/8080").
func HostPorts(p *Pod) []string {
	var out []string
	for i := range p.Spec.Containers {
		for _, port := range p.Spec.Containers[i].Ports {
			if port.HostPort > 0 {
				proto := string(port.Protocol)
				if proto == "" {
					proto = "TCP"
				}
				out = append(out, proto+"/"+itoa32(port.HostPort))
			}
		}
	}
	return out
}

func itoa32(n int32) string {
	if n == 0 {
		return "0"
	}
	var b [12]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// PodIsTerminal reports a pod that no longer holds its node's resources.
func PodIsTerminal(p *Pod) bool { return p.Status.Phase == PodSucceeded || p.Status.Phase == PodFailed }
