//go:build unix

package node

import "syscall"

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
