package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/node/driver/docker"
)

// reapWait bounds how long the agent gets to stop the tasks of the deleted
// pods before the leftovers are killed.
const reapWait = 30 * time.Second

// reaper makes sure that nothing podbench started outlives it. Exec tasks
// outlive their agent on purpose (an agent restart must not stop them), so
// stopping the agent is not enough: the pods are deleted and the agent
// given time to stop their tasks; then whatever is left (the
// `barque executor` supervisors and their tasks under the agent's data
// dir, containers of the pods podbench created) is killed.
type reaper struct {
	cl       *client.Client
	node     string
	agentDir string // the agent's data dir: executors and task dirs live under it

	mu   sync.Mutex
	uids map[string]bool // pods created, for their containers
}

func newReaper(cl *client.Client, node, agentDir string) *reaper {
	return &reaper{cl: cl, node: node, agentDir: agentDir, uids: map[string]bool{}}
}

// track records a created pod.
func (r *reaper) track(p *api.Pod) {
	r.mu.Lock()
	r.uids[p.UID] = true
	r.mu.Unlock()
}

// deletePods deletes every pod bound to the bench node, tracked or not (a
// create cut short by Ctrl-C may have landed), and waits for the agent to
// stop their tasks.
func (r *reaper) deletePods() {
	ctx, cancel := context.WithTimeout(context.Background(), reapWait)
	defer cancel()
	list, err := r.cl.List(ctx, "Pod", "default", client.ListOptions{FieldSelector: "spec.nodeName=" + r.node})
	if err != nil {
		fmt.Fprintln(os.Stderr, "podbench: listing pods to delete:", err)
	} else {
		for _, o := range list.Items {
			r.track(o.(*api.Pod))
			m := o.GetObjectMeta()
			if err := r.cl.Delete(ctx, "Pod", m.Namespace, m.Name, client.DeleteOptions{}); err != nil && !errors.Is(err, api.ErrNotFound) {
				fmt.Fprintf(os.Stderr, "podbench: deleting pod %s: %v\n", m.Name, err)
			}
		}
	}
	for ctx.Err() == nil {
		if len(r.executors()) == 0 && len(r.containers()) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// killLeftovers kills what the agent did not stop; call it once the agent
// is stopped. It returns what was still running before the kill.
func (r *reaper) killLeftovers() (executors, containers int) {
	pids := r.executors()
	for _, pid := range pids {
		// The executor leads its own session; its task has a group of its own.
		if pgid, err := syscall.Getpgid(pid); err == nil && pgid > 1 && pgid != syscall.Getpgrp() {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	ids := r.containers()
	if len(ids) > 0 {
		_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
	return len(pids), len(ids)
}

// executors lists the processes that belong to the agent's tasks: their
// command line names the agent's data dir (executors) or they run in a
// directory under it (tasks).
func (r *reaper) executors() []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if strings.Contains(string(cmdline), r.agentDir) || strings.HasPrefix(cwd, r.agentDir+"/") {
			if !isAgent(string(cmdline)) {
				out = append(out, pid)
			}
		}
	}
	return out
}

// isAgent: the agent's own command line names its data dir too.
func isAgent(cmdline string) bool {
	args := strings.Split(cmdline, "\x00")
	return len(args) > 1 && args[1] == "agent"
}

// containers lists the docker containers of the pods podbench created.
func (r *reaper) containers() []string {
	r.mu.Lock()
	n := len(r.uids)
	r.mu.Unlock()
	if n == 0 {
		return nil
	}
	out, err := exec.Command("docker", "ps", "-a", "--filter", "label="+docker.LabelPodUID,
		"--format", `{{.ID}} {{.Label "`+docker.LabelPodUID+`"}}`).Output()
	if err != nil {
		return nil // no engine: no containers
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if id, uid, ok := strings.Cut(line, " "); ok && r.uids[uid] {
			ids = append(ids, id)
		}
	}
	return ids
}
