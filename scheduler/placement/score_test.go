package placement

import (
	"maps"
	"testing"

	"github.com/barque-io/barque/api"
)

// scoreCase is the shape of every scorer's table.
type scoreCase struct {
	name     string
	scorer   Scorer
	nodes    []*api.Node
	existing []*api.Pod
	pod      *api.Pod
	want     map[string]int64 // -1: the scorer opts out
}

func TestScorers(t *testing.T) {
	ns := nodes(node("empty"), node("half"), node("full").label("zone", "z1"))
	load := pods(pod("h").req("2", "4Gi").on("half"), pod("f").req("3", "6Gi").on("full"))
	p := pod("p").req("1", "2Gi").obj()
	cases := []scoreCase{
		// binpack: 20 - (10^f_cpu + 10^f_mem), scaled from 0-18 to 0-100.
		{name: "binpack prefers fuller", scorer: NewResourceScore(StrategyBinPack), nodes: ns, existing: load, pod: p,
			want: map[string]int64{"empty": 49, "half": 91, "full": 100}},
		{name: "spread prefers emptier", scorer: NewResourceScore(StrategySpread), nodes: ns, existing: load, pod: p,
			want: map[string]int64{"empty": 51, "half": 9, "full": 0}},
		{name: "preferred node affinity as a share of the weights", scorer: NodeAffinityScore{}, nodes: ns,
			pod: pod("p").preferNodes(api.PreferredSchedulingTerm{Weight: 30, Preference: term("zone", "In", "z1")},
				api.PreferredSchedulingTerm{Weight: 10, Preference: term("zone", "DoesNotExist")}).obj(),
			want: map[string]int64{"empty": 25, "half": 25, "full": 75}},
		{name: "no preferred node affinity opts out", scorer: NodeAffinityScore{}, nodes: ns, pod: p,
			want: map[string]int64{"empty": -1, "half": -1, "full": -1}},
		{name: "preferred anti-affinity penalises occupied domains", scorer: PodAntiAffinityScore{}, nodes: ns,
			existing: pods(pod("x").label("app", "web").on("half")),
			pod: pod("p").preferAnti(3, "kubernetes.io/hostname", "app", "web").
				preferAnti(1, "zone", "app", "web").obj(),
			want: map[string]int64{"empty": 100, "half": 25, "full": 100}},
		{name: "no preferred anti-affinity opts out", scorer: PodAntiAffinityScore{}, nodes: ns, pod: p,
			want: map[string]int64{"empty": -1, "half": -1, "full": -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := scoreResults(tc.scorer, tc.nodes, tc.existing, tc.pod)
			if !maps.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.scorer.Name(), got, tc.want)
			}
		})
	}
}
