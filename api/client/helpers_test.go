package client

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// fakeServer records requests and answers each with handle(n), n counting
// from 0. It implements only what the test at hand needs of docs/API.md.
type fakeServer struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []string
	handle func(w http.ResponseWriter, r *http.Request, n int)
}

func newFakeServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *fakeServer {
	t.Helper()
	f := &fakeServer{handle: handle}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		n := len(f.hits)
		f.hits = append(f.hits, r.Method+" "+r.URL.RequestURI())
		f.mu.Unlock()
		f.handle(w, r, n)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.hits...)
}

func testClient(t *testing.T, addrs ...string) *Client {
	t.Helper()
	c, err := New(Config{Addresses: addrs, Timeout: 2 * time.Second, RetryFor: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// refusedAddress is an address nothing listens on.
func refusedAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	return addr
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, e *api.StatusError) {
	writeJSON(w, e.Code(), e.Status)
}

// resetConn drops the connection without an answer, after reading the
// request, as a server that dies mid-request does.
func resetConn(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

func configMap(ns, name string, rv api.Version) *api.ConfigMap {
	return &api.ConfigMap{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: rv},
		Data:       map[string]string{"k": "v"},
	}
}

// watchLine is one event of a watch stream.
func watchLine(typ string, obj any) string {
	b, err := json.Marshal(map[string]any{"type": typ, "object": obj})
	if err != nil {
		panic(err)
	}
	return string(b) + "\n"
}

func bookmark(rv api.Version) string {
	return watchLine(EventBookmark, map[string]any{"kind": "ConfigMap", "apiVersion": "v1",
		"metadata": map[string]any{"resourceVersion": rv.String()}})
}

func streamLines(w http.ResponseWriter, lines ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	for _, l := range lines {
		fmt.Fprint(w, l)
	}
	w.(http.Flusher).Flush()
}
