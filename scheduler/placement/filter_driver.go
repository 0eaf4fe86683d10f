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
// nothing.
func (Driver) Prepare(_ *cluster, p *podInfo) Check {
	if len(p.drivers) == 0 {
		return nil
	}
	statuses := make([]*Status, len(p.drivers))
	for i, d := range p.drivers {
		statuses[i] = newStatus(DriverName, "node(s) didn't have driver "+d)
	}
	return func(n *nodeInfo) *Status {
		for i, d := range p.drivers {
			if !contains(n.node.Status.Drivers, d) {
				return statuses[i]
			}
		}
		return nil
	}
}
