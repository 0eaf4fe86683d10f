// Package e2e drives the real barque binary: servers as separate processes
// on loopback, killed with real signals.
package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/api/client"
)

var barqueBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "barque-e2e-")
	if err != nil {
		panic(err)
	}
	barqueBin = filepath.Join(dir, "barque")
	build := exec.Command("go", "build", "-o", barqueBin, "github.com/barque-io/barque/cmd/barque")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		panic("building barque: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is one `barque server` process slot; restarts reuse its flags.
type proc struct {
	name    string
	gossip  string // gossip address, for -join
	args    []string
	env     []string // added to the test's environment
	api     string
	cmd     *exec.Cmd
	logPath string
	done    chan error
}

// procCluster is three server processes on 127.0.0.1 with OS-chosen ports.
type procCluster struct {
	t      *testing.T
	dir    string
	procs  []*proc
	agents []*proc
}

func freePort(t *testing.T, ip string) int { return freePorts(t, ip, 1)[0] }

// freePorts asks the OS for n distinct free ports, holding each listener
// open until all are chosen: ports asked for one at a time can repeat.
func freePorts(t *testing.T, ip string, n int) []int {
	t.Helper()
	var out []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", ip+":0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out
}

func startProcCluster(t *testing.T) *procCluster {
	t.Helper()
	dir := t.TempDir()
	c := &procCluster{t: t, dir: dir}
	// Own loopback addresses per cluster: no port races with other tests.
	base := fmt.Sprintf("127.%d.%d.", 1+rand.IntN(250), 1+rand.IntN(250))
	type ports struct {
		ip                 string
		http, raft, gossip int
	}
	var ps []ports
	for i := 0; i < 3; i++ {
		ip := base + fmt.Sprint(i+1)
		p := freePorts(t, ip, 3)
		ps = append(ps, ports{ip, p[0], p[1], p[2]})
	}
	for i, p := range ps {
		var join []string
		for j, q := range ps {
			if j != i {
				join = append(join, fmt.Sprintf("%s:%d", q.ip, q.gossip))
			}
		}
		name := fmt.Sprintf("e2e-%d", i+1)
		c.procs = append(c.procs, &proc{
			name: name, api: fmt.Sprintf("http://%s:%d", p.ip, p.http), logPath: filepath.Join(dir, name+".log"),
			gossip: fmt.Sprintf("%s:%d", p.ip, p.gossip),
			args: []string{"server", "-name", name, "-data-dir", filepath.Join(dir, name), "-bind", p.ip,
				"-http-port", fmt.Sprint(p.http), "-raft-port", fmt.Sprint(p.raft), "-gossip-port", fmt.Sprint(p.gossip),
				"-bootstrap-expect", "3", "-join", strings.Join(join, ","), "-log-level", "info"},
		})
	}
	for _, p := range c.procs {
		c.start(p)
	}
	t.Cleanup(func() {
		for _, p := range append(c.procs, c.agents...) {
			c.signal(p, syscall.SIGKILL)
		}
		// Tasks outlive their agent on purpose: kill what this test's
		// agents started (every process whose command line names the
		// test's directory: executors, and their process groups).
		killUnder(c.dir)
		if t.Failed() {
			for _, p := range append(c.procs, c.agents...) {
				b, _ := os.ReadFile(p.logPath)
				t.Logf("---- %s log (tail) ----\n%s", p.name, tail(string(b), 3000))
			}
		}
	})
	return c
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (c *procCluster) start(p *proc) {
	c.t.Helper()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	p.cmd = exec.Command(barqueBin, p.args...)
	if len(p.env) > 0 {
		p.cmd.Env = append(os.Environ(), p.env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", p.name, err)
	}
	p.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait(); logf.Close() }(p.cmd, p.done)
}

func (c *procCluster) signal(p *proc, sig syscall.Signal) {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(sig)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *procCluster) kill(p *proc) {
	c.signal(p, syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}

func (c *procCluster) addresses() []string {
	var out []string
	for _, p := range c.procs {
		out = append(out, p.api)
	}
	return out
}

func (c *procCluster) client(t *testing.T) *client.Client {
	t.Helper()
	cl, err := client.New(client.Config{Addresses: c.addresses(), Timeout: 5 * time.Second, RetryFor: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// leader waits for a leader and returns its process.
func (c *procCluster) leader(ctx context.Context, cl *client.Client) *proc {
	c.t.Helper()
	for ctx.Err() == nil {
		if li, err := cl.Leader(ctx); err == nil {
			for _, p := range c.procs {
				if p.api == li.API && p.cmd != nil {
					return p
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("no leader before the deadline: %v", ctx.Err())
	return nil
}

// killUnder SIGKILLs every process (and its process group) whose command
// line mentions dir or whose working directory is under it (exec tasks
// start in their task directory).
func killUnder(dir string) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		cwd, _ := os.Readlink("/proc/" + e.Name() + "/cwd")
		if !strings.Contains(string(cmdline), dir) && !strings.HasPrefix(cwd, dir) {
			continue
		}
		// Never the test's own group: the server processes share it.
		if pgid, err := syscall.Getpgid(pid); err == nil && pgid > 1 && pgid != syscall.Getpgrp() {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
