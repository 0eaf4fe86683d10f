package placement

import (
	"slices"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

func (b *pb) prio(p int32) *pb { b.p.Spec.Priority = api.Ptr(p); return b }

// age sets the creation time to minutes after a fixed epoch: larger is newer.
func (b *pb) age(minutes int) *pb {
	b.p.CreationTimestamp = api.NewTime(time.Date(2024, 1, 1, 0, minutes, 0, 0, time.UTC))
	return b
}

func TestPreempt(t *testing.T) {
	small := func(name string) *nb { return node(name).alloc("4", "1Gi", "10") }
	cases := []struct {
		name     string
		nodes    []*api.Node
		existing []*api.Pod
		pod      *api.Pod
		wantNode string // "" = no preemption
		victims  []string
	}{
		{name: "fewest victims wins over node name", nodes: nodes(small("a"), small("b")),
			existing: pods(pod("a1").req("1", "300Mi").prio(1).on("a"), pod("a2").req("1", "300Mi").prio(1).on("a"),
				pod("a3").req("1", "300Mi").prio(1).on("a"), pod("b1").req("1", "900Mi").prio(1).on("b")),
			pod: pod("hi").req("1", "600Mi").prio(10).obj(), wantNode: "b", victims: []string{"b1"}},
		{name: "lowest priority evicted first", nodes: nodes(small("a")),
			existing: pods(pod("x").req("1", "500Mi").prio(5).on("a"), pod("y").req("1", "500Mi").prio(1).on("a")),
			pod:      pod("hi").req("1", "400Mi").prio(10).obj(), wantNode: "a", victims: []string{"y"}},
		{name: "newest evicted first among equals", nodes: nodes(small("a")),
			existing: pods(pod("old").req("1", "500Mi").prio(1).age(1).on("a"), pod("new").req("1", "500Mi").prio(1).age(9).on("a")),
			pod:      pod("hi").req("1", "400Mi").prio(10).obj(), wantNode: "a", victims: []string{"new"}},
		{name: "needless victims are spared", nodes: nodes(small("a")),
			existing: pods(pod("big").req("1", "800Mi").prio(1).age(1).on("a"), pod("tiny").req("1", "100Mi").prio(1).age(9).on("a")),
			pod:      pod("hi").req("1", "500Mi").prio(10).obj(), wantNode: "a", victims: []string{"big"}},
		{name: "ties go to the lowest highest-victim priority", nodes: nodes(small("a"), small("b")),
			existing: pods(pod("a1").req("1", "900Mi").prio(5).on("a"), pod("b1").req("1", "900Mi").prio(2).on("b")),
			pod:      pod("hi").req("1", "500Mi").prio(10).obj(), wantNode: "b", victims: []string{"b1"}},
		{name: "equal priority is never a victim", nodes: nodes(small("a")),
			existing: pods(pod("x").req("1", "900Mi").prio(10).on("a")),
			pod:      pod("hi").req("1", "500Mi").prio(10).obj()},
		{name: "higher priority is never a victim", nodes: nodes(small("a")),
			existing: pods(pod("x").req("1", "500Mi").prio(1).on("a"), pod("y").req("1", "500Mi").prio(20).on("a")),
			pod:      pod("hi").req("1", "900Mi").prio(10).obj()},
		{name: "port conflict resolved by evicting the holder", nodes: nodes(small("a")),
			existing: pods(pod("other").prio(1).age(9).on("a"), pod("holder").port("http", 80, 8080).prio(1).age(1).on("a")),
			pod:      pod("hi").port("http", 80, 8080).prio(10).obj(), wantNode: "a", victims: []string{"holder"}},
		{name: "pod count", nodes: nodes(node("a").alloc("4", "1Gi", "2")),
			existing: pods(pod("x").prio(3).on("a"), pod("y").prio(1).on("a")),
			pod:      pod("hi").prio(10).obj(), wantNode: "a", victims: []string{"y"}},
		{name: "taint is not solved by eviction", nodes: nodes(small("a").taint("k", "v", api.TaintNoSchedule)),
			existing: pods(pod("x").req("1", "900Mi").prio(1).on("a")),
			pod:      pod("hi").req("1", "500Mi").prio(10).obj()},
		{name: "selector is not solved by eviction", nodes: nodes(small("a")),
			existing: pods(pod("x").req("1", "900Mi").prio(1).on("a")),
			pod:      pod("hi").req("1", "500Mi").prio(10).selector("zone", "z1").obj()},
		{name: "preemptionPolicy Never", nodes: nodes(small("a")),
			existing: pods(pod("x").req("1", "900Mi").prio(1).on("a")),
			pod: func() *api.Pod {
				p := pod("hi").req("1", "500Mi").prio(10).obj()
				p.Spec.PreemptionPolicy = api.Ptr(PreemptNever)
				return p
			}()},
		{name: "pods being deleted are not victims", nodes: nodes(small("a")),
			existing: func() []*api.Pod {
				x := pod("x").req("1", "900Mi").prio(1).on("a").obj()
				x.DeletionTimestamp = api.NewTime(time.Now())
				return []*api.Pod{x}
			}(),
			pod: pod("hi").req("1", "500Mi").prio(10).obj()},
		{name: "class name gives priority", nodes: nodes(small("a")),
			existing: pods(pod("x").req("1", "900Mi").prio(1000).on("a")),
			pod: func() *api.Pod {
				p := pod("hi").req("1", "500Mi").obj()
				p.Spec.PriorityClassName = "system-node-critical"
				return p
			}(), wantNode: "a", victims: []string{"x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Preempt(NewSnapshot(tc.nodes, tc.existing), tc.pod, Config{})
			if !ok {
				if tc.wantNode != "" {
					t.Fatalf("no preemption, want node %s victims %v", tc.wantNode, tc.victims)
				}
				return
			}
			var names []string
			for _, v := range got.Victims {
				names = append(names, v.Name)
			}
			if got.Node != tc.wantNode || !slices.Equal(names, tc.victims) {
				t.Fatalf("got node %q victims %v, want %q %v", got.Node, names, tc.wantNode, tc.victims)
			}
		})
	}
}

func TestSortByPriority(t *testing.T) {
	ps := pods(pod("low").prio(1).age(1), pod("hi-new").prio(9).age(5), pod("hi-old").prio(9).age(2), pod("zero").age(0))
	SortByPriority(ps)
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if want := []string{"hi-old", "hi-new", "low", "zero"}; !slices.Equal(names, want) {
		t.Fatalf("order %v, want %v", names, want)
	}
}
