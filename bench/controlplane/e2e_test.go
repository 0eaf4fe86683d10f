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
	b := &Barque{Bin: bin, GoClient: true}
	if err := b.Start(ctx, filepath.Join(dir, "cluster")); err != nil {
		t.Fatal(err)
	}
	defer b.Stop()

	var tp ThroughputResult
	for _, r := range []Routing{RoutePinned, RouteLeader, RouteOwn} {
		res, ok := Throughput(ctx, b, 4, r, 300*time.Millisecond, 256)
		if !ok || res.Ops == 0 || res.Errors != 0 || res.Routing != r {
			t.Fatalf("throughput, routing %s: %+v (ok %v)", r, res, ok)
		}
		tp = res
	}
	plain := &Barque{Bin: bin}
	if _, ok := Throughput(ctx, plain, 4, RouteOwn, time.Millisecond, 256); ok {
		t.Fatal("the plain-HTTP writer has no client of its own, yet routing own ran")
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
