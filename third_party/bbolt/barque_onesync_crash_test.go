package bbolt

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

type pendingWrite struct {
	off      int64
	old, new []byte
}

type recorder struct {
	db       *DB
	f        *os.File
	pending  []pendingWrite
	lastSync uint64
}

func (rc *recorder) install(db *DB) {
	rc.db = db
	rc.pending = nil
	rc.lastSync = syncCount.Load()
	real := db.ops.writeAt
	db.ops.writeAt = func(b []byte, off int64) (int, error) {
		if s := syncCount.Load(); s != rc.lastSync {
			rc.pending = nil
			rc.lastSync = s
		}
		old := make([]byte, len(b))
		n, _ := db.file.ReadAt(old, off)
		_ = n // beyond EOF stays zero
		rc.pending = append(rc.pending, pendingWrite{off, old, append([]byte(nil), b...)})
		return real(b, off)
	}
}

func (rc *recorder) settle() {
	if s := syncCount.Load(); s != rc.lastSync {
		rc.pending = nil
		rc.lastSync = s
	}
}

type sector struct {
	w   int
	off int
}

func copyFile(t *testing.T, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
}

// dump reads every bucket (recursively) into a flat map after Check.
func dump(t *testing.T, db *DB) (map[string]string, error) {
	out := map[string]string{}
	err := db.View(func(tx *Tx) error {
		for err := range tx.Check() {
			return err
		}
		var walk func(prefix string, b *Bucket) error
		walk = func(prefix string, b *Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					return walk(prefix+string(k)+"/", b.Bucket(k))
				}
				out[prefix+string(k)] = string(v)
				return nil
			})
		}
		return tx.ForEach(func(name []byte, b *Bucket) error { return walk(string(name)+"/", b) })
	})
	return out, err
}

func randomTx(r *rand.Rand, tx *Tx, model map[string]string, big bool) error {
	buckets := []string{"a", "b", "c"}
	nops := 1 + r.Intn(8)
	if big && r.Intn(10) == 0 {
		nops = 60 + r.Intn(100)
	}
	for i := 0; i < nops; i++ {
		bn := buckets[r.Intn(len(buckets))]
		b, err := tx.CreateBucketIfNotExists([]byte(bn))
		if err != nil {
			return err
		}
		prefix := bn + "/"
		// nested bucket sometimes
		if r.Intn(4) == 0 {
			nb, err := b.CreateBucketIfNotExists([]byte("n"))
			if err != nil {
				return err
			}
			b = nb
			prefix += "n/"
		}
		switch op := r.Intn(20); {
		case op == 0 && prefix == bn+"/":
			// delete whole bucket
			if err := tx.DeleteBucket([]byte(bn)); err != nil {
				return err
			}
			for k := range model {
				if len(k) > len(prefix) && k[:len(prefix)] == prefix {
					delete(model, k)
				}
			}
			continue
		case op < 6:
			k := fmt.Sprintf("%04d", r.Intn(300))
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
			delete(model, prefix+k)
		default:
			k := fmt.Sprintf("%04d", r.Intn(300))
			var n int
			switch r.Intn(5) {
			case 0:
				n = r.Intn(20)
			case 1:
				n = 500 + r.Intn(1500)
			case 2:
				n = 3000 + r.Intn(20000)
			case 3:
				n = 40000 + r.Intn(100000)
			default:
				n = 100
			}
			v := make([]byte, n)
			r.Read(v)
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
			model[prefix+k] = string(v)
		}
	}
	return nil
}

func TestBarqueSectorCrashes(t *testing.T) {
	seeds := 8 // BARQUE_CRASH_SEEDS=200 for a long run (9,891 crashes in review)
	if s := os.Getenv("BARQUE_CRASH_SEEDS"); s != "" {
		fmt.Sscan(s, &seeds)
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			sectorCrashRun(t, seed)
		})
	}
}

