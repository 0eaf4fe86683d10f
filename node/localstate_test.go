package node

import (
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/node/driver"
)

// TestPodRecordsSurviveReopen: the pod record written with a task handle
// (start time, restart counts, last states) is there after the agent's
// state is reopened, and gone once deleted.
func TestPodRecordsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := openLocalState(dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := podRecord{Start: start, Tasks: map[string]taskRecord{"web": {Restarts: 3,
		LastTerm: &api.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}}}
	if err := s.putTask("uid1", &driver.TaskHandle{Driver: "exec", TaskName: "web", PID: 42, KillSignal: "SIGINT"}, rec); err != nil {
		t.Fatal(err)
	}
	s.close()
	if s, err = openLocalState(dir); err != nil {
		t.Fatal(err)
	}
	defer s.close()
	pods, err := s.pods()
	if err != nil {
		t.Fatal(err)
	}
	got := pods["uid1"]
	if !got.Start.Equal(start) || got.Tasks["web"].Restarts != 3 || got.Tasks["web"].LastTerm.ExitCode != 1 {
		t.Fatalf("record after reopen: %+v", got)
	}
	tasks, _ := s.tasks()
	if len(tasks["uid1"]) != 1 || tasks["uid1"][0].KillSignal != "SIGINT" {
		t.Fatalf("task handles after reopen: %+v", tasks)
	}
	if err := s.deletePod("uid1"); err != nil {
		t.Fatal(err)
	}
	if pods, _ = s.pods(); len(pods) != 0 {
		t.Fatalf("records after delete: %+v", pods)
	}
}
