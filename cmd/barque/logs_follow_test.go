package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// fakePodsAPI serves a list of running pods, a watch that adds pod
// "later", and each pod's log: "<pod> 1", then the stream stays open.
func fakePodsAPI(t *testing.T, names ...string) *httptest.Server {
	pod := func(name string) *api.Pod {
		return &api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, UID: "uid-" + name, ResourceVersion: 10, Labels: map[string]string{"app": "web"}},
			Spec:       api.PodSpec{NodeName: "n1", Containers: []api.Container{{Name: "main"}}},
			Status:     api.PodStatus{Phase: api.PodRunning}}
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/default/pods")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case path == "" && r.URL.Query().Get("watch") == "true":
			later := pod("later")
			later.ResourceVersion = 11
			b, _ := json.Marshal(map[string]any{"type": client.EventAdded, "object": later})
			fmt.Fprintf(w, "%s\n", b)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		case path == "":
			items := []*api.Pod{}
			for _, n := range names {
				items = append(items, pod(n))
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"kind": "PodList", "apiVersion": "v1",
				"metadata": map[string]any{"resourceVersion": "10"}, "items": items})
		case strings.HasSuffix(path, "/log"):
			name := strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/log")
			w.Header().Set(client.LogOffsetHeader, "0")
			if r.URL.Query().Get("stream") == "stdout" {
				fmt.Fprintf(w, "%s 1\n", name)
			}
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default:
			_ = json.NewEncoder(w).Encode(pod(strings.TrimPrefix(path, "/")))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runLogs runs `barque logs ARGS` against srv until want is printed (or
// it ends), then interrupts it.
func runLogs(t *testing.T, srv string, want string, args ...string) (string, error) {
	t.Helper()
	return runCLIUntil(t, srv, want, append([]string{"logs"}, args...)...)
}

// runCLIUntil runs `barque ARGS` against srv until want is printed (or it
// ends), then interrupts it.
func runCLIUntil(t *testing.T, srv string, want string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := newRootCmd()
	var out syncBuffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--address", srv}, args...))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case err := <-done:
			return out.String(), err
		case <-deadline:
			cancel()
			<-done
			t.Fatalf("logs %v did not print %q:\n%s", args, want, out.String())
		case <-time.After(20 * time.Millisecond):
			if strings.Contains(out.String(), want) {
				cancel()
				return out.String(), <-done
			}
		}
	}
}

// logs -l -f follows the pods created after it started, too.
func TestLogsSelectorFollowPicksUpNewPods(t *testing.T) {
	srv := fakePodsAPI(t, "first")
	out, err := runLogs(t, srv.URL, "[pod/later/main] later 1", "-l", "app=web", "-f", "--prefix")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "[pod/first/main] first 1\n") {
		t.Fatalf("the pod there at the start is not followed:\n%s", out)
	}
}

// logs -l -f refuses to follow more streams than --max-log-requests, as
// kubectl, and says which flag raises the limit.
func TestLogsSelectorFollowMaxLogRequests(t *testing.T) {
	srv := fakePodsAPI(t, "a", "b", "c")
	_, err := runLogs(t, srv.URL, "never", "-l", "app=web", "-f", "--max-log-requests", "2")
	if err == nil || !strings.Contains(err.Error(), "follow 3 log streams") || !strings.Contains(err.Error(), "--max-log-requests") {
		t.Fatalf("error %v, want one naming --max-log-requests", err)
	}
	// Within the limit, a pod created later beyond it is reported, not followed.
	out, err := runLogs(t, srv.URL, "is not followed", "-l", "app=web", "-f", "--max-log-requests", "3", "--prefix")
	if err != nil || strings.Contains(out, "later 1") {
		t.Fatalf("error %v; output:\n%s", err, out)
	}
}

// job logs -f has the same bound, with a default fit for jobs of many
// pods (50).
func TestJobLogsFollowMaxLogRequests(t *testing.T) {
	srv := fakePodsAPI(t, "a", "b", "c")
	_, err := runCLIUntil(t, srv.URL, "never", "job", "logs", "web", "-f", "--max-log-requests", "2")
	if err == nil || !strings.Contains(err.Error(), "follow 3 log streams") || !strings.Contains(err.Error(), "--max-log-requests") {
		t.Fatalf("error %v, want one naming --max-log-requests", err)
	}
	out, err := runCLIUntil(t, srv.URL, "is not followed", "job", "logs", "web", "-f", "--max-log-requests", "3")
	if err != nil || strings.Contains(out, "later 1") || !strings.Contains(out, "a 1") {
		t.Fatalf("error %v; output:\n%s", err, out)
	}
}
