package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

// listMeta is a list's metadata. Continue is set when more objects follow
// this page (a list with limit).
type listMeta struct {
	ResourceVersion api.Version `json:"resourceVersion"`
	Continue        string      `json:"continue,omitempty"`
}

// objectList is the body of a list response, as Kubernetes shapes it.
type objectList struct {
	api.TypeMeta `json:",inline"`
	Metadata     listMeta     `json:"metadata"`
	Items        []api.Object `json:"items"`
}

// futureVersionWait bounds how long a list at a version this server has
// not applied yet waits for it.
const futureVersionWait = 3 * time.Second

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, rt *route) {
	match, err := selectorsFromQuery(r, rt.kind.Kind)
	if err != nil {
		writeError(w, err)
		return
	}
	paging, err := parseListPaging(r, rt)
	if err != nil {
		writeError(w, err)
		return
	}
	tab, err := asTable(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.readBarrier(r); err != nil {
		writeError(w, err)
		return
	}
	page, err := s.listPage(r, rt, paging, match)
	if err != nil {
		writeError(w, err)
		return
	}
	meta := listMeta{ResourceVersion: api.Version(page.Index)}
	if page.Next != "" {
		meta.Continue = encodeContinue(page.Index, page.Next)
		if paging.continued && paging.at == 0 {
			meta.Continue = encodeContinue(0, page.Next) // an inconsistent list stays one
		}
	}
	items := page.Items
	if items == nil {
		items = []api.Object{}
	}
	if tab != nil {
		t, err := tab.build(rt.kind.Kind, items, true)
		if err != nil {
			writeError(w, err)
			return
		}
		t.Metadata.ResourceVersion, t.Metadata.Continue = meta.ResourceVersion.String(), meta.Continue
		writeJSON(w, http.StatusOK, t)
		return
	}
	writeJSON(w, http.StatusOK, objectList{
		TypeMeta: api.TypeMeta{Kind: rt.kind.Kind + "List", APIVersion: rt.kind.APIVersion()},
		Metadata: meta,
		Items:    items,
	})
}

// listPage reads the page the query asks for. A past version is read from
// the store's history (state.ListPage); one this server has not reached
// yet (a stale read, or a client ahead of it) is waited for briefly.
func (s *Server) listPage(r *http.Request, rt *route, paging listPaging, match func(api.Object) bool) (*state.Page, error) {
	store := s.node.Store()
	if paging.at > store.Index() {
		ctx, cancel := context.WithTimeout(r.Context(), futureVersionWait)
		defer cancel()
		if err := store.WaitForIndex(ctx, paging.at); err != nil {
			return nil, api.Timeout(fmt.Sprintf("Too large resource version: %d, current: %d", paging.at, store.Index()))
		}
	}
	page, err := store.ListPage(state.PageRequest{Kind: rt.kind.Kind, Namespace: rt.namespace,
		At: paging.at, After: paging.after, Limit: paging.limit, Filter: match})
	if errors.Is(err, api.ErrGone) && paging.continued {
		return nil, expiredContinue(paging.after)
	}
	if err != nil && !errors.Is(err, api.ErrGone) {
		return nil, api.Internal(err)
	}
	return page, err
}

// listVersionMatch reads resourceVersionMatch as Kubernetes does. Exact
// asks for the state at resourceVersion, which is served while the watch
// history holds every change after it (410 Expired after); NotOlderThan
// is what every list gives. It returns the version an Exact list asks
// for, 0 for none.
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
