package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

// TestPatchUIDPrecondition: a merge patch that names metadata.uid applies
// only to the object with that uid. A node agent's late status report of a
// deleted pod must fail, not land on a new pod of the same name.
func TestPatchUIDPrecondition(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	pod := c.Members[0].APIURL() + "/api/v1/namespaces/default/pods/p"
	create := func() string {
		code, body := do(t, http.MethodPost, c.Members[0].APIURL()+"/api/v1/namespaces/default/pods",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}`)
		if code != http.StatusCreated {
			t.Fatalf("create: %d %v", code, body)
		}
		return body["metadata"].(map[string]any)["uid"].(string)
	}
	old := create()
	status := func(uid, phase string) (int, map[string]any) {
		return do(t, http.MethodPatch, pod+"/status", fmt.Sprintf(`{"metadata":{"uid":%q},"status":{"phase":%q}}`, uid, phase))
	}
	if code, body := status(old, "Running"); code != http.StatusOK {
		t.Fatalf("status patch with the pod's uid: %d %v", code, body)
	}
	if code, body := do(t, http.MethodDelete, pod+"?gracePeriodSeconds=0", ""); code != http.StatusOK {
		t.Fatalf("delete: %d %v", code, body)
	}
	create()
	if code, body := status(old, "Failed"); code != http.StatusConflict || body["reason"] != "Conflict" {
		t.Fatalf("status patch with the deleted pod's uid: %d %v, want 409 Conflict", code, body)
	}
	if code, body := do(t, http.MethodPatch, pod, fmt.Sprintf(`{"metadata":{"uid":%q,"labels":{"a":"b"}}}`, old)); code != http.StatusConflict {
		t.Fatalf("patch with the deleted pod's uid: %d %v, want 409", code, body)
	}
	if _, body := do(t, http.MethodGet, pod, ""); body["status"].(map[string]any)["phase"] == "Failed" {
		t.Fatalf("the new pod took the old pod's status: %v", body["status"])
	}
}

// patchAs sends a PATCH with the given Content-Type.
func patchAs(t *testing.T, url, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPatch, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestPatchTypes: a JSON patch (RFC 6902) changes one item of a list; a
// strategic merge patch (kubectl's default) adds a sidecar to the
// Deployment's containers, merged by name, where a merge patch would
// replace the list, and "$patch": "delete" takes it out again; bad patches
// (a server-side apply without its fieldManager too) are 400 or 422, an
// unknown type 415; the stored object
// is unchanged by every refused patch.
func TestPatchTypes(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{DisabledControllers: []string{"deployment", "replicaset", "scheduler"}})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL() + "/apis/apps/v1/namespaces/default/deployments"
	code, body := do(t, http.MethodPost, base, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
		"spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
		"spec":{"containers":[{"name":"web","image":"nginx"},{"name":"log","image":"busybox"}]}}}}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	url := base + "/web"
	images := func() string {
		_, body := do(t, http.MethodGet, url, "")
		var out []string
		for _, c := range body["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any) {
			m := c.(map[string]any)
			out = append(out, fmt.Sprint(m["name"], "=", m["image"]))
		}
		return strings.Join(out, ",")
	}
	code, body = patchAs(t, url, "application/json-patch+json",
		`[{"op":"test","path":"/spec/template/spec/containers/1/name","value":"log"},
		  {"op":"replace","path":"/spec/template/spec/containers/1/image","value":"busybox:1.36"}]`)
	if code != http.StatusOK {
		t.Fatalf("JSON patch: %d %v", code, body)
	}
	if got, want := images(), "web=nginx,log=busybox:1.36"; got != want {
		t.Fatalf("after the JSON patch: containers %s, want %s", got, want)
	}
	code, body = patchAs(t, url, "application/strategic-merge-patch+json",
		`{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"envoy"}]}}}}`)
	if code != http.StatusOK {
		t.Fatalf("strategic merge patch: %d %v", code, body)
	}
	if got, want := images(), "side=envoy,web=nginx,log=busybox:1.36"; got != want {
		t.Fatalf("after the strategic merge patch: containers %s, want %s (Kubernetes' order)", got, want)
	}
	code, body = patchAs(t, url, "application/strategic-merge-patch+json",
		`{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}`)
	if got, want := images(), "web=nginx,log=busybox:1.36"; code != http.StatusOK || got != want {
		t.Fatalf("strategic merge patch deleting the sidecar: %d %v, containers %s, want %s", code, body, got, want)
	}
	for _, c := range []struct {
		name, ctype, body string
		code              int
	}{
		{"strategic merge patch with an unknown directive", "application/strategic-merge-patch+json",
			`{"spec":{"template":{"spec":{"containers":[{"name":"web","$patch":"explode"}]}}}}`, http.StatusBadRequest},
		{"strategic merge patch of a merge list without its key", "application/strategic-merge-patch+json",
			`{"spec":{"template":{"spec":{"containers":[{"image":"nginx:2"}]}}}}`, http.StatusBadRequest},
		{"server-side apply without a fieldManager", "application/apply-patch+yaml", `spec: {}`, http.StatusBadRequest},
		{"unknown type", "text/plain", `x`, http.StatusUnsupportedMediaType},
		{"JSON patch that is not a list", "application/json-patch+json", `{"op":"remove"}`, http.StatusBadRequest},
		{"JSON patch whose test fails", "application/json-patch+json",
			`[{"op":"test","path":"/spec/template/spec/containers/1/name","value":"side"},{"op":"remove","path":"/spec/template/spec/containers/1"}]`,
			http.StatusUnprocessableEntity},
		{"JSON patch of a missing path", "application/json-patch+json", `[{"op":"remove","path":"/spec/nothing/here"}]`, http.StatusUnprocessableEntity},
	} {
		code, body := patchAs(t, url, c.ctype, c.body)
		if code != c.code || body["kind"] != "Status" {
			t.Errorf("%s: %d %v, want %d with a Status", c.name, code, body, c.code)
		}
	}
	if got, want := images(), "web=nginx,log=busybox:1.36"; got != want {
		t.Fatalf("after the refused patches: containers %s, want %s", got, want)
	}
}

// TestDryRunStoresNothing: dryRun=All runs create, update, patch and delete
// through every check and answers with the result, storing nothing, as
// Kubernetes does (kubectl --dry-run=server); its errors are the real
// write's (409 for an existing name, 422 for an invalid object); another
// dryRun value is a 400.
func TestDryRunStoresNothing(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL() + "/api/v1/namespaces/default/configmaps"
	cm := func(name, v string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q},"data":{"k":%q}}`, name, v)
	}
	if code, body := do(t, http.MethodPost, base+"?dryRun=All", cm("dry", "1")); code != http.StatusCreated ||
		body["metadata"].(map[string]any)["name"] != "dry" || body["metadata"].(map[string]any)["uid"] == nil {
		t.Fatalf("dry-run create: %d %v", code, body)
	}
	if code, _ := do(t, http.MethodGet, base+"/dry", ""); code != http.StatusNotFound {
		t.Fatalf("after a dry-run create: GET %d, want 404", code)
	}
	if code, body := do(t, http.MethodPost, base, cm("real", "1")); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	if code, body := do(t, http.MethodPost, base+"?dryRun=All", cm("real", "2")); code != http.StatusConflict {
		t.Fatalf("dry-run create of an existing name: %d %v, want 409", code, body)
	}
	if code, body := do(t, http.MethodPut, base+"/real?dryRun=All", cm("real", "2")); code != http.StatusOK || body["data"].(map[string]any)["k"] != "2" {
		t.Fatalf("dry-run update: %d %v", code, body)
	}
	if code, body := do(t, http.MethodPatch, base+"/real?dryRun=All", `{"data":{"k":"3"}}`); code != http.StatusOK || body["data"].(map[string]any)["k"] != "3" {
		t.Fatalf("dry-run patch: %d %v", code, body)
	}
	if code, body := do(t, http.MethodPut, base+"/real?dryRun=All", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"real"},"data":{"bad key!":"x"}}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("dry-run update of an invalid object: %d %v, want 422", code, body)
	}
	if code, body := do(t, http.MethodDelete, base+"/real", `{"dryRun":["All"]}`); code != http.StatusOK {
		t.Fatalf("dry-run delete (body): %d %v", code, body)
	}
	if code, body := do(t, http.MethodDelete, base+"/real?dryRun=All", ""); code != http.StatusOK {
		t.Fatalf("dry-run delete (query): %d %v", code, body)
	}
	if code, body := do(t, http.MethodPost, base+"?dryRun=Some", cm("x", "1")); code != http.StatusBadRequest {
		t.Fatalf("dryRun=Some: %d %v, want 400", code, body)
	}
	code, body := do(t, http.MethodGet, base+"/real", "")
	if code != http.StatusOK || body["data"].(map[string]any)["k"] != "1" {
		t.Fatalf("after the dry runs the object is %d %v, want unchanged (k=1)", code, body)
	}
	if code, body := do(t, http.MethodGet, base+"/x", ""); code != http.StatusNotFound {
		t.Fatalf("dryRun=Some created x: %d %v", code, body)
	}
}

