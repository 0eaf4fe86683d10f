// Barque patch: tests of the one-sync commit (barque_onesync.go).
// Run: cd third_party/bbolt && go test .

package bbolt

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"go.etcd.io/bbolt/internal/common"
)

func openOneSync(t *testing.T, path string, opts *Options) *DB {
	t.Helper()
	db, err := Open(path, 0o600, opts)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func putKey(t *testing.T, db *DB, key string, val []byte) {
	t.Helper()
	if err := db.Update(func(tx *Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("b"))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), val)
	}); err != nil {
		t.Fatal(err)
	}
}

// readAll returns every key and value of bucket b, after a consistency check.
func readAll(t *testing.T, db *DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := db.View(func(tx *Tx) error {
		for err := range tx.Check() {
			return err
		}
		b := tx.Bucket([]byte("b"))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error { out[string(k)] = string(v); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCommitSyncsOnce(t *testing.T) {
	db := openOneSync(t, filepath.Join(t.TempDir(), "db"), nil)
	defer db.Close()
	putKey(t, db, "warm", make([]byte, 20000))
	before := syncCount.Load()
	const commits = 50
	for i := range commits {
		putKey(t, db, fmt.Sprint(i), bytes.Repeat([]byte{byte(i)}, 14000))
	}
	if got := syncCount.Load() - before; got != commits {
		t.Fatalf("%d fdatasyncs for %d commits, want one each", got, commits)
	}
}

func TestCommitRecordFallsBackToTwoSyncs(t *testing.T) {
	const pageSize = 4096
	n := maxCommitExtents + 1
	buf := make([]byte, n*pageSize)
	var pages common.Pages
	for i := range n {
		p := (*common.Page)(unsafe.Pointer(&buf[i*pageSize]))
		p.SetId(common.Pgid(2 + 2*i)) // none contiguous
		pages = append(pages, p)
	}
	if newCommitRecord(pages[:n-1], pageSize) == nil {
		t.Fatalf("%d extents should fit a record", n-1)
	}
	if newCommitRecord(pages, pageSize) != nil {
		t.Fatalf("%d extents should not fit a record", n)
	}
	pages[1].SetId(3) // contiguous with page 2: one extent fewer
	if newCommitRecord(pages, pageSize) == nil {
		t.Fatal("contiguous pages should merge into one extent")
	}
}

// crashMode says which writes of a commit a simulated crash keeps.
type crashMode int

const (
	keepAll       crashMode = iota // every write landed
	dropSomePages                  // the meta page landed, some pages did not
	dropMeta                       // the pages landed, the meta page did not
	tornMeta                       // the meta page landed only in part, its meta torn
)

// crashWrites makes db's writes behave as if the machine stopped during
// the next commit, per mode; pageSize is db's.
func crashWrites(db *DB, mode crashMode, r *rand.Rand) {
	real := db.ops.writeAt
	dropped := false
	db.ops.writeAt = func(b []byte, off int64) (int, error) {
		isMeta := off < 2*int64(db.pageSize)
		switch {
		case mode == dropSomePages && !isMeta && (r.Intn(2) == 0 || !dropped):
			dropped = true
			return len(b), nil
		case mode == dropMeta && isMeta:
			return len(b), nil
		case mode == tornMeta && isMeta:
			return real(b[:r.Intn(int(common.PageHeaderSize)+64)], off)
		}
		return real(b, off)
	}
}

func TestOpenRollsBackAnIncompleteCommit(t *testing.T) {
	for _, mode := range []crashMode{keepAll, dropSomePages, dropMeta, tornMeta} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			r := rand.New(rand.NewSource(int64(mode)))
			path := filepath.Join(t.TempDir(), "db")
			db := openOneSync(t, path, &Options{NoFreelistSync: true})
			want := map[string]string{}
			for i := range 20 {
				v := strings.Repeat(fmt.Sprint(i), 3000)
				putKey(t, db, fmt.Sprint(i), []byte(v))
				want[fmt.Sprint(i)] = v
			}
			crashWrites(db, mode, r)
			last := strings.Repeat("x", 9000)
			putKey(t, db, "last", []byte(last))
			if mode == keepAll {
				want["last"] = last
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = openOneSync(t, path, &Options{NoFreelistSync: true})
			defer db.Close()
			if got := readAll(t, db); !maps.Equal(got, want) {
				t.Fatalf("after the crash: %d keys, last present %v; want %d keys, last present %v",
					len(got), got["last"] != "", len(want), want["last"] != "")
			}
			putKey(t, db, "after", []byte("v")) // and the database goes on
			want["after"] = "v"
			if got := readAll(t, db); !maps.Equal(got, want) {
				t.Fatal("a commit after the recovery is wrong")
			}
		})
	}
}

func TestReadOnlyOpenRefusesAnIncompleteCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := openOneSync(t, path, nil)
	putKey(t, db, "a", make([]byte, 5000))
	crashWrites(db, dropSomePages, rand.New(rand.NewSource(1)))
	putKey(t, db, "b", make([]byte, 5000))
	db.Close()
	if _, err := Open(path, 0o600, &Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "read-write") {
		t.Fatalf("read-only open of an incomplete commit: %v", err)
	}
	db = openOneSync(t, path, nil)
	defer db.Close()
	if got := readAll(t, db); len(got) != 1 || got["a"] == "" {
		t.Fatalf("after recovery: %d keys", len(got))
	}
}

// A meta page without a record (upstream bbolt's) is trusted as upstream
// trusts it; a record that does not match its meta page rolls back.
func TestMetaPageRecordChecks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		damage   func(record []byte)
		keepLast bool
	}{
		{"no record", func(rec []byte) { clear(rec) }, true},
		{"record of another transaction", func(rec []byte) { rec[4]++ }, false},
		{"record torn", func(rec []byte) { rec[commitRecordHeader] ^= 0xff }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "db")
			db := openOneSync(t, path, nil)
			putKey(t, db, "a", []byte("1"))
			putKey(t, db, "last", []byte("2"))
			newest := db.meta().Txid() % 2
			pageSize := db.pageSize
			db.Close()
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			rec := make([]byte, commitRecordEnd-commitRecordOffset)
			off := int64(newest)*int64(pageSize) + commitRecordOffset
			if _, err := f.ReadAt(rec, off); err != nil {
				t.Fatal(err)
			}
			tc.damage(rec)
			if _, err := f.WriteAt(rec, off); err != nil {
				t.Fatal(err)
			}
			f.Close()
			db = openOneSync(t, path, nil)
			defer db.Close()
			got := readAll(t, db)
			if (got["last"] != "") != tc.keepLast || got["a"] != "1" {
				t.Fatalf("keys after opening: %v, want last kept: %v", got, tc.keepLast)
			}
		})
	}
}

