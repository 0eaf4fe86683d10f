package consensus

import (
	"io"

	"github.com/barque-io/barque/fsm"
	"github.com/hashicorp/raft"
)

// raftFSM adapts Barque's raft-free FSM to hashicorp/raft's interface.
type raftFSM struct{ f *fsm.FSM }

var _ raft.FSM = (*raftFSM)(nil)

func (r *raftFSM) Apply(l *raft.Log) interface{} {
	if l.Type != raft.LogCommand {
		return nil
	}
	return r.f.Apply(l.Index, l.Data)
}

func (r *raftFSM) Snapshot() (raft.FSMSnapshot, error) {
	return &raftSnapshot{s: r.f.Snapshot()}, nil
}

func (r *raftFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return r.f.Restore(rc)
}

type raftSnapshot struct{ s *fsm.Snapshot }

func (r *raftSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := r.s.Persist(sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (r *raftSnapshot) Release() {}
