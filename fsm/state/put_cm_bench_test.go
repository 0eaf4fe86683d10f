package state

import (
	"fmt"
	"testing"

	"github.com/barque-io/barque/api"
)

// BenchmarkPutConfigMaps: creating ConfigMaps among 100,000 stored, 25 per
// transaction as log entries carry them under cpbench's 64 writers.
func BenchmarkPutConfigMaps(b *testing.B) {
	s := New(0)
	txn := s.WriteTxn(1)
	mk := func(i int) *api.ConfigMap {
		return &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: api.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("cm-%08d", i), UID: fmt.Sprint(i)},
			Data:       map[string]string{"v": "x"}}
	}
	for i := 0; i < 100000; i++ {
		if err := txn.Put(mk(i), Added); err != nil {
			b.Fatal(err)
		}
	}
	txn.Commit()
	objs := make([]*api.ConfigMap, b.N)
	for n := range objs {
		objs[n] = mk(100000 + n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	idx := uint64(2)
	txn = s.WriteTxn(idx)
	for n := 0; n < b.N; n++ {
		if n%25 == 24 {
			txn.Commit()
			idx++
			txn = s.WriteTxn(idx)
		}
		if err := txn.Put(objs[n], Added); err != nil {
			b.Fatal(err)
		}
	}
	txn.Commit()
}
