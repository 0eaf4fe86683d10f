package server

import (
	"runtime"
	rtmetrics "runtime/metrics"
	"testing"
	"time"
)

func gogc() uint64 {
	s := []rtmetrics.Sample{{Name: "/gc/gogc:percent"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}

// The tuner follows the live heap: holding more than the headroom brings
// GOGC down to 100 after the next collection, and letting it go raises
// GOGC again. (Other tests' servers may hold some heap too, so "raised"
// is checked as above 100, not as the cap.)
func TestGCPercentTunerFollowsLiveHeap(t *testing.T) {
	startGCPercentTuner()
	waitGOGC := func(what string, ok func(uint64) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok(gogc()) {
			if time.Now().After(deadline) {
				t.Fatalf("GOGC is %d, want %s", gogc(), what)
			}
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitGOGC("above 100 with a small heap", func(g uint64) bool { return g > gcMinPercent })
	ballast := make([]byte, gcHeadroomBytes+(16<<20))
	for i := range ballast {
		ballast[i] = byte(i)
	}
	waitGOGC("100 with a live heap past the headroom", func(g uint64) bool { return g == gcMinPercent })
	runtime.KeepAlive(ballast)
	ballast = nil
	waitGOGC("above 100 once the heap is small again", func(g uint64) bool { return g > gcMinPercent })
}
