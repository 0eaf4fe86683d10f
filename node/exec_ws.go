package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/node/driver"
)

// Kubernetes' remote command protocol over WebSocket, as kubectl exec
// (client-go's WebSocket executor) speaks it: every binary message starts
// with its channel's byte. The client sends stdin (0) and terminal sizes
// (4, JSON {"Width","Height"}); with v5 a message on channel 255 naming
// channel 0 closes stdin. The agent sends stdout (1) and stderr (2), then
// on channel 3 a Status, Success or Failure with reason NonZeroExitCode
// and the exit code as a cause, and closes.
const (
	wsStdin  = 0
	wsStdout = 1
	wsStderr = 2
	wsError  = 3
	wsResize = 4
	wsClose  = 255

	protocolV5 = "v5.channel.k8s.io"
	protocolV4 = "v4.channel.k8s.io"
)

var execUpgrader = websocket.Upgrader{
	Subprotocols: []string{protocolV5, protocolV4},
	// The API server proxies the client's request; who may exec is its
	// decision, not the browser same-origin rule's.
	CheckOrigin: func(*http.Request) bool { return true },
}

func wantsWebSocket(r *http.Request) bool {
	return r.Method == http.MethodGet && websocket.IsWebSocketUpgrade(r)
}

// execWebSocket runs the command over a WebSocket in Kubernetes' protocol.
func (a *Agent) execWebSocket(w http.ResponseWriter, r *http.Request, er *execRequest) {
	if !offersProtocol(r) {
		writeAPIError(w, api.BadRequest("exec over a WebSocket needs the subprotocol "+protocolV5+" or "+protocolV4))
		return
	}
	conn, err := execUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer conn.Close()
	ws := &wsChannels{conn: conn}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdin io.Reader
	var input *stdinQueue
	if er.stdin {
		pr, pw := io.Pipe()
		defer pr.Close()
		input = newStdinQueue(pw)
		stdin = pr
	}
	first := make(chan struct{})
	readerDone := make(chan struct{})
	go func() { defer close(readerDone); ws.readClient(input, er.sizes, first, cancel) }()
	if er.tty {
		awaitFirstSize(er, first)
	}
	q := r.URL.Query()
	stdout, stderr := io.Writer(io.Discard), io.Writer(io.Discard)
	if q.Get("stdout") != "false" {
		stdout = ws.channel(wsStdout)
	}
	if q.Get("stderr") != "false" {
		stderr = ws.channel(wsStderr)
	}
	code, err := a.execute(ctx, er, stdin, stdout, stderr)
	status, _ := json.Marshal(execStatus(er.cmd, code, err))
	_, _ = ws.channel(wsError).Write(status)
	// Close as WebSocket does: send a close, then read until the client's
	// close comes back (or a second passes) before dropping the
	// connection; dropping it at once reset a client still sending stdin.
	ws.mu.Lock()
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	ws.mu.Unlock()
	select {
	case <-readerDone:
	case <-time.After(closeHandshakeWait):
	}
}

// closeHandshakeWait bounds the wait for the client's close reply.
const closeHandshakeWait = time.Second

func offersProtocol(r *http.Request) bool {
	for _, p := range websocket.Subprotocols(r) {
		if p == protocolV5 || p == protocolV4 {
			return true
		}
	}
	return false
}

// execStatus is the Status Kubernetes sends on the error channel.
func execStatus(cmd []string, code int, err error) api.Status {
	switch {
	case err != nil:
		return api.Status{Status: "Failure", Message: err.Error(), Reason: api.ReasonInternal, Code: http.StatusInternalServerError}
	case code < 0 || code > 255:
		// client-go reads the code as an unsigned byte.
		return api.Status{Status: "Failure", Message: fmt.Sprintf("command [%s] ended with no exit code (%d)", strings.Join(cmd, " "), code),
			Reason: api.ReasonInternal, Code: http.StatusInternalServerError}
	case code != 0:
		return api.Status{Status: "Failure", Reason: "NonZeroExitCode",
			Message: fmt.Sprintf("command terminated with non-zero exit code: error executing command [%s], exit code %d", strings.Join(cmd, " "), code),
			Details: &api.StatusDetails{Causes: []api.StatusCause{{Type: "ExitCode", Message: fmt.Sprint(code)}}}}
	}
	return api.Status{Status: "Success"}
}

