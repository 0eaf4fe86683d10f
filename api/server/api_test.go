package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

// TestAPIErrorsAndSelectors checks the API's contract on one replica: status
// codes and Status bodies naming the field, label and field selectors with
// Kubernetes' semantics, and watch resume.
func TestAPIErrorsAndSelectors(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL()
	pods := base + "/api/v1/namespaces/default/pods"
	pod := func(name, node, tier string) string {
		labels := `{"app":"web"}`
		if tier != "" {
			labels = fmt.Sprintf(`{"app":"web","tier":%q}`, tier)
		}
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"labels":%s},"spec":{"nodeName":%q,"containers":[{"name":"c","image":"busybox"}]}}`, name, labels, node)
	}
	for _, p := range []string{pod("a", "n1", "front"), pod("b", "n2", "back"), pod("c", "n1", "")} {
		if code, body := do(t, http.MethodPost, pods, p); code != http.StatusCreated {
			t.Fatalf("create pod: %d %v", code, body)
		}
	}
	names := func(q string) string {
		code, body := do(t, http.MethodGet, pods+"?"+q, "")
		if code != http.StatusOK {
			t.Fatalf("list %s: %d %v", q, code, body)
		}
		var out []string
		for _, it := range body["items"].([]any) {
			out = append(out, it.(map[string]any)["metadata"].(map[string]any)["name"].(string))
		}
		return strings.Join(out, ",")
	}
	cases := []struct{ query, want string }{
		{"labelSelector=tier%3Dfront", "a"},
		{"labelSelector=tier!%3Dfront", "b,c"}, // != matches objects without the key
		{"labelSelector=tier%20notin%20(back)", "a,c"},
		{"labelSelector=tier%20in%20(front,back)", "a,b"},
		{"labelSelector=!tier", "c"},
		{"labelSelector=tier", "a,b"},
		{"fieldSelector=spec.nodeName%3Dn1", "a,c"},
		{"fieldSelector=metadata.name!%3Da,spec.nodeName%3Dn1", "c"},
	}
	for _, tc := range cases {
		if got := names(tc.query); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.query, got, tc.want)
		}
	}

	errCases := []struct {
		method, url, body string
		code              int
		reason, field     string
	}{
		{http.MethodPost, pods, `{"metadata":{"name":"x"},"spec":{"containers":[{"name":"Bad_Name","image":"i"}]}}`, 422, "Invalid", "spec.containers[0].name"},
		{http.MethodPost, pods, `{"metadata":{"name":"x"},"spec":{"containerz":[]}}`, 400, "BadRequest", ""},
		{http.MethodPost, pods, `not json`, 400, "BadRequest", ""},
		{http.MethodGet, pods + "/nope", "", 404, "NotFound", ""},
		{http.MethodGet, base + "/api/v1/namespaces/default/widgets", "", 404, "NotFound", ""},
		{http.MethodPost, base + "/api/v1/namespaces/ghost/configmaps", `{"metadata":{"name":"x"}}`, 404, "NotFound", ""},
		{http.MethodGet, base + "/api/v1/namespaces/default/configmaps?fieldSelector=spec.nodeName%3Dn1", "", 400, "BadRequest", ""},
		{http.MethodPost, base + "/api/v1/namespaces/default/configmaps", fmt.Sprintf(`{"metadata":{"name":"big"},"data":{"k":%q}}`, strings.Repeat("x", 1100000)), 413, "RequestEntityTooLarge", ""},
	}
	for _, tc := range errCases {
		code, body := do(t, tc.method, tc.url, tc.body)
		if code != tc.code || body["reason"] != tc.reason || body["kind"] != "Status" {
			t.Errorf("%s %s: %d %v, want %d %s", tc.method, tc.url, code, body["message"], tc.code, tc.reason)
			continue
		}
		if tc.field != "" && !strings.Contains(fmt.Sprint(body["details"]), tc.field) {
			t.Errorf("%s: details %v do not name %s", tc.url, body["details"], tc.field)
		}
	}
	checkWatchResume(t, base)
}

// checkWatchResume opens a watch from a resourceVersion and expects exactly
// the later changes, in order.
func checkWatchResume(t *testing.T, base string) {
	cms := base + "/api/v1/namespaces/default/configmaps"
	_, first := do(t, http.MethodPost, cms, configMap("w1", "1"))
	rv := first["metadata"].(map[string]any)["resourceVersion"].(string)
	do(t, http.MethodPost, cms, configMap("w2", "2"))
	do(t, http.MethodPatch, cms+"/w1", `{"data":{"k":"changed"}}`)
	do(t, http.MethodDelete, cms+"/w2", "")
	resp, err := http.Get(cms + "?watch=true&resourceVersion=" + rv)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var got []string
	for len(got) < 3 && sc.Scan() {
		var ev struct {
			Type   string `json:"type"`
			Object struct {
				Metadata struct{ Name string } `json:"metadata"`
			} `json:"object"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Type+" "+ev.Object.Metadata.Name)
	}
	want := "ADDED w2,MODIFIED w1,DELETED w2"
	if strings.Join(got, ",") != want {
		t.Fatalf("watch from %s: %v, want %s", rv, got, want)
	}
}

// TestNamespaceStatusPath: /api/v1/namespaces/{name}/status is the
// Namespace's status subresource, not a resource named "status".
func TestNamespaceStatusPath(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL()
	if code, body := do(t, http.MethodPost, base+"/api/v1/namespaces", `{"metadata":{"name":"team"}}`); code != http.StatusCreated {
		t.Fatalf("create namespace: %d %v", code, body)
	}
	code, body := do(t, http.MethodPut, base+"/api/v1/namespaces/team/status", `{"metadata":{"name":"team"},"status":{"phase":"Terminating"}}`)
	if code != http.StatusOK || body["status"].(map[string]any)["phase"] != "Terminating" {
		t.Fatalf("namespace status update: %d %v", code, body)
	}
}
