package placement

import (
	"reflect"
	"testing"

	"github.com/barque-io/barque/api"
)

func TestClaimNode(t *testing.T) {
	ns := nodes(node("n1"), node("n2"), node("n3").notReady())
	runFilterCases(t, ClaimNode{}, []filterCase{
		{name: "no claims: skips", nodes: ns, pod: pod("web-0").obj(),
			want: map[string]string{"n1": "", "n2": "", "n3": ""}},
		{name: "claim unknown to the snapshot asks nothing", nodes: ns, pod: pod("web-0").mount("data-web-0").obj(),
			claims: claims(claim("other").boundTo("n1")),
			want:   map[string]string{"n1": "", "n2": "", "n3": ""}},
		{name: "unbound claim asks nothing", nodes: ns, pod: pod("web-0").mount("data-web-0").obj(),
			claims: claims(claim("data-web-0")),
			want:   map[string]string{"n1": "", "n2": "", "n3": ""}},
		{name: "bound claim keeps the pod on its node", nodes: ns, pod: pod("web-0").mount("data-web-0").obj(),
			claims: claims(claim("data-web-0").boundTo("n2")),
			want: map[string]string{"n1": "node(s) did not hold the pod's claim data-web-0 (bound to node n2)",
				"n2": "", "n3": "node(s) did not hold the pod's claim data-web-0 (bound to node n2)"}},
		{name: "a not-ready claim node is left to NodeReady", nodes: ns, pod: pod("web-0").mount("data-web-0").obj(),
			claims: claims(claim("data-web-0").boundTo("n3")),
			want: map[string]string{"n1": ReasonClaimNotHere("data-web-0", "n3"),
				"n2": ReasonClaimNotHere("data-web-0", "n3"), "n3": ""}},
		{name: "claim in another namespace is not the pod's", nodes: ns,
			pod:    pod("web-0").ns("prod").mount("data-web-0").obj(),
			claims: claims(claim("data-web-0").boundTo("n2")),
			want:   map[string]string{"n1": "", "n2": "", "n3": ""}},
		{name: "claims bound apart: no node holds both", nodes: ns, pod: pod("web-0").mount("data-web-0", "logs-web-0").obj(),
			claims: claims(claim("data-web-0").boundTo("n1"), claim("logs-web-0").boundTo("n2")),
			want: map[string]string{"n1": ReasonClaimNotHere("logs-web-0", "n2"),
				"n2": ReasonClaimNotHere("data-web-0", "n1"), "n3": ReasonClaimNotHere("data-web-0", "n1")}},
		{name: "claim node gone rejects the pod", nodes: ns, pod: pod("web-0").mount("data-web-0").obj(),
			claims: claims(claim("data-web-0").boundTo("n9")),
			want: map[string]string{
				"n1": "claim data-web-0 is bound to node n9, which is gone: delete the claim to release it",
				"n2": "claim data-web-0 is bound to node n9, which is gone: delete the claim to release it",
				"n3": "claim data-web-0 is bound to node n9, which is gone: delete the claim to release it"}},
	})
}

func TestClaimStorage(t *testing.T) {
	ns := nodes(node("small").storage("10Gi"), node("big").storage("100Gi"), node("silent"))
	runFilterCases(t, ClaimStorage{}, []filterCase{
		{name: "no claims: skips", nodes: ns, pod: pod("web-0").obj(),
			want: map[string]string{"small": "", "big": "", "silent": ""}},
		{name: "unbound claim fits", nodes: ns, pod: pod("web-0").mount("data-web-0").obj(),
			claims: claims(claim("data-web-0").size("10Gi")),
			want:   map[string]string{"small": "", "big": "", "silent": ""}},
		{name: "unbound claim too big; a node that reports nothing is not checked", nodes: ns,
			pod:    pod("web-0").mount("data-web-0").obj(),
			claims: claims(claim("data-web-0").size("20Gi")),
			want:   map[string]string{"small": "insufficient ephemeral-storage for claim data-web-0", "big": "", "silent": ""}},
		{name: "claims add up; the one that overflows is named", nodes: ns,
			pod:    pod("web-0").mount("data-web-0", "logs-web-0").obj(),
			claims: claims(claim("data-web-0").size("6Gi"), claim("logs-web-0").size("6Gi")),
			want:   map[string]string{"small": ReasonClaimStorage("logs-web-0"), "big": "", "silent": ""}},
		{name: "a bound claim's data is already there", nodes: ns, pod: pod("web-0").mount("data-web-0").obj(),
			claims: claims(claim("data-web-0").size("20Gi").boundTo("small")),
			want:   map[string]string{"small": "", "big": "", "silent": ""}},
		{name: "claims bound to a node hold its storage", nodes: ns, pod: pod("web-1").mount("data-web-1").obj(),
			claims: claims(claim("data-web-1").size("4Gi"), claim("data-web-0").size("8Gi").boundTo("small"),
				claim("data-db-0").size("90Gi").boundTo("big")),
			want: map[string]string{"small": ReasonClaimStorage("data-web-1"), "big": "", "silent": ""}},
	})
}

