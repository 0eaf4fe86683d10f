package main

import (
	"os"
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
	return client.New(client.Config{Addresses: serverAddresses(), Timeout: 30 * time.Second, Logger: logger})
}