// TestNamespaceDeletionEmptiesItFirst: a deleted namespace stays,
// Terminating, until the garbage collector has deleted what it held; until
// then it cannot be created again (409) nor take new objects (403), and an
// update cannot drop its finalizer. Then it goes, and one created again
// under its name is empty (it used to inherit the old objects).
func TestNamespaceDeletionEmptiesItFirst(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	api := c.Members[0].APIURL()
	ns := `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"t3"}}`
	if code, body := do(t, http.MethodPost, api+"/api/v1/namespaces", ns); code != http.StatusCreated {
		t.Fatalf("create namespace: %d %v", code, body)
	}
	cms := api + "/api/v1/namespaces/t3/configmaps"
	for i := range 20 {
		if code, body := do(t, http.MethodPost, cms, fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"old-%d","finalizers":["example.com/hold"]},"data":{"v":"old"}}`, i)); code != http.StatusCreated {
			t.Fatalf("create: %d %v", code, body)
		}
	}
	if code, body := do(t, http.MethodPut, api+"/api/v1/namespaces/t3", ns); code != http.StatusOK {
		t.Fatalf("update without finalizers: %d %v", code, body)
	}
	code, body := do(t, http.MethodDelete, api+"/api/v1/namespaces/t3", "")
	if code != http.StatusOK || body["status"].(map[string]any)["phase"] != "Terminating" {
		t.Fatalf("delete namespace: %d %v, want 200 and Terminating", code, body)
	}
	// The ConfigMaps' own finalizer holds them, so the namespace stays.
	time.Sleep(300 * time.Millisecond)
	if code, body := do(t, http.MethodPost, api+"/api/v1/namespaces", ns); code != http.StatusConflict {
		t.Fatalf("create the terminating namespace again: %d %v, want 409", code, body)
	}
	if code, body := do(t, http.MethodPost, cms, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"new"}}`); code != http.StatusForbidden {
		t.Fatalf("create in the terminating namespace: %d %v, want 403", code, body)
	}
	for i := range 20 {
		if code, body := do(t, http.MethodPatch, fmt.Sprintf("%s/old-%d", cms, i), `{"metadata":{"finalizers":null}}`); code != http.StatusOK && code != http.StatusNotFound {
			t.Fatalf("release old-%d: %d %v", i, code, body)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, _ := do(t, http.MethodGet, api+"/api/v1/namespaces/t3", "")
		if code == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emptied namespace is still there 15 s later: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, body := do(t, http.MethodPost, api+"/api/v1/namespaces", ns); code != http.StatusCreated {
		t.Fatalf("create the namespace again: %d %v", code, body)
	}
	if code, body := do(t, http.MethodGet, cms, ""); code != http.StatusOK || len(body["items"].([]any)) != 0 {
		t.Fatalf("the new namespace holds %v, want nothing", body["items"])
	}
}

// TestCreateDropsStatus: the status sent with a create is not stored, as in
// Kubernetes (a Job created "succeeded" was taken for complete); a Node's
// is, since its agent registers it with what it found.
func TestCreateDropsStatus(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{DisabledControllers: []string{"job", "scheduler"}})
	c.WaitForLeader(10 * time.Second)
	api := c.Members[0].APIURL()
	code, body := do(t, http.MethodPost, api+"/apis/batch/v1/namespaces/default/jobs", `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},
		"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}},"status":{"succeeded":1}}`)
	if code != http.StatusCreated {
		t.Fatalf("create job: %d %v", code, body)
	}
	if st, _ := body["status"].(map[string]any); st["succeeded"] != nil {
		t.Fatalf("the job was stored with the status it was sent: %v", st)
	}
	code, body = do(t, http.MethodPost, api+"/api/v1/nodes", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"},
		"status":{"capacity":{"cpu":"2"}}}`)
	if code != http.StatusCreated || body["status"].(map[string]any)["capacity"] == nil {
		t.Fatalf("create node: %d %v, want its status kept", code, body)
	}
}
