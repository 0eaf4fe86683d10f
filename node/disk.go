package node

import (
	"strconv"
	"syscall"

	"github.com/barque-io/barque/api"
)

// dataDirStorage is the size of the filesystem holding dir and the space
// on it that the agent may still write, in bytes; ok is false when the
// filesystem cannot be read.
func dataDirStorage(dir string) (capacity, free int64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, false
	}
	bs := uint64(st.Bsize)
	return int64(st.Blocks * bs), int64(st.Bavail * bs), true
}

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
