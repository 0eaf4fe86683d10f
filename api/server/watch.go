package server

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

const (
	watchBatch       = 1000
	bookmarkInterval = 5 * time.Second
)

// handleWatch streams events of one kind (and namespace) in log order. Any
// replica serves watches from its own store, which applies the same log.
func (s *Server) handleWatch(w http.ResponseWriter, r *http.Request, rt *route) {
	q := r.URL.Query()
	match, err := selectorsFromQuery(r, rt.kind.Kind)
	if err != nil {
		writeError(w, err)
		return
	}
	tab, err := asTable(r)
	if err != nil {
		writeError(w, err)
		return
	}
	v, err := api.ParseVersion(q.Get("resourceVersion"))
	rv := uint64(v)
	if err != nil {
		writeError(w, api.BadRequest("resourceVersion: "+err.Error()))
		return
	}
	store := s.node.Store()
	restores := store.Restores()
	ws := &watchStream{w: w, bw: bufio.NewWriterSize(w, 64<<10), rt: rt, match: match, table: tab}
	ws.flusher, _ = w.(http.Flusher)
	if rv == 0 {
		// Kubernetes semantics: start with the current state as ADDED events.
		view := store.View()
		rv = view.Index
		ws.begin()
		for _, obj := range view.List(rt.kind.Kind, rt.namespace, match) {
			ws.sendObject(string(state.Added), obj)
		}
	} else if _, _, err := store.EventsAfter(rv, 0); err != nil {
		writeError(w, err)
		return
	} else {
		ws.begin()
	}
	if err := ws.flush(); err != nil {
		return
	}
	s.streamEvents(r, ws, rv, restores, q.Get("allowWatchBookmarks") == "true", timeoutOf(q))
}

func timeoutOf(q map[string][]string) time.Duration {
	if v, ok := q["timeoutSeconds"]; ok && len(v) > 0 {
		if n, err := strconv.Atoi(v[0]); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 0
}

func (s *Server) streamEvents(r *http.Request, ws *watchStream, rv, restores uint64, bookmarks bool, timeout time.Duration) {
	store := s.node.Store()
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(bookmarkInterval)
	defer tick.Stop()
	for {
		evs, changed, err := store.EventsAfter(rv, watchBatch)
		if err == nil && store.Restores() != restores {
			err = api.Gone("the store was restored from a snapshot; re-list")
		}
		if err != nil {
			ws.sendStatus(api.AsStatus(err).Status)
			_ = ws.flush()
			return
		}
		for _, ev := range evs {
			if ev.Kind == ws.rt.kind.Kind && (ws.rt.namespace == "" || ws.rt.namespace == ev.Object.GetObjectMeta().Namespace) {
				if typ, obj, ok := selectedEvent(ev, ws.match); ok {
					ws.sendObject(typ, obj)
				}
			}
			rv = ev.Index
		}
		if len(evs) > 0 {
			if ws.flush() != nil {
				return
			}
			continue
		}
		select {
		case <-changed:
		case <-tick.C:
			if bookmarks {
				ws.sendBookmark(rv)
				if ws.flush() != nil {
					return
				}
			}
		case <-deadline:
			return
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			return
		}
	}
}

type watchStream struct {
	w       http.ResponseWriter
	bw      *bufio.Writer
	flusher http.Flusher
	rt      *route
	match   func(api.Object) bool
	// table, when the client asked for Tables, turns each object into a
	// Table of one row; the first one carries the column definitions,
	// which kubectl keeps for the rest, as Kubernetes sends them.
	table       *tableOptions
	headersSent bool
}

func (ws *watchStream) begin() {
	ws.w.Header().Set("Content-Type", "application/json")
	ws.w.Header().Set("Transfer-Encoding", "chunked")
	ws.w.WriteHeader(http.StatusOK)
}

// send writes one event line. The envelope is written by hand: wrapping the
// object in a struct with a RawMessage would make encoding/json re-scan
// and compact every object again.
func (ws *watchStream) send(typ string, obj any) {
	b, err := json.Marshal(obj)
	if err != nil {
		return
	}
	ws.bw.WriteString(`{"type":"`)
	ws.bw.WriteString(typ)
	ws.bw.WriteString(`","object":`)
	ws.bw.Write(b)
	ws.bw.WriteString("}\n")
}

// sendObject writes an event of one object, as a Table when asked.
func (ws *watchStream) sendObject(typ string, obj api.Object) {
	if ws.table == nil {
		ws.send(typ, obj)
		return
	}
	t, err := ws.table.build(ws.rt.kind.Kind, []api.Object{obj}, !ws.headersSent)
	if err != nil {
		return
	}
	ws.headersSent = true
	t.Metadata.ResourceVersion = obj.GetObjectMeta().ResourceVersion.String()
	ws.send(typ, t)
}

func (ws *watchStream) sendBookmark(rv uint64) {
	ws.send("BOOKMARK", struct {
		api.TypeMeta `json:",inline"`
		Metadata     listMeta `json:"metadata"`
	}{api.TypeMeta{Kind: ws.rt.kind.Kind, APIVersion: ws.rt.kind.APIVersion()}, listMeta{ResourceVersion: api.Version(rv)}})
}

func (ws *watchStream) sendStatus(st api.Status) { ws.send("ERROR", st) }

// flush writes buffered events in one go: the events of one log entry leave
// together.
func (ws *watchStream) flush() error {
	if err := ws.bw.Flush(); err != nil {
		return err
	}
	if ws.flusher != nil {
		ws.flusher.Flush()
	}
	return nil
}

// selectedEvent is what a watch with a selector (match; nil for none) sees
// of an event, as Kubernetes' watch cache decides it: a change that makes
// an object match is ADDED, one that makes it stop matching is DELETED
// (carrying the version that matched, at the change's resourceVersion),
// and a change to an object that matches neither before nor after is not
// sent.
func selectedEvent(ev state.Event, match func(api.Object) bool) (string, api.Object, bool) {
	if match == nil {
		return string(ev.Type), ev.Object, true
	}
	now := match(ev.Object)
	if ev.Type != state.Modified {
		return string(ev.Type), ev.Object, now
	}
	before := ev.Prev != nil && match(ev.Prev)
	switch {
	case now && before:
		return string(state.Modified), ev.Object, true
	case now:
		return string(state.Added), ev.Object, true
	case before:
		gone := api.ShallowCopy(ev.Prev)
		gone.GetObjectMeta().ResourceVersion = api.Version(ev.Index)
		return string(state.Deleted), gone, true
	}
	return "", nil, false
}
