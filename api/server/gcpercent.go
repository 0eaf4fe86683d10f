package server

import (
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
)

// With GOGC=100 the GC runs each time the heap doubles. A replica holding
// little (a new cluster, the first tens of thousands of objects) then
// collects every few MiB of writes, and each cycle scans all it holds: at
// 7,000 creates/s that was a sixth of every replica's CPU. So while the
// live heap is small, the server lets the heap grow by gcHeadroomBytes
// between collections instead (GOGC up to gcMaxPercent); once the live
// heap passes gcHeadroomBytes the GC runs as usual (GOGC=100). Busy memory
// is thus at most live + gcHeadroomBytes, or twice the live heap when that
// is larger, as before; memory at rest is unchanged, because the idle trim
// (gctarget.go) collects and returns free pages once the writes stop.
// Measured in docs/BENCHMARKS.md: server CPU per create at 64 clients fell
// from ~200 to ~172 µs. An operator who set GOGC, GOMEMLIMIT or
// memory_limit keeps exactly that.
const (
	gcHeadroomBytes = 192 << 20
	gcMaxPercent    = 400
	gcMinPercent    = 100
)

// gcPercentFor is the GOGC that lets a heap of live bytes grow by
// gcHeadroomBytes, within [gcMinPercent, gcMaxPercent].
func gcPercentFor(live uint64) int {
	if live == 0 {
		return gcMaxPercent
	}
	p := uint64(gcHeadroomBytes) * 100 / live
	return int(min(max(p, gcMinPercent), gcMaxPercent))
}

var gcPercentOnce sync.Once

// startGCPercentTuner sets GOGC after every collection from the live heap
// it left. Once per process, for its whole life.
func startGCPercentTuner() {
	gcPercentOnce.Do(func() {
		debug.SetGCPercent(gcMaxPercent)
		t := &gcTuner{current: gcMaxPercent}
		t.arm()
	})
}

type gcTuner struct {
	current int
	sample  [1]rtmetrics.Sample
}

// arm registers a cleanup on a fresh sentinel: the GC finds it unreachable
// in its next cycle, and the cleanup (on the runtime's cleanup goroutine)
// retunes and arms again. 64 bytes keeps it out of the tiny allocator,
// whose blocks can outlive a cycle.
func (t *gcTuner) arm() {
	runtime.AddCleanup(new([64]byte), func(t *gcTuner) { t.retune(); t.arm() }, t)
}

func (t *gcTuner) retune() {
	t.sample[0].Name = "/gc/heap/live:bytes"
	rtmetrics.Read(t.sample[:])
	if t.sample[0].Value.Kind() != rtmetrics.KindUint64 {
		return
	}
	want := gcPercentFor(t.sample[0].Value.Uint64())
	// Small moves are not worth a call: each takes the heap lock.
	if d := want - t.current; d > t.current/16 || -d > t.current/16 {
		debug.SetGCPercent(want)
		t.current = want
	}
}
