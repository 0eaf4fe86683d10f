package execdriver

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// procStat reads a process's state letter and start time (field 22 of
// /proc/PID/stat, in clock ticks since boot).
func procStat(pid int) (state byte, start uint64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may hold spaces and parentheses, so
	// parse from the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	fields := bytes.Fields(data[i+1:])
	const startField = 22 - 3 // fields after ')' begin at field 3
	if len(fields) <= startField || len(fields[0]) == 0 {
		return 0, 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(string(fields[startField]), 10, 64)
	return fields[0][0], start, err
}

// procStartTime is the start time of a live process.
func procStartTime(pid int) (uint64, error) {
	_, start, err := procStat(pid)
	return start, err
}

// alive reports whether pid is the process that started at start and has
// not exited. A zombie counts as gone: it has exited, only its parent has
// not reaped it yet.
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	state, st, err := procStat(pid)
	if err != nil || state == 'Z' || state == 'X' {
		return false
	}
	return start == 0 || st == start
}

// signalGroup signals the process group led by pid, but only while its
// leader is still the process we started: after it is gone, the number
// may belong to someone else.
func signalGroup(pid int, start uint64, sig syscall.Signal) error {
	if !alive(pid, start) {
		return nil
	}
	if err := syscall.Kill(-pid, sig); err != nil && err != syscall.ESRCH {
		return fmt.Errorf("signal process group %d: %w", pid, err)
	}
	return nil
}

// pollUntil calls done every interval until it is true or the deadline
// (zero: none) or stop channel ends the wait; it reports whether done held.
func pollUntil(done func() bool, interval time.Duration, deadline time.Time, stop <-chan struct{}) bool {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if done() {
			return true
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return false
		}
		select {
		case <-stop:
			return done()
		case <-t.C:
		}
	}
}
