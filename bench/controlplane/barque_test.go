package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI serves the part of docs/API.md the bench uses, from one in-memory
// map, so the Barque client path is tested before the real server exists.
type fakeAPI struct {
	mu       sync.Mutex
	objs     map[string]map[string]string // name -> labels
	noList   bool                         // answer lists with 500
	leaderJS string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer t0ken" {
		http.Error(w, "no token", http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/readyz":
	case r.URL.Path == "/v1/status/leader":
		fmt.Fprint(w, f.leaderJS)
	case r.URL.Path == configMapsPath && r.Method == http.MethodPost:
		var cm configMap
		if err := json.NewDecoder(r.Body).Decode(&cm); err != nil || cm.Kind != "ConfigMap" ||
			len(cm.Data["v"]) != 256 {
			http.Error(w, `{"kind":"Status","code":400}`, http.StatusBadRequest)
			return
		}
		if _, ok := f.objs[cm.Metadata.Name]; ok {
			http.Error(w, `{"kind":"Status","code":409}`, http.StatusConflict)
			return
		}
		f.objs[cm.Metadata.Name] = cm.Metadata.Labels
		w.WriteHeader(http.StatusCreated)
	case r.URL.Path == configMapsPath && r.Method == http.MethodGet:
		f.list(w, r)
	case strings.HasPrefix(r.URL.Path, configMapsPath+"/"):
		if r.URL.Query().Get("stale") != "true" {
			http.Error(w, "want stale", http.StatusBadRequest)
		} else if _, ok := f.objs[strings.TrimPrefix(r.URL.Path, configMapsPath+"/")]; !ok {
			http.NotFound(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeAPI) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if f.noList || q.Get("stale") != "true" {
		http.Error(w, "no", http.StatusInternalServerError)
		return
	}
	k, v, _ := strings.Cut(q.Get("labelSelector"), "=")
	var items []map[string]any
	for name, labels := range f.objs {
		if labels[k] == v {
			items = append(items, map[string]any{"metadata": map[string]any{"name": name}})
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"kind": "ConfigMapList", "items": items})
}

func newFakeBarque(t *testing.T) (*Barque, *fakeAPI) {
	f := &fakeAPI{objs: map[string]map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	port, _ := strconv.Atoi(srv.URL[strings.LastIndexByte(srv.URL, ':')+1:])
	b := &Barque{http: newHTTPClient("t0ken")}
	for i := range b.members {
		b.members[i] = barqueMember{name: fmt.Sprintf("s%d", i+1), httpPort: port, raftPort: 40001 + i}
	}
	f.leaderJS = fmt.Sprintf(`{"id":"x","address":"127.0.0.1:40002","api":"http://127.0.0.1:%d"}`, port+1)
	return b, f
}

func TestBarqueCreateAndMissing(t *testing.T) {
	for _, noList := range []bool{false, true} {
		b, f := newFakeBarque(t)
		f.noList = noList
		ctx := context.Background()
		for _, k := range []string{"fail-0", "fail-1"} {
			if err := b.Writer(1).Create(ctx, "fail", k, Value(256)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Writer(1).Create(ctx, "fail", "fail-1", Value(256)); err == nil ||
			!strings.Contains(err.Error(), "409") {
			t.Fatalf("duplicate create: %v", err)
		}
		b.Writer(0).Create(ctx, "other", "other-0", Value(256))
		missing, err := b.Missing(ctx, 2, "fail", []string{"fail-0", "fail-1", "fail-2"})
		if err != nil || len(missing) != 1 || missing[0] != "fail-2" {
			t.Fatalf("noList=%v: missing %v, %v", noList, missing, err)
		}
	}
}

func TestBarqueLeaderAndReady(t *testing.T) {
	b, _ := newFakeBarque(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if l, err := b.leaderFrom(ctx, 0); err != nil || l != 1 { // by raft port 40002
		t.Fatalf("leader %d, %v", l, err)
	}
	if err := b.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	for li, want := range map[leaderInfo]int{
		{ID: "s3"}:                   2,
		{Address: "127.0.0.1:40003"}: 2,
		{API: "http://127.0.0.1:1"}:  -1,
		{ID: "nope"}:                 -1,
	} {
		if got := b.memberOf(li); got != want {
			t.Errorf("memberOf(%+v) = %d, want %d", li, got, want)
		}
	}
}

func TestBarqueServerArgs(t *testing.T) {
	got := strings.Join(barqueServerArgs(barqueMember{dataDir: "/d", httpPort: 1, raftPort: 2,
		gossipPort: 3, joinGossipPort: 9}), " ")
	want := "server --data-dir /d --bind 127.0.0.1 --http-port 1 --raft-port 2 --gossip-port 3 " +
		"--bootstrap-expect 3 --join 127.0.0.1:9"
	if got != want {
		t.Fatalf("args\n got %s\nwant %s", got, want)
	}
}

func TestPortOf(t *testing.T) {
	for in, want := range map[string]int{"http://127.0.0.1:7080": 7080, "127.0.0.11:7081": 7081, "": 0, "s1": 0} {
		if got := portOf(in); got != want {
			t.Errorf("portOf(%q) = %d, want %d", in, got, want)
		}
	}
}
