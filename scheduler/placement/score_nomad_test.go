package placement

import (
	"maps"
	"testing"

	"github.com/barque-io/barque/api"
)

func runScoreCases(t *testing.T, cases []scoreCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := scoreResults(tc.scorer, tc.nodes, tc.existing, tc.pod)
			if !maps.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.scorer.Name(), got, tc.want)
			}
		})
	}
}

func TestNomadAffinityScore(t *testing.T) {
	ns := nodes(
		node("a").dc("dc1", "fast").meta("rack", "r1").attr("kernel.version", "5.15.0").attr("features", "avx,sse4"),
		node("b").dc("dc1", "slow").meta("rack", "r2").attr("kernel.version", "4.19.0").attr("features", "sse4"),
		node("c").dc("dc2", "fast").attr("kernel.version", "6.1.0"))
	with := func(json string) *api.Pod { return pod("p").annotate(AnnotationAffinities, json).obj() }
	s := NomadAffinityScore{}
	abc := func(a, b, c int64) map[string]int64 { return map[string]int64{"a": a, "b": b, "c": c} }
	runScoreCases(t, []scoreCase{
		{name: "none opts out", scorer: s, nodes: ns, pod: pod("p").obj(), want: abc(-1, -1, -1)},
		{name: "positive weight prefers matching nodes", scorer: s, nodes: ns,
			pod:  with(`[{"attribute":"${node.class}","operator":"=","value":"fast","weight":50}]`),
			want: abc(100, 50, 100)},
		{name: "negative weight avoids them", scorer: s, nodes: ns,
			pod:  with(`[{"attribute":"${node.class}","operator":"=","value":"fast","weight":-50}]`),
			want: abc(0, 50, 0)},
		// Sum of matched weights over the sum of their absolute values:
		// a +30/40, b -10/40, c 0.
		{name: "weights normalised as Nomad's", scorer: s, nodes: ns,
			pod: with(`[{"attribute":"${meta.rack}","operator":"=","value":"r1","weight":30},
				{"attribute":"${node.class}","operator":"=","value":"slow","weight":-10}]`),
			want: abc(88, 38, 50)},
		{name: "operator and weight default to = and 50", scorer: s, nodes: ns,
			pod:  with(`[{"attribute":"${node.datacenter}","value":"dc2"},{"attribute":"${node.unique.name}","value":"b","weight":-50}]`),
			want: abc(50, 25, 75)},
		// a matches version and set_contains_any; b regexp and the
		// negative semver; c version and is_not_set.
		{name: "constraint operators", scorer: s, nodes: ns,
			pod: with(`[{"attribute":"${attr.kernel.version}","operator":"version","value":">= 5.0","weight":20},
				{"attribute":"${meta.rack}","operator":"is_not_set","weight":20},
				{"attribute":"${attr.features}","operator":"set_contains_any","value":"avx,neon","weight":20},
				{"attribute":"${meta.rack}","operator":"regexp","value":"^r[2-9]$","weight":20},
				{"attribute":"${attr.kernel.version}","operator":"semver","value":"< 5.0.0","weight":-20}]`),
			want: abc(70, 50, 70)},
		{name: "an invalid annotation opts out", scorer: s, nodes: ns, pod: with(`{"attribute":"x"}`),
			want: abc(-1, -1, -1)},
		{name: "a weight out of range opts out", scorer: s, nodes: ns,
			pod: with(`[{"attribute":"${node.class}","value":"fast","weight":101}]`), want: abc(-1, -1, -1)},
		{name: "distinct_hosts is not an affinity", scorer: s, nodes: ns,
			pod: with(`[{"operator":"distinct_hosts"}]`), want: abc(-1, -1, -1)},
	})
}

