package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// scriptedLeader serves pathProposeStream on a loopback socket and hands
// each request frame to answer, which returns the answer frame's kind and
// body, or ok=false to cut the connection instead.
type scriptedLeader struct {
	ln     net.Listener
	answer func(id uint64, body []byte) (kind byte, reply []byte, ok bool)
	// refuse, when set, is the HTTP status the upgrade gets instead of 101.
	refuse int
	// closed, when set, is closed when the follower ends a stream.
	closed chan struct{}
}

func startScriptedLeader(t *testing.T, l *scriptedLeader) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.ln = ln
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go l.serve(conn)
		}
	}()
	return "http://" + ln.Addr().String()
}

func (l *scriptedLeader) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil || req.URL.Path != pathProposeStream || req.Header.Get("Upgrade") != proposeStreamProto {
		return
	}
	if l.refuse != 0 {
		fmt.Fprintf(conn, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", l.refuse, http.StatusText(l.refuse))
		return
	}
	fmt.Fprintf(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n", proposeStreamProto)
	var wmu sync.Mutex
	for {
		var h [requestFrameHeader]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			if l.closed != nil {
				close(l.closed)
			}
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(h[:4]))
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		id := binary.BigEndian.Uint64(h[4:])
		go func() {
			kind, reply, ok := l.answer(id, body)
			wmu.Lock()
			defer wmu.Unlock()
			if !ok {
				conn.Close()
				return
			}
			frame := make([]byte, answerFrameHeader)
			binary.BigEndian.PutUint32(frame[:4], uint32(len(reply)))
			binary.BigEndian.PutUint64(frame[4:12], id)
			frame[12] = kind
			_, _ = conn.Write(append(frame, reply...))
		}()
	}
}

// echoResult answers a request with one stored object: its own body.
func echoResult(body []byte) []byte {
	obj, _ := json.Marshal(map[string]string{"echo": string(body)})
	b := []byte{0}
	b = binary.AppendUvarint(b, uint64(len(obj)))
	return append(b, obj...)
}

