package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
)

// Watch event types, as the server writes them.
const (
	EventAdded    = "ADDED"
	EventModified = "MODIFIED"
	EventDeleted  = "DELETED"
	EventBookmark = "BOOKMARK"
	EventError    = "ERROR"
)

// reconnectMax caps the wait between attempts to reopen a broken watch.
const reconnectMax = 5 * time.Second

// WatchOptions select what to watch and from where.
type WatchOptions struct {
	ListOptions
	// ResourceVersion: deliver every change after it. 0 lists first and
	// delivers the current objects as ADDED events, then the changes.
	ResourceVersion api.Version
	// Bookmarks delivers BOOKMARK events (they always move the resume point).
	Bookmarks bool
}

// WatchEvent is one change. Err is set on the last event of a watcher that
// stopped on an error; errors.Is(Err, api.ErrGone) means the caller must
// list again and watch from the list's resourceVersion.
type WatchEvent struct {
	Type   string
	Object api.Object
	Err    error
}

// Watcher delivers events until Stop, its context ends, or a fatal error.
type Watcher struct {
	c      *Client
	ki     *api.KindInfo
	ns     string
	opts   WatchOptions
	events chan WatchEvent
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	stop   sync.Once
	pos    resumePoint
}

// wireEvent is one line of the watch stream.
type wireEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// Watch streams changes of kind in namespace ns ("" = all namespaces).
// Errors opening the first stream (an unknown kind, a bad selector, 410 Gone
// for a too-old ResourceVersion) are returned here; later ones arrive as
// the watcher's last event. A broken stream is reopened on any server from
// the last resourceVersion seen, without gap or duplicate.
func (c *Client) Watch(ctx context.Context, kind, ns string, opts WatchOptions) (*Watcher, error) {
	ki, err := kindInfo(kind)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &Watcher{c: c, ki: ki, ns: ns, opts: opts, ctx: wctx, cancel: cancel,
		events: make(chan WatchEvent, 64), done: make(chan struct{})}
	var initial []api.Object
	from := opts.ResourceVersion
	if from == 0 {
		l, err := c.List(wctx, kind, ns, opts.ListOptions)
		if err != nil {
			cancel()
			return nil, err
		}
		initial, from = l.Items, l.ResourceVersion
	}
	w.pos.reset(from)
	res, err := w.open()
	if err != nil {
		cancel()
		return nil, err
	}
	go w.run(initial, res)
	return w, nil
}

// Events is closed when the watcher stops.
func (w *Watcher) Events() <-chan WatchEvent { return w.events }

// Stop ends the watch and waits for its goroutine; safe to call twice.
func (w *Watcher) Stop() {
	w.stop.Do(w.cancel)
	<-w.done
}

func (w *Watcher) run(initial []api.Object, res *response) {
	defer close(w.done)
	defer close(w.events)
	defer w.cancel()
	for _, obj := range initial {
		if !w.send(WatchEvent{Type: EventAdded, Object: obj}) {
			res.cancel()
			return
		}
	}
	for {
		err := w.consume(res)
		if w.ctx.Err() != nil {
			return
		}
		if fatal(err) {
			w.send(WatchEvent{Type: EventError, Err: err})
			return
		}
		w.c.logger.Debug("watch stream broke, resuming", "kind", w.ki.Kind, "resource_version", w.pos.last, "error", err)
		if res, err = w.reopen(); err != nil {
			if w.ctx.Err() == nil {
				w.send(WatchEvent{Type: EventError, Err: err})
			}
			return
		}
	}
}

// reopen retries opening the stream until it works, ctx ends, or the
// error is one that retrying cannot fix.
func (w *Watcher) reopen() (*response, error) {
	wait := backoffStart
	for {
		res, err := w.open()
		if err == nil || fatal(err) || w.ctx.Err() != nil {
			return res, err
		}
		w.c.logger.Debug("watch reconnect failed", "kind", w.ki.Kind, "error", err)
		if err := sleep(w.ctx, wait); err != nil {
			return nil, err
		}
		wait = min(wait*2, reconnectMax)
	}
}

func (w *Watcher) open() (*response, error) {
	q := w.opts.query()
	q.Set("watch", "true")
	q.Set("allowWatchBookmarks", "true")
	q.Set("resourceVersion", w.pos.resumeFrom().String())
	return w.c.do(w.ctx, &request{method: http.MethodGet, path: collectionPath(w.ki, w.ns), query: q, stream: true})
}

// consume reads the stream until it ends; the error says why.
func (w *Watcher) consume(res *response) error {
	defer res.cancel()
	defer res.resp.Body.Close()
	w.pos.resumed()
	// A silent stream is a dead peer: the server sends bookmarks every few
	// seconds, so cut the connection and resume elsewhere.
	idle := time.AfterFunc(w.c.idle, res.cancel)
	defer idle.Stop()
	dec := json.NewDecoder(res.resp.Body)
	for {
		var ev wireEvent
		if err := dec.Decode(&ev); err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		idle.Reset(w.c.idle)
		if err := w.handle(ev); err != nil {
			return err
		}
		if w.ctx.Err() != nil {
			return w.ctx.Err()
		}
	}
}

func (w *Watcher) handle(ev wireEvent) error {
	switch ev.Type {
	case EventError:
		return eventStatus(ev.Object)
	case EventBookmark, EventAdded, EventModified, EventDeleted:
	default:
		w.c.logger.Warn("ignoring unknown watch event", "type", ev.Type)
		return nil
	}
	obj, err := decodeObject(ev.Object, w.ki.Kind)
	if err != nil {
		return err
	}
	m := obj.GetObjectMeta()
	if ev.Type == EventBookmark {
		w.pos.bookmark(m.ResourceVersion)
		if w.opts.Bookmarks {
			w.send(WatchEvent{Type: ev.Type, Object: obj})
		}
		return nil
	}
	if w.pos.admit(m.ResourceVersion, m.Namespace+"/"+m.Name) {
		w.send(WatchEvent{Type: ev.Type, Object: obj})
	}
	return nil
}

func (w *Watcher) send(ev WatchEvent) bool {
	select {
	case w.events <- ev:
		return true
	case <-w.ctx.Done():
		return false
	}
}

// eventStatus turns an ERROR event into the error it carries.
func eventStatus(raw json.RawMessage) error {
	var st struct {
		Code int `json:"code"`
	}
	_ = json.Unmarshal(raw, &st)
	if st.Code == 0 {
		st.Code = http.StatusInternalServerError
	}
	return decodeStatus(st.Code, raw)
}

// fatal errors end a watch: 410 Gone (history is compacted, the caller
// must re-list) and client errors that a retry would repeat.
func fatal(err error) bool {
	var se *api.StatusError
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code()
	return code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests
}
