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
	"net/url"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
)

// A follower forwards its batches of admitted ops to the leader over one
// standing connection instead of an HTTP request each: at 64 clients that
// is 13 % less server CPU per write (docs/BENCHMARKS.md, seventh session). The connection starts as an HTTP upgrade on the API
// listener, so it passes wherever the API does (and TLS, when the listener
// gets it). Then both ways carry frames:
//
//	follower -> leader: uint32 length, uint64 request id, the ops envelope
//	leader -> follower: uint32 length, uint64 request id, a byte (0: the
//	                    binary results of handlePropose, 1: a JSON Status
//	                    for the whole request), the body
//
// Requests are answered as their proposals finish, in any order. The
// outcome rules are those of the HTTP forward: a request that never left
// (no connection) failed with nothing applied (503); once its bytes may
// have left, a lost connection or a timeout leaves the outcome unknown
// (504).
const (
	pathProposeStream  = "/v1/internal/propose-stream"
	proposeStreamProto = "barque-propose/1"
	requestFrameHeader = 12
	answerFrameHeader  = 13
	answerResults      = 0
	answerStatus       = 1
	// maxProposeFrame bounds a request frame as the HTTP forward's body is
	// bounded (withCommonHeaders).
	maxProposeFrame = 2 * forwardMaxBytes
	// maxAnswerFrame bounds what a follower reads for one answer: the
	// stored objects of at most forwardMaxOps writes.
	maxAnswerFrame = 4 * forwardMaxBytes
	streamDialWait = 2 * time.Second
)

// handleProposeStream runs on the leader: it upgrades the connection and
// proposes each framed batch as handlePropose would.
func (s *Server) handleProposeStream(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != proposeStreamProto {
		writeError(w, api.BadRequest("send POST with Upgrade: "+proposeStreamProto))
		return
	}
	if !s.readyLeader() {
		writeError(w, api.Unavailable("not the leader, or not ready"))
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeError(w, api.Internal(errors.New("the connection cannot be upgraded")))
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	// The server's read and write deadlines stay on a hijacked connection,
	// and http.Server.Shutdown neither drains nor closes it: s.streams does.
	_ = conn.SetDeadline(time.Time{})
	done, ok := s.streams.add(conn)
	if !ok {
		conn.Close()
		return
	}
	defer s.streams.remove(conn, done)
	s.metrics.proposeStreams.Inc()
	defer s.metrics.proposeStreams.Dec()
	_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + proposeStreamProto + "\r\n\r\n")
	if brw.Flush() != nil {
		conn.Close()
		return
	}
	s.serveProposeStream(conn, brw.Reader)
}

// streamMaxInFlight bounds the frames of one stream being proposed at once
// (a follower sends at most forwardMaxInFlight); the stream is not read
// further until one finishes.
const streamMaxInFlight = 16

func (s *Server) serveProposeStream(conn net.Conn, br *bufio.Reader) {
	var wmu sync.Mutex
	var handlers sync.WaitGroup
	sem := make(chan struct{}, streamMaxInFlight)
	for {
		sem <- struct{}{}
		body, id, err := readRequestFrame(br)
		if err != nil {
			// A graceful shutdown stops the reads (s.streams.drain) and lets
			// the running proposals answer first; anything else ends the
			// stream at once, as the follower can no longer use it.
			if !s.streams.draining() {
				conn.Close()
			}
			handlers.Wait()
			conn.Close()
			return
		}
		answer := func(kind byte, body []byte) {
			frame := make([]byte, answerFrameHeader, answerFrameHeader+len(body))
			binary.BigEndian.PutUint32(frame[:4], uint32(len(body)))
			binary.BigEndian.PutUint64(frame[4:12], id)
			frame[12] = kind
			frame = append(frame, body...)
			wmu.Lock()
			defer wmu.Unlock()
			_ = conn.SetWriteDeadline(time.Now().Add(requestTimeout))
			if _, err := conn.Write(frame); err != nil {
				s.logger.Debug("propose stream: answer lost; the follower reports the outcome unknown", "error", err)
				conn.Close()
			}
		}
		if s.streams.draining() {
			// Read, and refused with nothing applied, rather than left
			// unread for the follower to report as unknown.
			st, _ := json.Marshal(api.AsStatus(api.Unavailable("this server is shutting down")).Status)
			answer(answerStatus, st)
			<-sem
			continue
		}
		handlers.Add(1)
		go func() {
			defer handlers.Done()
			defer func() { <-sem }()
			answer(s.proposeFrame(body))
		}()
	}
}

func readRequestFrame(br *bufio.Reader) ([]byte, uint64, error) {
	var h [requestFrameHeader]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, 0, err
	}
	n, id := binary.BigEndian.Uint32(h[:4]), binary.BigEndian.Uint64(h[4:])
	if n > maxProposeFrame {
		return nil, 0, fmt.Errorf("a request frame of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, 0, err
	}
	return body, id, nil
}

