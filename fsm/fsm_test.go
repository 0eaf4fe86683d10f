package fsm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

func cm(name string, data map[string]string) *api.ConfigMap {
	return &api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, UID: "uid-" + name}, Data: data}
}

func mustOps(t *testing.T, ops ...Op) []byte {
	t.Helper()
	b, err := EncodeOps(ops)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func op(t *testing.T, typ OpType, obj api.Object) Op {
	t.Helper()
	o, err := NewOp(typ, obj)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func results(t *testing.T, resp any) []Result {
	t.Helper()
	rs, ok := resp.([]Result)
	if !ok {
		t.Fatalf("response %T %v is not []Result", resp, resp)
	}
	return rs
}

// testLog is a log with creates, CAS updates (one stale), deletes, a batch and
// a pod, so that replaying it exercises every applier.
func nsOp(t *testing.T) Op {
	return op(t, OpCreate, &api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: "default", UID: "uid-ns"}})
}

func testLog(t *testing.T) [][]byte {
	log := [][]byte{mustOps(t, nsOp(t))}
	for i := 0; i < 20; i++ {
		log = append(log, mustOps(t, op(t, OpCreate, cm(fmt.Sprintf("c%02d", i), map[string]string{"i": fmt.Sprint(i)}))))
	}
	upd := op(t, OpUpdate, cm("c03", map[string]string{"i": "new"}))
	upd.ResourceVersion = 5
	stale := op(t, OpUpdate, cm("c03", map[string]string{"i": "stale"}))
	stale.ResourceVersion = 5
	log = append(log, mustOps(t, upd), mustOps(t, stale))
	del := Op{Type: OpDelete, Kind: "ConfigMap", Namespace: "default", Name: "c05"}
	pod := &api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "p", UID: "uid-p"},
		Spec:       api.PodSpec{NodeName: "n1", Containers: []api.Container{{Name: "a", Image: "x"}}}}
	log = append(log, mustOps(t, del, op(t, OpCreate, pod), op(t, OpCreate, cm("c99", nil))))
	return log
}

func TestReplayIsDeterministic(t *testing.T) {
	a, b := New(0), New(0)
	for i, entry := range testLog(t) {
		a.Apply(uint64(i+1), entry)
		b.Apply(uint64(i+1), entry)
	}
	var sa, sb bytes.Buffer
	if err := a.Snapshot().Persist(&sa); err != nil {
		t.Fatal(err)
	}
	if err := b.Snapshot().Persist(&sb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sa.Bytes(), sb.Bytes()) {
		t.Fatal("two FSMs fed the same log hold different snapshots")
	}
	// And a restore of that snapshot persists to the same bytes again.
	c := New(0)
	if err := c.Restore(bytes.NewReader(sa.Bytes())); err != nil {
		t.Fatal(err)
	}
	var sc bytes.Buffer
	if err := c.Snapshot().Persist(&sc); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sa.Bytes(), sc.Bytes()) {
		t.Fatal("restore then persist changed the snapshot")
	}
	if got := len(c.Store().View().List("ConfigMap", "", nil)); got != 20 {
		t.Fatalf("restored %d configmaps, want 20", got)
	}
}

func TestCompareAndSwap(t *testing.T) {
	f := withDefaultNS(t, New(0))
	f.Apply(1, mustOps(t, op(t, OpCreate, cm("a", nil))))
	rs := results(t, f.Apply(2, mustOps(t, op(t, OpCreate, cm("a", nil)))))
	if !errors.Is(rs[0].Err, api.ErrAlreadyExists) {
		t.Fatalf("second create: %v, want AlreadyExists", rs[0].Err)
	}
	good := op(t, OpUpdate, cm("a", map[string]string{"k": "v"}))
	good.ResourceVersion = 1
	bad := good
	rs = results(t, f.Apply(3, mustOps(t, good, bad)))
	if rs[0].Err != nil || rs[0].Object.GetObjectMeta().ResourceVersion != 3 {
		t.Fatalf("CAS update: %+v", rs[0])
	}
	if !errors.Is(rs[1].Err, api.ErrConflict) {
		t.Fatalf("stale CAS update in the same entry: %v, want Conflict", rs[1].Err)
	}
	obj, idx := f.Store().Get("ConfigMap", "default", "a")
	if idx != 3 || obj.(*api.ConfigMap).Data["k"] != "v" || obj.GetObjectMeta().UID != "uid-a" {
		t.Fatalf("stored %+v at %d", obj, idx)
	}
	missing := Op{Type: OpDelete, Kind: "ConfigMap", Namespace: "default", Name: "zz"}
	rs = results(t, f.Apply(4, mustOps(t, missing)))
	if !errors.Is(rs[0].Err, api.ErrNotFound) {
		t.Fatalf("delete of missing: %v", rs[0].Err)
	}
}

