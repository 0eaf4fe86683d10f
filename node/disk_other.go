//go:build !unix

package node

// dataDirStorage cannot read the filesystem here: the node reports no
// ephemeral-storage, and the scheduler does not check claim sizes on it.
func dataDirStorage(string) (capacity, free int64, ok bool) { return 0, 0, false }
