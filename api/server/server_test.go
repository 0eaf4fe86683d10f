package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

func do(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	code, out, _ := doWarn(t, method, url, body)
	return code, out
}

func configMap(name, value string) string {
	return fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q,"labels":{"app":"web"}},"data":{"k":%q}}`, name, value)
}

const cmPath = "/api/v1/namespaces/default/configmaps"

func TestClusterFormsAndWritesThroughAnyReplica(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	c.WaitForLeader(15 * time.Second)
	for i, m := range c.Members {
		code, body := do(t, http.MethodPost, m.APIURL()+cmPath, configMap(fmt.Sprintf("cm-%d", i), "v"))
		if code != http.StatusCreated {
			t.Fatalf("create through %d: %d %v", i, code, body)
		}
	}
	for i, m := range c.Members {
		code, body := do(t, http.MethodGet, m.APIURL()+cmPath+"?labelSelector=app%3Dweb", "")
		if code != http.StatusOK || len(body["items"].([]any)) != 3 {
			t.Fatalf("linearizable list on %d: %d %v", i, code, body)
		}
	}
	// CAS: a stale resourceVersion is refused with 409.
	_, obj := do(t, http.MethodGet, c.Members[1].APIURL()+cmPath+"/cm-0", "")
	rv := obj["metadata"].(map[string]any)["resourceVersion"].(string)
	upd := fmt.Sprintf(`{"metadata":{"name":"cm-0","resourceVersion":%q},"data":{"k":"v2"}}`, rv)
	if code, body := do(t, http.MethodPut, c.Members[2].APIURL()+cmPath+"/cm-0", upd); code != http.StatusOK {
		t.Fatalf("CAS update: %d %v", code, body)
	}
	if code, body := do(t, http.MethodPut, c.Members[0].APIURL()+cmPath+"/cm-0", upd); code != http.StatusConflict || body["reason"] != "Conflict" {
		t.Fatalf("stale CAS update: %d %v", code, body)
	}
	if code, body := do(t, http.MethodPatch, c.Members[1].APIURL()+cmPath+"/cm-0", `{"data":{"p":"1"}}`); code != http.StatusOK || body["data"].(map[string]any)["p"] != "1" {
		t.Fatalf("merge patch: %d %v", code, body)
	}
	if code, body := do(t, http.MethodPost, c.Members[0].APIURL()+cmPath, configMap("Bad_Name", "v")); code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid name: %d %v", code, body)
	}
	if code, _ := do(t, http.MethodDelete, c.Members[2].APIURL()+cmPath+"/cm-1", ""); code != http.StatusOK {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := do(t, http.MethodGet, c.Members[0].APIURL()+cmPath+"/cm-1", ""); code != http.StatusNotFound {
		t.Fatalf("get after delete: %d", code)
	}
}

// TestForwardedWriteHasOneIndexHeader: a write a follower proxies to the
// leader answers with the leader's X-Barque-Index and X-Barque-Leader, once
// each (the proxy added the leader's headers to the follower's own).
func TestForwardedWriteHasOneIndexHeader(t *testing.T) {
	c := cluster.New(t, 3, cluster.Options{})
	leader := c.WaitForLeader(15 * time.Second)
	follower := c.Follower(leader)
	if code, body := do(t, http.MethodPost, leader.APIURL()+cmPath, configMap("fwd", "v")); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	req, _ := http.NewRequest(http.MethodPatch, follower.APIURL()+cmPath+"/fwd", strings.NewReader(`{"data":{"k":"w"}}`))
	req.Header.Set("Content-Type", "application/merge-patch+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("patch through a follower: HTTP %d", resp.StatusCode)
	}
	for _, h := range []string{"X-Barque-Index", "X-Barque-Leader"} {
		if v := resp.Header.Values(h); len(v) != 1 {
			t.Errorf("%s: %q, want one value", h, v)
		}
	}
}
