package node

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/node/driver"
)

// runningTask finds the driver and handle of a pod's task that runs now on
// this node, for exec.
func (a *Agent) runningTask(uid, task string) (driver.Driver, *driver.TaskHandle, error) {
	a.mu.Lock()
	w := a.workers[uid]
	a.mu.Unlock()
	if w == nil {
		return nil, nil, api.NotFound("pods", uid)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ts := w.tasks[task]
	switch {
	case ts == nil:
		return nil, nil, api.BadRequest(fmt.Sprintf("container %s is not valid for pod %s", task, w.pod.Name))
	case !ts.running || ts.drv == nil || ts.handle == nil:
		return nil, nil, api.BadRequest(fmt.Sprintf("container %s of pod %s is not running", task, w.pod.Name))
	}
	return ts.drv, ts.handle, nil
}

// podLogDir is the log directory of a pod that has (or had) a directory on
// this node; logs outlive the run of a task until the pod is deleted.
func (a *Agent) podLogDir(uid, task string) (string, error) {
	if !safeName(uid) || !safeName(task) {
		return "", api.BadRequest("bad pod uid or task name")
	}
	dirs := a.podDirs(uid)
	if _, err := os.Stat(dirs.logs()); errors.Is(err, os.ErrNotExist) {
		return "", api.NotFound("pods", uid)
	} else if err != nil {
		return "", api.Internal(err)
	}
	return dirs.logs(), nil
}

// safeName rejects anything that could step out of the data dir.
func safeName(s string) bool {
	return s != "" && !strings.ContainsAny(s, `/\`) && !strings.HasPrefix(s, ".")
}