func TestUpdateKeepsStatusAndBumpsGeneration(t *testing.T) {
	f := withDefaultNS(t, New(0))
	pod := &api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "p", UID: "u"},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "a", Image: "x"}}}}
	f.Apply(1, mustOps(t, op(t, OpCreate, pod)))
	st := api.Clone(pod)
	st.Status.Phase = api.PodRunning
	f.Apply(2, mustOps(t, op(t, OpUpdateStatus, st)))
	upd := api.Clone(pod)
	upd.Spec.NodeName = "n1"
	upd.Status.Phase = api.PodFailed // ignored: status has its own op
	rs := results(t, f.Apply(3, mustOps(t, op(t, OpUpdate, upd))))
	got := rs[0].Object.(*api.Pod)
	if got.Status.Phase != api.PodRunning || got.Generation != 2 || got.Spec.NodeName != "n1" {
		t.Fatalf("after update: phase %s generation %d node %q", got.Status.Phase, got.Generation, got.Spec.NodeName)
	}
	if n := len(f.Store().View().ByIndex("Pod", state.IndexNode, "n1")); n != 1 {
		t.Fatalf("node index finds %d pods on n1", n)
	}
}

func TestFinalizersDeferDeletion(t *testing.T) {
	f := withDefaultNS(t, New(0))
	c := cm("a", nil)
	c.Finalizers = []string{"barque.io/test"}
	f.Apply(1, mustOps(t, op(t, OpCreate, c)))
	now := api.NewTime(api.NewTime(zeroTime).Time)
	del := Op{Type: OpDelete, Kind: "ConfigMap", Namespace: "default", Name: "a", Time: now}
	rs := results(t, f.Apply(2, mustOps(t, del)))
	if rs[0].Object.GetObjectMeta().DeletionTimestamp == nil {
		t.Fatal("delete with a finalizer did not set deletionTimestamp")
	}
	done := cm("a", nil)
	f.Apply(3, mustOps(t, op(t, OpUpdate, done)))
	if obj, _ := f.Store().Get("ConfigMap", "default", "a"); obj != nil {
		t.Fatal("object still stored after its last finalizer was removed")
	}
}

func TestHistoryResumeAndGone(t *testing.T) {
	f := withDefaultNS(t, &FSM{store: state.New(5)})
	for i := 1; i <= 4; i++ {
		f.Apply(uint64(i), mustOps(t, op(t, OpCreate, cm(fmt.Sprintf("c%d", i), nil))))
	}
	evs, _, err := f.Store().EventsAfter(2, 100)
	if err != nil || len(evs) != 2 || evs[0].Index != 3 || evs[1].Index != 4 {
		t.Fatalf("events after 2: %v %v", evs, err)
	}
	// Index 5 carries three events: the ring of 5 must evict whole entries.
	f.Apply(5, mustOps(t, op(t, OpCreate, cm("x", nil)), op(t, OpCreate, cm("y", nil)), op(t, OpCreate, cm("z", nil))))
	if _, _, err := f.Store().EventsAfter(1, 100); !errors.Is(err, api.ErrGone) {
		t.Fatalf("resume from evicted index: %v, want Gone", err)
	}
	evs, _, err = f.Store().EventsAfter(3, 1)
	if err != nil || len(evs) != 1 || evs[0].Index != 4 {
		t.Fatalf("events after 3 (max 1): %v %v", evs, err)
	}
	evs, _, err = f.Store().EventsAfter(4, 1)
	if err != nil || len(evs) != 3 {
		t.Fatalf("one entry's events must come together: got %d (%v)", len(evs), err)
	}
}

var zeroTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// withDefaultNS creates namespace "default" at index 0, below every index
// the tests use, so that their resourceVersions read as 1, 2, 3…
func withDefaultNS(t *testing.T, f *FSM) *FSM {
	f.Apply(0, mustOps(t, nsOp(t)))
	return f
}

func TestCreateNeedsNamespace(t *testing.T) {
	f := New(0)
	c := cm("a", nil)
	c.Namespace = "nope"
	rs := results(t, f.Apply(1, mustOps(t, op(t, OpCreate, c))))
	if !errors.Is(rs[0].Err, api.ErrNotFound) {
		t.Fatalf("create in a missing namespace: %v", rs[0].Err)
	}
}

