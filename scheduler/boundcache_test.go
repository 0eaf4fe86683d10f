package scheduler

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

// TestBoundCacheFollowsTheStore: through random node and pod changes, a
// history short enough to fall behind, and a restore, the cache always
// lists what a walk of the whole store lists.
func TestBoundCacheFollowsTheStore(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	store := state.New(64)
	var c boundCache
	idx := uint64(1)
	for step := 0; step < 1500; step++ {
		txn := store.WriteTxn(idx)
		for k := 0; k < 1+r.IntN(6); k++ {
			randomChange(r, txn)
		}
		txn.Commit()
		idx++
		if step == 700 {
			var objs []api.Object
			view := store.View()
			objs = append(objs, view.List("Node", "", nil)...)
			objs = append(objs, view.List("Pod", "", nil)...)
			if err := store.Restore(idx, objs[:len(objs)/2]); err != nil {
				t.Fatal(err)
			}
		}
		if r.IntN(12) == 0 || step%100 == 99 {
			nodes, byNode := c.sync(store)
			wantNodes, wantByNode := snapshot(store.View())
			if fmt.Sprint(nodeNames(nodes)) != fmt.Sprint(nodeNames(wantNodes)) {
				t.Fatalf("step %d: nodes %v, want %v", step, nodeNames(nodes), nodeNames(wantNodes))
			}
			if got, want := normalize(byNode), normalize(wantByNode); !reflect.DeepEqual(got, want) {
				t.Fatalf("step %d: pods by node\n%v\nwant\n%v", step, got, want)
			}
		}
	}
}

func randomChange(r *rand.Rand, txn *state.Txn) {
	if r.IntN(8) == 0 {
		n := &api.Node{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("n%d", r.IntN(6))}}
		if r.IntN(4) == 0 {
			if cur := txn.Get("Node", "", n.Name); cur != nil {
				_ = txn.Delete(cur)
			}
			return
		}
		_ = txn.Put(n, state.Modified)
		return
	}
	name := fmt.Sprintf("p%d", r.IntN(50))
	if r.IntN(6) == 0 {
		if cur := txn.Get("Pod", "default", name); cur != nil {
			_ = txn.Delete(cur)
		}
		return
	}
	p := &api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}}
	if r.IntN(4) > 0 {
		p.Spec.NodeName = fmt.Sprintf("n%d", r.IntN(8)) // some on nodes that do not exist
	}
	p.Status.Phase = []api.PodPhase{api.PodPending, api.PodRunning, api.PodSucceeded, api.PodFailed}[r.IntN(4)]
	_ = txn.Put(p, state.Modified)
}

func nodeNames(nodes []*api.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return out
}

// normalize lists each node's pods as sorted "name@resourceVersion".
func normalize(byNode map[string][]*api.Pod) map[string]string {
	out := map[string]string{}
	for node, pods := range byNode {
		var ks []string
		for _, p := range pods {
			ks = append(ks, fmt.Sprintf("%s@%d", p.Name, p.ResourceVersion))
		}
		slices.Sort(ks)
		if len(ks) > 0 {
			out[node] = strings.Join(ks, ",")
		}
	}
	return out
}
