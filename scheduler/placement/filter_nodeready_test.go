package placement

import (
	"testing"

	"github.com/barque-io/barque/api"
)

func TestNodeReady(t *testing.T) {
	ns := nodes(node("a"), node("b").notReady(), node("c").cordon())
	runFilterCases(t, NodeReady{}, []filterCase{
		{name: "ready, not ready, cordoned", nodes: ns, pod: pod("p").obj(),
			want: map[string]string{"a": "", "b": ReasonNotReady, "c": ReasonUnschedulable}},
		{name: "tolerating the cordon", nodes: ns,
			pod:  pod("p").tolerate(api.Toleration{Key: TaintUnschedulable, Operator: "Exists"}).obj(),
			want: map[string]string{"a": "", "b": ReasonNotReady, "c": ""}},
		{name: "no Ready condition", nodes: []*api.Node{func() *api.Node {
			n := node("d").obj()
			n.Status.Conditions = nil
			return n
		}()}, pod: pod("p").obj(), want: map[string]string{"d": ReasonNotReady}},
	})
}
