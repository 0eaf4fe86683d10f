package controlplane

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestBarqueEndToEndWithFake runs every workload's Barque path against
// bench/internal/fakebarque: three real processes on free ports, SIGKILL and
// restart of the one named leader, and the loss check. Swap in the real
// binary by hand with cpbench -only barque -barque BIN.
func TestBarqueEndToEndWithFake(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three processes")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fakebarque")
	if out, err := exec.Command("go", "build", "-o", bin, "../internal/fakebarque").CombinedOutput(); err != nil {
		t.Fatalf("build fake: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := &Barque{Bin: bin}
	if err := b.Start(ctx, filepath.Join(dir, "cluster")); err != nil {
		t.Fatal(err)
	}
	defer b.Stop()

	tp := Throughput(ctx, b, 4, 300*time.Millisecond, 256)
	if tp.Ops == 0 || tp.Errors != 0 {
		t.Fatalf("throughput: %+v", tp)
	}
	fo, err := Failover(ctx, b, FailoverConfig{Kills: 2, Tick: 10 * time.Millisecond,
		WriteTimeout: time.Second, ValueSize: 256})
	if err != nil || fo.Kills != 2 || len(fo.Windows) != 2 || fo.Acked == 0 || fo.Lost != 0 {
		t.Fatalf("failover: %+v, %v", fo, err)
	}
	mem, err := Memory(ctx, b, MemoryConfig{Objects: 300, Clients: 8, ValueSize: 1024})
	if err != nil || mem.Errors != 0 || mem.MaxRSSMiB <= 0 {
		t.Fatalf("memory: %+v, %v", mem, err)
	}
	t.Logf("throughput %.0f ops/s; failover windows %v ms, acked %d; rss %v MiB",
		tp.OpsPerSec, fo.Windows, fo.Acked, mem.RSSMiB)
}