// TestTerminalPodPhaseIsFinal: once a pod is Failed (the node lifecycle
// controller marked it lost), a status write taking it back to Running or
// Pending is refused with a 422 naming status.phase; one keeping it Failed
// is taken.
func TestTerminalPodPhaseIsFinal(t *testing.T) {
	f := withDefaultNS(t, New(0))
	pod := &api.Pod{TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "p", UID: "u"},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "a", Image: "x"}}}}
	f.Apply(1, mustOps(t, op(t, OpCreate, pod)))
	lost := api.Clone(pod)
	lost.Status.Phase, lost.Status.Reason = api.PodFailed, "NodeLost"
	if rs := results(t, f.Apply(2, mustOps(t, op(t, OpUpdateStatus, lost)))); rs[0].Err != nil {
		t.Fatalf("Running -> Failed: %v", rs[0].Err)
	}
	for i, phase := range []api.PodPhase{api.PodRunning, api.PodPending, api.PodSucceeded, ""} {
		back := api.Clone(pod)
		back.Status.Phase = phase
		rs := results(t, f.Apply(uint64(3+i), mustOps(t, op(t, OpUpdateStatus, back))))
		var se *api.StatusError
		if !errors.As(rs[0].Err, &se) || se.Code() != 422 || !strings.Contains(rs[0].Err.Error(), "status.phase") {
			t.Fatalf("Failed -> %q: want a 422 naming status.phase, got %v", phase, rs[0].Err)
		}
	}
	again := api.Clone(lost)
	again.Status.Message = "still lost"
	if rs := results(t, f.Apply(9, mustOps(t, op(t, OpUpdateStatus, again)))); rs[0].Err != nil {
		t.Fatalf("Failed -> Failed: %v", rs[0].Err)
	}
	obj, _ := f.Store().Get("Pod", "default", "p")
	if p := obj.(*api.Pod); p.Status.Phase != api.PodFailed || p.Status.Message != "still lost" {
		t.Fatalf("stored status %+v", p.Status)
	}
}

// TestSnapshotRecordsAreMarshalBytes: each record of a snapshot is its
// value's json.Marshal bytes (HTML escaping included), as written before
// the record writer reused one buffer, so that snapshots keep one encoding
// across versions.
func TestSnapshotRecordsAreMarshalBytes(t *testing.T) {
	f := New(0)
	f.Apply(1, mustOps(t, nsOp(t)))
	f.Apply(2, mustOps(t, op(t, OpCreate, cm("html", map[string]string{"page": "<a href=\"x\">&amp;</a>\n"}))))
	var out bytes.Buffer
	snap := f.Snapshot()
	if err := snap.Persist(&out); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	appendRecord := func(t2 RecordType, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		want.WriteByte(byte(t2))
		want.Write(binary.AppendUvarint(nil, uint64(len(b))))
		want.Write(b)
	}
	appendRecord(RecordHeader, snapshotHeader{Format: snapshotFormat, Index: snap.Index()})
	for _, k := range api.Kinds() {
		for _, obj := range snap.view.List(k.Kind, "", nil) {
			appendRecord(RecordObject, obj)
		}
	}
	if !bytes.Equal(out.Bytes(), want.Bytes()) {
		t.Fatalf("snapshot bytes differ from the json.Marshal records:\n got %q\nwant %q", out.Bytes(), want.Bytes())
	}
}

// TestUpdateRulesHoldAgainstTheReplacedVersion: two unconditional updates
// prepared against the same version, one making a ConfigMap immutable and
// one changing its data, are applied in that order: the second must fail
// (422), since it replaces an immutable ConfigMap; the API server's own
// check had read the version before both.
func TestUpdateRulesHoldAgainstTheReplacedVersion(t *testing.T) {
	f := withDefaultNS(t, New(0))
	f.Apply(1, mustOps(t, op(t, OpCreate, cm("a", map[string]string{"k": "A"}))))
	freeze := cm("a", map[string]string{"k": "A"})
	yes := true
	freeze.Immutable = &yes
	rs := results(t, f.Apply(2, mustOps(t, op(t, OpUpdate, freeze), op(t, OpUpdate, cm("a", map[string]string{"k": "B"})))))
	if rs[0].Err != nil {
		t.Fatalf("making it immutable: %v", rs[0].Err)
	}
	if !errors.Is(rs[1].Err, api.ErrInvalid) {
		t.Fatalf("changing an immutable ConfigMap: %v, want Invalid", rs[1].Err)
	}
	obj, _ := f.Store().Get("ConfigMap", "default", "a")
	if c := obj.(*api.ConfigMap); c.Data["k"] != "A" || c.Immutable == nil || !*c.Immutable {
		t.Fatalf("stored %+v", c)
	}
}
