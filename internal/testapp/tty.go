package main

import (
	"bufio"
	"fmt"
	"os"

	"golang.org/x/term"
)

// ttyInfo prints "tty ROWS COLS" when stdin is a terminal, else "no tty".
// With "loop" it prints that again for every line read, until EOF, so a
// test can watch a resize arrive.
func ttyInfo(args []string) error {
	report := func() {
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			fmt.Println("no tty")
			return
		}
		cols, rows, err := term.GetSize(int(os.Stdin.Fd()))
		if err != nil {
			fmt.Println("tty size:", err)
			return
		}
		fmt.Println("tty", rows, cols)
	}
	report()
	if len(args) == 0 || args[0] != "loop" {
		return nil
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		report()
	}
	return sc.Err()
}
