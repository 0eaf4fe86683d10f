package server

import (
	"os"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
	"time"
)

// With Go's default GC target (GOGC=100) the heap may grow to twice the
// live heap before a collection, and the runtime hands freed pages back to
// the OS only slowly: a replica that has just stored 100,000 objects keeps
// a resident set near twice its live data long after the writes stopped.
// A tighter GC target all the time would cost the busy leader dearly (a
// soft limit of live + 25 % made the scheduler 2.7x slower at 30,000
// pods). So the server trims when it goes quiet instead: once it has
// allocated at least trimAfterBytes since the last trim and then allocates
// less than quietBytesPerSec for quietTicks seconds in a row, it collects
// and returns every free page to the OS (debug.FreeOSMemory). One full
// collection per busy-then-quiet stretch, none while busy. An operator who
// set GOGC, GOMEMLIMIT or memory_limit keeps exactly that.
const (
	trimAfterBytes   = 64 << 20
	quietBytesPerSec = 4 << 20
	quietTicks       = 2
)

var trimOnce sync.Once

// gcTargetWanted reports whether the idle trim should run: the operator
// has not chosen a GC setting of their own.
func gcTargetWanted(memoryLimit string) bool {
	return memoryLimit == "" && os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == ""
}

// startGCTarget starts, once per process, the idle trim and the GOGC that
// follows the live heap (gcpercent.go). They live as long as the process
// (several in-process servers in tests share them).
func startGCTarget() {
	trimOnce.Do(func() { go trimWhenQuiet(time.Second) })
	startGCPercentTuner()
}

var allocSample = []rtmetrics.Sample{{Name: "/gc/heap/allocs:bytes"}}

func heapAllocated() uint64 {
	rtmetrics.Read(allocSample)
	if allocSample[0].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return allocSample[0].Value.Uint64()
}

// trimmer decides, one tick at a time, when to trim.
type trimmer struct {
	lastAlloc, sinceTrim uint64
	quiet                int
}

// tick takes the bytes allocated so far and reports whether to trim now.
func (t *trimmer) tick(allocated uint64) bool {
	delta := allocated - t.lastAlloc
	t.lastAlloc = allocated
	t.sinceTrim += delta
	if delta >= quietBytesPerSec {
		t.quiet = 0
		return false
	}
	t.quiet++
	if t.sinceTrim < trimAfterBytes || t.quiet < quietTicks {
		return false
	}
	t.sinceTrim, t.quiet = 0, 0
	return true
}

func trimWhenQuiet(every time.Duration) {
	t := &trimmer{lastAlloc: heapAllocated()}
	for range time.Tick(every) {
		if t.tick(heapAllocated()) {
			debug.FreeOSMemory()
		}
	}
}