// wsChannels writes channel-tagged messages, one writer at a time.
type wsChannels struct {
	conn *websocket.Conn
	mu   sync.Mutex
}

type wsChannel struct {
	ws *wsChannels
	id byte
}

func (ws *wsChannels) channel(id byte) io.Writer { return wsChannel{ws: ws, id: id} }

func (c wsChannel) Write(p []byte) (int, error) {
	msg := make([]byte, 1+len(p))
	msg[0] = c.id
	copy(msg[1:], p)
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	if err := c.ws.conn.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

// readClient feeds stdin to input (nil: stdin is dropped) and sizes to
// sizes, closes first on the first size (or when the client goes away),
// and cancels the command when the client goes away. It never waits for
// the command to read its stdin, so resizes, the client's close and its
// going away are seen at once. Stdin may come before the size, a byte
// kubectl read from its terminal while it connected: waiting for the
// size, not any message, starts the command at the client's size.
func (ws *wsChannels) readClient(input *stdinQueue, sizes chan driver.TermSize, first chan struct{}, cancel func()) {
	defer cancel()
	var once sync.Once
	defer once.Do(func() { close(first) })
	defer input.close()
	for {
		_, msg, err := ws.conn.ReadMessage()
		if err != nil {
			return
		}
		if len(msg) == 0 {
			continue
		}
		switch msg[0] {
		case wsStdin:
			input.put(msg[1:])
		case wsResize:
			var sz struct{ Width, Height uint16 }
			if json.Unmarshal(msg[1:], &sz) == nil {
				putNewest(sizes, driver.TermSize{Width: sz.Width, Height: sz.Height})
			}
			once.Do(func() { close(first) })
		case wsClose:
			if len(msg) > 1 && msg[1] == wsStdin {
				input.close()
			}
		}
	}
}

// stdinQueue hands the client's stdin to the command without making the
// connection's reader wait for the command to read it: chunks queue in
// memory and one goroutine writes them to the command's stdin pipe. Past
// maxQueuedStdin bytes not yet read, put waits (the command is not reading
// and the client keeps sending: backpressure, as a pipe gives).
type stdinQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	chunks [][]byte
	size   int
	closed bool
}

const maxQueuedStdin = 4 << 20

func newStdinQueue(pw *io.PipeWriter) *stdinQueue {
	q := &stdinQueue{}
	q.cond = sync.NewCond(&q.mu)
	go q.pump(pw)
	return q
}

func (q *stdinQueue) put(p []byte) {
	if q == nil || len(p) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.size >= maxQueuedStdin && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return
	}
	q.chunks = append(q.chunks, append([]byte(nil), p...))
	q.size += len(p)
	q.cond.Broadcast()
}

// close ends stdin once what is queued has been written.
func (q *stdinQueue) close() {
	if q == nil {
		return
	}
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

func (q *stdinQueue) pump(pw *io.PipeWriter) {
	defer pw.Close()
	for {
		q.mu.Lock()
		for len(q.chunks) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.chunks) == 0 {
			q.mu.Unlock()
			return
		}
		chunk := q.chunks[0]
		q.chunks = q.chunks[1:]
		q.mu.Unlock()
		_, err := pw.Write(chunk) // fails once the command's stdin is closed
		q.mu.Lock()
		q.size -= len(chunk)
		q.cond.Broadcast()
		q.mu.Unlock()
		if err != nil {
			q.close()
			return
		}
	}
}
