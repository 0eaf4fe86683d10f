package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

// TestScaleSubresource: a Deployment's scale subresource reads as an
// autoscaling/v1 Scale and changes spec.replicas alone, by PUT or by any
// patch type, as kubectl scale and autoscalers use it; a stale
// resourceVersion is 409, a negative count 422 naming spec.replicas, and
// kinds without replicas have no scale.
func TestScaleSubresource(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{DisabledControllers: []string{"deployment", "replicaset", "scheduler"}})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL() + "/apis/apps/v1/namespaces/default/deployments"
	code, body := do(t, http.MethodPost, base, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"team":"a"}},
		"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
		"spec":{"containers":[{"name":"web","image":"nginx"}]}}}}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	rv := body["metadata"].(map[string]any)["resourceVersion"].(string)
	url := base + "/web/scale"
	replicas := func(body map[string]any) any { return body["spec"].(map[string]any)["replicas"] }
	code, body = do(t, http.MethodGet, url, "")
	if code != http.StatusOK || body["kind"] != "Scale" || body["apiVersion"] != "autoscaling/v1" || replicas(body) != float64(2) ||
		body["status"].(map[string]any)["selector"] != "app=web" || body["metadata"].(map[string]any)["resourceVersion"] != rv {
		t.Fatalf("GET scale: %d %v", code, body)
	}
	for _, step := range []struct {
		method, ctype, body string
		want                float64
	}{
		{http.MethodPut, "", `{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web"},"spec":{"replicas":5}}`, 5},
		{http.MethodPatch, "application/merge-patch+json", `{"spec":{"replicas":3}}`, 3},
		{http.MethodPatch, "application/strategic-merge-patch+json", `{"spec":{"replicas":0}}`, 0},
		{http.MethodPatch, "application/json-patch+json", `[{"op":"replace","path":"/spec/replicas","value":4}]`, 4},
		// As client-go sends a scale to zero: autoscaling/v1 omits a 0.
		{http.MethodPut, "", `{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web"},"spec":{}}`, 0},
	} {
		var code int
		var body map[string]any
		if step.method == http.MethodPatch {
			code, body = patchAs(t, url, step.ctype, step.body)
		} else {
			code, body = do(t, step.method, url, step.body)
		}
		if code != http.StatusOK || replicas(body) != step.want {
			t.Fatalf("%s %s: %d %v, want %v replicas", step.method, step.ctype, code, body, step.want)
		}
		_, d := do(t, http.MethodGet, base+"/web", "")
		if replicas(d) != step.want || d["metadata"].(map[string]any)["labels"].(map[string]any)["team"] != "a" {
			t.Fatalf("the Deployment after %s %s: %v", step.method, step.ctype, d)
		}
	}
	// A Scale may come as YAML, as any body.
	req, err := http.NewRequest(http.MethodPut, url, strings.NewReader("apiVersion: autoscaling/v1\nkind: Scale\nspec: {replicas: 6}\n"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, d := do(t, http.MethodGet, base+"/web", ""); resp.StatusCode != http.StatusOK || replicas(d) != float64(6) {
		t.Fatalf("PUT scale as YAML: %d, then %v replicas, want 6", resp.StatusCode, replicas(d))
	}
	// A dry run answers what it would do and stores nothing.
	code, body = do(t, http.MethodPut, url+"?dryRun=All", `{"spec":{"replicas":7}}`)
	if _, d := do(t, http.MethodGet, base+"/web", ""); code != http.StatusOK || replicas(body) != float64(7) || replicas(d) != float64(6) {
		t.Fatalf("dry-run PUT scale: %d %v, then the Deployment asks for %v replicas, want 6", code, body, replicas(d))
	}
	if code, body = patchAs(t, url+"?dryRun=Some", "application/merge-patch+json", `{"spec":{"replicas":7}}`); code != http.StatusBadRequest {
		t.Fatalf("PATCH scale with dryRun=Some: %d %v, want 400", code, body)
	}
	code, body = do(t, http.MethodPut, url, `{"metadata":{"name":"web","resourceVersion":"`+rv+`"},"spec":{"replicas":9}}`)
	if code != http.StatusConflict {
		t.Fatalf("PUT scale at a stale resourceVersion: %d %v, want 409", code, body)
	}
	code, body = do(t, http.MethodPut, url, `{"spec":{"replicas":-1}}`)
	if msg, _ := body["message"].(string); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "spec.replicas") {
		t.Fatalf("PUT scale to -1: %d %v, want 422 naming spec.replicas", code, body)
	}
	code, body = do(t, http.MethodPut, url, `{"metadata":{"name":"other"},"spec":{"replicas":1}}`)
	if msg, _ := body["message"].(string); code != http.StatusBadRequest || !strings.HasPrefix(msg, "metadata.name:") {
		t.Fatalf("PUT scale of another name: %d %v, want 400 naming metadata.name", code, body)
	}
	for _, bad := range []struct {
		query, body, field string
		code               int
	}{
		{"", `{"spec":{"replicass":3}}`, "", http.StatusBadRequest}, // a typo would scale to 0
		{"?fieldValidation=Bogus", `{"spec":{"replicas":3}}`, "fieldValidation", http.StatusBadRequest},
		{"", `{"kind":"Deployment","spec":{"replicas":3}}`, "kind", http.StatusBadRequest},
		{"", `{"metadata":{"namespace":"other"},"spec":{"replicas":3}}`, "metadata.namespace", http.StatusBadRequest},
		{"", `{"metadata":{"uid":"not-its-uid"},"spec":{"replicas":3}}`, "", http.StatusConflict},
	} {
		code, body := do(t, http.MethodPut, url+bad.query, bad.body)
		if msg, _ := body["message"].(string); code != bad.code || !strings.HasPrefix(msg, bad.field) {
			t.Errorf("PUT scale %s%s: %d %v, want %d naming %q", bad.query, bad.body, code, body, bad.code, bad.field)
		}
	}
	if _, d := do(t, http.MethodGet, base+"/web", ""); replicas(d) != float64(6) {
		t.Fatalf("after the refused scales the Deployment asks for %v replicas, want 6", replicas(d))
	}
	if code, body := do(t, http.MethodGet, c.Members[0].APIURL()+"/api/v1/namespaces/default/configmaps/x/scale", ""); code != http.StatusNotFound {
		t.Fatalf("scale of a ConfigMap: %d %v, want 404", code, body)
	}
}

