package server

import (
	"os"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
	"sync/atomic"
)

// With Go's default GC target (GOGC=100) the heap may grow to twice the
// live heap before a collection, so a replica whose live heap is a 200 MiB
// object store lets its RSS reach 400 MiB and more. Unless the operator set
// GOGC, GOMEMLIMIT or memory_limit, a server sets a soft memory limit of
// the live heap plus max(gcMinHeadroom, live/gcHeadroomShare), re-derived
// after every collection. Below 64 MiB live, GOGC=100 is the tighter bound
// and nothing changes (tests, dev, light clusters); above it, the headroom
// shrinks to a quarter of the live heap. A memory limit rather than a lower
// GOGC, because the runtime then also returns freed pages to the OS to stay
// under it, where a GOGC goal lets them linger.
const (
	gcMinHeadroom   = 64 << 20
	gcHeadroomShare = 4 // headroom >= live/4
)

// gcLimitFor is the soft memory limit for a heap of live bytes.
func gcLimitFor(live uint64) int64 {
	return int64(live + max(uint64(gcMinHeadroom), live/gcHeadroomShare))
}

var (
	gcTargetOnce sync.Once
	gcLimitNow   atomic.Int64 // last limit the target set (0 = not running)
)

// gcTargetWanted reports whether the adaptive GC target should run: the
// operator has not chosen a GC setting of their own.
func gcTargetWanted(memoryLimit string) bool {
	return memoryLimit == "" && os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == ""
}

// startGCTarget starts, once per process, the adaptive GC target. It lives
// as long as the process: a finalizer that runs after each collection and
// re-arms itself (no goroutine to stop).
func startGCTarget() {
	gcTargetOnce.Do(func() {
		retuneGC()
		armGCHook()
	})
}

// gcSentinel is big enough not to be a tiny allocation (those may share a
// block with live data and never be finalized).
type gcSentinel struct{ _ [16]byte }

func armGCHook() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		retuneGC()
		armGCHook()
	})
}

var liveSample = []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}

// retuneGC runs on the finalizer goroutine, one call at a time.
func retuneGC() {
	rtmetrics.Read(liveSample)
	if liveSample[0].Value.Kind() != rtmetrics.KindUint64 {
		return
	}
	limit := gcLimitFor(liveSample[0].Value.Uint64())
	debug.SetMemoryLimit(limit)
	gcLimitNow.Store(limit)
}
