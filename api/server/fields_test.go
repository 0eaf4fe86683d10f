package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

// doWarn is do, also returning the answer's Warning headers.
func doWarn(t *testing.T, method, url, body string) (int, map[string]any, []string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPatch {
		req.Header.Set("Content-Type", "application/merge-patch+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out, resp.Header.Values("Warning")
}

func warning(path string) string {
	return `299 - "unknown field \"` + path + `\" is not implemented by Barque and was ignored"`
}

// TestUnimplementedFieldsWarn: a field Kubernetes defines but Barque does
// not implement is accepted on create, update and patch, answered with one
// Warning header per field as Kubernetes' fieldValidation=Warn does, and
// not stored; a field Kubernetes does not define either is still a 400.
func TestUnimplementedFieldsWarn(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	pods := c.Members[0].APIURL() + "/api/v1/namespaces/default/pods"
	body := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"hostAliases":[{"ip":"10.0.0.1","hostnames":["db"]}],` +
		`"containers":[{"name":"c","image":"busybox","lifecycle":{"preStop":{"exec":{"command":["sleep","5"]}}}}]}}`
	code, obj, warns := doWarn(t, http.MethodPost, pods, body)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, obj)
	}
	want := []string{warning("spec.containers[0].lifecycle.preStop"), warning("spec.hostAliases")}
	if strings.Join(warns, "\n") != strings.Join(want, "\n") {
		t.Errorf("create warnings:\n%s\nwant:\n%s", strings.Join(warns, "\n"), strings.Join(want, "\n"))
	}
	_, stored, _ := doWarn(t, http.MethodGet, pods+"/p", "")
	if b, _ := json.Marshal(stored); bytes.Contains(b, []byte("lifecycle")) || bytes.Contains(b, []byte("hostAliases")) || !bytes.Contains(b, []byte("busybox")) {
		t.Errorf("stored object: %s", b)
	}

	// Update and patch, on a Service (which no controller writes to).
	svcs := c.Members[0].APIURL() + "/api/v1/namespaces/default/services"
	if code, obj, _ := doWarn(t, http.MethodPost, svcs, `{"metadata":{"name":"s"},"spec":{"selector":{"a":"b"},"ports":[{"port":80}]}}`); code != http.StatusCreated {
		t.Fatalf("create service: %d %v", code, obj)
	}
	_, stored, _ = doWarn(t, http.MethodGet, svcs+"/s", "")
	stored["spec"].(map[string]any)["trafficDistribution"] = "PreferClose"
	stored["metadata"].(map[string]any)["labels"] = map[string]any{"a": "b"}
	b, _ := json.Marshal(stored)
	code, obj, warns = doWarn(t, http.MethodPut, svcs+"/s", string(b))
	if code != http.StatusOK || len(warns) != 1 || warns[0] != warning("spec.trafficDistribution") {
		t.Errorf("update: %d %v, warnings %q", code, obj["message"], warns)
	}
	code, obj, warns = doWarn(t, http.MethodPatch, svcs+"/s", `{"metadata":{"labels":{"c":"d"}},"spec":{"sessionAffinityConfig":{"clientIP":{"timeoutSeconds":10}}}}`)
	if code != http.StatusOK || len(warns) != 1 || warns[0] != warning("spec.sessionAffinityConfig") {
		t.Errorf("patch: %d %v, warnings %q", code, obj["message"], warns)
	}
	if labels, _ := obj["metadata"].(map[string]any)["labels"].(map[string]any); labels["a"] != "b" || labels["c"] != "d" {
		t.Errorf("labels after update and patch: %v", labels)
	}
	if b, _ := json.Marshal(obj); bytes.Contains(b, []byte("trafficDistribution")) || bytes.Contains(b, []byte("sessionAffinityConfig")) {
		t.Errorf("stored service: %s", b)
	}

	// Typos, known to neither, are refused everywhere, naming the path.
	typos := []struct{ method, url, body, path string }{
		{http.MethodPost, pods, strings.Replace(body, `"image"`, `"imagee"`, 1), "spec.containers[0].imagee"},
		{http.MethodPatch, svcs + "/s", `{"spec":{"ports":[{"port":80,"protocoll":"TCP"}]}}`, "spec.ports[0].protocoll"},
	}
	for _, tc := range typos {
		code, obj, warns := doWarn(t, tc.method, tc.url, tc.body)
		msg, _ := obj["message"].(string)
		if code != http.StatusBadRequest || !strings.Contains(msg, `unknown field "`+tc.path+`"`) {
			t.Errorf("%s with a typo: %d %q (warnings %q), want 400 naming %s", tc.method, code, msg, warns, tc.path)
		}
	}
}

// TestFieldValidationParameter: Kubernetes' fieldValidation parameter.
// Strict (Barque's default) refuses a field neither Kubernetes nor Barque
// knows; Warn drops it and names it in a Warning; Ignore drops it
// silently; anything else is a 400 naming the parameter. Fields Kubernetes
// defines but Barque does not implement are warned about in every mode.
func TestFieldValidationParameter(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	c.WaitForLeader(10 * time.Second)
	base := c.Members[0].APIURL()
	cms := base + "/api/v1/namespaces/default/configmaps"
	body := func(name string) string {
		return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"` + name + `","labelz":{"a":"b"}},"data":{"k":"v"}}`
	}
	typo := `299 - "unknown field \"metadata.labelz\""`
	cases := []struct {
		query, name string
		code        int
		warns       []string
	}{
		{"", "strict-default", http.StatusBadRequest, nil},
		{"?fieldValidation=Strict", "strict", http.StatusBadRequest, nil},
		{"?fieldValidation=Warn", "warn", http.StatusCreated, []string{typo}},
		{"?fieldValidation=Ignore", "ignore", http.StatusCreated, nil},
		{"?fieldValidation=Loose", "loose", http.StatusBadRequest, nil},
	}
	for _, tc := range cases {
		code, obj, warns := doWarn(t, http.MethodPost, cms+tc.query, body(tc.name))
		msg, _ := obj["message"].(string)
		if code != tc.code || strings.Join(warns, "|") != strings.Join(tc.warns, "|") {
			t.Errorf("POST%s: %d %q, warnings %q; want %d, warnings %q", tc.query, code, msg, warns, tc.code, tc.warns)
		}
		if tc.query == "?fieldValidation=Loose" && !strings.Contains(msg, "fieldValidation") {
			t.Errorf("a bad mode: %q does not name the parameter", msg)
		}
		if code == http.StatusBadRequest && tc.query != "?fieldValidation=Loose" && !strings.Contains(msg, "metadata.labelz") {
			t.Errorf("POST%s: %q does not name the field", tc.query, msg)
		}
	}
	// A patch and a batch take it too.
	code, _, warns := doWarn(t, http.MethodPatch, cms+"/warn?fieldValidation=Warn", `{"data":{"k":"w"},"spec":{"x":1}}`)
	if code != http.StatusOK || len(warns) != 1 || warns[0] != `299 - "unknown field \"spec\""` {
		t.Errorf("PATCH with Warn: %d, warnings %q", code, warns)
	}
	batch := `{"items":[{"verb":"create","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"default","labelz":{}}}}]}`
	code, out, _ := doWarn(t, http.MethodPost, base+"/v1/batch?fieldValidation=Ignore", batch)
	if items, _ := out["items"].([]any); code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["status"] != nil {
		t.Errorf("batch with Ignore: %d %v", code, out)
	}
}
