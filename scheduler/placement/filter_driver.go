package placement

// DriverName names the filter that keeps pods on nodes able to run their
// tasks (Nomad's driver checker).
const DriverName = "Driver"

// Driver rejects nodes that lack a driver one of the pod's containers
// needs (the container's driver, else the barque.io/driver annotation,
// else docker for an image, else exec, as the agent picks it):
// "node(s) didn't have driver exec".
type Driver struct{}

var _ Filter = Driver{}

// Name is the filter's name.
func (Driver) Name() string { return DriverName }

// Prepare builds one rejection per needed driver, so a scan allocates
// nothing, and the drivers' bits, so it compares no strings.
func (Driver) Prepare(c *cluster, p *podInfo) Check {
	if len(p.drivers) == 0 {
		return nil
	}
	statuses := make([]*Status, len(p.drivers))
	bits := make([]uint64, len(p.drivers))
	var need uint64
	for i, d := range p.drivers {
		statuses[i] = newStatus(DriverName, "node(s) didn't have driver "+d)
		bits[i] = c.driverBit(d)
		need |= bits[i]
	}
	return func(n *nodeInfo) *Status {
		if n.drivers&need == need {
			for _, b := range bits {
				if b == 0 { // beyond 64 distinct drivers: compare names
					return slowDriverCheck(n, p.drivers, statuses)
				}
			}
			return nil
		}
		for i, b := range bits {
			if b == 0 || n.drivers&b == 0 {
				return slowDriverCheck(n, p.drivers[i:], statuses[i:])
			}
		}
		return nil
	}
}

func slowDriverCheck(n *nodeInfo, drivers []string, statuses []*Status) *Status {
	for i, d := range drivers {
		if !contains(n.node.Status.Drivers, d) {
			return statuses[i]
		}
	}
	return nil
}
