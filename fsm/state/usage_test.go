package state

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/barque-io/barque/api"
)

// TestNodeUsageFollowsPods: through random binds, status changes, deletes,
// aborted transactions and a restore, every node's usage equals the sum
// over its pods recomputed from scratch.
func TestNodeUsageFollowsPods(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := New(0)
	idx := uint64(1)
	for step := 0; step < 2000; step++ {
		txn := s.WriteTxn(idx)
		for k := 0; k < 1+r.IntN(4); k++ {
			name := fmt.Sprintf("p%d", r.IntN(40))
			if r.IntN(5) == 0 {
				if cur := txn.Get("Pod", "default", name); cur != nil {
					if err := txn.Delete(cur); err != nil {
						t.Fatal(err)
					}
				}
				continue
			}
			if err := txn.Put(randomPod(r, name), Modified); err != nil {
				t.Fatal(err)
			}
		}
		if r.IntN(4) == 0 {
			txn.Abort()
		} else {
			txn.Commit()
			idx++
		}
		checkUsage(t, s, step)
	}
	var objs []api.Object
	for _, o := range s.View().List("Pod", "", nil) {
		objs = append(objs, o)
	}
	bound := 0
	for _, o := range objs {
		if o.(*api.Pod).Spec.NodeName != "" {
			bound++
		}
	}
	walked := 0
	s.View().Indexed("Pod", IndexNode, func(o api.Object) {
		if o.(*api.Pod).Spec.NodeName == "" {
			t.Errorf("Indexed walked unbound pod %s", o.GetObjectMeta().Name)
		}
		walked++
	})
	if walked != bound {
		t.Errorf("Indexed walked %d bound pods, want %d", walked, bound)
	}
	if err := s.Restore(idx, objs); err != nil {
		t.Fatal(err)
	}
	checkUsage(t, s, -1)
}

func randomPod(r *rand.Rand, name string) *api.Pod {
	p := &api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}}
	if r.IntN(4) > 0 {
		p.Spec.NodeName = fmt.Sprintf("n%d", r.IntN(3))
	}
	ctr := api.Container{Name: "c", Resources: api.ResourceRequirements{
		Requests: api.ResourceList{"cpu": fmt.Sprintf("%dm", 100*(1+r.IntN(5))), "memory": fmt.Sprintf("%dMi", 64*(1+r.IntN(4)))}}}
	if r.IntN(3) == 0 {
		ctr.Ports = []api.ContainerPort{{ContainerPort: 80, HostPort: int32(8000 + r.IntN(3))}}
	}
	p.Spec.Containers = []api.Container{ctr}
	p.Status.Phase = []api.PodPhase{api.PodPending, api.PodRunning, api.PodSucceeded, api.PodFailed}[r.IntN(4)]
	return p
}

func checkUsage(t *testing.T, s *Store, step int) {
	t.Helper()
	want := buildUsage(s.View().List("Pod", "", nil))
	txn := s.WriteTxn(s.Index() + 1)
	defer txn.Abort()
	for _, node := range []string{"n0", "n1", "n2"} {
		got, exp := txn.NodeUsage(node), NodeUsage{}
		if w := want[node]; w != nil {
			exp = *w
		}
		if len(got.Ports) == 0 && len(exp.Ports) == 0 {
			got.Ports, exp.Ports = nil, nil
		}
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("step %d: %s usage %+v, recomputed %+v", step, node, got, exp)
		}
	}
}
