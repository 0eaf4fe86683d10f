package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/node/driver"
)

// execRequest is a parsed exec query.
type execRequest struct {
	drv   driver.Driver
	h     *driver.TaskHandle
	cmd   []string
	stdin bool
	tty   bool
	size  driver.TermSize      // the terminal's first size (tty)
	sizes chan driver.TermSize // later sizes, newest only (tty, upgraded)
}

// firstSizeWait bounds how long a tty exec waits for the client's first
// resize frame before it starts the command at a default size.
const firstSizeWait = time.Second

// handleExec serves POST /v1/pods/{uid}/tasks/{task}/exec?command=…: the
// command runs in the task's context with the driver's Exec; its output and
// exit code come back in client.ExecProtocol frames, over an upgraded
// connection when the client asks for one (interactive stdin), else as the
// response body with stdin read from the request body. With tty=true the
// command runs on a pseudo-terminal (driver.TTYExecer) sized and resized
// by the client's resize frames. A GET that asks for a WebSocket speaks
// Kubernetes' remote command protocol instead (exec_ws.go): kubectl exec.
func (a *Agent) handleExec(w http.ResponseWriter, r *http.Request) {
	er := &execRequest{cmd: r.URL.Query()["command"], stdin: boolParam(r, "stdin"), tty: boolParam(r, "tty"),
		sizes: make(chan driver.TermSize, 1)}
	if len(er.cmd) == 0 {
		writeAPIError(w, api.BadRequest("command is required: ?command=ARG0&command=ARG1…"))
		return
	}
	var err error
	if er.drv, er.h, err = a.runningTask(r.PathValue("uid"), r.PathValue("task")); err != nil {
		writeAPIError(w, err)
		return
	}
	if _, ok := driver.AsTTYExecer(er.drv); er.tty && !ok {
		writeAPIError(w, api.BadRequest(fmt.Sprintf("the %s driver cannot give a command a terminal", er.drv.Name())))
		return
	}
	switch {
	case wantsWebSocket(r):
		a.execWebSocket(w, r, er)
		return
	case r.Method == http.MethodGet:
		// A GET must not run anything by itself: only as the opening of
		// a WebSocket (kubectl), whose upgrade a proxy might have dropped.
		writeAPIError(w, api.NewStatusError(http.StatusMethodNotAllowed, api.ReasonMethodNotAllowed,
			"exec with GET needs a WebSocket upgrade (v5.channel.k8s.io); send POST otherwise"))
		return
	case wantsUpgrade(r):
		a.execUpgraded(w, er)
		return
	}
	a.execPlain(w, r, er)
}

func wantsUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), client.ExecProtocol) &&
		strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade")
}

// execUpgraded takes over the connection: frames both ways until the
// command ends; the command is killed if the client goes away.
func (a *Agent) execUpgraded(w http.ResponseWriter, er *execRequest) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeAPIError(w, api.Internal(err))
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Time{})
	if _, err := brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " +
		client.ExecProtocol + "\r\n\r\n"); err != nil || brw.Flush() != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	defer pr.Close()
	first := make(chan struct{})
	go readClientFrames(brw.Reader, pw, er.sizes, first, cancel)
	if er.tty {
		awaitFirstSize(er, first)
	}
	var stdin io.Reader
	if er.stdin {
		stdin = pr
	}
	a.runExec(ctx, conn, nil, er, stdin)
}

// readClientFrames feeds stdin frames to pw and resize frames to sizes,
// closes first after the first frame, and cancels the exec when the
// connection ends: before the exit frame, that means the client left.
func readClientFrames(r io.Reader, pw *io.PipeWriter, sizes chan driver.TermSize, first chan struct{}, cancel func()) {
	defer cancel()
	var once sync.Once
	defer once.Do(func() { close(first) })
	for {
		stream, p, err := client.ReadExecFrame(r)
		if err != nil {
			pw.CloseWithError(io.EOF)
			return
		}
		switch stream {
		case client.ExecStdin:
			if len(p) == 0 {
				pw.Close()
			} else {
				_, _ = pw.Write(p) // fails once the command stopped reading
			}
		case client.ExecResize:
			var sz client.TerminalSize
			if json.Unmarshal(p, &sz) == nil {
				putNewest(sizes, driver.TermSize{Width: sz.Width, Height: sz.Height})
			}
		}
		once.Do(func() { close(first) })
	}
}

