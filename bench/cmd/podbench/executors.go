package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/barque-io/barque/bench/controlplane"
)

// execCost sums the memory of the `barque executor` processes under dir
// (one per exec task, each supervising its task): VmRSS counts the binary's
// shared pages once per process, PSS shares them out, and Pss_Anon is what
// each executor costs on its own.
type execCost struct {
	n                       int
	rss, pss, anon, fileMem int64 // bytes
}

func executorCost(dir string) execCost {
	var c execCost
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		args := strings.Split(string(cmd), "\x00")
		if len(args) < 3 || args[1] != "executor" || !strings.Contains(args[2], dir) {
			continue
		}
		rss, err := controlplane.RSSBytes(pid)
		if err != nil {
			continue
		}
		roll := smapsRollup(pid)
		c.n++
		c.rss += rss
		c.pss += roll["Pss"]
		c.anon += roll["Pss_Anon"]
		c.fileMem += roll["Pss_File"]
	}
	return c
}

// smapsRollup reads /proc/PID/smaps_rollup's "Key: N kB" lines, in bytes.
func smapsRollup(pid int) map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, rest, ok := strings.Cut(sc.Text(), ":")
		fs := strings.Fields(rest)
		if !ok || len(fs) != 2 || fs[1] != "kB" {
			continue
		}
		if n, err := strconv.ParseInt(fs[0], 10, 64); err == nil {
			out[k] = n * 1024
		}
	}
	return out
}

func (c execCost) String() string {
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	if c.n == 0 {
		return "no executor processes"
	}
	return fmt.Sprintf("%d executors: RSS sum %.1f MiB (%.1f each), PSS sum %.1f MiB (anon %.1f, file %.1f; %.2f MiB each)",
		c.n, mib(c.rss), mib(c.rss)/float64(c.n), mib(c.pss), mib(c.anon), mib(c.fileMem), mib(c.pss)/float64(c.n))
}
