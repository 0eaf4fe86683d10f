// Barque patch: a random stress test of the leaf split and kept pages
// (PATCHED.md), written in review. Run: cd third_party/bbolt && go test .

package bbolt_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestBarqueSplitAndKeptPages(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { splitStressRun(t, seed) })
	}
}

func splitStressRun(t *testing.T, seed int64) {
	r := rand.New(rand.NewSource(seed))
	path := filepath.Join(t.TempDir(), "db")
	open := func() *bolt.DB {
		db, err := bolt.Open(path, 0600, &bolt.Options{PageSize: 4096, InitialMmapSize: map[bool]int{true: 0, false: 1 << 30}[seed%3 == 0], NoFreelistSync: seed%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	model := map[string]map[string][]byte{}
	buckets := []string{"a", "b", "c"}
	val := func() []byte {
		var n int
		switch r.Intn(4) {
		case 0:
			n = r.Intn(40)
		case 1:
			n = 1000 + r.Intn(2000)
		default:
			n = 3000 + r.Intn(20000)
		}
		b := make([]byte, n)
		r.Read(b)
		return b
	}
	check := func() {
		if err := db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				return err
			}
			for bn, m := range model {
				b := tx.Bucket([]byte(bn))
				if b == nil {
					if len(m) == 0 {
						continue
					}
					return fmt.Errorf("missing bucket %s", bn)
				}
				cnt := 0
				if err := b.ForEach(func(k, v []byte) error {
					cnt++
					if mv, ok := m[string(k)]; !ok || !bytes.Equal(mv, v) {
						return fmt.Errorf("bad %s/%x", bn, k)
					}
					return nil
				}); err != nil {
					return err
				}
				if cnt != len(m) {
					return fmt.Errorf("count %s %d %d", bn, cnt, len(m))
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var held *bolt.Tx
	var heldSnap map[string]string
	for iter := 0; iter < 600; iter++ {
		// occasionally hold a read tx and verify it later
		if seed%3 != 0 && held == nil && r.Intn(10) == 0 {
			held, _ = db.Begin(false)
			heldSnap = map[string]string{}
			held.ForEach(func(n []byte, b *bolt.Bucket) error {
				return b.ForEach(func(k, v []byte) error { heldSnap[string(n)+"/"+string(k)] = string(v); return nil })
			})
		}
		if err := db.Update(func(tx *bolt.Tx) error {
			nops := 1 + r.Intn(8)
			if r.Intn(20) == 0 {
				nops = 200
			}
			for i := 0; i < nops; i++ {
				bn := buckets[r.Intn(len(buckets))]
				b, err := tx.CreateBucketIfNotExists([]byte(bn))
				if err != nil {
					return err
				}
				if model[bn] == nil {
					model[bn] = map[string][]byte{}
				}
				m := model[bn]
				switch op := r.Intn(10); {
				case op < 4: // append
					k := fmt.Sprintf("%08d", len(m)+r.Intn(3)+iter*1000)
					v := val()
					if err := b.Put([]byte(k), v); err != nil {
						return err
					}
					m[k] = v
				case op < 6: // overwrite / random insert
					k := fmt.Sprintf("%08d", r.Intn(600000))
					v := val()
					if err := b.Put([]byte(k), v); err != nil {
						return err
					}
					m[k] = v
				case op < 9: // delete range of first keys
					c := b.Cursor()
					n := r.Intn(30)
					for k, _ := c.First(); k != nil && n > 0; n-- {
						if err := c.Delete(); err != nil {
							return err
						}
						delete(m, string(k))
						k, _ = c.Next()
					}
				default:
					if r.Intn(5) == 0 {
						if err := tx.DeleteBucket([]byte(bn)); err != nil {
							return err
						}
						delete(model, bn)
					} else {
						sb, err := b.CreateBucketIfNotExists([]byte("zsub"))
						if err != nil {
							return err
						}
						_ = sb.Put([]byte("x"), val())
						_ = b.Delete([]byte("zsub"))
						delete(m, "zsub")
						_ = b.DeleteBucket([]byte("zsub"))
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if held != nil && r.Intn(5) == 0 {
			got := map[string]string{}
			held.ForEach(func(n []byte, b *bolt.Bucket) error {
				return b.ForEach(func(k, v []byte) error { got[string(n)+"/"+string(k)] = string(v); return nil })
			})
			if len(got) != len(heldSnap) {
				t.Fatalf("held tx changed size")
			}
			for k, v := range got {
				if heldSnap[k] != v {
					t.Fatalf("held tx changed %q", k)
				}
			}
			held.Rollback()
			held = nil
		}
		if iter%25 == 0 {
			check()
		}
		if iter%100 == 99 {
			if held != nil {
				held.Rollback()
				held = nil
			}
			db.Close()
			db = open()
			check()
		}
	}
	check()
	db.Close()
}
