package placement

import (
	"testing"

	"github.com/barque-io/barque/api"
)

func TestNodeAffinity(t *testing.T) {
	ns := nodes(node("a").label("zone", "z1", "cores", "8"), node("b").label("zone", "z2", "cores", "2"),
		node("c"))
	miss := ReasonNodeAffinity
	runFilterCases(t, NodeAffinity{}, []filterCase{
		{name: "none skips", nodes: ns, pod: pod("p").obj(), want: map[string]string{"a": "", "b": "", "c": ""}},
		{name: "nodeSelector", nodes: ns, pod: pod("p").selector("zone", "z1").obj(),
			want: map[string]string{"a": "", "b": miss, "c": miss}},
		{name: "In", nodes: ns, pod: pod("p").requireNodes(term("zone", "In", "z1", "z2")).obj(),
			want: map[string]string{"a": "", "b": "", "c": miss}},
		{name: "NotIn holds without the label", nodes: ns, pod: pod("p").requireNodes(term("zone", "NotIn", "z1")).obj(),
			want: map[string]string{"a": miss, "b": "", "c": ""}},
		{name: "DoesNotExist", nodes: ns, pod: pod("p").requireNodes(term("zone", "DoesNotExist")).obj(),
			want: map[string]string{"a": miss, "b": miss, "c": ""}},
		{name: "Gt", nodes: ns, pod: pod("p").requireNodes(term("cores", "Gt", "4")).obj(),
			want: map[string]string{"a": "", "b": miss, "c": miss}},
		{name: "terms are ORed", nodes: ns,
			pod:  pod("p").requireNodes(term("zone", "In", "z2"), term("zone", "DoesNotExist")).obj(),
			want: map[string]string{"a": miss, "b": "", "c": ""}},
		{name: "matchFields metadata.name", nodes: ns, pod: pod("p").requireNodes(api.NodeSelectorTerm{
			MatchFields: []api.NodeSelectorRequirement{{Key: "metadata.name", Operator: "In", Values: []string{"c"}}}}).obj(),
			want: map[string]string{"a": miss, "b": miss, "c": ""}},
		{name: "empty term matches nothing", nodes: ns, pod: pod("p").requireNodes(api.NodeSelectorTerm{}).obj(),
			want: map[string]string{"a": miss, "b": miss, "c": miss}},
		{name: "selector and affinity both apply", nodes: ns,
			pod:  pod("p").selector("zone", "z1").requireNodes(term("cores", "Lt", "4")).obj(),
			want: map[string]string{"a": miss, "b": miss, "c": miss}},
	})
}
