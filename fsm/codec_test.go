package fsm

import (
	"encoding/binary"
	"reflect"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

// TestOpsCodecRoundTrips: each envelope format carries what its ops need
// and no more: format 1 without a propagation policy or grace period, 2
// with a policy, 3 with a grace period (0 included, which is not "none")
// or a pod delete.
func TestOpsCodecRoundTrips(t *testing.T) {
	at := api.NewTime(zeroTime)
	del := func(kind, prop string, grace *int64) Op {
		return Op{Type: OpDelete, Kind: kind, Namespace: "default", Name: "p", UID: "u", ResourceVersion: 7,
			Time: at, Propagation: prop, GracePeriodSeconds: grace}
	}
	for _, tc := range []struct {
		ops    []Op
		format byte
	}{
		{[]Op{del("ConfigMap", "", nil)}, opsFormat},
		{[]Op{del("ConfigMap", "Foreground", nil), del("ConfigMap", "", nil)}, opsFormatPropagation},
		{[]Op{del("Pod", "", nil)}, opsFormatGrace},
		{[]Op{del("Pod", "", nil), del("Pod", "Orphan", api.Ptr(int64(0))), del("Pod", "", api.Ptr(int64(45)))}, opsFormatGrace},
	} {
		b, err := EncodeOps(tc.ops)
		if err != nil {
			t.Fatal(err)
		}
		if b[1] != tc.format {
			t.Errorf("format %d, want %d", b[1], tc.format)
		}
		got, err := DecodeOps(b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			got[i].Object = nil
			got[i].legacyDelete = false // checked below
		}
		if !reflect.DeepEqual(got, tc.ops) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, tc.ops)
		}
	}
}

// encodeFormat1 writes ops as a leader did before formats 2 and 3.
func encodeFormat1(ops []Op) []byte {
	b := []byte{byte(CmdObjectOps), opsFormat}
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for _, op := range ops {
		for _, s := range []string{string(op.Type), op.Kind, op.Namespace, op.Name, op.UID} {
			b = appendBytes(b, []byte(s))
		}
		b = binary.AppendUvarint(b, uint64(op.ResourceVersion))
		b = binary.AppendVarint(b, op.Time.Unix())
		b = appendBytes(b, op.Object)
	}
	return b
}

// TestOldPodDeleteEntriesApplyAsThen: a pod delete in an entry written
// before graceful deletion removes the pod at once, as every replica that
// applied it then did, so a replica replaying an old log (a restart, a
// follower catching up) builds the same state: here a StatefulSet's
// delete and re-create of web-0.
func TestOldPodDeleteEntriesApplyAsThen(t *testing.T) {
	f := withDefaultNS(t, New(0))
	mk := func(uid string) *api.Pod {
		return &api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
			ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web-0", UID: uid},
			Spec:       api.PodSpec{NodeName: "n1", Containers: []api.Container{{Name: "a", Image: "x"}}}}
	}
	del := Op{Type: OpDelete, Kind: "Pod", Namespace: "default", Name: "web-0", UID: "u1",
		Time: api.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	f.Apply(2, mustOps(t, op(t, OpCreate, mk("u1"))))
	if rs := results(t, f.Apply(3, encodeFormat1([]Op{del}))); rs[0].Err != nil {
		t.Fatal(rs[0].Err)
	}
	if rs := results(t, f.Apply(4, mustOps(t, op(t, OpCreate, mk("u2"))))); rs[0].Err != nil {
		t.Fatalf("re-create after an old delete entry: %v", rs[0].Err)
	}
	if p := storedPod(t, f, "web-0"); p == nil || p.UID != "u2" {
		t.Fatalf("stored %+v, want the re-created pod", p)
	}
}
