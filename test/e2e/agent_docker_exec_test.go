package e2e

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

const dockerSleeper = `
metadata: {name: dockertty}
spec:
  nodeName: n1
  containers:
  - name: main
    image: barque-testapp:latest
    args: ["sleep"]
`

// TestDockerExecTTY drives exec into a Docker container through a server
// and the agent (the driver's own test, node/driver/docker, calls the
// driver directly): without a terminal the command has none; with one it
// gets the size the client asked for, and a resize sent while it runs
// reaches it.
func TestDockerExecTTY(t *testing.T) {
	_, cl, ctx := startDockerCluster(t)
	applyPod(ctx, t, cl, dockerSleeper)
	waitPod(ctx, t, cl, "dockertty", "running", func(p *api.Pod) bool {
		return p.Status.Phase == api.PodRunning && p.Status.ContainerStatuses[0].State.Running != nil
	})

	var out strings.Builder
	code, err := cl.PodExec(ctx, "default", "dockertty", client.ExecOptions{Command: []string{"/testapp", "tty"}, Stdout: &out, Stderr: &out})
	if err != nil || code != 0 || out.String() != "no tty\n" {
		t.Fatalf("exec without a terminal: code %d, err %v, output %q", code, err, out.String())
	}

	stdin, typed := io.Pipe()
	defer typed.Close()
	outR, outW := io.Pipe()
	resize := make(chan client.TerminalSize, 2)
	resize <- client.TerminalSize{Width: 90, Height: 20}
	done := make(chan error, 1)
	go func() {
		code, err := cl.PodExec(ctx, "default", "dockertty", client.ExecOptions{Command: []string{"/testapp", "tty", "loop"},
			TTY: true, Stdin: stdin, Stdout: outW, Resize: resize})
		if err == nil && code != 0 {
			err = io.ErrUnexpectedEOF
		}
		outW.Close()
		done <- err
	}()
	lines := terminalLines(outR)
	// Each line typed makes the app print its terminal's size again.
	waitLine := func(want string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if !awaitLine(wctx, lines, want, 100*time.Millisecond, func() { _, _ = typed.Write([]byte("\n")) }) {
			t.Fatalf("no line %q from the exec on a terminal", want)
		}
	}
	waitLine("tty 20 90")
	resize <- client.TerminalSize{Width: 120, Height: 40}
	waitLine("tty 40 120")
	_, _ = typed.Write([]byte{4}) // ^D: end of input on the terminal
	typed.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exec on a terminal: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the exec on a terminal did not end after end of input")
	}
}
