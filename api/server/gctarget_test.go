package server

import "testing"

func TestGCLimitFor(t *testing.T) {
	const mi = 1 << 20
	for _, tc := range []struct {
		live uint64
		want int64
	}{
		{0, 64 * mi},
		{10 * mi, 74 * mi},     // GOGC=100 (20 MiB) is the tighter bound
		{128 * mi, 192 * mi},   // 64 MiB of headroom
		{256 * mi, 320 * mi},   // 64 MiB = live/4
		{1024 * mi, 1280 * mi}, // large heaps: live/4
	} {
		if got := gcLimitFor(tc.live); got != tc.want {
			t.Errorf("gcLimitFor(%d MiB) = %d MiB, want %d MiB", tc.live/mi, got/mi, tc.want/mi)
		}
	}
}

func TestGCTargetWanted(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	if !gcTargetWanted("") {
		t.Error("no GC setting: the adaptive target should run")
	}
	if gcTargetWanted("300Mi") {
		t.Error("memory_limit set: the operator's limit should rule alone")
	}
	t.Setenv("GOGC", "200")
	if gcTargetWanted("") {
		t.Error("GOGC set: the operator's GOGC should rule alone")
	}
}
