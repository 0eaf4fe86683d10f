package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
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
