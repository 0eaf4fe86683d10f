package state

import (
	"fmt"
	"testing"

	"github.com/barque-io/barque/api"
)

// BenchmarkPageChanges compares what a continued list page copies under
// the store's read lock from a history of 100,000 Pod events spread over
// 100 namespaces: every event of the kind (afterOf, as before), or only
// its own namespace's after its cursor (changesAfter). Figures in
// docs/BENCHMARKS.md ("List pages").
func BenchmarkPageChanges(b *testing.B) {
	h := newHistory(100_000, 0, 0)
	for i := range 100_000 {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: fmt.Sprintf("ns-%02d", i%100), Name: fmt.Sprintf("p-%06d", i)}}
		h.append([]Event{{Type: Added, Index: uint64(i + 1), Kind: "Pod", Object: p}})
	}
	b.Run("every-event-of-the-kind", func(b *testing.B) {
		for b.Loop() {
			evs, _, _ := h.afterOf(0, h.n, map[string]bool{"Pod": true})
			if len(evs) != 100_000 {
				b.Fatal(len(evs))
			}
		}
	})
	b.Run("own-namespace-after-cursor", func(b *testing.B) {
		for b.Loop() {
			evs, _ := h.changesAfter(0, "Pod", "ns-42", objectKey("ns-42", "p-050000"))
			if len(evs) != 500 {
				b.Fatal(len(evs))
			}
		}
	})
}
