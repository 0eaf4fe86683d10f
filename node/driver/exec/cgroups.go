package execdriver

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/barque-io/barque/node/driver"
)

// Cgroup modes, as Fingerprint reports them in driver.exec.cgroups.
const (
	cgroupsV2   = "v2"
	cgroupsV1   = "v1"
	cgroupsNone = "none"
)

const (
	cgroupRoot = "/sys/fs/cgroup"
	// v2: tasks go under one slice at the root, because the root is the
	// only cgroup that may both hold processes (the agent's) and delegate
	// controllers to children.
	v2Parent = cgroupRoot + "/barque.slice"
	// cpuPeriod is the CFS period in microseconds; quota = CPUMillis*100.
	cpuPeriod = 100000
)

// cgroupParents are where a mode creates task cgroups: one directory for
// v2, one per controller (memory first, cpu maybe empty) for v1.
type cgroupParents struct {
	mode   string
	memory string
	cpu    string
}

// detectCgroups finds out which cgroup mode this process can use by
// creating the parent directories task cgroups go under.
func detectCgroups() cgroupParents {
	if p, ok := detectV2(); ok {
		return p
	}
	if p, ok := detectV1(); ok {
		return p
	}
	return cgroupParents{mode: cgroupsNone}
}

func detectV2() (cgroupParents, bool) {
	ctrl, err := os.ReadFile(filepath.Join(cgroupRoot, "cgroup.controllers"))
	if err != nil || !hasWord(string(ctrl), "memory") {
		return cgroupParents{}, false
	}
	if err := os.MkdirAll(v2Parent, 0o755); err != nil {
		return cgroupParents{}, false
	}
	want := "+memory"
	if hasWord(string(ctrl), "cpu") {
		want += " +cpu"
	}
	if err := os.WriteFile(filepath.Join(v2Parent, "cgroup.subtree_control"), []byte(want), 0o644); err != nil {
		return cgroupParents{}, false
	}
	return cgroupParents{mode: cgroupsV2, memory: v2Parent}, true
}

// detectV1 uses barque/ under this process's own memory (and cpu) cgroup,
// so that a confined agent confines its tasks too.
func detectV1() (cgroupParents, bool) {
	own, err := ownV1Cgroups()
	if err != nil {
		return cgroupParents{}, false
	}
	mem := filepath.Join(cgroupRoot, "memory", own["memory"], "barque")
	if err := os.MkdirAll(mem, 0o755); err != nil {
		return cgroupParents{}, false
	}
	if _, err := os.Stat(filepath.Join(mem, "memory.limit_in_bytes")); err != nil {
		return cgroupParents{}, false
	}
	p := cgroupParents{mode: cgroupsV1, memory: mem}
	cpu := filepath.Join(cgroupRoot, "cpu", own["cpu"], "barque")
	if err := os.MkdirAll(cpu, 0o755); err == nil {
		p.cpu = cpu
	}
	return p, true
}

// ownV1Cgroups maps each v1 controller to this process's cgroup path.
func ownV1Cgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	own := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	if _, ok := own["memory"]; !ok {
		return nil, errors.New("no v1 memory cgroup")
	}
	return own, sc.Err()
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// cgroupName is the task's directory name: pod and task, made safe.
func cgroupName(cfg *driver.TaskConfig) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '/' || r == '.' || r == ' ' {
				return '_'
			}
			return r
		}, s)
	}
	pod := cfg.PodUID
	if pod == "" {
		pod = "pid" + strconv.Itoa(os.Getpid())
	}
	return clean(pod) + "-" + clean(cfg.TaskName)
}

// mkdirFresh creates dir under parent, choosing another name if a stale
// one (from an executor killed before it could clean up) is in the way.
func mkdirFresh(parent, name string) (string, error) {
	dir := filepath.Join(parent, name)
	err := os.Mkdir(dir, 0o755)
	if errors.Is(err, fs.ErrExist) {
		dir = filepath.Join(parent, name+"-"+strconv.Itoa(os.Getpid()))
		err = os.Mkdir(dir, 0o755)
	}
	if err != nil {
		return "", fmt.Errorf("create cgroup: %w", err)
	}
	return dir, nil
}

func writeFile(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err != nil {
		return fmt.Errorf("cgroup %s: %w", file, err)
	}
	return nil
}

// readKeyed returns the value of key in a "key value" per line file
// (memory.events, memory.oom_control).
func readKeyed(path, key string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key {
			n, err := strconv.ParseInt(f[1], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func readInt(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return n
}

func cpuQuota(millis int64) int64 {
	q := millis * cpuPeriod / 1000
	if q < 1000 { // the kernel's minimum quota is 1 ms
		q = 1000
	}
	return q
}
