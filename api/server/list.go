package server

import (
	"fmt"
	"net/http"

	"github.com/barque-io/barque/api"
)

// listMeta is a list's metadata.
type listMeta struct {
	ResourceVersion api.Version `json:"resourceVersion"`
}

// objectList is the body of a list response, as Kubernetes shapes it.
type objectList struct {
	api.TypeMeta `json:",inline"`
	Metadata     listMeta     `json:"metadata"`
	Items        []api.Object `json:"items"`
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, rt *route) {
	match, err := selectorsFromQuery(r, rt.kind.Kind)
	if err != nil {
		writeError(w, err)
		return
	}
	exact, err := listVersionMatch(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.readBarrier(r); err != nil {
		writeError(w, err)
		return
	}
	view := s.node.Store().View()
	if exact != 0 && api.Version(view.Index) != exact {
		// Only the current state is kept, not lists of the past.
		writeError(w, api.Gone(fmt.Sprintf("too old resource version: %d (%d)", exact, view.Index)))
		return
	}
	items := view.List(rt.kind.Kind, rt.namespace, match)
	if items == nil {
		items = []api.Object{}
	}
	writeJSON(w, http.StatusOK, objectList{
		TypeMeta: api.TypeMeta{Kind: rt.kind.Kind + "List", APIVersion: rt.kind.APIVersion()},
		Metadata: listMeta{ResourceVersion: api.Version(view.Index)},
		Items:    items,
	})
}

// listVersionMatch reads resourceVersionMatch as Kubernetes does. Exact
// asks for the state at resourceVersion, which is served only when it is
// the current one (410 otherwise: the store keeps no past states);
// NotOlderThan is what every list gives. It returns the version an Exact
// list asks for, 0 for none.
func listVersionMatch(r *http.Request) (api.Version, error) {
	q := r.URL.Query()
	match, rvText := q.Get("resourceVersionMatch"), q.Get("resourceVersion")
	if match == "" {
		return 0, nil
	}
	if rvText == "" {
		return 0, api.BadRequest("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided")
	}
	rv, err := api.ParseVersion(rvText)
	if err != nil {
		return 0, api.BadRequest("resourceVersion: " + err.Error())
	}
	switch match {
	case "NotOlderThan":
		return 0, nil
	case "Exact":
		if rv == 0 {
			return 0, api.BadRequest(`resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"`)
		}
		return rv, nil
	}
	return 0, api.BadRequest(fmt.Sprintf("resourceVersionMatch: Unsupported value: %q: supported values: \"Exact\", \"NotOlderThan\"", match))
}
