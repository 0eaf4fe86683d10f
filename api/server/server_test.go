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

// TestErrorsNameTheResource: the errors the FSM decides (a name taken, a
// stale version, an object gone) name the resource as Kubernetes does
// (configmaps "x" already exists), as the API server's own errors do.
func TestErrorsNameTheResource(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL() + cmPath
	if code, body := do(t, http.MethodPost, base, configMap("x", "1")); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	for _, c := range []struct {
		method, url, body, message string
		code                       int
	}{
		{http.MethodPost, base, configMap("x", "1"), `configmaps "x" already exists`, http.StatusConflict},
		{http.MethodPut, base + "/x", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","resourceVersion":"1"}}`, `Operation cannot be fulfilled on configmaps "x"`, http.StatusConflict},
		{http.MethodDelete, base + "/nope", "", `configmaps "nope" not found`, http.StatusNotFound},
	} {
		code, body := do(t, c.method, c.url, c.body)
		msg, _ := body["message"].(string)
		details, _ := body["details"].(map[string]any)
		if code != c.code || !strings.Contains(msg, c.message) || details["kind"] != "configmaps" {
			t.Errorf("%s %s: %d %v, want %d with %q and details.kind configmaps", c.method, c.url, code, body, c.code, c.message)
		}
	}
}

// TestListResourceVersionMatch: resourceVersionMatch as Kubernetes reads
// it: Exact at the current version is served, and at an older one the
// list as it was then (from the watch history), NotOlderThan is served
// from now, and without a resourceVersion it is a 400.
func TestListResourceVersionMatch(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL() + cmPath
	do(t, http.MethodPost, base, configMap("a", "1"))
	code, body := do(t, http.MethodGet, base, "")
	if code != http.StatusOK {
		t.Fatalf("list: %d %v", code, body)
	}
	rv := body["metadata"].(map[string]any)["resourceVersion"].(string)
	do(t, http.MethodPost, base, configMap("b", "1"))
	code, body = do(t, http.MethodGet, base, "")
	now := body["metadata"].(map[string]any)["resourceVersion"].(string)
	for q, want := range map[string]int{
		"?resourceVersion=" + now + "&resourceVersionMatch=Exact":       2,
		"?resourceVersion=" + rv + "&resourceVersionMatch=Exact":        1,
		"?resourceVersion=" + rv + "&limit=5":                           1, // Kubernetes' legacy rule: Exact
		"?resourceVersion=" + rv + "&resourceVersionMatch=NotOlderThan": 2,
		"?resourceVersion=" + rv:                                        2,
		"?resourceVersionMatch=Exact":                                   -http.StatusBadRequest,
		"?resourceVersion=1&resourceVersionMatch=Newest":                -http.StatusBadRequest,
	} {
		code, body := do(t, http.MethodGet, base+q, "")
		if want < 0 {
			if code != -want {
				t.Errorf("list%s: %d %v, want %d", q, code, body, -want)
			}
			continue
		}
		if code != http.StatusOK || len(body["items"].([]any)) != want {
			t.Errorf("list%s: %d %v, want %d items", q, code, body, want)
		}
	}
}
