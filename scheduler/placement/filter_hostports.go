package placement

// HostPortsName names the filter for host port conflicts (Kubernetes'
// NodePorts) and for room in the dynamic port range.
const HostPortsName = "HostPorts"

// Reasons: Kubernetes' for a static conflict; ours for a full range.
const (
	ReasonPortConflict  = "node(s) didn't have free ports for the requested pod ports"
	ReasonNoDynamicPort = "node(s) didn't have free dynamic ports"
)

// HostPorts rejects nodes where a static host port the pod claims is taken,
// or where the dynamic range has fewer free ports than the pod needs.
type HostPorts struct{}

var _ Filter = HostPorts{}

var (
	statusPortConflict  = newStatus(HostPortsName, ReasonPortConflict)
	statusNoDynamicPort = newStatus(HostPortsName, ReasonNoDynamicPort)
)

// Name is the filter's name.
func (HostPorts) Name() string { return HostPortsName }

// Prepare skips pods that claim no host port.
func (HostPorts) Prepare(c *cluster, p *podInfo) Check {
	if len(p.staticPorts) == 0 && len(p.dynamic) == 0 {
		return nil
	}
	rangeSize := c.cfg.PortRange[1] - c.cfg.PortRange[0] + 1
	return func(n *nodeInfo) *Status {
		for _, hp := range p.staticPorts {
			if n.portUsed(hp) {
				return statusPortConflict
			}
		}
		if len(p.dynamic) > 0 && rangeSize-n.dynUsed < len(p.dynamic)+len(p.staticPorts) {
			return statusNoDynamicPort
		}
		return nil
	}
}

// allocatePorts picks a free host port in the range for each dynamic port,
// deterministically: from the node's cursor upward, wrapping, skipping
// ports in use and the pod's own static ports. The cursor moves past each
// allocation so that a node's allocations do not rescan the used low end.
func allocatePorts(p *podInfo, n *nodeInfo, cfg Config) map[string]int {
	if len(p.dynamic) == 0 {
		return nil
	}
	lo, hi := cfg.PortRange[0], cfg.PortRange[1]
	out := make(map[string]int, len(p.dynamic))
	taken := map[hostPort]bool{}
	for _, hp := range p.staticPorts {
		taken[hp] = true
	}
	for _, name := range p.dynamic {
		proto := p.dynamicProto[name]
		for tries := 0; tries <= hi-lo; tries++ {
			port := n.nextPort
			n.nextPort++
			if n.nextPort > hi || n.nextPort < lo {
				n.nextPort = lo
			}
			hp := hostPort{proto: proto, port: int32(port)}
			if !n.portUsed(hp) && !taken[hp] {
				out[name] = port
				taken[hp] = true
				break
			}
		}
	}
	return out
}
