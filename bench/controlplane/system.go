package controlplane

import (
	"context"
	"fmt"
	"time"
)

// Members is the size of every cluster the bench runs.
const Members = 3

// System is one three-member control plane (etcd or Barque) as the
// workloads see it: start it, write to a chosen member, find and kill the
// leader, bring it back, and read each member's own copy.
type System interface {
	Name() string
	// Start launches a fresh cluster with data under dir and waits until it
	// is ready (a leader and every member caught up).
	Start(ctx context.Context, dir string) error
	// Stop ends every member process; safe to call more than once.
	Stop()
	// Writer returns a client whose writes go to member i.
	Writer(i int) Writer
	// OwnWriter returns the system's own client given all three members,
	// routing as that client does for its users (etcd's clientv3 spreads
	// requests over the members; Barque's Go client follows the leader),
	// shared by every caller; nil when the system has no such client.
	OwnWriter() Writer
	// Leader returns the index (0..Members-1) of the current leader.
	Leader(ctx context.Context) (int, error)
	// Kill SIGKILLs member i; Restart starts it again on its data dir.
	Kill(i int) error
	Restart(i int) error
	// WaitReady waits until a leader exists and every member is up and caught up.
	WaitReady(ctx context.Context) error
	// Missing returns which of keys (created in group) member i does not hold,
	// read from that member's local store (stale/serializable).
	Missing(ctx context.Context, i int, group string, keys []string) ([]string, error)
	// PID returns member i's process id (0 when down).
	PID(i int) int
}

// Writer creates one new object per call.
type Writer interface {
	// Create stores a new object named key, tagged with group (a key prefix in
	// etcd, a label in Barque) so a member can list one workload's objects.
	Create(ctx context.Context, group, key string, value []byte) error
}

// pollUntil calls f every interval until it returns nil or ctx ends; the last
// error is returned so a timeout says what was still wrong.
func pollUntil(ctx context.Context, interval time.Duration, f func(context.Context) error) error {
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = f(cctx)
		cancel()
		if last == nil {
			return nil
		}
		if stop, ok := last.(backoffStop); ok {
			return stop.err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		case <-time.After(interval):
		}
	}
}

// Value returns n printable bytes, the same for both systems, so that
// payloads compare byte for byte (JSON needs no escaping for them).
func Value(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

// backoffStop tells pollUntil to give up at once: waiting cannot help.
type backoffStop struct{ err error }

func (b backoffStop) Error() string { return b.err.Error() }
