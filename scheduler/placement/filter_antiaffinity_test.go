package placement

import "testing"

func TestPodAntiAffinity(t *testing.T) {
	ns := nodes(node("a").label("zone", "z1"), node("b").label("zone", "z1"), node("c").label("zone", "z2"),
		node("d"))
	host := "kubernetes.io/hostname"
	web := func(name string) *pb { return pod(name).label("app", "web") }
	runFilterCases(t, PodAntiAffinity{}, []filterCase{
		{name: "none skips", nodes: ns, existing: pods(web("x").on("a")), pod: web("p").obj(),
			want: map[string]string{"a": "", "b": "", "c": "", "d": ""}},
		{name: "one per host", nodes: ns, existing: pods(web("x").on("a")),
			pod:  web("p").antiAffinity(host, "app", "web").obj(),
			want: map[string]string{"a": ReasonAntiAffinity, "b": "", "c": "", "d": ""}},
		{name: "one per zone; no zone label passes", nodes: ns, existing: pods(web("x").on("a")),
			pod:  web("p").antiAffinity("zone", "app", "web").obj(),
			want: map[string]string{"a": ReasonAntiAffinity, "b": ReasonAntiAffinity, "c": "", "d": ""}},
		{name: "other namespace does not count", nodes: ns, existing: pods(web("x").ns("other").on("a")),
			pod:  web("p").antiAffinity(host, "app", "web").obj(),
			want: map[string]string{"a": "", "b": "", "c": "", "d": ""}},
		{name: "existing pod's rule repels the pod", nodes: ns,
			existing: pods(pod("x").label("app", "db").antiAffinity("zone", "app", "web").on("c")),
			pod:      web("p").obj(),
			want:     map[string]string{"a": "", "b": "", "c": ReasonExistingAntiAffinity, "d": ""}},
		{name: "existing rule ignores pods it does not select", nodes: ns,
			existing: pods(pod("x").antiAffinity("zone", "app", "db").on("c")),
			pod:      web("p").obj(),
			want:     map[string]string{"a": "", "b": "", "c": "", "d": ""}},
	})
}
