package server

import (
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
	if err := s.readBarrier(r); err != nil {
		writeError(w, err)
		return
	}
	view := s.node.Store().View()
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
