package server

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// freePort is a TCP port nothing listens on right now, on ip.
func freePort(t *testing.T, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestLeaderIsReadyAgainAfterACoalescedNotification: a notification that
// finds this replica leading while its leader services still run (its loss
// and regain of leadership coalesced into one notification) must leave it
// ready again once this term's barrier is done. It used to mark the leader
// not ready and keep the old services, so it refused every write and
// linearizable read while it kept leading.
func TestLeaderIsReadyAgainAfterACoalescedNotification(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.BindAddr = "s1", filepath.Join(t.TempDir(), "s1"), "127.0.0.1"
	cfg.HTTPPort, cfg.RaftPort, cfg.GossipPort = freePort(t, "127.0.0.1"), freePort(t, "127.0.0.1"), freePort(t, "127.0.0.1")
	cfg.BootstrapExpect = 1
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	ready := func(within time.Duration) error {
		deadline := time.Now().Add(within)
		for !s.isReady() {
			if time.Now().After(deadline) {
				return fmt.Errorf("not ready within %v", within)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	}
	if err := ready(15 * time.Second); err != nil {
		t.Fatal(err)
	}
	s.followLeadership() // as a coalesced lost-and-regained notification would
	if err := ready(5 * time.Second); err != nil {
		t.Fatalf("after a notification that found it leading: %v", err)
	}
}
