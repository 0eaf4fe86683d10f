package client

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// logServer plays a server proxying one pod's stdout: pod answers the pod
// reads, logs the n-th log request (from 0, over every server).
type logServer struct {
	mu   sync.Mutex
	logN int
	pod  func() (*api.Pod, bool)
	logs func(w http.ResponseWriter, r *http.Request, n int)
}

func (s *logServer) handle(w http.ResponseWriter, r *http.Request, _ int) {
	if strings.HasSuffix(r.URL.Path, "/log") {
		s.mu.Lock()
		n := s.logN
		s.logN++
		s.mu.Unlock()
		s.logs(w, r, n)
		return
	}
	p, ok := s.pod()
	if !ok {
		writeStatus(w, api.NotFound("pods", "talker"))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func talker(uid string, phase api.PodPhase) *api.Pod {
	return &api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "talker", UID: uid, ResourceVersion: 5},
		Status:     api.PodStatus{Phase: phase}}
}

// logAnswer writes body from offset off, flushed.
func logAnswer(w http.ResponseWriter, off int, body string) {
	w.Header().Set(LogOffsetHeader, fmt.Sprint(off))
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, body)
	w.(http.Flusher).Flush()
}

func followAll(t *testing.T, c *Client, o LogOptions) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var lines []string
	err := c.FollowPodLogs(ctx, "default", "talker", o, func(b []byte) error {
		lines = append(lines, string(b))
		return nil
	})
	if ctx.Err() != nil {
		t.Fatalf("FollowPodLogs did not end: lines %q", lines)
	}
	return lines, err
}

// A stream that breaks mid-line, on a server that then dies, is resumed on
// another server after the last whole line: nothing twice, nothing lost;
// once the pod has finished, the rest is read and following ends.
func TestFollowPodLogsResumesOnAnotherServer(t *testing.T) {
	var phase atomic.Value
	phase.Store(api.PodRunning)
	var queries []string
	var qmu sync.Mutex
	ls := &logServer{pod: func() (*api.Pod, bool) { return talker("u1", phase.Load().(api.PodPhase)), true }}
	ls.logs = func(w http.ResponseWriter, r *http.Request, n int) {
		qmu.Lock()
		queries = append(queries, r.URL.RawQuery)
		qmu.Unlock()
		switch n {
		case 0: // tail 2 of "l1\nl2\nl3\n": starts at 3
			logAnswer(w, 3, "l2\nl3\nl4-par")
			panic(http.ErrAbortHandler) // the server dies mid-stream
		case 1:
			logAnswer(w, 9, "l4-partial\nl5\n")
			phase.Store(api.PodSucceeded) // the stream ends as the pod does
		default:
			logAnswer(w, 23, "l6 no newline")
		}
	}
	dead := false
	var dmu sync.Mutex
	a := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		dmu.Lock()
		d := dead
		dead = dead || strings.HasSuffix(r.URL.Path, "/log")
		dmu.Unlock()
		if d {
			resetConn(w)
			return
		}
		ls.handle(w, r, n)
	})
	b := newFakeServer(t, ls.handle)
	tail := 2
	lines, err := followAll(t, testClient(t, a.URL, b.URL), LogOptions{Stream: "stdout", TailLines: &tail})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"l2", "l3", "l4-partial", "l5", "l6 no newline"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Fatalf("lines %q, want %q", lines, want)
	}
	wantQ := []string{"follow=true&stream=stdout&tailLines=2", "follow=true&sinceBytes=9&stream=stdout", "sinceBytes=23&stream=stdout"}
	if strings.Join(queries, " ") != strings.Join(wantQ, " ") {
		t.Fatalf("log queries %q, want %q", queries, wantQ)
	}
}

// A deleted pod (or one replaced by a pod of the same name) ends following.
func TestFollowPodLogsStopsWhenThePodIsGone(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after func() (*api.Pod, bool)
	}{
		{"deleted", func() (*api.Pod, bool) { return nil, false }},
		{"replaced", func() (*api.Pod, bool) { return talker("u2", api.PodRunning), true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gets atomic.Int32
			ls := &logServer{pod: func() (*api.Pod, bool) {
				if gets.Add(1) == 1 {
					return talker("u1", api.PodRunning), true
				}
				return tc.after()
			}}
			ls.logs = func(w http.ResponseWriter, r *http.Request, n int) {
				if n > 0 {
					t.Errorf("log request %d after the pod went: %s", n, r.URL.RawQuery)
				}
				logAnswer(w, 0, "l1\n")
			}
			s := newFakeServer(t, ls.handle)
			lines, err := followAll(t, testClient(t, s.URL), LogOptions{Stream: "stdout"})
			if err != nil || len(lines) != 1 {
				t.Fatalf("lines %q, error %v", lines, err)
			}
		})
	}
}

// Ctrl-C (ctx) ends a follow at once, with no error.
func TestFollowPodLogsStopsWithContext(t *testing.T) {
	release := make(chan struct{})
	ls := &logServer{pod: func() (*api.Pod, bool) { return talker("u1", api.PodRunning), true }}
	ls.logs = func(w http.ResponseWriter, r *http.Request, n int) {
		logAnswer(w, 0, "l1\n")
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	defer close(release)
	s := newFakeServer(t, ls.handle)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- testClient(t, s.URL).FollowPodLogs(ctx, "default", "talker", LogOptions{}, func(b []byte) error {
			got <- string(b)
			return nil
		})
	}()
	<-got // stdout or stderr: the fake serves the same to both
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("FollowPodLogs still running a second after ctx ended")
	}
}

// A stream that stays open ends when the pod finishes: the rest of the
// output is read from where the follow stopped, and following ends.
func TestFollowPodLogsEndsWhenThePodFinishes(t *testing.T) {
	var phase atomic.Value
	phase.Store(api.PodRunning)
	ls := &logServer{pod: func() (*api.Pod, bool) { return talker("u1", phase.Load().(api.PodPhase)), true }}
	ls.logs = func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 0:
			logAnswer(w, 0, "l1\n")
			phase.Store(api.PodSucceeded)
			<-r.Context().Done() // the agent keeps a follow open
		default:
			if r.URL.Query().Get("follow") != "" || r.URL.Query().Get("sinceBytes") != "3" {
				t.Errorf("after the pod finished: %s", r.URL.RawQuery)
			}
			logAnswer(w, 3, "l2\n")
		}
	}
	s := newFakeServer(t, ls.handle)
	lines, err := followAll(t, testClient(t, s.URL), LogOptions{Stream: "stdout"})
	if err != nil || strings.Join(lines, "|") != "l1|l2" {
		t.Fatalf("lines %q, error %v", lines, err)
	}
}
