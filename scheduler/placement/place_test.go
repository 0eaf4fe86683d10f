package placement

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/barque-io/barque/api"
)

func nodeNames(ds []Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Node
	}
	return out
}

func TestPlaceBatchConsumesResources(t *testing.T) {
	snap := NewSnapshot(nodes(node("a").alloc("2", "8Gi", "110"), node("b").alloc("2", "8Gi", "110")), nil)
	var batch []*api.Pod
	for i := range 5 {
		batch = append(batch, pod(fmt.Sprint("p", i)).req("1", "1Gi").obj())
	}
	ds := Place(snap, batch, Config{})
	// Binpack fills one node before the other; the fifth pod fits nowhere.
	if got, want := nodeNames(ds), []string{"a", "a", "b", "b", ""}; !reflect.DeepEqual(got, want) {
		t.Fatalf("nodes = %v, want %v", got, want)
	}
	if want := "0/2 nodes are available: 2 Insufficient cpu."; ds[4].Reason != want {
		t.Errorf("reason = %q, want %q", ds[4].Reason, want)
	}
}

func TestPlaceStrategies(t *testing.T) {
	snap := NewSnapshot(nodes(node("a"), node("b"), node("c")), pods(pod("x").req("1", "1Gi").on("b")))
	batch := pods(pod("p1").req("500m", "512Mi"), pod("p2").req("500m", "512Mi"), pod("p3").req("500m", "512Mi"))
	cases := []struct {
		strategy string
		want     []string
	}{
		{StrategyBinPack, []string{"b", "b", "b"}},
		{StrategySpread, []string{"a", "c", "a"}},
	}
	for _, tc := range cases {
		t.Run(tc.strategy, func(t *testing.T) {
			if got := nodeNames(Place(snap, batch, Config{Strategy: tc.strategy})); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("nodes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlacePorts(t *testing.T) {
	snap := NewSnapshot(nodes(node("a")), nil)
	batch := pods(pod("s1").port("http", 80, 8080), pod("s2").port("http", 80, 8080),
		pod("d1").dynamic("http", "metrics"), pod("d2").dynamic("http"))
	ds := Place(snap, batch, Config{PortRange: [2]int{30000, 30010}})
	if ds[0].Node != "a" || ds[1].Node != "" {
		t.Fatalf("static ports: nodes = %v", nodeNames(ds))
	}
	if want := "0/1 nodes are available: 1 " + ReasonPortConflict + "."; ds[1].Reason != want {
		t.Errorf("reason = %q, want %q", ds[1].Reason, want)
	}
	want := []map[string]int{{"http": 30000, "metrics": 30001}, {"http": 30002}}
	for i, d := range ds[2:] {
		if d.Node != "a" || !reflect.DeepEqual(d.Ports, want[i]) {
			t.Errorf("%s: node %q ports %v, want a %v", d.Pod.Name, d.Node, d.Ports, want[i])
		}
	}
}

func TestPlaceExplain(t *testing.T) {
	ns := nodes(node("m1").alloc("4", "1Gi", "110"), node("m2").alloc("4", "1Gi", "110"),
		node("m3").alloc("4", "1Gi", "110"), node("g1").taint("dedicated", "gpu", api.TaintNoSchedule),
		node("g2").taint("dedicated", "gpu", api.TaintNoSchedule), node("nr").notReady())
	ds := Place(NewSnapshot(ns, nil), pods(pod("p").req("1", "2Gi")), Config{})
	want := "0/6 nodes are available: 3 Insufficient memory, 2 node(s) had untolerated taint {dedicated: gpu}, " +
		"1 node(s) were not ready."
	if ds[0].Node != "" || ds[0].Reason != want {
		t.Errorf("got node %q reason %q, want %q", ds[0].Node, ds[0].Reason, want)
	}
	if got := Place(NewSnapshot(nil, nil), pods(pod("p")), Config{})[0].Reason; got != "0/0 nodes are available." {
		t.Errorf("no nodes: reason %q", got)
	}
}

func TestPlaceAntiAffinityAcrossBatch(t *testing.T) {
	snap := NewSnapshot(nodes(node("a"), node("b")), nil)
	var batch []*api.Pod
	for i := range 3 {
		batch = append(batch, pod(fmt.Sprint("web", i)).label("app", "web").
			antiAffinity("kubernetes.io/hostname", "app", "web").obj())
	}
	ds := Place(snap, batch, Config{})
	if got := nodeNames(ds); got[0] == got[1] || got[0] == "" || got[1] == "" || got[2] != "" {
		t.Fatalf("nodes = %v, want two distinct nodes then none", got)
	}
	if want := "0/2 nodes are available: 2 " + ReasonAntiAffinity + "."; ds[2].Reason != want {
		t.Errorf("reason = %q, want %q", ds[2].Reason, want)
	}
}

func TestPlaceSpreadAcrossBatch(t *testing.T) {
	snap := NewSnapshot(nodes(node("a").label("zone", "z1"), node("b").label("zone", "z1"),
		node("c").label("zone", "z2")), nil)
	var batch []*api.Pod
	for i := range 4 {
		batch = append(batch, pod(fmt.Sprint("web", i)).label("app", "web").spread(1, "zone", "app", "web").obj())
	}
	zones := map[string]int{}
	for _, d := range Place(snap, batch, Config{}) {
		zones[map[string]string{"a": "z1", "b": "z1", "c": "z2"}[d.Node]]++
	}
	if zones["z1"] != 2 || zones["z2"] != 2 {
		t.Errorf("pods per zone = %v, want 2 and 2", zones)
	}
}

func TestPlaceIsDeterministic(t *testing.T) {
	var ns []*api.Node
	for i := range 300 {
		ns = append(ns, node(fmt.Sprintf("n%03d", i)).obj())
	}
	var batch []*api.Pod
	for i := range 500 {
		batch = append(batch, pod(fmt.Sprint("p", i)).req("100m", "64Mi").obj())
	}
	first := nodeNames(Place(NewSnapshot(ns, nil), batch, Config{}))
	reversed := make([]*api.Node, len(ns))
	for i, n := range ns {
		reversed[len(ns)-1-i] = n
	}
	if again := nodeNames(Place(NewSnapshot(reversed, nil), batch, Config{})); !reflect.DeepEqual(first, again) {
		t.Error("the same input placed differently")
	}
}

func TestNewSnapshot(t *testing.T) {
	done := pod("done").on("a").obj()
	done.Status.Phase = api.PodFailed
	s := NewSnapshot(nodes(node("a")), []*api.Pod{pod("run").on("a").obj(), done, pod("pending").obj()})
	if len(s.PodsByNode["a"]) != 1 || s.PodsByNode["a"][0].Name != "run" || len(s.PodsByNode) != 1 {
		t.Errorf("PodsByNode = %v", s.PodsByNode)
	}
}

func TestNumFeasibleToFind(t *testing.T) {
	cases := []struct{ nodes, pct, want int }{
		{50, 0, 50}, {100, 0, 100}, {1000, 0, 420}, {5000, 0, 500}, {10000, 0, 500},
		{5000, 10, 500}, {5000, 1, 100}, {5000, 100, 5000},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.nodes, "/", tc.pct), func(t *testing.T) {
			if got := numFeasibleToFind(tc.nodes, tc.pct); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}
