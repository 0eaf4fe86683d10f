// Package cluster is the in-process test harness: N control-plane replicas on
// loopback with real Raft over TCP and real gossip, each of which can be
// killed (as a crash), restarted on its data dir, or partitioned away.
package cluster

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api/server"
	"github.com/hashicorp/go-hclog"
)

// Member is one replica slot: its config survives kills and restarts.
type Member struct {
	Index int
	cfg   server.Config
	mu    sync.Mutex
	srv   *server.Server
}

// Server returns the running replica, or nil while it is down.
func (m *Member) Server() *server.Server {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.srv
}

// APIURL is the replica's API base URL (stable across restarts).
func (m *Member) APIURL() string {
	return fmt.Sprintf("http://%s:%d", m.cfg.BindAddr, m.cfg.HTTPPort)
}

// Cluster is a set of replicas.
type Cluster struct {
	t       testing.TB
	Members []*Member
}

// Options tune a harness cluster.
type Options struct {
	HistorySize int
	// DisabledControllers names leader-only loops not to run (tests that
	// drive a controller themselves): "scheduler", "replicaset", ...
	DisabledControllers []string
	// RaftMultiplier scales Raft timers (heavy in-process benchmarks share
	// two cores between three replicas and their load).
	RaftMultiplier int
	// NodeGrace is how long nodes may miss heartbeats (0: the default).
	NodeGrace time.Duration
	// RaftLogStore is where the replicas keep their Raft log: "boltdb"
	// (also ""), or "wal".
	RaftLogStore string
	// NamePrefix names the replicas (default "s": s1, s2, ...); clusters
	// whose gossip pools meet need different names.
	NamePrefix string
}

// New starts n replicas that find each other over gossip and bootstrap a
// Raft group, and stops them all when the test ends.
func New(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	dir := t.TempDir()
	var firstGossip string
	// Each cluster gets its own loopback addresses, so that clusters of
	// tests running in parallel (and other processes' ephemeral ports on
	// 127.0.0.1) never race for the same port.
	base := fmt.Sprintf("127.%d.%d.", 1+rand.IntN(250), 1+rand.IntN(250))
	for i := 0; i < n; i++ {
		ip := base + fmt.Sprint(i+1)
		ports := freePorts(t, ip, 3)
		cfg := server.DefaultConfig()
		cfg.Name = fmt.Sprintf("%s%d", cmp.Or(opts.NamePrefix, "s"), i+1)
		cfg.DataDir = filepath.Join(dir, cfg.Name)
		cfg.BindAddr = ip
		cfg.HTTPPort, cfg.RaftPort, cfg.GossipPort = ports[0], ports[1], ports[2]
		cfg.BootstrapExpect = n
		cfg.FastGossip = true
		cfg.HistorySize = opts.HistorySize
		cfg.DisabledControllers = opts.DisabledControllers
		cfg.NodeGrace = opts.NodeGrace
		cfg.RaftLogStore = opts.RaftLogStore
		if opts.RaftMultiplier > 0 {
			cfg.RaftMultiplier = opts.RaftMultiplier
		}
		cfg.Logger = testLogger(cfg.Name)
		if i == 0 {
			firstGossip = fmt.Sprintf("%s:%d", ip, ports[2])
		} else {
			cfg.Join = []string{firstGossip}
		}
		c.Members = append(c.Members, &Member{Index: i, cfg: cfg})
	}
	for _, m := range c.Members {
		if err := c.start(m); err != nil {
			t.Fatalf("start %s: %v", m.cfg.Name, err)
		}
	}
	t.Cleanup(c.Stop)
	if opts.RaftLogStore == "wal" {
		// The option must reach the replicas: a test "on the WAL" that ran
		// on bolt would prove nothing.
		for _, m := range c.Members {
			if _, err := os.Stat(filepath.Join(m.cfg.DataDir, "raft", "wal", "wal-meta.db")); err != nil {
				t.Fatalf("%s was asked for a WAL log store but has none: %v", m.cfg.Name, err)
			}
		}
	}
	return c
}

func testLogger(name string) hclog.Logger {
	lvl := os.Getenv("BARQUE_TEST_LOG")
	if lvl == "" {
		return hclog.NewNullLogger()
	}
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.LevelFromString(lvl), Output: os.Stderr})
}

func (c *Cluster) start(m *Member) error {
	cfg := m.cfg
	// Every member joins through all others, so any one may be down.
	cfg.Join = nil
	for _, o := range c.Members {
		if o != m {
			cfg.Join = append(cfg.Join, fmt.Sprintf("%s:%d", o.cfg.BindAddr, o.cfg.GossipPort))
		}
	}
	var srv *server.Server
	var err error
	// A port just released by a killed replica can linger briefly.
	for attempt := 0; attempt < 50; attempt++ {
		if srv, err = server.New(cfg); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.srv = srv
	m.mu.Unlock()
	return nil
}

// Kill stops member i abruptly, as SIGKILL would: no leadership transfer, no
// gossip goodbye, connections cut.
func (c *Cluster) Kill(i int) {
	m := c.Members[i]
	m.mu.Lock()
	srv := m.srv
	m.srv = nil
	m.mu.Unlock()
	if srv != nil {
		srv.Kill()
	}
}

// Restart starts member i again on its data dir.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if err := c.start(c.Members[i]); err != nil {
		c.t.Fatalf("restart %s: %v", c.Members[i].cfg.Name, err)
	}
}

// Partition cuts member i's Raft traffic in both directions.
func (c *Cluster) Partition(i int) {
	if s := c.Members[i].Server(); s != nil {
		s.Node().SetFilter(func(string) bool { return false })
	}
}

// Heal lifts a partition of member i.
func (c *Cluster) Heal(i int) {
	if s := c.Members[i].Server(); s != nil {
		s.Node().SetFilter(nil)
	}
}

// Stop shuts every running replica down.
func (c *Cluster) Stop() {
	for i := range c.Members {
		c.Kill(i)
	}
}

// Leader returns the member that currently leads and is ready, or nil.
func (c *Cluster) Leader() *Member {
	for _, m := range c.Members {
		if s := m.Server(); s != nil && s.Node().IsLeader() {
			return m
		}
	}
	return nil
}

// Follower returns a running member other than leader (nil if none).
func (c *Cluster) Follower(leader *Member) *Member {
	for _, m := range c.Members {
		if m != leader && m.Server() != nil {
			return m
		}
	}
	return nil
}

// WaitForLeader waits until a leader exists and every running replica
// answers /readyz, and returns the leader.
func (c *Cluster) WaitForLeader(timeout time.Duration) *Member {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if l := c.Leader(); l != nil && c.allReady() {
			return l
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no ready leader within %v", timeout)
	return nil
}

func (c *Cluster) allReady() bool {
	for _, m := range c.Members {
		if m.Server() == nil {
			continue
		}
		if !ready(m.APIURL()) {
			return false
		}
	}
	return true
}

// Addresses lists every member's API URL.
func (c *Cluster) Addresses() []string {
	var out []string
	for _, m := range c.Members {
		out = append(out, m.APIURL())
	}
	return out
}

// WaitForIndex waits until every running replica's store reached idx.
func (c *Cluster) WaitForIndex(idx uint64, timeout time.Duration) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, m := range c.Members {
		if s := m.Server(); s != nil {
			if err := s.Node().Store().WaitForIndex(ctx, idx); err != nil {
				c.t.Fatalf("%s did not reach index %d: %v", m.cfg.Name, idx, err)
			}
		}
	}
}

func freePorts(t testing.TB, ip string, n int) []int {
	t.Helper()
	var ls []net.Listener
	var out []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", ip+":0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}
