package client

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// The exec stream protocol, between the CLI, the servers (which only proxy
// it) and the node agent. The client asks for an HTTP/1.1 upgrade to
// ExecProtocol; after "101 Switching Protocols" both sides send frames:
// one byte of stream id, four bytes of big-endian length, then the data.
// Stream 0 carries stdin (client to agent; an empty frame is EOF), 1 stdout
// and 2 stderr (agent to client), 3 the end: a JSON ExecResult, after
// which the agent closes the connection, and 4 a terminal resize (client to
// agent, a JSON TerminalSize; Kubernetes' resize channel is also 4). With
// tty=true the command runs on a terminal: its stdout and stderr arrive
// merged on stream 1, and the client sends its terminal's size first (0x0
// for the agent's default), then again whenever it changes. Without the upgrade, the agent reads stdin
// from the request body and answers the same frames as the response body.
const (
	ExecProtocol = "barque-exec.v1"

	ExecStdin  byte = 0
	ExecStdout byte = 1
	ExecStderr byte = 2
	ExecExit   byte = 3
	ExecResize byte = 4

	execMaxFrame = 1 << 20
)

// ExecResult is the last frame: the command's exit code, or why it could not
// run (then ExitCode is -1).
type ExecResult struct {
	ExitCode int    `json:"exitCode"`
	Error    string `json:"error,omitempty"`
}

// TerminalSize is a resize frame's payload, in character cells.
type TerminalSize struct {
	Width  uint16 `json:"width"`
	Height uint16 `json:"height"`
}

// WriteExecFrame writes one frame.
func WriteExecFrame(w io.Writer, stream byte, p []byte) error {
	hdr := make([]byte, 5, 5+len(p))
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	_, err := w.Write(append(hdr, p...))
	return err
}

// ReadExecFrame reads one frame.
func ReadExecFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > execMaxFrame {
		return 0, nil, fmt.Errorf("exec: frame of %d bytes is too large", n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return hdr[0], p, nil
}

// ExecFrameWriter sends everything written to it as frames of one stream.
// Writers sharing a connection share Lock so frames never interleave.
type ExecFrameWriter struct {
	W      io.Writer
	Stream byte
	Lock   sync.Locker
	Flush  func()
}

func (f *ExecFrameWriter) Write(p []byte) (int, error) {
	f.Lock.Lock()
	defer f.Lock.Unlock()
	for rest := p; len(rest) > 0; {
		chunk := rest[:min(len(rest), execMaxFrame)]
		if err := WriteExecFrame(f.W, f.Stream, chunk); err != nil {
			return len(p) - len(rest), err
		}
		rest = rest[len(chunk):]
	}
	if f.Flush != nil {
		f.Flush()
	}
	return len(p), nil
}