// TestScalePatchRetriesOnConflict: a PATCH (of the scale, or of the
// object) that names no resourceVersion is made again on the newer
// version when another write changed the Deployment meanwhile, until the
// request's deadline, as Kubernetes' GuaranteedUpdate does: racing
// patches all succeed (1 in 60 failed with five attempts).
func TestScalePatchRetriesOnConflict(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{DisabledControllers: []string{"deployment", "replicaset", "scheduler"}})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL() + "/apis/apps/v1/namespaces/default/deployments"
	if code, body := do(t, http.MethodPost, base, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
		"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
		"spec":{"containers":[{"name":"web","image":"nginx"}]}}}}`); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	done := make(chan int)
	go func() {
		failed := 0
		for i := range 100 {
			if code, _ := patchAs(t, base+"/web", "application/merge-patch+json", fmt.Sprintf(`{"metadata":{"labels":{"n":"%d"}}}`, i)); code != http.StatusOK {
				failed++
			}
		}
		done <- failed
	}()
	failed := 0
	for i := range 60 {
		code, body := patchAs(t, base+"/web/scale", "application/merge-patch+json", fmt.Sprintf(`{"spec":{"replicas":%d}}`, i))
		if code != http.StatusOK {
			t.Logf("scale patch %d: %d %v", i, code, body)
			failed++
		}
	}
	if labelsFailed := <-done; failed > 0 || labelsFailed > 0 {
		t.Fatalf("%d of 60 scale patches and %d of 100 label patches failed, racing each other", failed, labelsFailed)
	}
}