func sectorCrashRun(t *testing.T, seed int64) {
	r := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	opts := &Options{NoFreelistSync: r.Intn(2) == 0, InitialMmapSize: 1 << 30}
	if r.Intn(2) == 0 {
		opts.FreelistType = FreelistMapType
	} else {
		opts.FreelistType = FreelistArrayType
	}
	if r.Intn(3) == 0 {
		opts.PageSize = []int{1024, 2048, 8192, 16384}[r.Intn(4)]
	}
	path := filepath.Join(dir, "live")
	db, err := Open(path, 0o600, opts)
	if err != nil {
		t.Fatal(err)
	}
	rc := &recorder{}
	rc.install(db)
	model := map[string]string{}
	var readers []*Tx
	crashes := 0
	nNew, nOld := 0, 0
	steps := 250
	if s := os.Getenv("REVIEW_STEPS"); s != "" {
		fmt.Sscan(s, &steps)
	}
	for step := 0; step < steps; step++ {
		// read txs held open
		if r.Intn(4) == 0 {
			rt, err := db.Begin(false)
			if err != nil {
				t.Fatal(err)
			}
			readers = append(readers, rt)
		}
		if len(readers) > 0 && r.Intn(3) == 0 {
			i := r.Intn(len(readers))
			readers[i].Rollback()
			readers = append(readers[:i], readers[i+1:]...)
		}
		next := maps.Clone(model)
		sizeBefore := fileSize(t, path)
		if err := db.Update(func(tx *Tx) error { return randomTx(r, tx, next, true) }); err != nil {
			t.Fatal(err)
		}
		if r.Intn(5) != 0 {
			model = next
			continue
		}
		crashes++
		// Build a crash image: undo a subset of 512-byte sectors of the pending writes.
		img := filepath.Join(dir, fmt.Sprintf("crash%d", step))
		copyFile(t, path, img)
		var secs []sector
		for wi, w := range rc.pending {
			for o := 0; o < len(w.new); o += 512 {
				secs = append(secs, sector{wi, o})
			}
		}
		mode := r.Intn(6)
		undo := map[sector]bool{}
		metaSector0Kept := true
		for _, s := range secs {
			var u bool
			switch mode {
			case 0: // nothing landed
				u = true
			case 1: // everything landed
				u = false
			case 2: // random subset
				u = r.Intn(2) == 0
			case 3: // one random sector lost
				u = false
			default: // mostly landed
				u = r.Intn(10) == 0
			}
			undo[s] = u
		}
		if mode == 3 && len(secs) > 0 {
			undo[secs[r.Intn(len(secs))]] = true
		}
		allLanded := true
		f, err := os.OpenFile(img, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		// reverse order to undo
		for i := len(secs) - 1; i >= 0; i-- {
			s := secs[i]
			w := rc.pending[s.w]
			if !undo[s] {
				continue
			}
			end := s.off + 512
			if end > len(w.old) {
				end = len(w.old)
			}
			if !bytes.Equal(w.old[s.off:end], w.new[s.off:end]) {
				allLanded = false
			}
			if w.off < 2*int64(db.pageSize) && s.off == 0 {
				metaSector0Kept = false
			}
			if _, err := f.WriteAt(w.old[s.off:end], w.off+int64(s.off)); err != nil {
				t.Fatal(err)
			}
		}
		truncated := false
		if opts.NoGrowSync && r.Intn(2) == 0 {
			f.Truncate(sizeBefore)
			truncated = true
		}
		f.Close()
		_ = truncated
		cdb, err := Open(img, 0o600, &Options{NoFreelistSync: opts.NoFreelistSync, FreelistType: opts.FreelistType, InitialMmapSize: 1 << 30})
		if err != nil {
			t.Fatalf("step %d mode %d: open crash image: %v", step, mode, err)
		}
		got, err := dump(t, cdb)
		if err != nil {
			t.Fatalf("step %d mode %d: check: %v", step, mode, err)
		}
		isNew, isOld := maps.Equal(got, next), maps.Equal(got, model)
		if !isNew && !isOld {
			t.Fatalf("step %d mode %d: neither old nor new state (%d keys, old %d new %d)", step, mode, len(got), len(model), len(next))
		}
		if allLanded && !isNew {
			t.Fatalf("step %d mode %d: all writes landed but rolled back (pending %d writes, readers %d)", step, mode, len(rc.pending), len(readers))
		}
		if !metaSector0Kept && !isOld && !maps.Equal(model, next) {
			t.Fatalf("step %d mode %d: meta not landed but new state", step, mode)
		}
		// reopen again (recovery idempotent) and do a few commits on it
		cdb.Close()
		cdb, err = Open(img, 0o600, &Options{NoFreelistSync: opts.NoFreelistSync, FreelistType: opts.FreelistType, InitialMmapSize: 1 << 30})
		if err != nil {
			t.Fatalf("step %d: second open: %v", step, err)
		}
		got2, err := dump(t, cdb)
		if err != nil || !maps.Equal(got, got2) {
			t.Fatalf("step %d: second open differs: %v", step, err)
		}
		// Continue on the crash image as the new live database.
		for _, rt := range readers {
			rt.Rollback()
		}
		readers = nil
		db.Close()
		os.Remove(path)
		db = cdb
		path = img
		rc.install(db)
		if isNew {
			model = next
			nNew++
		} else {
			nOld++
		}
	}
	for _, rt := range readers {
		rt.Rollback()
	}
	got, err := dump(t, db)
	if err != nil || !maps.Equal(got, model) {
		t.Fatalf("final state wrong: %v", err)
	}
	db.Close()
	_ = sort.Ints
	t.Logf("pending %d", len(rc.pending))
	t.Logf("seed %d nofl %v type %s ps %d crashes %d new %d old %d", seed, opts.NoFreelistSync, opts.FreelistType, opts.PageSize, crashes, nNew, nOld)
}

func fileSize(t *testing.T, p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestBarqueNoGrowSyncLostExtension: with NoGrowSync the file is extended
// by the page writes alone, so a crash can keep the meta page (written in
// place) and lose the extension. Open must then roll the commit back, not
// read past the end of the file through the mmap (SIGBUS: found in
// review, when the check compared against the mmap's size).
func TestBarqueNoGrowSyncLostExtension(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db")
	db, err := Open(path, 0o600, &Options{NoGrowSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rc := &recorder{}
	rc.install(db)
	model := map[string]string{}
	for i := 0; i < 100; i++ {
		before := fileSize(t, path)
		v := string(bytes.Repeat([]byte{byte('a' + i%26)}, 3000))
		if err := db.Update(func(tx *Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return b.Put([]byte{byte(i)}, []byte(v))
		}); err != nil {
			t.Fatal(err)
		}
		rc.settle()
		if fileSize(t, path) == before {
			model["b/"+string([]byte{byte(i)})] = v
			continue
		}
		img := filepath.Join(dir, "img")
		copyFile(t, path, img)
		if err := os.Truncate(img, before); err != nil { // all landed but the extension
			t.Fatal(err)
		}
		cdb, err := Open(img, 0o600, &Options{NoGrowSync: true})
		if err != nil {
			t.Fatalf("open after losing the extension: %v", err)
		}
		defer cdb.Close()
		got, err := dump(t, cdb)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, model) {
			t.Fatalf("after losing the extension of commit %d: %d keys, want the previous commit's %d", i, len(got), len(model))
		}
		return
	}
	t.Fatal("no commit grew the file")
}
