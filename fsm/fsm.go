package fsm

import (
	"fmt"

	"github.com/barque-io/barque/fsm/state"
)

// applier applies one command's payload at a log index and returns the
// command's response.
type applier func(f *FSM, index uint64, payload []byte) any

// commandAppliers is the table of command types; adding a command adds a row.
var commandAppliers = map[CommandType]applier{
	CmdObjectOps: applyObjectOps,
}

// FSM applies committed log entries to a Store.
type FSM struct {
	store *state.Store
	// restampPending: an operator restore brought objects back with the
	// resourceVersions they had in the snapshot, which a writer may have
	// read before the restore; a compare-and-swap decided then would pass
	// against the restored object. The first entry applied after the
	// restore therefore moves every object to its own index, newer than
	// anything read before, so such writes fail with a Conflict. The flag
	// comes from the snapshot's bytes, so every replica restamps at the
	// same entry.
	restampPending bool
}

// New returns an FSM over a fresh store retaining histSize watch events.
func New(histSize int) *FSM { return &FSM{store: state.New(histSize)} }

// Store is the FSM's object store, for readers.
func (f *FSM) Store() *state.Store { return f.store }

// Apply applies one log entry. The response is []Result for CmdObjectOps, or
// an error for an entry this replica cannot decode.
func (f *FSM) Apply(index uint64, data []byte) any {
	if len(data) == 0 {
		return fmt.Errorf("fsm: empty log entry at index %d", index)
	}
	t := CommandType(data[0])
	ap, ok := commandAppliers[t]
	if !ok {
		if t&IgnorableFlag != 0 {
			return nil
		}
		// A replica that cannot apply an entry would diverge; stop loudly.
		panic(fmt.Sprintf("fsm: unknown command type %d at index %d", t, index))
	}
	return ap(f, index, data[1:])
}

func applyObjectOps(f *FSM, index uint64, payload []byte) any {
	ops, err := decodeOps(payload)
	if err != nil {
		return fmt.Errorf("fsm: decode ops at index %d: %w", index, err)
	}
	txn := f.store.WriteTxn(index)
	if f.restampPending {
		txn.RestampAll()
		f.restampPending = false
	}
	results := make([]Result, len(ops))
	for i := range ops {
		results[i] = applyOp(txn, &ops[i])
	}
	txn.Commit()
	return results
}
