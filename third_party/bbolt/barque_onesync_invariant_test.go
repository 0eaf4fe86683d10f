package bbolt

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt/internal/common"
)

// Every page a commit's record names must be referenced by that commit's
// meta (else a later commit may reuse it and falsely fail the check).
func TestBarqueRecordOnlyReferencedPages(t *testing.T) {
	for seed := int64(1); seed <= 16; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			opts := &Options{NoFreelistSync: seed%2 == 0, InitialMmapSize: 1 << 30}
			if seed%4 < 2 {
				opts.FreelistType = FreelistMapType
			} else {
				opts.FreelistType = FreelistArrayType
			}
			db, err := Open(filepath.Join(t.TempDir(), "db"), 0o600, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var readers []*Tx
			model := map[string]string{}
			recorded, checked := 0, 0
			for step := 0; step < 300; step++ {
				if r.Intn(4) == 0 {
					rt, _ := db.Begin(false)
					readers = append(readers, rt)
				}
				if len(readers) > 0 && r.Intn(3) == 0 {
					i := r.Intn(len(readers))
					readers[i].Rollback()
					readers = append(readers[:i], readers[i+1:]...)
				}
				tx, err := db.Begin(true)
				if err != nil {
					t.Fatal(err)
				}
				if err := randomTx(r, tx, model, true); err != nil {
					t.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
				rec := tx.commit
				if rec == nil || rec.flags&commitSynced != 0 {
					continue
				}
				recorded++
				if err := db.View(func(v *Tx) error {
					reachable := map[common.Pgid]*common.Page{}
					ech := make(chan error)
					go func() {
						for e := range ech {
							panic(e)
						}
					}()
					v.recursivelyCheckBucket(&v.root, reachable, map[common.Pgid]bool{}, HexKVStringer(), ech)
					close(ech)
					if fl := v.meta.Freelist(); fl != common.PgidNoFreelist {
						p := db.page(fl)
						for i := common.Pgid(0); i <= common.Pgid(p.Overflow()); i++ {
							reachable[fl+i] = p
						}
					}
					for _, e := range rec.extents {
						for i := uint32(0); i < e.count; i++ {
							checked++
							if _, ok := reachable[e.id+common.Pgid(i)]; !ok {
								return fmt.Errorf("step %d: page %d in record not referenced by meta %d", step, e.id+common.Pgid(i), v.meta.Txid())
							}
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			for _, rt := range readers {
				rt.Rollback()
			}
			t.Logf("recorded commits %d, pages checked %d", recorded, checked)
		})
	}
}
