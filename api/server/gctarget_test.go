package server

import "testing"

func TestTrimmerTrimsOnceWhenQuietAfterWork(t *testing.T) {
	const mi = 1 << 20
	tr := &trimmer{}
	var total uint64
	step := func(alloc uint64) bool { total += alloc; return tr.tick(total) }
	if step(1*mi) || step(1*mi) || step(1*mi) {
		t.Fatal("trimmed a server that never did much")
	}
	for i := 0; i < 10; i++ {
		if step(50 * mi) {
			t.Fatal("trimmed while busy")
		}
	}
	if step(1 * mi) {
		t.Fatal("trimmed after one quiet second")
	}
	if !step(1 * mi) {
		t.Fatal("did not trim after two quiet seconds following work")
	}
	if step(1*mi) || step(1*mi) || step(1*mi) {
		t.Fatal("trimmed again without new work")
	}
}

func TestGCTargetWanted(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	if !gcTargetWanted("") {
		t.Error("no GC setting: the idle trim should run")
	}
	if gcTargetWanted("300Mi") {
		t.Error("memory_limit set: the operator's limit should rule alone")
	}
	t.Setenv("GOGC", "200")
	if gcTargetWanted("") {
		t.Error("GOGC set: the operator's GOGC should rule alone")
	}
}