// TestPlaceClaims runs the claim filters in the chain: the reasons a
// StatefulSet pod gets, pinned by affinity as its controller pins it, and
// storage charged across a batch.
func TestPlaceClaims(t *testing.T) {
	ns := nodes(node("n1"), node("n2"), node("n3"))
	pinned := func(node string) *api.Pod {
		return pod("web-0").mount("data-web-0").requireNodes(api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{
			{Key: "metadata.name", Operator: api.NodeSelectorOpIn, Values: []string{node}}}}).obj()
	}
	place := func(ns []*api.Node, cs []*api.PersistentVolumeClaim, batch ...*api.Pod) []Decision {
		snap := NewSnapshot(ns, nil)
		snap.Claims = claimMap(cs)
		return Place(snap, batch, Config{})
	}

	t.Run("claim node down: the claim is named, not the affinity", func(t *testing.T) {
		ns := nodes(node("n1"), node("n2"), node("n3").notReady())
		d := place(ns, claims(claim("data-web-0").boundTo("n3")), pinned("n3"))[0]
		want := "0/3 nodes are available: 2 " + ReasonClaimNotHere("data-web-0", "n3") + ", 1 " + ReasonNotReady + "."
		if d.Node != "" || d.Reason != want {
			t.Errorf("got %q %q, want %q", d.Node, d.Reason, want)
		}
	})
	t.Run("claim node gone", func(t *testing.T) {
		d := place(ns, claims(claim("data-web-0").boundTo("n9")), pinned("n9"))[0]
		want := "0/3 nodes are available: claim data-web-0 is bound to node n9, which is gone: delete the claim to release it."
		if d.Node != "" || d.Reason != want {
			t.Errorf("got %q %q, want %q", d.Node, d.Reason, want)
		}
		snap := NewSnapshot(ns, pods(pod("low").on("n1")))
		snap.Claims = claimMap(claims(claim("data-web-0").boundTo("n9")))
		if pre, ok := Preempt(snap, pinned("n9"), Config{}); ok {
			t.Errorf("preemption for a pod whose claim's node is gone: %+v", pre)
		}
	})
	t.Run("claim node there", func(t *testing.T) {
		if d := place(ns, claims(claim("data-web-0").boundTo("n2")), pod("web-0").mount("data-web-0").obj())[0]; d.Node != "n2" {
			t.Errorf("placed on %q (%s), want n2", d.Node, d.Reason)
		}
	})
	t.Run("storage is charged across a batch", func(t *testing.T) {
		ns := nodes(node("a").storage("10Gi"), node("b").storage("10Gi"))
		cs := claims(claim("data-web-0").size("8Gi"), claim("data-web-1").size("8Gi"), claim("data-web-2").size("8Gi"))
		ds := place(ns, cs, pod("web-0").mount("data-web-0").obj(), pod("web-1").mount("data-web-1").obj(),
			pod("web-2").mount("data-web-2").obj())
		if got := nodeNames(ds); got[0] == got[1] || got[0] == "" || got[1] == "" || got[2] != "" {
			t.Fatalf("nodes = %v, want two distinct nodes then none", got)
		}
		if want := "0/2 nodes are available: 2 insufficient ephemeral-storage for claim data-web-2."; ds[2].Reason != want {
			t.Errorf("reason = %q, want %q", ds[2].Reason, want)
		}
	})
	t.Run("NodeFilters without a claims lookup skips them", func(t *testing.T) {
		// NodeFilters has no claims lookup: its callers pass none, and the
		// claim filters skip.
		got := NodeFilters(ns, pinned("n9"), ClaimNode{}, ClaimStorage{})
		if !reflect.DeepEqual(got, []*Status{nil, nil, nil}) {
			t.Errorf("NodeFilters without claims: %v", got)
		}
	})
}
