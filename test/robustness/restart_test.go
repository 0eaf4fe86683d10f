package robustness

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

func TestAllReplicasRestartKeepsData(t *testing.T) {
	onEachLogStore(t, testAllReplicasRestartKeepsData)
}

func testAllReplicasRestartKeepsData(t *testing.T, opts cluster.Options) {
	c := cluster.New(t, 3, opts)
	c.WaitForLeader(20 * time.Second)
	hc := newClient(t)
	urls := c.Addresses()

	const n = 120
	acked := make([]object, n)
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				name := fmt.Sprintf("keep-%d", i)
				r := hc.do(http.MethodPost, urls[i%3]+cmPath, configMapJSON(name, fmt.Sprintf("data-%d", i)))
				if r.code != http.StatusCreated {
					errs <- fmt.Sprintf("create %s: %s", name, r)
					continue
				}
				acked[i] = decodeObject(t, r.body)
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	// Update some, so that resourceVersions differ from creation order.
	for i := 0; i < n; i += 10 {
		o := acked[i]
		body := []byte(fmt.Sprintf(`{"metadata":{"name":%q,"resourceVersion":%q},"data":{"v":"updated-%d"}}`, o.Metadata.Name, o.Metadata.ResourceVersion, i))
		r := hc.do(http.MethodPut, urls[(i+1)%3]+cmPath+"/"+o.Metadata.Name, body)
		if r.code != http.StatusOK {
			t.Fatalf("update %s: %s", o.Metadata.Name, r)
		}
		acked[i] = decodeObject(t, r.body)
	}
	before := leaderIndex(t, c)
	c.WaitForIndex(before, 10*time.Second)

	for i := range c.Members {
		c.Kill(i)
	}
	for i := range c.Members {
		c.Restart(i)
	}
	start := time.Now()
	c.WaitForLeader(40 * time.Second)
	t.Logf("leader elected %v after restarting all three", time.Since(start).Round(time.Millisecond))

	for i, m := range c.Members {
		// Linearizable reads through each replica.
		for _, want := range acked {
			r := hc.do(http.MethodGet, m.APIURL()+cmPath+"/"+want.Metadata.Name, nil)
			if r.code != http.StatusOK {
				t.Errorf("s%d: get %s after restart: %s", i+1, want.Metadata.Name, r)
				continue
			}
			got := decodeObject(t, r.body)
			if got.Metadata != want.Metadata || got.Data["v"] != want.Data["v"] {
				t.Errorf("s%d: %s after restart is %+v %v, was %+v %v", i+1, want.Metadata.Name, got.Metadata, got.Data, want.Metadata, want.Data)
			}
		}
		r := hc.do(http.MethodGet, m.APIURL()+cmPath, nil)
		var list objectList
		if r.code != http.StatusOK || json.Unmarshal(r.body, &list) != nil {
			t.Fatalf("s%d: list: %s", i+1, r)
		}
		if len(list.Items) != n {
			t.Errorf("s%d: list has %d configmaps, want %d", i+1, len(list.Items), n)
		}
	}
	// And each store directly, once caught up.
	c.WaitForIndex(before, 20*time.Second)
	for i, m := range c.Members {
		store := m.Server().Node().Store()
		for _, want := range acked {
			obj, _ := store.Get("ConfigMap", "default", want.Metadata.Name)
			if obj == nil {
				t.Errorf("s%d: store lacks %s", i+1, want.Metadata.Name)
				continue
			}
			b, _ := json.Marshal(obj)
			if got := decodeObject(t, b); got.Metadata != want.Metadata || got.Data["v"] != want.Data["v"] {
				t.Errorf("s%d: store has %s, want %+v", i+1, b, want)
			}
		}
	}
}

// TestFollowerRestartedUnderIdleLeaderCatchesUp: one follower is killed and
// restarted on its data dir while the leader stays, and nothing is written
// afterwards. It must serve every object from its own store (stale reads)
// without waiting for a new write, and /readyz must not say ready before
// it does: a rolling restart puts it back behind a load balancer then.
func TestFollowerRestartedUnderIdleLeaderCatchesUp(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	leader := c.WaitForLeader(20 * time.Second)
	hc := newClient(t)
	const n = 30
	for i := range n {
		r := hc.do(http.MethodPost, leader.APIURL()+cmPath, configMapJSON(fmt.Sprintf("idle-%d", i), "v"))
		if r.code != http.StatusCreated {
			t.Fatalf("create: %s", r)
		}
	}
	c.WaitForIndex(leaderIndex(t, c), 10*time.Second)
	follower := c.Follower(leader)
	time.Sleep(200 * time.Millisecond) // the leader sees it current
	c.Kill(follower.Index)
	c.Restart(follower.Index)

	staleCount := func() int {
		r := hc.do(http.MethodGet, follower.APIURL()+cmPath+"?stale=true", nil)
		if r.code != http.StatusOK {
			return -1
		}
		var list objectList
		if err := json.Unmarshal(r.body, &list); err != nil {
			t.Fatal(err)
		}
		return len(list.Items)
	}
	caughtUp := waitFor(5*time.Second, func() bool {
		ready := hc.do(http.MethodGet, follower.APIURL()+"/readyz", nil).code == http.StatusOK
		have := staleCount()
		if ready && have != n {
			t.Fatalf("the restarted follower says ready holding %d of %d objects", have, n)
		}
		return ready && have == n
	})
	if !caughtUp {
		t.Fatalf("the restarted follower holds %d of %d objects 5 s after its restart, with the leader idle", staleCount(), n)
	}
}
