// Package controlplane drives three-member etcd and Barque clusters on
// 127.0.0.1 and measures them with the same workloads, so that one run of
// bench/cmd/cpbench can print Barque's figures beside etcd's.
package controlplane

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Loopback is the only address the bench ever sends traffic to.
const Loopback = "127.0.0.1"

// FreePorts asks the OS for n distinct free TCP ports on loopback. All
// listeners stay open until every port is chosen so the OS cannot hand the
// same port out twice; there is still a small window between closing them and
// the member binding, which is accepted for a bench.
func FreePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", Loopback+":0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Proc is one member process that can be killed and started again with the
// same command line (and so the same data dir).
type Proc struct {
	Name    string
	Path    string
	Args    []string
	LogPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start launches the process with stdout/stderr appended to LogPath.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s already running", p.Name)
	}
	logf, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group: a Ctrl-C on the terminal reaches only cpbench, which
	// then stops members in order. Pdeathsig kills members if cpbench itself
	// dies without running its cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	return nil
}

// PID returns the running process id, or 0.
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running reports whether the process was started and has not exited.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL and waits for the exit: the failover workload's crash.
func (p *Proc) Kill() error {
	return p.signal(syscall.SIGKILL, 0)
}

// Stop asks politely (SIGTERM), then kills after grace.
func (p *Proc) Stop(grace time.Duration) error {
	return p.signal(syscall.SIGTERM, grace)
}

func (p *Proc) signal(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd, p.done = nil, nil
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	if sig != syscall.SIGKILL {
		select {
		case <-done:
			return nil
		case <-time.After(grace):
			cmd.Process.Kill()
		}
	}
	<-done
	return nil
}

// RSSBytes reads VmRSS of a process from /proc.
func RSSBytes(pid int) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fs := strings.Fields(rest) // "123456 kB"
			kb, err := strconv.ParseInt(fs[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// CPUTime reads user+system CPU time of a process from /proc/PID/stat, so
// throughput can also be reported as server CPU per operation, which moves
// less than ops/s when other tenants steal the shared CPU.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; fields start after its ')'.
	s := string(b)
	fs := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fs) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(fs[11], 10, 64)
	st, _ := strconv.ParseInt(fs[12], 10, 64)
	const clkTck = 100 // USER_HZ is 100 on every Linux we run on
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// checkRunning fails fast, with the end of its log, when a member that should
// be up has exited (a bad flag, a port taken), instead of waiting out a
// readiness timeout.
func checkRunning(procs []*Proc) error {
	for _, p := range procs {
		if p != nil && !p.Running() && p.started() {
			return fmt.Errorf("%s exited; end of %s:\n%s", p.Name, p.LogPath, logTail(p.LogPath, 15))
		}
	}
	return nil
}

// started reports whether the process is meant to be up: Start was called
// and neither Kill nor Stop since (those clear cmd).
func (p *Proc) started() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
