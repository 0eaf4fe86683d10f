package placement

import (
	"fmt"
	"testing"

	"github.com/barque-io/barque/api"
)

// group makes count pods of one controller, small enough that binpack
// would put them all on one node.
func group(count int, annotate func(*pb)) []*api.Pod {
	var out []*api.Pod
	for i := range count {
		b := pod(fmt.Sprint("web", i)).req("100m", "64Mi").owner("rs1").label("app", "web")
		annotate(b)
		out = append(out, b.obj())
	}
	return out
}

// perValue counts the decisions per value of the nodes' meta key.
func perValue(t *testing.T, ns []*api.Node, ds []Decision, key string) map[string]int {
	t.Helper()
	byName := map[string]*api.Node{}
	for _, n := range ns {
		byName[n.Name] = n
	}
	out := map[string]int{}
	for _, d := range ds {
		if d.Node == "" {
			t.Fatalf("%s not placed: %s", d.Pod.Name, d.Reason)
		}
		out[byName[d.Node].Status.Meta[key]]++
	}
	return out
}

func TestPlaceNomadSpreadTargets(t *testing.T) {
	ns := nodes(node("a1").meta("rack", "r1"), node("a2").meta("rack", "r1"), node("b1").meta("rack", "r2"),
		node("b2").meta("rack", "r2"), node("c1").meta("rack", "r3"))
	spread := `[{"attribute":"${meta.rack}","weight":50,"targets":[{"value":"r1","percent":75},{"value":"r2","percent":25}]}]`
	for _, strategy := range []string{StrategyBinPack, StrategySpread} {
		t.Run(strategy, func(t *testing.T) {
			batch := group(8, func(b *pb) { b.annotate(AnnotationSpreads, spread) })
			got := perValue(t, ns, Place(NewSnapshot(ns, nil), batch, Config{Strategy: strategy}), "rack")
			if got["r1"] != 6 || got["r2"] != 2 || got["r3"] != 0 {
				t.Errorf("pods per rack = %v, want r1 6, r2 2", got)
			}
		})
	}
}

func TestPlaceNomadSpreadTargetsOneByOne(t *testing.T) {
	// The scheduler may place a group over several rounds: bound pods
	// count as the batch's do.
	ns := nodes(node("a1").meta("rack", "r1"), node("b1").meta("rack", "r2"))
	spread := `[{"attribute":"${meta.rack}","targets":[{"value":"r1","percent":75},{"value":"r2","percent":25}]}]`
	var bound []*api.Pod
	for _, p := range group(8, func(b *pb) { b.annotate(AnnotationSpreads, spread) }) {
		d := Place(NewSnapshot(ns, bound), []*api.Pod{p}, Config{})[0]
		p.Spec.NodeName = d.Node
		bound = append(bound, p)
	}
	if got := perValue(t, ns, decisionsOf(bound), "rack"); got["r1"] != 6 || got["r2"] != 2 {
		t.Errorf("pods per rack = %v, want r1 6, r2 2", got)
	}
}

func decisionsOf(bound []*api.Pod) []Decision {
	out := make([]Decision, len(bound))
	for i, p := range bound {
		out[i] = Decision{Pod: p, Node: p.Spec.NodeName}
	}
	return out
}

func TestPlaceNomadSpreadEven(t *testing.T) {
	// r1 already holds two of the group: the six new pods even it out.
	ns := nodes(node("a1").meta("rack", "r1"), node("b1").meta("rack", "r2"), node("c1").meta("rack", "r3"))
	even := func(b *pb) { b.annotate(AnnotationSpreads, `[{"attribute":"${meta.rack}"}]`) }
	existing := group(2, even)
	for _, p := range existing {
		p.Name += "-old"
		p.Spec.NodeName = "a1"
	}
	got := perValue(t, ns, Place(NewSnapshot(ns, existing), group(7, even), Config{}), "rack")
	if got["r1"] != 1 || got["r2"] != 3 || got["r3"] != 3 {
		t.Errorf("new pods per rack = %v, want r1 1, r2 3, r3 3", got)
	}
}

func TestPlaceNomadAffinity(t *testing.T) {
	// s1 already runs a pod, so binpack alone would pick it.
	ns := nodes(node("f1").dc("dc1", "fast"), node("f2").dc("dc1", "fast"), node("s1").dc("dc1", "slow"),
		node("s2").dc("dc1", "slow"))
	existing := pods(pod("x").req("2", "4Gi").on("s1"))
	cases := []struct {
		weight int
		want   string
	}{{50, "fast"}, {-50, "slow"}}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.weight), func(t *testing.T) {
			ann := fmt.Sprintf(`[{"attribute":"${node.class}","operator":"=","value":"fast","weight":%d}]`, tc.weight)
			batch := group(4, func(b *pb) { b.annotate(AnnotationAffinities, ann) })
			for _, d := range Place(NewSnapshot(ns, existing), batch, Config{}) {
				var class string
				for _, n := range ns {
					if n.Name == d.Node {
						class = n.Status.NodeClass
					}
				}
				if class != tc.want {
					t.Errorf("%s on %q (%s), want a %s node", d.Pod.Name, d.Node, class, tc.want)
				}
			}
		})
	}
}

func TestPlaceTopologySpreadScheduleAnyway(t *testing.T) {
	ns := nodes(node("a").label("zone", "z1"), node("b").label("zone", "z2").alloc("4", "8Gi", "2"))
	soft := func(b *pb) {
		b.spread(1, "zone", "app", "web")
		b.p.Spec.TopologySpreadConstraints[0].WhenUnsatisfiable = api.ScheduleAnyway
	}
	// Binpack alone would stack them on one node; the soft spread evens
	// them until z2 is full, and then still places the rest.
	ds := Place(NewSnapshot(ns, nil), group(6, soft), Config{})
	got := map[string]int{}
	for _, d := range ds {
		got[d.Node]++
	}
	if got["a"] != 4 || got["b"] != 2 {
		t.Errorf("pods per node = %v, want a 4, b 2", got)
	}
}
