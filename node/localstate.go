package node

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/barque-io/barque/node/driver"
	"go.etcd.io/bbolt"
)

// localState remembers, on the node's disk, the handle of every task the
// agent started, so that a restarted agent reattaches to running tasks
// instead of starting duplicates.
type localState struct{ db *bbolt.DB }

var bucketTasks = []byte("tasks")

func openLocalState(dir string) (*localState, error) {
	db, err := bbolt.Open(filepath.Join(dir, "agent.db"), 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("agent state: %w", err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketTasks); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketPods)
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &localState{db: db}, nil
}

func taskKey(podUID, task string) []byte { return []byte(podUID + "/" + task) }

// putTask records a running task's handle and, in the same transaction
// (one disk sync per task start), its pod's record.
func (s *localState) putTask(podUID string, h *driver.TaskHandle, rec podRecord) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	r, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketPods).Put([]byte(podUID), r); err != nil {
			return err
		}
		return tx.Bucket(bucketTasks).Put(taskKey(podUID, h.TaskName), b)
	})
}

// deleteTask forgets a task that is gone.
func (s *localState) deleteTask(podUID, task string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketTasks).Delete(taskKey(podUID, task))
	})
}

// tasks returns every recorded handle by pod UID.
func (s *localState) tasks() (map[string][]*driver.TaskHandle, error) {
	out := map[string][]*driver.TaskHandle{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketTasks).ForEach(func(k, v []byte) error {
			var h driver.TaskHandle
			if err := json.Unmarshal(v, &h); err != nil {
				return nil // a corrupt record is dropped, not fatal
			}
			uid := string(k[:len(k)-len(h.TaskName)-1])
			out[uid] = append(out[uid], &h)
			return nil
		})
	})
	return out, err
}

func (s *localState) close() error { return s.db.Close() }
