package server_test

import (
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/internal/cluster"
)

// TestOpenAPIv3: /openapi/v3 lists one document per group version, each
// at its own URL, and every kind's object path has a PATCH tagged with
// the kind that takes fieldValidation: what kubectl looks for before it
// lets the server validate what it sends. A PATCH does not list strategic
// merge patch (the documents carry no schemas to compute one from).
func TestOpenAPIv3(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	base := c.WaitForLeader(10 * time.Second).APIURL()
	code, root := do(t, http.MethodGet, base+"/openapi/v3", "")
	if code != http.StatusOK {
		t.Fatalf("/openapi/v3: %d %v", code, root)
	}
	docs := map[string]map[string]any{}
	for gv, entry := range root["paths"].(map[string]any) {
		url := entry.(map[string]any)["serverRelativeURL"].(string)
		if !strings.HasPrefix(url, "/openapi/v3/"+gv+"?hash=") {
			t.Fatalf("%s is served at %s", gv, url)
		}
		code, doc := do(t, http.MethodGet, base+url, "")
		if code != http.StatusOK || doc["openapi"] != "3.0.0" {
			t.Fatalf("%s: %d %v", url, code, doc)
		}
		docs[gv] = doc["paths"].(map[string]any)
	}
	for _, k := range api.Kinds() {
		gv, path := "api/v1", "/api/v1/"
		if k.Group != "" {
			gv, path = "apis/"+k.APIVersion(), "/apis/"+k.APIVersion()+"/"
		}
		if k.Namespaced {
			path += "namespaces/{namespace}/"
		}
		path += k.Resource + "/{name}"
		item, _ := docs[gv][path].(map[string]any)
		patch, _ := item["patch"].(map[string]any)
		if patch == nil {
			t.Errorf("%s: no PATCH at %s in %s", k.Kind, path, gv)
			continue
		}
		gvk := patch["x-kubernetes-group-version-kind"].(map[string]any)
		hasFV := false
		for _, p := range patch["parameters"].([]any) {
			p := p.(map[string]any)
			hasFV = hasFV || (p["name"] == "fieldValidation" && p["in"] == "query")
		}
		content := patch["requestBody"].(map[string]any)["content"].(map[string]any)
		_, strategic := content["application/strategic-merge-patch+json"]
		if gvk["group"] != k.Group || gvk["version"] != k.Version || gvk["kind"] != k.Kind || !hasFV || strategic {
			t.Errorf("%s: PATCH %v", k.Kind, patch)
		}
	}
	if code, _ := do(t, http.MethodGet, base+"/openapi/v3/apis/nosuch/v1", ""); code != http.StatusNotFound {
		t.Fatalf("an unknown group version: %d", code)
	}

	// /openapi/v2 defines nothing (kubectl then leaves a List's objects to
	// the server); kubectl asks for protobuf, whose empty document is an
	// empty body, under a media type Go's mime package can parse.
	req, _ := http.NewRequest(http.MethodGet, base+"/openapi/v2", nil)
	req.Header.Set("Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); resp.StatusCode != http.StatusOK || err != nil || len(body) != 0 {
		t.Fatalf("/openapi/v2 as protobuf: %d %q (%v) %q", resp.StatusCode, resp.Header.Get("Content-Type"), err, body)
	}
	if code, doc := do(t, http.MethodGet, base+"/openapi/v2", ""); code != http.StatusOK || doc["swagger"] != "2.0" {
		t.Fatalf("/openapi/v2 as JSON: %d %v", code, doc)
	}
}
