// Command testapp is a tiny static program that driver, agent and probe
// tests run as a task, both directly (exec driver) and as the only binary
// of the barque-testapp image built FROM scratch (docker driver). Because
// the image has no shell, every behaviour a test needs is a subcommand here.
//
//	testapp serve [-addr :PORT]   HTTP: / "ok <hostname>", /healthz, /fail, /exit?code=N
//	testapp sleep [DURATION]      sleep (forever by default) until SIGTERM/SIGINT
//	testapp echo ARGS...          print ARGS on stdout
//	testapp echo-err ARGS...      print ARGS on stderr
//	testapp exit N                exit with status N
//	testapp env                   print the environment, sorted
//	testapp alloc MiB [HOLD]      allocate and touch MiB of memory (OOM tests)
//	testapp lines N [SIZE]        print N numbered lines of SIZE bytes (log rotation)
//	testapp cat FILES...          copy files to stdout (volume tests)
//	testapp tty [loop]            "tty ROWS COLS" or "no tty" for stdin (exec -t tests)
//
// It may run as PID 1 in a container without an init, where the kernel
// ignores SIGTERM unless the process handles it, so long-running
// subcommands install their own handler and exit 0 on SIGTERM/SIGINT.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "serve":
		err = serve(args)
	case "sleep":
		err = sleep(args)
	case "echo":
		fmt.Println(strings.Join(args, " "))
	case "echo-err":
		fmt.Fprintln(os.Stderr, strings.Join(args, " "))
	case "exit":
		err = exit(args)
	case "env":
		env := os.Environ()
		sort.Strings(env)
		fmt.Println(strings.Join(env, "\n"))
	case "alloc":
		err = alloc(args)
	case "lines":
		err = lines(args)
	case "cat":
		err = cat(args)
	case "tty":
		err = ttyInfo(args)
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testapp:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: testapp serve|sleep|echo|echo-err|exit|env|alloc|lines|cat|tty [args]")
}

// stopSignals returns a channel that receives SIGTERM and SIGINT.
func stopSignals() <-chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	return ch
}

func sleep(args []string) error {
	var timer <-chan time.Time // nil: forever
	if len(args) > 0 {
		d, err := time.ParseDuration(args[0])
		if err != nil {
			return fmt.Errorf("sleep: %w", err)
		}
		timer = time.After(d)
	}
	sigs := stopSignals()
	// Say so once the handler is in place: tests that stop the task wait for
	// this line, since a signal sent earlier would be ignored by PID 1.
	fmt.Println("testapp: sleeping")
	select {
	case <-timer:
	case s := <-sigs:
		fmt.Println("testapp: stopping on", s)
	}
	return nil
}

func cat(files []string) error {
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		os.Stdout.Write(data)
	}
	return nil
}

func exit(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("exit: want one status")
	}
	code, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("exit: %w", err)
	}
	os.Exit(code)
	return nil
}