// TestForwardStreamRoutesConcurrentAnswers: many requests share the one
// connection and the leader answers them in whatever order their proposals
// finish; each caller gets the answer to its own request.
func TestForwardStreamRoutesConcurrentAnswers(t *testing.T) {
	const n = 40
	release := make(chan struct{})
	var seen atomic.Int64
	leader := startScriptedLeader(t, &scriptedLeader{answer: func(id uint64, body []byte) (byte, []byte, bool) {
		if seen.Add(1) == n {
			close(release)
		}
		if id%2 == 1 {
			<-release // odd requests are answered once every request arrived
		}
		return answerResults, echoResult(body), true
	}})
	fs := newForwardStream(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf("request-%d", i)
			res, err := fs.post(leader, []byte(body))
			switch {
			case err != nil:
				errs[i] = err
			case len(res) != 1 || string(res[0].Object) != fmt.Sprintf(`{"echo":%q}`, body):
				errs[i] = fmt.Errorf("request %d got %+v", i, res)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if fs.cur == nil || !fs.cur.usable() {
		t.Fatal("the requests did not share one open connection")
	}
}

// TestForwardStreamOutcomes: the outcome rules of the HTTP forward hold.
func TestForwardStreamOutcomes(t *testing.T) {
	t.Run("no leader listening: 503, nothing applied", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := "http://" + ln.Addr().String()
		ln.Close()
		_, err := newForwardStream(context.Background()).post(addr, []byte("x"))
		if api.AsStatus(err).Code() != http.StatusServiceUnavailable {
			t.Fatalf("got %v, want 503 Unavailable", err)
		}
	})
	t.Run("connection cut after sending: 504, outcome unknown", func(t *testing.T) {
		leader := startScriptedLeader(t, &scriptedLeader{answer: func(uint64, []byte) (byte, []byte, bool) {
			return 0, nil, false
		}})
		_, err := newForwardStream(context.Background()).post(leader, []byte("x"))
		if api.AsStatus(err).Code() != http.StatusGatewayTimeout {
			t.Fatalf("got %v, want 504 Timeout", err)
		}
	})
	t.Run("the leader's Status is the answer", func(t *testing.T) {
		st, _ := json.Marshal(api.AsStatus(api.Unavailable("not the leader, or not ready")).Status)
		leader := startScriptedLeader(t, &scriptedLeader{answer: func(uint64, []byte) (byte, []byte, bool) {
			return answerStatus, st, true
		}})
		_, err := newForwardStream(context.Background()).post(leader, []byte("x"))
		if api.AsStatus(err).Code() != http.StatusServiceUnavailable || api.AsStatus(err).Status.Message != "not the leader, or not ready" {
			t.Fatalf("got %v, want the leader's 503", err)
		}
	})
	t.Run("an older leader without the stream: fall back to HTTP", func(t *testing.T) {
		leader := startScriptedLeader(t, &scriptedLeader{refuse: http.StatusNotFound})
		fs := newForwardStream(context.Background())
		for range 2 { // the second call does not dial again
			if _, err := fs.post(leader, []byte("x")); !errors.Is(err, errNoStream) {
				t.Fatalf("got %v, want errNoStream", err)
			}
		}
	})
	t.Run("a new leader gets a new connection", func(t *testing.T) {
		answer := func(_ uint64, body []byte) (byte, []byte, bool) { return answerResults, echoResult(body), true }
		a := startScriptedLeader(t, &scriptedLeader{answer: answer})
		b := startScriptedLeader(t, &scriptedLeader{answer: answer})
		fs := newForwardStream(context.Background())
		for _, leader := range []string{a, b, a} {
			res, err := fs.post(leader, []byte("x"))
			if err != nil || len(res) != 1 {
				t.Fatalf("post to %s: %v %+v", leader, err, res)
			}
			if fs.cur.leader != leader {
				t.Fatalf("connection to %s, want %s", fs.cur.leader, leader)
			}
		}
	})
}

// TestForwardStreamClosesWithItsServer: a stopped server's stream ends, so
// the leader does not keep serving a dead follower's connection.
func TestForwardStreamClosesWithItsServer(t *testing.T) {
	closed := make(chan struct{})
	leader := startScriptedLeader(t, &scriptedLeader{answer: func(_ uint64, body []byte) (byte, []byte, bool) {
		return answerResults, echoResult(body), true
	}, closed: closed})
	ctx, cancel := context.WithCancel(context.Background())
	fs := newForwardStream(ctx)
	if _, err := fs.post(leader, []byte("x")); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the leader's side of the stream stayed open after the follower stopped")
	}
	if _, err := fs.post(leader, []byte("x")); api.AsStatus(err).Code() != http.StatusServiceUnavailable {
		t.Fatalf("post after stop: %v, want 503", err)
	}
}

// TestForwardStreamLeaderChangeKeepsInFlightAnswers: a batch sent to the
// previous leader still gets that leader's answer after the follower has
// moved on to a new one (the old connection is retired, not cut).
func TestForwardStreamLeaderChangeKeepsInFlightAnswers(t *testing.T) {
	slow := func(_ uint64, b []byte) (byte, []byte, bool) {
		time.Sleep(300 * time.Millisecond)
		return answerResults, echoResult(b), true
	}
	fast := func(_ uint64, b []byte) (byte, []byte, bool) { return answerResults, echoResult(b), true }
	a := startScriptedLeader(t, &scriptedLeader{answer: slow})
	b := startScriptedLeader(t, &scriptedLeader{answer: fast})
	fs := newForwardStream(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := fs.post(a, []byte("to-a")); errc <- err }()
	time.Sleep(50 * time.Millisecond)
	if _, err := fs.post(b, []byte("to-b")); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("the request to the previous leader: %v", err)
	}
}