// drainReadWindow: a draining stream still reads (and refuses with a 503)
// what its follower sends this long, so that a batch already on its way is
// answered rather than left unread.
const drainReadWindow = 200 * time.Millisecond

// streamSet is the leader's open propose streams.
type streamSet struct {
	mu       sync.Mutex
	conns    map[net.Conn]chan struct{} // closed when the stream's serving ends
	stopping bool
}

func newStreamSet() *streamSet { return &streamSet{conns: map[net.Conn]chan struct{}{}} }

func (p *streamSet) add(conn net.Conn) (chan struct{}, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return nil, false
	}
	done := make(chan struct{})
	p.conns[conn] = done
	return done, true
}

func (p *streamSet) remove(conn net.Conn, done chan struct{}) {
	p.mu.Lock()
	delete(p.conns, conn)
	p.mu.Unlock()
	close(done)
}

func (p *streamSet) draining() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}

// drain stops every stream (after drainReadWindow, refusing what arrives
// meanwhile), lets the proposals already read finish and answer, and waits
// (until ctx ends) for the streams to close: what http.Server.Shutdown
// does for requests.
func (p *streamSet) drain(ctx context.Context) {
	for _, done := range p.stop(func(conn net.Conn) { _ = conn.SetReadDeadline(time.Now().Add(drainReadWindow)) }) {
		select {
		case <-done:
		case <-ctx.Done():
			return
		}
	}
}

// cut closes every stream at once (Kill).
func (p *streamSet) cut() { p.stop(func(conn net.Conn) { conn.Close() }) }

// stop marks the set stopping, applies how to each open stream and returns
// their done channels.
func (p *streamSet) stop(how func(net.Conn)) []chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopping = true
	var waits []chan struct{}
	for conn, done := range p.conns {
		how(conn)
		waits = append(waits, done)
	}
	return waits
}

// proposeFrame proposes one forwarded batch and returns its answer frame's
// kind and body.
func (s *Server) proposeFrame(body []byte) (byte, []byte) {
	var err error = api.Unavailable("not the leader, or not ready")
	if s.readyLeader() {
		// Not cancelled with s.ctx: a graceful shutdown lets the proposals
		// a stream already read finish and answer (streamSet.drain).
		var answer []byte
		if answer, err = s.proposeForwarded(context.WithoutCancel(s.ctx), body); err == nil {
			return answerResults, answer
		}
	}
	st, _ := json.Marshal(api.AsStatus(err).Status)
	return answerStatus, st
}

// readyLeader: this replica leads and may take writes (leaderReady).
func (s *Server) readyLeader() bool { return s.node.IsLeader() && s.leaderReady.Load() }

// errNoStream: the leader does not serve the stream (an older version);
// the follower forwards with HTTP requests instead.
var errNoStream = errors.New("the leader does not serve " + pathProposeStream)

// forwardStream is a follower's standing connection to the leader.
type forwardStream struct {
	ctx context.Context
	mu  sync.Mutex
	cur *streamConn
	// httpOnly remembers a leader that refused the upgrade, until then.
	httpOnly map[string]time.Time
}

func newForwardStream(ctx context.Context) *forwardStream {
	fs := &forwardStream{ctx: ctx, httpOnly: map[string]time.Time{}}
	// A stopped server closes its stream, so that the leader's side ends too.
	context.AfterFunc(ctx, func() {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if fs.cur != nil {
			fs.cur.fail(errors.New("this server is shutting down"))
			fs.cur = nil
		}
	})
	return fs
}

type streamReply struct {
	kind byte
	body []byte
	err  error
}

type streamConn struct {
	leader string
	conn   net.Conn
	wmu    sync.Mutex // one frame at a time
	mu     sync.Mutex // guards the fields below
	nextID uint64
	wait   map[uint64]chan streamReply
	broken error
	// retired: the leader changed; close once wait is empty.
	retired bool
}

// retire lets the current connection deliver what it carries and close:
// a replica that became leader forwards nothing (it kept an idle
// connection to its former leader until then).
func (fs *forwardStream) retire() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.cur != nil {
		fs.cur.retire()
		fs.cur = nil
	}
}

