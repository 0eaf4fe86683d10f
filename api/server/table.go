package server

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/table"
)

// tableOptions is a request's ask for a meta.k8s.io Table instead of the
// objects: `kubectl get` sends Accept: application/json;as=Table;v=v1;
// g=meta.k8s.io, … and prints the server's columns as they come.
type tableOptions struct {
	version string // "v1" or "v1beta1"
	include table.Include
}

// asTable reads the Accept header in the client's order of preference:
// the first media range that names a Table version this server serves,
// or a plain JSON or YAML answer, decides. A request without an Accept
// that asks for a Table gets objects, as before; so does one that asks
// only for something else this server does not serve (Kubernetes would
// answer 406; Barque's clients never send that).
func asTable(r *http.Request) (*tableOptions, error) {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if params["as"] == "" {
			if mt == "application/json" || mt == "application/yaml" || mt == "*/*" || mt == "application/*" {
				return nil, nil
			}
			continue
		}
		if mt != "application/json" || params["as"] != "Table" || params["g"] != "meta.k8s.io" ||
			(params["v"] != "v1" && params["v"] != "v1beta1") {
			continue
		}
		opts := &tableOptions{version: params["v"], include: table.IncludeMetadata}
		switch inc := table.Include(r.URL.Query().Get("includeObject")); inc {
		case "":
		case table.IncludeMetadata, table.IncludeObject, table.IncludeNone:
			opts.include = inc
		default:
			return nil, api.BadRequest(`includeObject: must be "None", "PartialObjectMetadata" or "Object", not "` + string(inc) + `"`)
		}
		return opts, nil
	}
	return nil, nil
}

// build renders objs as a Table of kind's columns.
func (o *tableOptions) build(kind string, objs []api.Object, headers bool) (*table.Table, error) {
	t := table.New(kind, o.version, headers)
	now := time.Now()
	for _, obj := range objs {
		if err := t.AddRow(obj, o.include, now); err != nil {
			return nil, err
		}
	}
	return t, nil
}
