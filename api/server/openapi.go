package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/barque-io/barque/api"
)

// OpenAPI v3, as much of it as kubectl reads before it writes: for each
// group version, every resource's paths with their operations, each
// tagged with its kind (x-kubernetes-group-version-kind) and listing the
// query parameters it takes. kubectl apply, create and edit look there
// for fieldValidation on the kind's PATCH; finding it, they let the
// server validate (fieldValidation=Strict: an unknown field is refused
// with its path) instead of downloading schemas to validate themselves,
// so they work without --validate=false. The documents carry no schemas
// (`kubectl explain` needs them; it is not served), and a PATCH does not
// list strategic merge patch: kubectl would then compute its patch from
// the schemas, which are missing, instead of from its own built-in types.

// openAPIDocs are the served documents, by path ("apis/apps/v1"), with
// the root that lists them; they only depend on the registered kinds.
var openAPIDocs = sync.OnceValue(buildOpenAPIDocs)

type openAPISet struct {
	root []byte
	docs map[string][]byte
}

// handleOpenAPI serves /openapi/v3 (the root) and /openapi/v3/GV.
func handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	set := openAPIDocs()
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, "/openapi/v3"), "/")
	body := set.root
	if path != "" {
		if body = set.docs[path]; body == nil {
			writeError(w, api.NotFound("openapi document", path))
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// handleOpenAPIv2 serves an OpenAPI v2 document without definitions:
// kubectl validates a `kind: List` file (which its fieldValidation check
// never covers) against /openapi/v2, and skips kinds the document does
// not define, leaving their validation to the server as for other files.
// kubectl asks for protobuf, where an empty body is the empty document.
func handleOpenAPIv2(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept"), "protobuf") {
		w.Header().Set("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"swagger": "2.0",
		"info": map[string]string{"title": "Barque", "version": "v" + kubeMajor + "." + kubeMinor + ".0-barque"}, "paths": map[string]any{}})
}

func buildOpenAPIDocs() openAPISet {
	paths := map[string]map[string]any{}
	for _, k := range api.Kinds() {
		gvPath := "api/v1"
		if k.Group != "" {
			gvPath = "apis/" + k.APIVersion()
		}
		if paths[gvPath] == nil {
			paths[gvPath] = map[string]any{}
		}
		collection := "/" + gvPath + "/" + k.Resource
		if k.Namespaced {
			collection = "/" + gvPath + "/namespaces/{namespace}/" + k.Resource
		}
		paths[gvPath][collection] = map[string]any{
			"get":  openAPIOp(k, "list", listParams),
			"post": openAPIOp(k, "post", writeParams),
		}
		paths[gvPath][collection+"/{name}"] = map[string]any{
			"get":    openAPIOp(k, "get", nil),
			"put":    openAPIOp(k, "put", writeParams),
			"patch":  withBody(openAPIOp(k, "patch", append(writeParams, "force")), "application/json-patch+json", "application/merge-patch+json"),
			"delete": openAPIOp(k, "delete", []string{"dryRun", "gracePeriodSeconds", "propagationPolicy"}),
		}
	}
	set := openAPISet{docs: map[string][]byte{}}
	rootPaths := map[string]any{}
	for gvPath, p := range paths {
		doc, _ := json.Marshal(map[string]any{"openapi": "3.0.0",
			"info":  map[string]string{"title": "Barque", "version": "v" + kubeMajor + "." + kubeMinor + ".0-barque"},
			"paths": p, "components": map[string]any{}})
		sum := sha256.Sum256(doc)
		set.docs[gvPath] = doc
		rootPaths[gvPath] = map[string]string{"serverRelativeURL": "/openapi/v3/" + gvPath + "?hash=" + strings.ToUpper(hex.EncodeToString(sum[:]))}
	}
	set.root, _ = json.Marshal(map[string]any{"paths": rootPaths})
	return set
}

var (
	writeParams = []string{"dryRun", "fieldManager", "fieldValidation"}
	listParams  = []string{"continue", "fieldSelector", "labelSelector", "limit", "resourceVersion", "resourceVersionMatch", "timeoutSeconds", "watch"}
)

func openAPIOp(k *api.KindInfo, action string, query []string) map[string]any {
	params := []map[string]any{}
	for _, q := range query {
		params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]string{"type": "string"}})
	}
	return map[string]any{
		"parameters":                      params,
		"responses":                       map[string]any{"200": map[string]string{"description": "OK"}},
		"x-kubernetes-action":             action,
		"x-kubernetes-group-version-kind": map[string]string{"group": k.Group, "version": k.Version, "kind": k.Kind},
	}
}

func withBody(op map[string]any, contentTypes ...string) map[string]any {
	content := map[string]any{}
	for _, ct := range contentTypes {
		content[ct] = map[string]any{"schema": map[string]string{"type": "object"}}
	}
	op["requestBody"] = map[string]any{"content": content, "required": true}
	return op
}
