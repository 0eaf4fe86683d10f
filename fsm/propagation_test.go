package fsm

import (
	"slices"
	"testing"

	"github.com/barque-io/barque/api"
)

// TestDeletePropagationAddsFinalizer: Foreground and Orphan deletes keep the
// object, marked, with the garbage collector's finalizer; Background (and
// no policy) deletes an object without finalizers at once.
func TestDeletePropagationAddsFinalizer(t *testing.T) {
	for _, tc := range []struct{ policy, want string }{
		{api.DeletePropagationForeground, api.FinalizerForegroundDeletion},
		{api.DeletePropagationOrphan, api.FinalizerOrphanDependents},
		{api.DeletePropagationBackground, ""},
		{"", ""},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			f := withDefaultNS(t, New(0))
			f.Apply(1, mustOps(t, op(t, OpCreate, cm("a", nil))))
			del := Op{Type: OpDelete, Kind: "ConfigMap", Namespace: "default", Name: "a",
				Time: api.NewTime(zeroTime), Propagation: tc.policy}
			results(t, f.Apply(2, mustOps(t, del)))
			obj, _ := f.Store().Get("ConfigMap", "default", "a")
			if tc.want == "" {
				if obj != nil {
					t.Fatal("object kept")
				}
				return
			}
			if obj == nil {
				t.Fatal("object deleted at once")
			}
			m := obj.GetObjectMeta()
			if m.DeletionTimestamp == nil || !slices.Equal(m.Finalizers, []string{tc.want}) {
				t.Fatalf("deletionTimestamp %v, finalizers %v", m.DeletionTimestamp, m.Finalizers)
			}
			// Deleting again adds nothing; removing the finalizer deletes.
			results(t, f.Apply(3, mustOps(t, del)))
			f.Apply(4, mustOps(t, op(t, OpUpdate, cm("a", nil))))
			if obj, _ := f.Store().Get("ConfigMap", "default", "a"); obj != nil {
				t.Fatal("object kept after its finalizer was removed")
			}
		})
	}
}
