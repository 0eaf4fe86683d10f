package docker

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/node/driver"
)

// TestExecTTY: ExecTTY gives the command a terminal of the size asked for,
// a resize reaches it, and Exec gives none.
func TestExecTTY(t *testing.T) {
	d := newTestDriver(t)
	h := start(t, d, taskConfig(t, "sleep"))
	var out strings.Builder
	if code, err := d.Exec(testCtx(t), h, []string{"/testapp", "tty"}, nil, &out, &out); err != nil || code != 0 || out.String() != "no tty\n" {
		t.Fatalf("exec without a terminal = %d, %v, %q", code, err, out.String())
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	outR, outW := io.Pipe()
	resize := make(chan driver.TermSize, 1)
	res := make(chan error, 1)
	go func() {
		code, err := d.ExecTTY(testCtx(t), h, []string{"/testapp", "tty", "loop"}, driver.TermSize{Width: 90, Height: 20}, pr, outW, resize)
		if err == nil && code != 0 {
			err = io.ErrUnexpectedEOF
		}
		outW.Close()
		res <- err
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- strings.TrimRight(sc.Text(), "\r")
		}
		close(lines)
	}()
	// One line typed every 100 ms makes the app print its size again.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	waitLine := func(want string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case l := <-lines:
				if l == want {
					return
				}
			case <-tick.C:
				_, _ = pw.Write([]byte("\n"))
			case <-deadline:
				t.Fatalf("no line %q from the exec on a terminal", want)
			}
		}
	}
	waitLine("tty 20 90")
	resize <- driver.TermSize{Width: 120, Height: 40}
	waitLine("tty 40 120")
	_, _ = pw.Write([]byte{4}) // ^D
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}
