package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

const ttyHostPod = `
metadata: {name: ttyhost, annotations: {barque.io/driver: exec}}
spec:
  nodeName: n1
  containers:
  - name: main
    command: ["sleep", "600"]
`

// TestExecTTY drives exec with a terminal through a server to the agent:
// the Go client with TTY on and off, `barque exec -t` without a terminal
// (kubectl's warning, no TTY), and `barque exec -it` run on a real
// pseudo-terminal, whose resize reaches the remote command and whose
// terminal modes are restored at the end.
func TestExecTTY(t *testing.T) {
	c, cl, ctx := startWritable(t, 90*time.Second)
	c.startAgent("n1")
	waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)
	applyPod(ctx, t, cl, ttyHostPod)
	waitPod(ctx, t, cl, "ttyhost", "running", func(p *api.Pod) bool { return p.Status.Phase == api.PodRunning })

	isTTY := []string{"sh", "-c", "test -t 0 && test -t 1 && echo yes || echo no; echo err >&2"}
	for _, tc := range []struct {
		tty          bool
		stdout, errs string
	}{
		{tty: false, stdout: "no\n", errs: "err\n"},
		{tty: true, stdout: "yes\r\nerr\r\n", errs: ""}, // one terminal for both streams
	} {
		var out, errOut strings.Builder
		code, err := cl.PodExec(ctx, "default", "ttyhost", client.ExecOptions{Command: isTTY, TTY: tc.tty, Stdout: &out, Stderr: &errOut})
		if err != nil || code != 0 || out.String() != tc.stdout || errOut.String() != tc.errs {
			t.Fatalf("exec tty=%v: code %d, err %v, stdout %q, stderr %q", tc.tty, code, err, out.String(), errOut.String())
		}
	}

	env := []string{"BARQUE_ADDR=" + strings.Join(c.addresses(), ","), "HOME=" + t.TempDir()}
	out, code := run(t, env, "", "exec", "-it", "ttyhost", "--", "sh", "-c", "test -t 0 && echo yes || echo no")
	if code != 0 || out != "Unable to use a TTY - input is not a terminal or the right kind of file\nno\n" {
		t.Fatalf("exec -it without a terminal: exit %d, output %q", code, out)
	}
	execOnTerminal(ctx, t, env)
}

// execOnTerminal runs `barque exec -it` with a pseudo-terminal as its
// stdin, stdout and stderr, as in an interactive shell.
func execOnTerminal(ctx context.Context, t *testing.T, env []string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 80}); err != nil {
		t.Fatal(err)
	}
	before, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	script := `stty -echo; tty >/dev/null && echo "on a tty"; while read x; do stty size; done; exit 7`
	cmd := exec.CommandContext(ctx, barqueBin, "exec", "-it", "ttyhost", "--", "sh", "-c", script)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true} // tty is its controlling terminal
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := terminalLines(ptmx)
	// Every line typed makes the remote shell print its terminal's size.
	typeLine := func() { _, _ = ptmx.Write([]byte("\n")) }
	waitLine := func(want string, poke bool) {
		t.Helper()
		var pokeFn func()
		if poke {
			pokeFn = typeLine
		}
		if !awaitLine(ctx, lines, want, 200*time.Millisecond, pokeFn) {
			_ = cmd.Process.Kill()
			t.Fatalf("no line %q from barque exec -it", want)
		}
	}
	waitLine("on a tty", false)
	waitLine("24 80", true)
	// TIOCSWINSZ on the terminal sends SIGWINCH to barque, the foreground.
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 41, Cols: 113}); err != nil {
		t.Fatal(err)
	}
	waitLine("41 113", true)
	_, _ = ptmx.Write([]byte{4}) // ^D, passed through raw mode: EOF for read
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
		t.Fatalf("barque exec -it ended with %v; want the remote exit code 7", err)
	}
	after, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if after.Lflag != before.Lflag || after.Iflag != before.Iflag || after.Oflag != before.Oflag {
		t.Fatalf("terminal modes not restored: lflag %#x -> %#x, iflag %#x -> %#x, oflag %#x -> %#x",
			before.Lflag, after.Lflag, before.Iflag, after.Iflag, before.Oflag, after.Oflag)
	}
}
