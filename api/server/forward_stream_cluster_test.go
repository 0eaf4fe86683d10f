package server_test

import (
	"context"
	"fmt"
	"github.com/hashicorp/raft"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/internal/cluster"
)

// TestFollowersForwardOverOneStream: writes sent to a follower reach the
// leader over the follower's standing propose stream (forward_stream.go),
// one connection for all of them, and are stored.
func TestFollowersForwardOverOneStream(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	leader := c.WaitForLeader(10 * time.Second)
	follower := c.Follower(leader)
	for i := range 5 {
		item := fmt.Sprintf(`{"verb":"create","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fwd-%d","namespace":"default"},"data":{"k":"v"}}}`, i)
		code, body := do(t, http.MethodPost, follower.APIURL()+api.PathWriteBatch, `{"items":[`+item+`]}`)
		if code != http.StatusOK || strings.Contains(fmt.Sprint(body), "status") {
			t.Fatalf("batch %d through the follower: %d %v", i, code, body)
		}
		if code, obj := do(t, http.MethodGet, leader.APIURL()+fmt.Sprintf("/api/v1/namespaces/default/configmaps/fwd-%d", i), ""); code != http.StatusOK {
			t.Fatalf("fwd-%d on the leader: %d %v", i, code, obj)
		}
	}
	if got := proposeStreams(t, leader.APIURL()); got != "1" {
		t.Fatalf("the leader serves %s propose streams, want 1 (the one follower that forwarded)", got)
	}
}

// TestNewLeaderDropsItsStreamToTheOldLeader: a follower that becomes
// leader forwards nothing, so it closes its stream to its former leader
// instead of keeping it open idle.
func TestNewLeaderDropsItsStreamToTheOldLeader(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	leader := c.WaitForLeader(10 * time.Second)
	follower := c.Follower(leader)
	item := `{"verb":"create","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"before-transfer","namespace":"default"},"data":{"k":"v"}}}`
	if code, body := do(t, http.MethodPost, follower.APIURL()+api.PathWriteBatch, `{"items":[`+item+`]}`); code != http.StatusOK {
		t.Fatalf("batch through the follower: %d %v", code, body)
	}
	if got := proposeStreams(t, leader.APIURL()); got != "1" {
		t.Fatalf("the leader serves %s propose streams, want 1", got)
	}
	node := follower.Server().Node()
	if err := leader.Server().Node().Raft().LeadershipTransferToServer(raft.ServerID(node.ID()), raft.ServerAddress(node.Addr())).Error(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for proposeStreams(t, leader.APIURL()) != "0" {
		if time.Now().After(deadline) {
			t.Fatalf("the former leader still serves %s propose streams 10 s after the transfer", proposeStreams(t, leader.APIURL()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proposeStreams reads barque_propose_streams from a server's /metrics.
func proposeStreams(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "barque_propose_streams "); ok {
			return v
		}
	}
	t.Fatal("no barque_propose_streams in /metrics")
	return ""
}

// TestGracefulLeaderShutdownKeepsForwardedOutcomes: a leader that shuts
// down gracefully answers the forwarded batches it already read, as it
// does HTTP requests, instead of cutting its followers' streams (which
// would report their writes' outcomes as unknown).
func TestGracefulLeaderShutdownKeepsForwardedOutcomes(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	leader := c.WaitForLeader(10 * time.Second)
	follower := c.Follower(leader)
	var stop atomic.Bool
	var nCut, nOK atomic.Int64
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				code, body := do(t, http.MethodPost, follower.APIURL()+cmPath, configMap(fmt.Sprintf("g-%d-%d", w, i), "v"))
				switch {
				case code == http.StatusCreated:
					nOK.Add(1)
				case code == http.StatusGatewayTimeout && strings.Contains(fmt.Sprint(body["message"]), "forwarding to the leader failed"):
					// The follower lost the stream itself. A 504 the leader
					// answers (its entry was in flight when leadership
					// moved) is a true unknown outcome, as over HTTP.
					nCut.Add(1)
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = leader.Server().Shutdown(ctx)
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if nOK.Load() == 0 {
		t.Fatal("no write succeeded")
	}
	if n := nCut.Load(); n > 0 {
		t.Errorf("%d forwarded writes ended 504 because the leader cut its stream on a graceful shutdown", n)
	}
}
