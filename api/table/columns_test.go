package table

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestWorkloadColumns: the cells of StatefulSets, DaemonSets, Jobs,
// CronJobs, Events and Endpoints, as kubectl prints them.
func TestWorkloadColumns(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	created := `"metadata":{"name":"x","creationTimestamp":"2026-01-01T11:00:00Z"}`
	cases := []struct{ kind, obj, want string }{
		{"StatefulSet", `{` + created + `,"spec":{"replicas":3},"status":{"readyReplicas":2}}`, "2/3 | 60m"},
		{"DaemonSet", `{` + created + `,"spec":{"template":{"spec":{"nodeSelector":{"disk":"ssd","a":"b"}}}},` +
			`"status":{"desiredNumberScheduled":4,"currentNumberScheduled":4,"numberReady":3,"updatedNumberScheduled":4,"numberAvailable":3}}`,
			"4 | 4 | 3 | 4 | 3 | a=b,disk=ssd | 60m"},
		{"Job", `{` + created + `,"spec":{"completions":5},"status":{"succeeded":2,"startTime":"2026-01-01T11:58:00Z"}}`, "Running | 2/5 | 2m | 60m"},
		{"Job", `{` + created + `,"status":{"succeeded":1,"startTime":"2026-01-01T11:00:00Z","completionTime":"2026-01-01T11:00:30Z",` +
			`"conditions":[{"type":"Complete","status":"True"}]}}`, "Complete | 1/1 | 30s | 60m"},
		{"CronJob", `{` + created + `,"spec":{"schedule":"*/5 * * * *","suspend":true},"status":{"active":[{}],"lastScheduleTime":"2026-01-01T11:55:00Z"}}`,
			"*/5 * * * * | <none> | True | 1 | 5m | 60m"},
		{"Event", `{` + created + `,"type":"Warning","reason":"BackOff","involvedObject":{"kind":"Pod","name":"web-1"},` +
			`"message":"Back-off restarting","lastTimestamp":"2026-01-01T11:59:50Z"}`, "10s | Warning | BackOff | pod/web-1 | Back-off restarting"},
		{"Endpoints", `{` + created + `,"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],"ports":[{"port":80},{"port":443}]}]}`,
			"10.0.0.1:80,10.0.0.1:443,10.0.0.2:80 + 1 more... | 60m"},
	}
	for _, c := range cases {
		var f Fields
		if err := json.Unmarshal([]byte(c.obj), &f); err != nil {
			t.Fatal(err)
		}
		var cells []string
		for _, col := range ColumnsFor(c.kind, false) {
			cells = append(cells, col.Cell(f, now))
		}
		if got := strings.Join(cells, " | "); got != c.want {
			t.Errorf("%s: %q, want %q", c.kind, got, c.want)
		}
	}
}