// awaitFirstSize takes the terminal's first size from the client's first
// frame, which a client that has a terminal sends before anything else.
func awaitFirstSize(er *execRequest, first <-chan struct{}) {
	select {
	case <-first:
	case <-time.After(firstSizeWait):
	}
	select {
	case er.size = <-er.sizes:
	default:
	}
}

// putNewest puts sz in a one-slot channel, replacing an older size not yet
// taken: only the latest size matters.
func putNewest(ch chan driver.TermSize, sz driver.TermSize) {
	for {
		select {
		case ch <- sz:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// execPlain: stdin is the request body, frames are the response body.
func (a *Agent) execPlain(w http.ResponseWriter, r *http.Request, er *execRequest) {
	rc := http.NewResponseController(w)
	_ = rc.EnableFullDuplex()
	w.Header().Set("Content-Type", "application/x-"+client.ExecProtocol)
	w.WriteHeader(http.StatusOK)
	var stdin io.Reader
	if er.stdin {
		stdin = r.Body
	}
	a.runExec(r.Context(), w, func() { _ = rc.Flush() }, er, stdin)
}

// runExec runs the command and writes its output and result as frames.
func (a *Agent) runExec(ctx context.Context, w io.Writer, flush func(), er *execRequest, stdin io.Reader) {
	var mu sync.Mutex
	stdout := &client.ExecFrameWriter{W: w, Stream: client.ExecStdout, Lock: &mu, Flush: flush}
	stderr := &client.ExecFrameWriter{W: w, Stream: client.ExecStderr, Lock: &mu, Flush: flush}
	code, err := a.execute(ctx, er, stdin, stdout, stderr)
	a.writeExecEnd(&mu, w, flush, code, err)
}

// execute runs the command with the driver and answers its exit code. On
// a terminal its output is stdout and stderr at once.
func (a *Agent) execute(ctx context.Context, er *execRequest, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if er.tty {
		// The terminal's reader copies stdin itself.
		tx, _ := driver.AsTTYExecer(er.drv)
		code, err := tx.ExecTTY(ctx, er.h, er.cmd, er.size, stdin, stdout, er.sizes)
		if err != nil {
			a.logger.Debug("exec on a terminal failed", "task", er.h.TaskName, "command", er.cmd, "error", err)
		}
		return code, err
	}
	if stdin != nil {
		// A pipe the command reads directly: os/exec would otherwise copy
		// from stdin in a goroutine and wait for it, so a command that ends
		// without reading its input would not return until the client's
		// stdin ended.
		pr, pw, err := os.Pipe()
		if err != nil {
			return -1, err
		}
		go func(src io.Reader) { _, _ = io.Copy(pw, src); pw.Close() }(stdin)
		defer pr.Close()
		defer pw.Close()
		stdin = pr
	}
	code, err := er.drv.Exec(ctx, er.h, er.cmd, stdin, stdout, stderr)
	if err != nil {
		a.logger.Debug("exec failed", "task", er.h.TaskName, "command", er.cmd, "error", err)
	}
	return code, err
}

// writeExecEnd sends the exit frame.
func (a *Agent) writeExecEnd(mu *sync.Mutex, w io.Writer, flush func(), code int, err error) {
	res := client.ExecResult{ExitCode: code}
	if err != nil {
		res.ExitCode, res.Error = -1, err.Error()
	}
	b, _ := json.Marshal(res)
	end := &client.ExecFrameWriter{W: w, Stream: client.ExecExit, Lock: mu, Flush: flush}
	_, _ = end.Write(b)
}