func TestNomadSpreadScore(t *testing.T) {
	ns := nodes(node("a").meta("rack", "r1"), node("b").meta("rack", "r1"), node("c").meta("rack", "r2"),
		node("d").meta("rack", "r3"), node("e"))
	rs1 := func(name string) *pb { return pod(name).owner("rs1") }
	with := func(json string) *api.Pod { return rs1("p").annotate(AnnotationSpreads, json).obj() }
	s := NomadSpreadScore{}
	racks := func(r1, r2, r3, none int64) map[string]int64 {
		return map[string]int64{"a": r1, "b": r1, "c": r2, "d": r3, "e": none}
	}
	even := `[{"attribute":"${meta.rack}"}]`
	targets := `[{"attribute":"${meta.rack}","weight":50,"targets":[{"value":"r1","percent":75},{"value":"r2","percent":25}]}]`
	runScoreCases(t, []scoreCase{
		{name: "none opts out", scorer: s, nodes: ns, pod: rs1("p").obj(), want: racks(-1, -1, -1, -1)},
		{name: "no group opts out", scorer: s, nodes: ns, pod: pod("p").annotate(AnnotationSpreads, even).obj(),
			want: racks(-1, -1, -1, -1)},
		{name: "an invalid annotation opts out", scorer: s, nodes: ns,
			pod:  with(`[{"attribute":"${meta.rack}","targets":[{"value":"r1","percent":80},{"value":"r2","percent":30}]}]`),
			want: racks(-1, -1, -1, -1)},
		{name: "even, nothing placed: no preference but the attribute", scorer: s, nodes: ns, pod: with(even),
			want: racks(50, 50, 50, 0)},
		// The least-used value holding pods is r2 (1): r1 holds one more,
		// r3 one fewer; rs2's pod on d is not of the group.
		{name: "even prefers the least-used values", scorer: s, nodes: ns, pod: with(even),
			existing: pods(rs1("x").on("a"), rs1("y").on("b"), rs1("z").on("c"), pod("o").owner("rs2").on("d")),
			want:     racks(0, 50, 100, 0)},
		// Two pods with this one: r1 wants 1.5 and has 1, r2 wants 0.5
		// and has 0; r3 has no target and the targets leave nothing.
		{name: "targets: deficits in pods", scorer: s, nodes: ns, pod: with(targets),
			existing: pods(rs1("x").on("a")), want: racks(75, 75, 0, 0)},
		{name: "targets: a value over its share is penalised", scorer: s, nodes: ns, pod: with(targets),
			existing: pods(rs1("x").on("c")), want: racks(100, 25, 0, 0)},
		// r1 wants half of four and has one; r2 and r3 share the other
		// half and hold two together.
		{name: "targets: the rest is shared by the other values", scorer: s, nodes: ns,
			pod:      with(`[{"attribute":"${meta.rack}","targets":[{"value":"r1","percent":50}]}]`),
			existing: pods(rs1("x").on("a"), rs1("y").on("d"), rs1("z").on("d")), want: racks(100, 50, 50, 0)},
		// Weights 75 and 25: on a, the even rack spread's -1 (r1 holds
		// one more than r2) outweighs the datacenter's +1 (dc1 wants all
		// four); on c, r2's 0 and dc2's -1 make -0.25.
		{name: "weighted spreads", scorer: s,
			nodes: nodes(node("a").meta("rack", "r1").dc("dc1", ""), node("c").meta("rack", "r2").dc("dc2", "")),
			pod: with(`[{"attribute":"${meta.rack}","weight":75},{"attribute":"${node.datacenter}","weight":25,
				"targets":[{"value":"dc1","percent":100}]}]`),
			existing: pods(rs1("x").on("a"), rs1("y").on("a"), rs1("z").on("c")),
			want:     map[string]int64{"a": 25, "c": 38}},
	})
}

