package placement

import (
	"fmt"
	"testing"

	"github.com/barque-io/barque/api"
)

// benchNodes makes a cluster of 16-core, 64Gi nodes over three zones; one
// in 50 is tainted for GPUs.
func benchNodes(count int) []*api.Node {
	out := make([]*api.Node, 0, count)
	for i := range count {
		b := node(fmt.Sprintf("node-%05d", i)).alloc("16", "64Gi", "110").
			label("zone", fmt.Sprint("z", i%3)).attr("kernel.name", "linux").meta("rack", fmt.Sprint("r", i%40))
		if i%50 == 0 {
			b.taint("dedicated", "gpu", api.TaintNoSchedule)
		}
		out = append(out, b.obj())
	}
	return out
}

// benchPods makes pods of 100 deployments; with mixed, deployments also use
// anti-affinity, topology spread, dynamic ports and Nomad constraints.
func benchPods(count int, mixed bool) []*api.Pod {
	out := make([]*api.Pod, 0, count)
	for i := range count {
		dep := fmt.Sprint("dep", i%100)
		b := pod(fmt.Sprintf("%s-%d", dep, i)).req("250m", "512Mi").label("app", dep).owner(dep)
		if mixed {
			switch i % 100 % 5 {
			case 1:
				b.antiAffinity("kubernetes.io/hostname", "app", dep)
			case 2:
				b.spread(1, "zone", "app", dep)
			case 3:
				b.dynamic("http")
			case 4:
				b.annotate(AnnotationConstraints, `[{"attribute":"${attr.kernel.name}","operator":"=","value":"linux"},`+
					`{"operator":"distinct_hosts"}]`)
			}
		}
		out = append(out, b.obj())
	}
	return out
}

func benchPlace(b *testing.B, numNodes, numPods, bound int, mixed bool) {
	ns := benchNodes(numNodes)
	var existing []*api.Pod
	for i, p := range benchPods(bound, false) {
		p.Name += "-bound"
		p.Spec.NodeName = ns[i%numNodes].Name
		existing = append(existing, p)
	}
	snap := NewSnapshot(ns, existing)
	batch := benchPods(numPods, mixed)
	b.ResetTimer()
	placed := 0
	for b.Loop() {
		placed = 0
		for _, d := range Place(snap, batch, Config{}) {
			if d.Node != "" {
				placed++
			}
		}
	}
	b.ReportMetric(float64(numPods*b.N)/b.Elapsed().Seconds(), "pods/s")
	b.ReportMetric(float64(placed), "placed")
}

// BenchmarkPlace places 10,000 pods over 5,000 nodes in one call: the
// figure is pods per second, setup of the call's view included.
func BenchmarkPlace(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchPlace(b, 5000, 10000, 0, false) })
	b.Run("mixed", func(b *testing.B) { benchPlace(b, 5000, 10000, 0, true) })
	b.Run("mixed-30000-bound", func(b *testing.B) { benchPlace(b, 5000, 10000, 30000, true) })
}

// BenchmarkPlaceUnschedulable is the worst case: 1,000 pods no node fits,
// each checked against all 5,000 nodes and explained.
func BenchmarkPlaceUnschedulable(b *testing.B) {
	snap := NewSnapshot(benchNodes(5000), nil)
	batch := benchPods(1000, false)
	for _, p := range batch {
		p.Spec.Containers[0].Resources.Requests["cpu"] = "64"
	}
	for b.Loop() {
		if d := Place(snap, batch, Config{}); d[0].Node != "" {
			b.Fatal("placed a pod that fits nowhere")
		}
	}
	b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "pods/s")
}
