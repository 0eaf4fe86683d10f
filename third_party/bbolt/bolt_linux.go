package bbolt

import (
	"syscall"
)

// fdatasync flushes written data to a file descriptor.
func fdatasync(db *DB) error {
	syncCount.Add(1) // Barque patch: counted for tests, failed by them
	if err := failNextSync; err != nil {
		failNextSync = nil
		return err
	}
	return syscall.Fdatasync(int(db.file.Fd()))
}
