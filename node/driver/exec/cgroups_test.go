package execdriver

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A task that allocates far past its memory limit is OOM-killed and
// reported so. Without a writable cgroup there is no limit to test.
func TestMemoryLimitOOMKill(t *testing.T) {
	if mode := detectCgroups().mode; mode == cgroupsNone {
		t.Skip("no writable cgroup (v1 or v2) on this node: tasks run without limits")
	}
	d := newTestDriver(t, t.TempDir())
	// The shell keeps the 200 MB command substitution in memory. Should
	// the limit not hold, it still ends (exit 0) and the test fails.
	cfg := testTask(t, "sh", "-c", `x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived`)
	cfg.Resources.MemoryBytes = 20 << 20
	h := startTask(t, d, cfg)
	r := waitExit(t, d, h, 60*time.Second)
	if !r.OOMKilled {
		t.Fatalf("result %+v, want OOMKilled", r)
	}
	st, _ := decodeHandle(h)
	t.Logf("cgroups %s, result %+v", st.Cgroups, r)
}

func TestCPULimitWritten(t *testing.T) {
	p := detectCgroups()
	if p.mode == cgroupsNone {
		t.Skip("no writable cgroup on this node")
	}
	cfg := testTask(t, "true")
	cfg.Resources.CPUMillis = 250
	cg, err := newTaskCgroup(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.destroy()
	switch {
	case p.mode == cgroupsV2:
		assertFile(t, filepath.Join(cg.memory, "cpu.max"), "25000 100000")
	case cg.cpu != "":
		assertFile(t, filepath.Join(cg.cpu, "cpu.cfs_quota_us"), "25000")
	default:
		t.Skip("v1 without a writable cpu controller")
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(data); got != want+"\n" && got != want {
		t.Errorf("%s = %q, want %q", path, got, want)
	}
}
