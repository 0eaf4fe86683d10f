package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// collect reads n events or fails after a while.
func collect(t *testing.T, w *Watcher, n int) []WatchEvent {
	t.Helper()
	var out []WatchEvent
	timeout := time.After(5 * time.Second)
	for len(out) < n {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("events closed after %d of %d: %v", len(out), n, out)
			}
			out = append(out, ev)
		case <-timeout:
			t.Fatalf("got %d of %d events: %v", len(out), n, out)
		}
	}
	return out
}

func names(evs []WatchEvent) string {
	var s []string
	for _, ev := range evs {
		m := ev.Object.GetObjectMeta()
		s = append(s, ev.Type+" "+m.Name+"@"+m.ResourceVersion.String())
	}
	return strings.Join(s, ", ")
}

// hold keeps a stream open until the client goes away.
func hold(w http.ResponseWriter, r *http.Request) {
	streamLines(w)
	<-r.Context().Done()
}

func TestWatchResumesMidEntryWithoutGapOrDuplicate(t *testing.T) {
	cm := func(name string, rv api.Version) string { return watchLine(EventAdded, configMap("web", name, rv)) }
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 0: // entry 12 changed b, c and d; the stream breaks after c
			streamLines(w, cm("a", 11), cm("b", 12), cm("c", 12))
		case 1: // resumed from 11: entry 12 is replayed in full
			streamLines(w, cm("b", 12), cm("c", 12), cm("d", 12), cm("e", 13))
		default:
			hold(w, r)
		}
	})
	c := testClient(t, f.URL)
	w, err := c.Watch(context.Background(), "ConfigMap", "web", WatchOptions{ResourceVersion: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	got := names(collect(t, w, 5))
	want := "ADDED a@11, ADDED b@12, ADDED c@12, ADDED d@12, ADDED e@13"
	if got != want {
		t.Fatalf("events:\n %s\nwant\n %s", got, want)
	}
	waitRequests(t, f, 3)
	reqs := f.requests()
	for i, rv := range []string{"10", "11", "12"} {
		if !strings.Contains(reqs[i], "resourceVersion="+rv+"&") && !strings.HasSuffix(reqs[i], "resourceVersion="+rv) {
			t.Errorf("request %d = %s, want resourceVersion=%s", i, reqs[i], rv)
		}
	}
}

func waitRequests(t *testing.T, f *fakeServer, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(f.requests()) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests, want %d", len(f.requests()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWatchBookmarkMovesResumePoint(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 0:
			streamLines(w, watchLine(EventModified, configMap("web", "a", 11)), bookmark(15))
		case 1:
			streamLines(w, watchLine(EventDeleted, configMap("web", "a", 16)))
			<-r.Context().Done()
		}
	})
	c := testClient(t, f.URL)
	w, err := c.Watch(context.Background(), "ConfigMap", "web", WatchOptions{ResourceVersion: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// The bookmark is not delivered: it was not asked for.
	if got := names(collect(t, w, 2)); got != "MODIFIED a@11, DELETED a@16" {
		t.Fatalf("events = %s", got)
	}
	if r := f.requests()[1]; !strings.Contains(r, "resourceVersion=15") {
		t.Fatalf("resumed with %s, want resourceVersion=15 (complete at the bookmark)", r)
	}
}

func TestWatchDeliversBookmarksWhenAsked(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		streamLines(w, bookmark(15))
		<-r.Context().Done()
	})
	c := testClient(t, f.URL)
	w, err := c.Watch(context.Background(), "ConfigMap", "web", WatchOptions{ResourceVersion: 10, Bookmarks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if got := names(collect(t, w, 1)); got != "BOOKMARK @15" {
		t.Fatalf("events = %s", got)
	}
}

func TestWatchFromZeroListsFirst(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Query().Get("watch") == "" {
			writeJSON(w, 200, map[string]any{"kind": "ConfigMapList", "metadata": map[string]any{"resourceVersion": "20"},
				"items": []any{configMap("web", "a", 3), configMap("web", "b", 19)}})
			return
		}
		streamLines(w, watchLine(EventModified, configMap("web", "a", 21)))
		<-r.Context().Done()
	})
	c := testClient(t, f.URL)
	w, err := c.Watch(context.Background(), "ConfigMap", "web", WatchOptions{ListOptions: ListOptions{LabelSelector: "x=y"}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if got := names(collect(t, w, 3)); got != "ADDED a@3, ADDED b@19, MODIFIED a@21" {
		t.Fatalf("events = %s", got)
	}
	if r := f.requests()[1]; !strings.Contains(r, "resourceVersion=20") || !strings.Contains(r, "labelSelector=x%3Dy") {
		t.Fatalf("watch request = %s, want from the list's version with the selector", r)
	}
}

func TestWatchGone(t *testing.T) {
	gone := api.Gone("too old resource version: 10 (50)")
	tests := []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request, n int)
	}{
		{"HTTP 410 on reconnect", func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 0 {
				streamLines(w, watchLine(EventAdded, configMap("web", "a", 11)))
				return
			}
			writeStatus(w, gone)
		}},
		{"ERROR event 410", func(w http.ResponseWriter, r *http.Request, n int) {
			streamLines(w, watchLine(EventAdded, configMap("web", "a", 11)), watchLine(EventError, gone.Status))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, newFakeServer(t, tt.handle).URL)
			w, err := c.Watch(context.Background(), "ConfigMap", "web", WatchOptions{ResourceVersion: 10})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			evs := collect(t, w, 2)
			if evs[0].Type != EventAdded || !errors.Is(evs[1].Err, api.ErrGone) {
				t.Fatalf("events = %+v, want ADDED then ErrGone", evs)
			}
			if _, ok := <-w.Events(); ok {
				t.Fatal("watcher kept going after 410")
			}
		})
	}
}

func TestWatchGoneOnOpenIsReturned(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeStatus(w, api.Gone("too old"))
	})
	_, err := testClient(t, f.URL).Watch(context.Background(), "ConfigMap", "web", WatchOptions{ResourceVersion: 1})
	if !errors.Is(err, api.ErrGone) {
		t.Fatalf("err = %v, want ErrGone", err)
	}
}

func TestWatchResumesOnAnotherServer(t *testing.T) {
	dead := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		streamLines(w, watchLine(EventAdded, configMap("web", "a", 11)))
	})
	live := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		streamLines(w, watchLine(EventAdded, configMap("web", "a", 11)), watchLine(EventAdded, configMap("web", "b", 12)))
		<-r.Context().Done()
	})
	c := testClient(t, dead.URL, live.URL)
	w, err := c.Watch(context.Background(), "ConfigMap", "web", WatchOptions{ResourceVersion: 10})
	if err != nil {
		t.Fatal(err)
	}
	dead.Close() // the first server dies after its one event
	defer w.Stop()
	if got := names(collect(t, w, 2)); got != "ADDED a@11, ADDED b@12" {
		t.Fatalf("events = %s", got)
	}
}

func TestWatchIdleStreamIsResumed(t *testing.T) {
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			hold(w, r) // silent: no bookmarks, no events
			return
		}
		streamLines(w, watchLine(EventAdded, configMap("web", "a", 11)))
		<-r.Context().Done()
	})
	c, _ := New(Config{Addresses: []string{f.URL}, WatchIdleTimeout: 100 * time.Millisecond})
	w, err := c.Watch(context.Background(), "ConfigMap", "web", WatchOptions{ResourceVersion: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if got := names(collect(t, w, 1)); got != "ADDED a@11" {
		t.Fatalf("events = %s", got)
	}
}