// post sends one encoded ops batch to leader and returns its results.
func (fs *forwardStream) post(leader string, body []byte) ([]forwardResult, error) {
	deadline := time.Now().Add(requestTimeout)
	c, err := fs.connTo(leader)
	if err != nil {
		if errors.Is(err, errNoStream) {
			return nil, err
		}
		return nil, api.Unavailable("the leader is unreachable: " + err.Error())
	}
	id, ch, err := c.register()
	if err != nil {
		return nil, api.Unavailable("the connection to the leader closed before the writes were sent: " + err.Error())
	}
	frame := make([]byte, requestFrameHeader, requestFrameHeader+len(body))
	binary.BigEndian.PutUint32(frame[:4], uint32(len(body)))
	binary.BigEndian.PutUint64(frame[4:], id)
	frame = append(frame, body...)
	c.wmu.Lock()
	_ = c.conn.SetWriteDeadline(deadline)
	_, err = c.conn.Write(frame)
	c.wmu.Unlock()
	if err != nil {
		c.fail(err)
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	var r streamReply
	select {
	case r = <-ch:
	case <-t.C:
		// A leader that answers nothing in requestTimeout is not to be
		// trusted with the next batch either: the connection goes.
		c.fail(errors.New("no answer in time"))
		r = <-ch
	case <-fs.ctx.Done():
		return nil, api.Timeout("this server is shutting down; the writes may or may not have been applied")
	}
	switch {
	case r.err != nil:
		return nil, api.Timeout("forwarding to the leader failed; the writes may or may not have been applied: " + r.err.Error())
	case r.kind == answerStatus:
		var st api.Status
		if json.Unmarshal(r.body, &st) != nil || st.Code == 0 {
			return nil, api.Timeout("the leader's answer was not understood")
		}
		return nil, &api.StatusError{Status: st}
	}
	results, err := decodeForwardResults(r.body)
	if err != nil {
		return nil, api.Timeout("the leader's answer was not understood: " + err.Error())
	}
	return results, nil
}

// connTo returns the open connection to leader, dialling it when there is
// none. A connection to an earlier leader is retired: it takes no new
// request and closes once the ones it carries are answered.
func (fs *forwardStream) connTo(leader string) (*streamConn, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if c := fs.cur; c != nil && c.leader == leader && c.usable() {
		return c, nil
	}
	if err := fs.ctx.Err(); err != nil {
		return nil, err
	}
	if until, ok := fs.httpOnly[leader]; ok && time.Now().Before(until) {
		return nil, errNoStream
	}
	if fs.cur != nil {
		fs.cur.retire()
		fs.cur = nil
	}
	conn, br, err := dialProposeStream(fs.ctx, leader)
	if errors.Is(err, errNoStream) {
		fs.httpOnly[leader] = time.Now().Add(time.Minute)
	}
	if err != nil {
		return nil, err
	}
	c := &streamConn{leader: leader, conn: conn, wait: map[uint64]chan streamReply{}}
	fs.cur = c
	go c.readAnswers(br)
	return c, nil
}

// dialProposeStream opens the upgraded connection. It dials as the
// leaderProxy's transport does: when the API listener gets TLS, both must
// wrap their connections with the same client configuration.
func dialProposeStream(ctx context.Context, leader string) (net.Conn, *bufio.Reader, error) {
	u, err := url.Parse(leader)
	if err != nil {
		return nil, nil, err
	}
	d := net.Dialer{Timeout: streamDialWait, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(streamDialWait))
	req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: %s\r\nContent-Length: 0\r\n\r\n",
		pathProposeStream, u.Host, proposeStreamProto)
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		conn.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			return nil, nil, errNoStream
		}
		return nil, nil, fmt.Errorf("the leader refused the stream: HTTP %d", resp.StatusCode)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, br, nil
}

func (c *streamConn) usable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken == nil && !c.retired
}

var errRetired = errors.New("the leader changed")

func (c *streamConn) register() (uint64, chan streamReply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return 0, nil, c.broken
	}
	if c.retired {
		return 0, nil, errRetired
	}
	c.nextID++
	ch := make(chan streamReply, 1)
	c.wait[c.nextID] = ch
	return c.nextID, ch, nil
}

// retire takes no new requests and closes the connection once the ones in
// flight are answered.
func (c *streamConn) retire() {
	c.mu.Lock()
	c.retired = true
	idle := len(c.wait) == 0
	c.mu.Unlock()
	if idle {
		c.conn.Close()
	}
}

// fail closes the connection and ends every waiting request with err.
func (c *streamConn) fail(err error) {
	c.mu.Lock()
	if c.broken == nil {
		c.broken = err
	}
	for id, ch := range c.wait {
		ch <- streamReply{err: err}
		delete(c.wait, id)
	}
	c.mu.Unlock()
	c.conn.Close()
}

func (c *streamConn) readAnswers(br *bufio.Reader) {
	for {
		var h [answerFrameHeader]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			c.fail(err)
			return
		}
		n, id := binary.BigEndian.Uint32(h[:4]), binary.BigEndian.Uint64(h[4:12])
		if n > maxAnswerFrame {
			c.fail(fmt.Errorf("an answer of %d bytes", n))
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(br, body); err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		ch := c.wait[id]
		delete(c.wait, id)
		done := c.retired && len(c.wait) == 0
		c.mu.Unlock()
		if ch != nil {
			ch <- streamReply{kind: h[12], body: body}
		}
		if done {
			c.fail(errRetired) // no one waits: this only closes it
			return
		}
	}
}
