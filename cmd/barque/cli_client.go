package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/barque-io/barque/api/client"
)

// newAPIClient builds a client for the CLI's server addresses. Logs go to
// stderr only when BARQUE_LOG_LEVEL asks, so they never mix into output.
func newAPIClient() (*client.Client, error) {
	level := hclog.LevelFromString(os.Getenv("BARQUE_LOG_LEVEL"))
	if level == hclog.NoLevel {
		level = hclog.Off
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "barque", Level: level, Output: os.Stderr})
	return client.New(client.Config{Addresses: serverAddresses(), Timeout: 30 * time.Second, Logger: logger,
		Warnings: printWarning})
}

// printedWarnings keeps the CLI from printing one server warning twice
// (every object of an apply may draw the same one).
var printedWarnings sync.Map

// printWarning prints a warning the server answered with, as kubectl does.
// Objects the CLI decoded itself carry no field the server would warn
// about (see warnIgnored); this shows what a server adds to that.
func printWarning(text string) {
	if _, dup := printedWarnings.LoadOrStore(text, true); !dup {
		fmt.Fprintln(os.Stderr, "Warning:", text)
	}
}
