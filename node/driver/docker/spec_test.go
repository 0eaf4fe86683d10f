package docker

import (
	"testing"

	"github.com/barque-io/barque/node/driver"
)

// TestCreateOptionsUserAndStopSignal: the task's user (runAsUser:runAsGroup)
// and stop signal reach the container's config; no engine needed.
func TestCreateOptionsUserAndStopSignal(t *testing.T) {
	d := &Driver{bindIP: "127.0.0.1"}
	cfg := &driver.TaskConfig{PodUID: "u", PodName: "p", TaskName: "t", Image: "x", HostNetwork: true,
		User: "65534:65534", KillSignal: "SIGINT"}
	opts, err := d.createOptions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Config.User != "65534:65534" || opts.Config.StopSignal != "SIGINT" {
		t.Fatalf("user %q stop signal %q", opts.Config.User, opts.Config.StopSignal)
	}
	cfg.User, cfg.KillSignal = "", ""
	if opts, _ = d.createOptions(cfg); opts.Config.User != "" || opts.Config.StopSignal != "SIGTERM" {
		t.Fatalf("defaults: user %q stop signal %q", opts.Config.User, opts.Config.StopSignal)
	}
}