// TestRandomCrashes crashes the database at random commits of random
// sizes, in every mode, and checks after each reopen that it holds exactly
// the commits that finished (the crashed one only when all its writes
// landed) and passes bbolt's consistency check.
func TestRandomCrashes(t *testing.T) {
	for seed := int64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			path := filepath.Join(t.TempDir(), "db")
			opts := &Options{NoFreelistSync: seed%2 == 0}
			db := openOneSync(t, path, opts)
			model := map[string]string{}
			for step := range 200 {
				next := maps.Clone(model)
				if err := db.Update(func(tx *Tx) error {
					b, err := tx.CreateBucketIfNotExists([]byte("b"))
					if err != nil {
						return err
					}
					for range 1 + r.Intn(6) {
						k := fmt.Sprint(r.Intn(60))
						if r.Intn(4) == 0 {
							delete(next, k)
							if err := b.Delete([]byte(k)); err != nil {
								return err
							}
							continue
						}
						v := strings.Repeat(string(rune('a'+r.Intn(26))), r.Intn(3)*r.Intn(9000)+1)
						next[k] = v
						if err := b.Put([]byte(k), []byte(v)); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				model = next
				if r.Intn(8) != 0 {
					continue
				}
				mode := crashMode(r.Intn(4))
				crashWrites(db, mode, r)
				crashed := maps.Clone(model)
				k := fmt.Sprint("crash", step)
				v := strings.Repeat("z", r.Intn(12000)+1)
				putKey(t, db, k, []byte(v))
				if mode == keepAll {
					crashed[k] = v
				}
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
				db = openOneSync(t, path, opts)
				if got := readAll(t, db); !maps.Equal(got, crashed) {
					t.Fatalf("step %d, crash mode %d: %d keys after reopening, want %d", step, mode, len(got), len(crashed))
				}
				model = crashed
			}
			db.Close()
		})
	}
}

// A commit whose one fdatasync fails is not the database afterwards, in
// this process or after a reopen: its meta page is erased (upstream had
// synced the pages first, so only the meta page was in doubt).
func TestFailedSyncUnpublishesTheCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := openOneSync(t, path, nil)
	putKey(t, db, "a", []byte("1"))
	failNextSync = errors.New("injected EIO")
	err := db.Update(func(tx *Tx) error { return tx.Bucket([]byte("b")).Put([]byte("lost"), make([]byte, 5000)) })
	if err == nil || !strings.Contains(err.Error(), "injected EIO") {
		t.Fatalf("commit with a failing sync: %v", err)
	}
	if got := readAll(t, db); len(got) != 1 || got["a"] != "1" {
		t.Fatalf("after the failed commit, in process: %d keys", len(got))
	}
	putKey(t, db, "c", []byte("3"))
	db.Close()
	db = openOneSync(t, path, nil)
	defer db.Close()
	if got := readAll(t, db); len(got) != 2 || got["lost"] != "" || got["c"] != "3" {
		t.Fatalf("after reopening: %v keys", len(got))
	}
}
