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

func TestGCPercentFor(t *testing.T) {
	const mi = 1 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, gcMaxPercent},
		{8 * mi, gcMaxPercent},          // small heap: the cap
		{96 * mi, 200},                  // grows by the headroom
		{gcHeadroomBytes, gcMinPercent}, // from here on, as GOGC=100
		{4096 * mi, gcMinPercent},       // never below 100
	} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", c.live/mi, got, c.want)
		}
	}
}
