package node

import (
	"encoding/json"
	"time"

	"github.com/barque-io/barque/api"
	"go.etcd.io/bbolt"
)

// podRecord is what a pod's status needs that the drivers cannot tell a
// restarted agent: when the pod started on this node, and each task's
// restart count and last termination. Without it a reattached pod would
// report restartCount 0 and the agent's restart time as its start time.
type podRecord struct {
	Start time.Time             `json:"start"`
	Tasks map[string]taskRecord `json:"tasks,omitempty"`
}

type taskRecord struct {
	Restarts int32                         `json:"restarts,omitempty"`
	LastTerm *api.ContainerStateTerminated `json:"lastTerm,omitempty"`
}

var bucketPods = []byte("pods")

// putPod records a pod's start time, restart counts and last states.
func (s *localState) putPod(podUID string, rec podRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPods).Put([]byte(podUID), b)
	})
}

// deletePod forgets a pod that is gone from this node.
func (s *localState) deletePod(podUID string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPods).Delete([]byte(podUID))
	})
}

// pods returns every pod record by pod UID.
func (s *localState) pods() (map[string]podRecord, error) {
	out := map[string]podRecord{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPods).ForEach(func(k, v []byte) error {
			var rec podRecord
			if json.Unmarshal(v, &rec) == nil {
				out[string(k)] = rec // a corrupt record is dropped, not fatal
			}
			return nil
		})
	})
	return out, err
}

// record is the worker's podRecord, built under w.mu.
func (w *podWorker) record() podRecord {
	w.mu.Lock()
	defer w.mu.Unlock()
	rec := podRecord{Start: w.start, Tasks: map[string]taskRecord{}}
	for name, ts := range w.tasks {
		if ts.restarts > 0 || ts.lastTerm != nil {
			rec.Tasks[name] = taskRecord{Restarts: ts.restarts, LastTerm: ts.lastTerm}
		}
	}
	return rec
}

// persist writes the worker's record; a failure only costs accuracy after
// an agent restart, so it is logged, not fatal.
func (w *podWorker) persist() {
	if err := w.a.state.putPod(w.uid, w.record()); err != nil {
		w.a.logger.Warn("recording pod state failed", "pod_uid", w.uid, "error", err)
	}
}

// restore takes back what an earlier agent process recorded.
func (w *podWorker) restore(rec *podRecord) {
	if rec == nil {
		return
	}
	if !rec.Start.IsZero() {
		w.start = rec.Start
	}
	for name, tr := range rec.Tasks {
		if ts, ok := w.tasks[name]; ok {
			ts.restarts, ts.lastTerm = tr.Restarts, tr.LastTerm
		}
	}
}
