package placement

import (
	"testing"

	"github.com/barque-io/barque/api"
)

func TestTopologySpread(t *testing.T) {
	ns := nodes(node("a").label("zone", "z1"), node("b").label("zone", "z2"), node("c").label("zone", "z3"),
		node("d"))
	web := func(name string) *pb { return pod(name).label("app", "web") }
	runFilterCases(t, TopologySpread{}, []filterCase{
		{name: "none skips", nodes: ns, pod: web("p").obj(),
			want: map[string]string{"a": "", "b": "", "c": "", "d": ""}},
		{name: "empty cluster: any zone, not the unlabelled node", nodes: ns,
			pod:  web("p").spread(1, "zone", "app", "web").obj(),
			want: map[string]string{"a": "", "b": "", "c": "", "d": ReasonSpreadMissingLabel}},
		{name: "skew 1 keeps off the loaded zone", nodes: ns, existing: pods(web("x").on("a")),
			pod:  web("p").spread(1, "zone", "app", "web").obj(),
			want: map[string]string{"a": ReasonSpread, "b": "", "c": "", "d": ReasonSpreadMissingLabel}},
		{name: "skew 2 allows it", nodes: ns, existing: pods(web("x").on("a")),
			pod:  web("p").spread(2, "zone", "app", "web").obj(),
			want: map[string]string{"a": "", "b": "", "c": "", "d": ReasonSpreadMissingLabel}},
		{name: "node affinity narrows the domains", nodes: ns, existing: pods(web("x").on("a")),
			pod:  web("p").spread(1, "zone", "app", "web").requireNodes(term("zone", "In", "z1")).obj(),
			want: map[string]string{"a": "", "b": "", "c": "", "d": ReasonSpreadMissingLabel}},
		{name: "ScheduleAnyway is not a filter", nodes: ns, existing: pods(web("x").on("a")),
			pod: func() *api.Pod {
				p := web("p").spread(1, "zone", "app", "web").obj()
				p.Spec.TopologySpreadConstraints[0].WhenUnsatisfiable = api.ScheduleAnyway
				return p
			}(),
			want: map[string]string{"a": "", "b": "", "c": "", "d": ""}},
		{name: "minDomains above the domains makes the minimum zero", nodes: ns,
			existing: pods(web("x").on("a"), web("y").on("b"), web("z").on("c")),
			pod: func() *api.Pod {
				p := web("p").spread(1, "zone", "app", "web").obj()
				p.Spec.TopologySpreadConstraints[0].MinDomains = api.Ptr(int32(5))
				return p
			}(),
			want: map[string]string{"a": ReasonSpread, "b": ReasonSpread, "c": ReasonSpread, "d": ReasonSpreadMissingLabel}},
	})
}