func TestNomadSpreadScoreCountsJobGroups(t *testing.T) {
	ns := nodes(node("a").meta("rack", "r1"), node("b").meta("rack", "r2"))
	web := func(name, owner, namespace string) *pb {
		return pod(name).owner(owner).ns(namespace).label(api.LabelNomadJob, "web", api.LabelNomadGroup, "g")
	}
	// The old version's pods count with the new one's (same job and
	// group); another namespace's job of that name does not.
	existing := pods(web("old", "rs-v1", "default").on("a"), web("other", "rs-x", "prod").on("b"),
		web("other2", "rs-x", "prod").on("b"))
	p := web("new", "rs-v2", "default").annotate(AnnotationSpreads, `[{"attribute":"${meta.rack}"}]`).obj()
	got := scoreResults(NomadSpreadScore{}, ns, existing, p)
	if want := map[string]int64{"a": 50, "b": 100}; !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestTopologySpreadScore(t *testing.T) {
	ns := nodes(node("a").label("zone", "z1"), node("b").label("zone", "z1"), node("c").label("zone", "z2"),
		node("d").label("zone", "z3"), node("e"))
	web := func(name string) *pb { return pod(name).label("app", "web") }
	soft := func(b *pb) *pb {
		b.spread(1, "zone", "app", "web")
		b.p.Spec.TopologySpreadConstraints[0].WhenUnsatisfiable = api.ScheduleAnyway
		return b
	}
	existing := pods(web("x").on("a"), web("y").on("b"), web("z").on("c"), pod("o").on("d"))
	zones := func(z1, z2, z3, none int64) map[string]int64 {
		return map[string]int64{"a": z1, "b": z1, "c": z2, "d": z3, "e": none}
	}
	s := TopologySpreadScore{}
	runScoreCases(t, []scoreCase{
		{name: "none opts out", scorer: s, nodes: ns, pod: web("p").obj(), want: zones(-1, -1, -1, -1)},
		{name: "DoNotSchedule is the filter's", scorer: s, nodes: ns, existing: existing,
			pod: web("p").spread(1, "zone", "app", "web").obj(), want: zones(-1, -1, -1, -1)},
		{name: "level domains score alike", scorer: s, nodes: ns, pod: soft(web("p")).obj(),
			want: zones(100, 100, 100, 0)},
		{name: "fewer matching pods score higher", scorer: s, nodes: ns, existing: existing,
			pod: soft(web("p")).obj(), want: zones(0, 50, 100, 0)},
		// Eligible domains z1 and z2 span 1..2 pods; z3, outside them,
		// scores as the fewest.
		{name: "node affinity narrows the domains", scorer: s, nodes: ns, existing: existing,
			pod:  soft(web("p")).requireNodes(term("zone", "In", "z1", "z2")).obj(),
			want: zones(0, 100, 100, 0)},
	})
}

// TestScorersDoNotAllocatePerNode holds the scan's promise: what a scorer
// needs is prepared once per pod, and scoring a node allocates nothing.
func TestScorersDoNotAllocatePerNode(t *testing.T) {
	ns := nodes(node("a").label("zone", "z1").meta("rack", "r1").dc("dc1", "fast"),
		node("b").label("zone", "z2").meta("rack", "r2").dc("dc1", "slow"))
	p := pod("p").owner("rs1").label("app", "web").spread(1, "zone", "app", "web").
		annotate(AnnotationAffinities, `[{"attribute":"${node.class}","value":"fast"},{"attribute":"${meta.rack}","operator":"regexp","value":"^r1$"}]`).
		annotate(AnnotationSpreads, `[{"attribute":"${meta.rack}","targets":[{"value":"r1","percent":60}]}]`).obj()
	p.Spec.TopologySpreadConstraints[0].WhenUnsatisfiable = api.ScheduleAnyway
	c := newCluster(NewSnapshot(ns, pods(pod("x").owner("rs1").label("app", "web").on("a"))), Config{}.withDefaults())
	pi := c.newPodInfo(p)
	for _, s := range []Scorer{NomadAffinityScore{}, NomadSpreadScore{}, TopologySpreadScore{}} {
		fn := s.Prepare(c, pi)
		if fn == nil {
			t.Fatalf("%s opted out", s.Name())
		}
		if allocs := testing.AllocsPerRun(100, func() { fn(c.nodes[0]); fn(c.nodes[1]) }); allocs != 0 {
			t.Errorf("%s: %v allocations per run", s.Name(), allocs)
		}
	}
}
