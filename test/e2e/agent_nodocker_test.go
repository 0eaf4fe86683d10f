package e2e

import (
	"net"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// TestNoDockerEngineNoDockerDriver (audit 5d), without docker: an agent
// whose Docker endpoint (DOCKER_HOST) refuses connections, and one whose
// endpoint accepts them but never answers, both register their nodes in
// good time and advertise only the exec driver, with driver.docker=false.
func TestNoDockerEngineNoDockerDriver(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)

	// A socket file nobody listens on: connect is refused.
	refused := filepath.Join(c.dir, "refused.sock")
	l, err := net.Listen("unix", refused)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	// A socket that accepts and then says nothing.
	silent := filepath.Join(c.dir, "silent.sock")
	sl, err := net.Listen("unix", silent)
	if err != nil {
		t.Fatal(err)
	}
	defer sl.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			conn, err := sl.Accept()
			if err != nil {
				return
			}
			held = append(held, conn)
		}
	}()

	started := time.Now()
	c.startAgentEnv("n1", "DOCKER_HOST=unix://"+refused)
	c.startAgentEnv("n2", "DOCKER_HOST=unix://"+silent)
	for _, name := range []string{"n1", "n2"} {
		n := waitNodeReady(ctx, t, cl, name, api.ConditionTrue)
		if !slices.Equal(n.Status.Drivers, []string{"exec"}) {
			t.Errorf("node %s advertises drivers %v, want only exec", name, n.Status.Drivers)
		}
		if got := n.Status.Attributes["driver.docker"]; got != "false" {
			t.Errorf("node %s: driver.docker = %q, want false", name, got)
		}
	}
	if d := time.Since(started); d > 20*time.Second {
		t.Errorf("nodes took %v to register with a dead docker endpoint", d)
	}
}
