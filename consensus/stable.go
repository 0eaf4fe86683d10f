package consensus

import (
	"sync"

	"github.com/hashicorp/raft"
)

// closingStable guards the stable store through shutdown. hashicorp/raft
// answers heartbeats on the transport's goroutines, which can still be
// inside a handler when Shutdown returns and the store is closed; a failed
// term write there panics the whole process ("failed to save current
// term: database not open"). Writes that arrive after close therefore
// never return: that goroutine is abandoned with the dying node, and no
// term is acknowledged without being stored (which dropping the write and
// answering would risk).
type closingStable struct {
	raft.StableStore
	mu     sync.RWMutex
	closed bool
}

var _ raft.StableStore = (*closingStable)(nil)

func (s *closingStable) Set(key, val []byte) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		select {} // the node is gone; see the type comment
	}
	return s.StableStore.Set(key, val)
}

func (s *closingStable) SetUint64(key []byte, val uint64) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		select {}
	}
	return s.StableStore.SetUint64(key, val)
}

// close waits for writes in progress, then refuses the rest.
func (s *closingStable) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}
