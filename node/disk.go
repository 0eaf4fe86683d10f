package node

import (
	"strconv"

	"github.com/barque-io/barque/api"
)

// addStorage reports the data directory's filesystem as ephemeral-storage:
// its size as capacity, its free space at fingerprint time as allocatable.
// Claims (directories under the data dir) are what the scheduler counts
// against it, so allocatable leaves out what is already written there, by
// claims or anything else, as of the agent's last start.
func (a *Agent) addStorage(st *api.NodeStatus) {
	capacity, free, ok := dataDirStorage(a.cfg.DataDir)
	if !ok || capacity <= 0 {
		return
	}
	st.Capacity[api.ResourceEphemeralStorage] = strconv.FormatInt(capacity, 10)
	st.Allocatable[api.ResourceEphemeralStorage] = strconv.FormatInt(free, 10)
}
