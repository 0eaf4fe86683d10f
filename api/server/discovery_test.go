package server_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/internal/cluster"
)

// TestDiscovery: /api, /apis, /api/v1, /apis/GROUP[/VERSION] and /version
// answer in Kubernetes' shapes, listing every registered kind under its
// group version with its verbs, short names and subresources, so that a
// client that discovers before it asks (kubectl) finds them; an unknown
// group version is 404.
func TestDiscovery(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL()
	get := func(path string) map[string]any {
		t.Helper()
		code, body := do(t, http.MethodGet, base+path, "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, code, body)
		}
		return body
	}
	if b := get("/api"); b["kind"] != "APIVersions" || !slices.Contains(b["versions"].([]any), any("v1")) {
		t.Fatalf("/api: %v", b)
	}
	groups := map[string]bool{}
	for _, g := range get("/apis")["groups"].([]any) {
		groups[g.(map[string]any)["name"].(string)] = true
	}
	resources := map[string]map[string]any{} // "group/version resource" -> entry
	lists := map[string]bool{"/api/v1": true}
	for _, k := range api.Kinds() {
		if k.Group != "" {
			if !groups[k.Group] {
				t.Errorf("/apis lacks group %s", k.Group)
			}
			lists["/apis/"+k.APIVersion()] = true
		}
	}
	for path := range lists {
		b := get(path)
		if b["kind"] != "APIResourceList" {
			t.Fatalf("%s: %v", path, b)
		}
		for _, r := range b["resources"].([]any) {
			m := r.(map[string]any)
			resources[b["groupVersion"].(string)+" "+m["name"].(string)] = m
		}
	}
	for _, k := range api.Kinds() {
		r := resources[k.APIVersion()+" "+k.Resource]
		if r == nil || r["kind"] != k.Kind || r["namespaced"] != k.Namespaced || !slices.Contains(r["verbs"].([]any), any("watch")) {
			t.Errorf("%s %s: %v", k.APIVersion(), k.Resource, r)
		}
	}
	if r := resources["v1 pods"]; !slices.Contains(r["shortNames"].([]any), any("po")) || !slices.Contains(r["categories"].([]any), any("all")) {
		t.Errorf("pods: %v, want short name po and category all", r)
	}
	for _, sub := range []string{"v1 pods/status", "v1 pods/log", "v1 pods/exec", "apps/v1 deployments/scale", "apps/v1 statefulsets/scale"} {
		if resources[sub] == nil {
			t.Errorf("no subresource %s", sub)
		}
	}
	if resources["v1 configmaps/status"] != nil {
		t.Error("configmaps/status listed: a ConfigMap has no status")
	}
	if b := get("/apis/apps"); b["kind"] != "APIGroup" || b["preferredVersion"].(map[string]any)["groupVersion"] != "apps/v1" {
		t.Errorf("/apis/apps: %v", b)
	}
	if b := get("/version"); b["major"] != "1" || b["gitVersion"] == "" {
		t.Errorf("/version: %v", b)
	}
	if code, _ := do(t, http.MethodGet, base+"/apis/nothing/v9", ""); code != http.StatusNotFound {
		t.Errorf("/apis/nothing/v9: %d, want 404", code)
	}
}
