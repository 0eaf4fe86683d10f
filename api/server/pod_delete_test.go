package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

func boundPod(name, node string) string {
	return fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q},"spec":{"nodeName":%q,"containers":[{"name":"c","image":"busybox"}]}}`, name, node)
}

// TestPodDeleteGracePeriods: a bound pod's DELETE marks it with the grace
// period asked (query or body), bad values are 400s naming the parameter,
// gracePeriodSeconds=0 removes it, and a terminating pod whose node has
// no Node object is removed by the node lifecycle controller while one on
// an existing node (whose agent will stop it) stays.
func TestPodDeleteGracePeriods(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL()
	pods := base + "/api/v1/namespaces/default/pods"
	if code, body := do(t, http.MethodPost, base+"/api/v1/nodes", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"real"}}`); code != http.StatusCreated {
		t.Fatalf("create node: %d %v", code, body)
	}
	for _, p := range []string{boundPod("on-real", "real"), boundPod("on-ghost", "ghost")} {
		if code, body := do(t, http.MethodPost, pods, p); code != http.StatusCreated {
			t.Fatalf("create pod: %d %v", code, body)
		}
	}
	for q, field := range map[string]string{"?gracePeriodSeconds=-1": "gracePeriodSeconds", "?gracePeriodSeconds=soon": "gracePeriodSeconds"} {
		code, body := do(t, http.MethodDelete, pods+"/on-real"+q, "")
		if msg, _ := body["message"].(string); code != http.StatusBadRequest || !strings.HasPrefix(msg, field+":") {
			t.Errorf("DELETE %s: %d %v, want a 400 naming %s", q, code, body, field)
		}
	}
	code, body := do(t, http.MethodDelete, pods+"/on-real?gracePeriodSeconds=7", "")
	meta, _ := body["metadata"].(map[string]any)
	if code != http.StatusOK || meta["deletionGracePeriodSeconds"] != float64(7) || meta["deletionTimestamp"] == nil {
		t.Fatalf("graceful DELETE: %d %v", code, body)
	}
	if code, body := do(t, http.MethodDelete, pods+"/on-ghost", `{"gracePeriodSeconds":5}`); code != http.StatusOK {
		t.Fatalf("graceful DELETE with a body: %d %v", code, body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _ := do(t, http.MethodGet, pods+"/on-ghost", "")
		if code == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminating pod of a node with no Node object is still there after 20 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, body := do(t, http.MethodGet, pods+"/on-real", ""); code != http.StatusOK {
		t.Fatalf("the terminating pod of an existing node: %d %v, want it still there", code, body)
	}
	if code, body := do(t, http.MethodDelete, pods+"/on-real", `{"gracePeriodSeconds":0}`); code != http.StatusOK {
		t.Fatalf("DELETE with grace 0: %d %v", code, body)
	}
	if code, _ := do(t, http.MethodGet, pods+"/on-real", ""); code != http.StatusNotFound {
		t.Fatalf("after a delete with grace 0: %d, want 404", code)
	}
}
