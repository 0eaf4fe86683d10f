package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

func TestDescribeEvents(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return t0 }
	at := func(ago time.Duration) *api.Time { return api.NewTime(t0.Add(-ago)) }
	var out bytes.Buffer
	describeEvents(&out, []api.Object{
		&api.Event{Type: "Warning", Reason: "FailedScheduling", Message: "0/3 nodes are available: 3 Insufficient cpu.",
			Source: api.EventSource{Component: "scheduler"}, FirstTimestamp: at(5 * time.Minute), LastTimestamp: at(30 * time.Second), Count: 4},
		&api.Event{Type: "Normal", Reason: "Scheduled", Message: "Successfully assigned default/web-0 to n1",
			ReportingController: "scheduler", EventTime: at(10 * time.Minute)},
	})
	want := `Events:
  Type     Reason            Age               From       Message
  ----     ------            ----              ----       -------
  Normal   Scheduled         10m               scheduler  Successfully assigned default/web-0 to n1
  Warning  FailedScheduling  30s (x4 over 5m)  scheduler  0/3 nodes are available: 3 Insufficient cpu.
`
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	describeEvents(&out, nil)
	if !strings.Contains(out.String(), "Events:") || !strings.Contains(out.String(), "<none>") {
		t.Fatalf("no events: %q", out.String())
	}
}
