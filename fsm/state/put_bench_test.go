package state

import (
	"fmt"
	"testing"

	"github.com/barque-io/barque/api"
)

// BenchmarkPutPods: creating and binding pods in the store, 64 per
// transaction as log entries carry them.
func BenchmarkPutPods(b *testing.B) {
	s := New(0)
	pods := make([]*api.Pod, 20000)
	for i := range pods {
		pods[i] = &api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: api.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("p%06d", i), UID: fmt.Sprint(i),
				OwnerReferences: []api.OwnerReference{{Kind: "ReplicaSet", Name: "rs", UID: "rs-uid"}}},
			Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Image: "x"}}}}
	}
	b.ResetTimer()
	idx := uint64(1)
	txn := s.WriteTxn(idx)
	for n := 0; n < b.N; n++ {
		i := n % len(pods)
		if n%64 == 63 {
			txn.Commit()
			idx++
			txn = s.WriteTxn(idx)
		}
		p := api.ShallowCopy(pods[i]).(*api.Pod)
		if n/len(pods)%2 == 1 {
			p.Spec.NodeName = fmt.Sprintf("n%d", i%1000)
		}
		if err := txn.Put(p, Modified); err != nil {
			b.Fatal(err)
		}
	}
	txn.Commit()
}
