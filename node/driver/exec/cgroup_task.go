package execdriver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/barque-io/barque/node/driver"
)

// taskCgroup is one task's cgroup (v2), or its memory and cpu cgroups (v1).
type taskCgroup struct {
	mode   string
	memory string // the v2 directory, or the v1 memory one
	cpu    string // v1 only; may be empty
	// v1 has no way to start a child straight into a cgroup, so the
	// executor steps in itself around the fork and then back out.
	origMemory, origCPU string
	cgroupFD            *os.File // v2: for SysProcAttr.CgroupFD
}

// newTaskCgroup creates the task's cgroup and writes its limits. A nil
// cgroup with nil error means this node runs tasks without limits.
func newTaskCgroup(p cgroupParents, cfg *driver.TaskConfig) (*taskCgroup, error) {
	if p.mode == cgroupsNone {
		return nil, nil
	}
	name := cgroupName(cfg)
	cg := &taskCgroup{mode: p.mode}
	var err error
	if cg.memory, err = mkdirFresh(p.memory, name); err != nil {
		return nil, err
	}
	if p.mode == cgroupsV1 && p.cpu != "" {
		if cg.cpu, err = mkdirFresh(p.cpu, name); err != nil {
			cg.destroy()
			return nil, err
		}
		cg.origCPU = filepath.Dir(p.cpu)
	}
	cg.origMemory = filepath.Dir(p.memory)
	if err := cg.setLimits(cfg.Resources); err != nil {
		cg.destroy()
		return nil, err
	}
	return cg, nil
}

func (cg *taskCgroup) setLimits(r driver.Resources) error {
	if cg.mode == cgroupsV2 {
		return cg.setLimitsV2(r)
	}
	return cg.setLimitsV1(r)
}

func (cg *taskCgroup) setLimitsV2(r driver.Resources) error {
	if r.MemoryBytes > 0 {
		if err := writeFile(cg.memory, "memory.max", strconv.FormatInt(r.MemoryBytes, 10)); err != nil {
			return err
		}
		// Without this a task at its limit swaps instead of being killed.
		_ = writeFile(cg.memory, "memory.swap.max", "0")
	}
	if r.CPUMillis > 0 {
		v := fmt.Sprintf("%d %d", cpuQuota(r.CPUMillis), cpuPeriod)
		if err := writeFile(cg.memory, "cpu.max", v); err != nil {
			return err
		}
	}
	return nil
}

func (cg *taskCgroup) setLimitsV1(r driver.Resources) error {
	if r.MemoryBytes > 0 {
		v := strconv.FormatInt(r.MemoryBytes, 10)
		if err := writeFile(cg.memory, "memory.limit_in_bytes", v); err != nil {
			return err
		}
		// Best effort: memsw exists only with swap accounting.
		_ = writeFile(cg.memory, "memory.memsw.limit_in_bytes", v)
	}
	if r.CPUMillis > 0 && cg.cpu != "" {
		if err := writeFile(cg.cpu, "cpu.cfs_period_us", strconv.Itoa(cpuPeriod)); err != nil {
			return err
		}
		if err := writeFile(cg.cpu, "cpu.cfs_quota_us", strconv.FormatInt(cpuQuota(r.CPUMillis), 10)); err != nil {
			return err
		}
	}
	return nil
}

// start runs cmd.Start so that the child is born inside the cgroup:
// before it can allocate anything the limit does not see.
func (cg *taskCgroup) start(cmd *exec.Cmd) error {
	if cg == nil {
		return cmd.Start()
	}
	if cg.mode == cgroupsV2 {
		fd, err := os.Open(cg.memory)
		if err != nil {
			return fmt.Errorf("open cgroup: %w", err)
		}
		defer fd.Close()
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = int(fd.Fd())
		return cmd.Start()
	}
	self := strconv.Itoa(os.Getpid())
	if err := cg.moveSelf(cg.memory, cg.cpu, self); err != nil {
		cg.moveSelf(cg.origMemory, cg.origCPU, self)
		return err
	}
	startErr := cmd.Start()
	if err := cg.moveSelf(cg.origMemory, cg.origCPU, self); err != nil && startErr == nil {
		return fmt.Errorf("leave task cgroup: %w", err)
	}
	return startErr
}

func (cg *taskCgroup) moveSelf(memory, cpu, pid string) error {
	if err := writeFile(memory, "cgroup.procs", pid); err != nil {
		return err
	}
	if cpu != "" && cg.cpu != "" {
		return writeFile(cpu, "cgroup.procs", pid)
	}
	return nil
}

// oomKilled says whether the kernel's OOM killer acted in the cgroup.
// killed tells whether the task died of SIGKILL, for old v1 kernels whose
// oom_control has no oom_kill counter.
func (cg *taskCgroup) oomKilled(killed bool) bool {
	if cg == nil {
		return false
	}
	if cg.mode == cgroupsV2 {
		n, _ := readKeyed(filepath.Join(cg.memory, "memory.events"), "oom_kill")
		return n > 0
	}
	if n, ok := readKeyed(filepath.Join(cg.memory, "memory.oom_control"), "oom_kill"); ok {
		return n > 0
	}
	return killed && readInt(filepath.Join(cg.memory, "memory.failcnt")) > 0
}

// dirs lists the cgroup's directories.
func (cg *taskCgroup) dirs() []string {
	if cg == nil {
		return nil
	}
	if cg.cpu == "" {
		return []string{cg.memory}
	}
	return []string{cg.memory, cg.cpu}
}

// destroy kills whatever is left in the cgroup and removes it.
func (cg *taskCgroup) destroy() error {
	return removeCgroups(cg.dirs())
}

// removeCgroups empties and removes cgroup directories.
func removeCgroups(dirs []string) error {
	var errs []error
	for _, dir := range dirs {
		killAll(dir)
		if err := rmdirRetry(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// killAll SIGKILLs every process of a cgroup until it is empty (bounded:
// a process stuck in the kernel must not hang the executor).
func killAll(dir string) {
	pollUntil(func() bool {
		data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if err != nil {
			return true
		}
		pids := strings.Fields(string(data))
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		return len(pids) == 0
	}, 20*time.Millisecond, time.Now().Add(3*time.Second), nil)
}

func rmdirRetry(dir string) error {
	var err error
	pollUntil(func() bool {
		err = syscall.Rmdir(dir)
		return err == nil || err == syscall.ENOENT
	}, 20*time.Millisecond, time.Now().Add(2*time.Second), nil)
	if err != nil && err != syscall.ENOENT {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	return nil
}
