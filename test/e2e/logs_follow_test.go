package e2e

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// counterPod prints a counter every 100 ms.
const counterPod = `
metadata: {name: counter, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  containers:
  - name: main
    command: ["/bin/sh", "-c", "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.1; done"]
`

// counterJob is counterPod as a Nomad job.
const counterJob = `job "counter" {
  group "counter" {
    task "main" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.1; done"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`

// TestLogsFollowAcrossServerRestart: `barque logs -f` keeps printing a
// task's lines while the server that proxies its stream is killed and
// restarted, then while the node agent is: the stream is resumed (through
// another server), with no line printed twice and none missing; Ctrl-C
// still ends it at once.
func TestLogsFollowAcrossServerRestart(t *testing.T) {
	c, cl, ctx := startClusterWithAgent(t, 2*time.Minute)
	applyPod(ctx, t, cl, counterPod)
	waitPod(ctx, t, cl, "counter", "running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })
	followAcrossRestart(t, c, true, "", "logs", "-f", "counter")
}

// TestJobLogsFollowAcrossServerRestart: the same with `barque job logs -f`,
// which also watches the job's pods through the servers.
func TestJobLogsFollowAcrossServerRestart(t *testing.T) {
	c, _, _ := startClusterWithAgent(t, 2*time.Minute)
	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}
	path := t.TempDir() + "/counter.nomad.hcl"
	if err := writeFile(path, counterJob); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, env, "", "job", "run", "--detach", path); code != 0 {
		t.Fatalf("job run: %d\n%s", code, out)
	}
	followAcrossRestart(t, c, false, "[counter-", "job", "logs", "-f", "counter")
}

// startClusterWithAgent starts three servers and agent n1, ready, and a
// context that ends after timeout.
func startClusterWithAgent(t *testing.T, timeout time.Duration) (*procCluster, *client.Client, context.Context) {
	t.Helper()
	c, cl, ctx := startWritable(t, timeout)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	return c, cl, ctx
}

// followAcrossRestart runs the barque command args, which prints the
// counter's "line N" (each line starting with prefix), kills the server
// that proxies its stream, restarts it (then, with agentToo, the node
// agent), and checks that every line came once, in order.
func followAcrossRestart(t *testing.T, c *procCluster, agentToo bool, prefix string, args ...string) {
	t.Helper()
	cmd := exec.Command(barqueBin, args...)
	name := strings.Join(args, " ")
	cmd.Env = append(os.Environ(), "BARQUE_ADDR="+strings.Join(c.addresses(), ","), "HOME="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []int
	readUntil := func(n int, what string) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for len(got) < n {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("%s ended %s after %d lines; stderr:\n%s", name, what, len(got), stderr.String())
				}
				if !strings.HasPrefix(l, prefix) {
					t.Fatalf("line %q does not start with %q", l, prefix)
				}
				if _, rest, ok := strings.Cut(l, "] "); ok && prefix != "" {
					l = rest
				}
				got = append(got, lineNumbers(t, l)...)
			case <-timeout:
				t.Fatalf("%s printed %d lines, want %d %s; stderr:\n%s", name, len(got), n, what, stderr.String())
			}
		}
	}
	readUntil(10, "before the kill") // within 30 s: the job's pod starts too
	p := proxyingServer(t, c)
	t.Logf("%s streams through %s (after line %d); killing it", name, p.name, len(got))
	c.kill(p)
	readUntil(len(got)+30, "after the kill") // 3 s of output, via another server
	c.start(p)
	readUntil(len(got)+30, "after the restart")
	if agentToo {
		t.Logf("killing the agent after line %d", len(got))
		c.kill(c.agents[0])
		c.start(c.agents[0])
		readUntil(len(got)+30, "after the agent's restart")
	}

	for i, n := range got {
		if n != i+1 {
			t.Fatalf("line %d is %d: lines repeated or missing across the restart: %v", i+1, n, got)
		}
	}
	// Ctrl-C ends it at once (the CLI leaves SIGINT to its default action).
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGINT) {
			t.Fatalf("%s after Ctrl-C: %v; stderr:\n%s", name, err, stderr.String())
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("%s still running 2 s after Ctrl-C", name)
	}
}

// proxyingServer is the server process that proxies the stream: the one
// with a connection to the agent's API (no other log or exec is open).
func proxyingServer(t *testing.T, c *procCluster) *proc {
	t.Helper()
	agent := c.agents[0]
	var agentAPI string
	for i, a := range agent.args {
		if a == "-api-port" {
			ip := c.procs[0].gossip[:strings.LastIndex(c.procs[0].gossip, ":")]
			agentAPI = net.JoinHostPort(ip, agent.args[i+1])
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var found []*proc
		for _, p := range c.procs {
			if p.cmd != nil && tcpRemotes(p.cmd.Process.Pid)[agentAPI] {
				found = append(found, p)
			}
		}
		if len(found) == 1 {
			return found[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("cannot tell which server proxies the stream to the agent at %s", agentAPI)
	return nil
}

// tcpRemotes are the remote ip:port of pid's established TCP connections
// (its socket inodes matched in /proc/net/tcp).
func tcpRemotes(pid int) map[string]bool {
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	out := map[string]bool{}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", pid))
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "01" || !inodes[f[9]] { // 01: ESTABLISHED
			continue
		}
		if addr, ok := hexAddr(f[2]); ok {
			out[addr] = true
		}
	}
	return out
}

// hexAddr decodes /proc/net/tcp's "0100007F:1F90" (IPv4, host byte order).
func hexAddr(s string) (string, bool) {
	ipHex, portHex, ok := strings.Cut(s, ":")
	ip, err := hex.DecodeString(ipHex)
	if !ok || err != nil || len(ip) != 4 {
		return "", false
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return "", false
	}
	return net.JoinHostPort(net.IPv4(ip[3], ip[2], ip[1], ip[0]).String(), strconv.Itoa(int(port))), true
}
