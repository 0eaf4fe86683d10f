package e2e

import (
	"bufio"
	"context"
	"io"
	"strings"
	"time"
)

// terminalLines delivers r's lines, without the carriage returns a
// terminal adds; the channel closes at the end of r.
func terminalLines(r io.Reader) <-chan string {
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- strings.TrimRight(sc.Text(), "\r")
		}
	}()
	return lines
}

// awaitLine reads lines until one equals want, calling poke (when not nil)
// every interval meanwhile: the terminal tests type a line to make the
// remote command print again. False when ctx ends or the lines do first.
func awaitLine(ctx context.Context, lines <-chan string, want string, interval time.Duration, poke func()) bool {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return false
			}
			if l == want {
				return true
			}
		case <-tick.C:
			if poke != nil {
				poke()
			}
		case <-ctx.Done():
			return false
		}
	}
}
