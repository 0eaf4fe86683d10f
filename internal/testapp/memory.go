package main

import (
	"fmt"
	"strconv"
	"strings"
)

const mib = 1 << 20

// alloc allocates and touches MiB mebibytes, one at a time so that a memory
// limit kills it part way (the OOM test reads the progress in the log), then
// holds the memory for HOLD (default: until SIGTERM/SIGINT).
func alloc(args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("alloc: usage: alloc MiB [HOLD]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		return fmt.Errorf("alloc: bad MiB %q", args[0])
	}
	held := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		b := make([]byte, mib)
		// Touch every page: untouched pages are not charged to the cgroup.
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		held = append(held, b)
		if (i+1)%16 == 0 {
			fmt.Printf("testapp: allocated %d MiB\n", i+1)
		}
	}
	fmt.Printf("testapp: holding %d MiB\n", len(held))
	if len(args) == 2 {
		return sleep(args[1:])
	}
	return sleep(nil)
}

// lines prints N numbered lines of about SIZE bytes each (default 64).
func lines(args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("lines: usage: lines N [SIZE]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("lines: bad N %q", args[0])
	}
	size := 64
	if len(args) == 2 {
		if size, err = strconv.Atoi(args[1]); err != nil || size < 12 {
			return fmt.Errorf("lines: bad SIZE %q", args[1])
		}
	}
	pad := strings.Repeat("x", size-12)
	for i := 1; i <= n; i++ {
		fmt.Printf("%010d %s\n", i, pad)
	}
	return nil
}
