package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/barque-io/barque/api"
)

// LogOptions select what PodLogs streams (Kubernetes' pods/log query).
type LogOptions struct {
	Container string // required when the pod has several
	Follow    bool   // keep streaming new output until ctx ends
	TailLines *int   // only the last N lines (of each stream); nil = all
	Previous  bool   // the run before the current one
	Stream    string // "stdout", "stderr" or "" for both
	// SinceBytes starts one stream (Stream must name it) at this byte offset
	// of its retained output, as LogOffsetHeader reports it; it overrides
	// TailLines. FollowPodLogs uses it to resume without repeating lines.
	SinceBytes *int64
}

// LogOffsetHeader, on a log answer for one stream, is the byte offset
// (as SinceBytes counts) of the answer's first byte.
const LogOffsetHeader = "X-Barque-Log-Offset"

// PodLogs streams a pod container's logs, proxied by a server from the
// node agent. The caller closes the reader.
func (c *Client) PodLogs(ctx context.Context, namespace, name string, o LogOptions) (io.ReadCloser, error) {
	rc, _, err := c.podLogs(ctx, namespace, name, o)
	return rc, err
}

// podLogs is PodLogs that also returns the answer's headers.
func (c *Client) podLogs(ctx context.Context, namespace, name string, o LogOptions) (io.ReadCloser, http.Header, error) {
	path, err := podSubresource(namespace, name, "log")
	if err != nil {
		return nil, nil, err
	}
	q := url.Values{}
	setIf(q, "container", o.Container, o.Container != "")
	setIf(q, "follow", "true", o.Follow)
	setIf(q, "previous", "true", o.Previous)
	setIf(q, "stream", o.Stream, o.Stream != "")
	if o.TailLines != nil {
		q.Set("tailLines", strconv.Itoa(*o.TailLines))
	}
	if o.SinceBytes != nil {
		q.Set("sinceBytes", strconv.FormatInt(*o.SinceBytes, 10))
	}
	res, err := c.do(ctx, &request{method: http.MethodGet, path: path, query: q, stream: true})
	if err != nil {
		return nil, nil, err
	}
	return &cancelOnClose{ReadCloser: res.resp.Body, cancel: res.cancel}, res.resp.Header, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// ExecOptions describe a command to run in a pod's container.
type ExecOptions struct {
	Container string
	Command   []string
	Stdin     io.Reader // nil: the command gets no stdin
	Stdout    io.Writer
	Stderr    io.Writer
	// TTY runs the command on a terminal (stdout and stderr merged);
	// Resize, when set, carries the local terminal's size: the first
	// value is sent at once, the others as they come.
	TTY    bool
	Resize <-chan TerminalSize
}

// PodExec runs a command in a pod's container (Kubernetes' pods/exec) over
// an upgraded connection (ExecProtocol) and returns its exit code. Exec is
// not idempotent: it is retried on another server only when the request
// never reached one.
func (c *Client) PodExec(ctx context.Context, namespace, name string, o ExecOptions) (int, error) {
	path, err := podSubresource(namespace, name, "exec")
	if err != nil {
		return -1, err
	}
	q := url.Values{"command": o.Command}
	setIf(q, "container", o.Container, o.Container != "")
	q.Set("stdin", strconv.FormatBool(o.Stdin != nil))
	q.Set("stdout", "true")
	q.Set("stderr", "true")
	q.Set("tty", strconv.FormatBool(o.TTY))
	conn, err := c.openExec(ctx, &request{method: http.MethodPost, path: path, query: q, stream: true})
	if err != nil {
		return -1, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var mu sync.Mutex
	if o.TTY {
		// First, so the agent starts the command at the right size (or at
		// once, at its default size, when there is none to give).
		sendFirstSize(conn, &mu, o.Resize)
		if o.Resize != nil {
			done := make(chan struct{})
			defer close(done)
			go sendSizes(conn, &mu, o.Resize, done)
		}
	}
	if o.Stdin != nil {
		go sendStdin(conn, &mu, o.Stdin)
	}
	return receiveExec(conn, o.Stdout, o.Stderr)
}

// openExec asks the servers in turn for the upgrade.
func (c *Client) openExec(ctx context.Context, r *request) (io.ReadWriteCloser, error) {
	addrs := c.addresses()
	start := int(c.preferred.Load())
	var lastErr error
	for attempt := 0; attempt < len(addrs); attempt++ {
		req, err := c.newHTTPRequest(ctx, addrs[(start+attempt)%len(addrs)], r)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", ExecProtocol)
		resp, err := c.http.Do(req)
		if err != nil {
			if classifyTransport(ctx, err, false) == notSent && ctx.Err() == nil {
				lastErr = err
				continue
			}
			return nil, err
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, readError(resp)
		}
		rwc, ok := resp.Body.(io.ReadWriteCloser)
		if !ok {
			resp.Body.Close()
			return nil, errors.New("exec: the server did not hand over the connection")
		}
		return rwc, nil
	}
	return nil, lastErr
}

// sendStdin forwards in as stdin frames, then an empty frame for EOF.
func sendStdin(w io.Writer, mu *sync.Mutex, in io.Reader) {
	fw := &ExecFrameWriter{W: w, Stream: ExecStdin, Lock: mu}
	if _, err := io.Copy(fw, in); err != nil {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	_ = WriteExecFrame(w, ExecStdin, nil)
}

// sendFirstSize sends the size already waiting on sizes, or a zero size,
// which tells the agent to use its default.
func sendFirstSize(w io.Writer, mu *sync.Mutex, sizes <-chan TerminalSize) {
	var sz TerminalSize
	select {
	case sz = <-sizes:
	default:
	}
	_ = writeSize(w, mu, sz)
}

// sendSizes forwards terminal sizes as resize frames until sizes closes,
// the exec ends (done) or the connection fails.
func sendSizes(w io.Writer, mu *sync.Mutex, sizes <-chan TerminalSize, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case sz, ok := <-sizes:
			if !ok || writeSize(w, mu, sz) != nil {
				return
			}
		}
	}
}

func writeSize(w io.Writer, mu *sync.Mutex, sz TerminalSize) error {
	b, _ := json.Marshal(sz)
	mu.Lock()
	defer mu.Unlock()
	return WriteExecFrame(w, ExecResize, b)
}

// receiveExec writes output frames until the exit frame.
func receiveExec(r io.Reader, stdout, stderr io.Writer) (int, error) {
	for {
		stream, p, err := ReadExecFrame(r)
		if err != nil {
			return -1, fmt.Errorf("exec: the stream ended before the command's exit status: %w", err)
		}
		switch stream {
		case ExecStdout:
			if stdout != nil {
				_, _ = stdout.Write(p)
			}
		case ExecStderr:
			if stderr != nil {
				_, _ = stderr.Write(p)
			}
		case ExecExit:
			var res ExecResult
			if err := json.Unmarshal(p, &res); err != nil {
				return -1, fmt.Errorf("exec: bad exit frame: %w", err)
			}
			if res.Error != "" {
				return res.ExitCode, errors.New(res.Error)
			}
			return res.ExitCode, nil
		}
	}
}

func podSubresource(namespace, name, sub string) (string, error) {
	ki, ok := api.LookupKind("Pod")
	if !ok {
		return "", errors.New("client: Pod kind not registered")
	}
	p, err := objectPath(ki, namespace, name)
	if err != nil {
		return "", err
	}
	return p + "/" + sub, nil
}

func setIf(q url.Values, k, v string, cond bool) {
	if cond {
		q.Set(k, v)
	}
}
