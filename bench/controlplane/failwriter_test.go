package controlplane

import (
	"testing"
	"time"
)

func TestWindowWaitsForEarlierWrites(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	w := &failWriter{recs: []*writeRec{
		{issued: at(0), done: at(5), finished: true, ok: true},    // before the kill
		{issued: at(10), finished: false},                         // in flight
		{issued: at(20), done: at(900), finished: true, ok: true}, // first success issued after
		{issued: at(30), done: at(800), finished: true, ok: true}, // done earlier, issued later
	}}
	kill := at(8)
	if _, ok := w.window(kill); ok {
		t.Fatal("window known while an earlier write is in flight")
	}
	w.recs[1].finished, w.recs[1].done = true, at(1500) // it failed
	d, ok := w.window(kill)
	if !ok || d != 892*time.Millisecond {
		t.Fatalf("window %v %v, want 892ms", d, ok)
	}
	acked, failed := w.results()
	if len(acked) != 3 || failed != 1 {
		t.Fatalf("acked %d failed %d", len(acked), failed)
	}
}

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(ds)
	if s.N != 100 || s.P50 != 50 || s.P99 != 99 || s.Min != 1 || s.Max != 100 {
		t.Fatalf("%+v", s)
	}
	if Summarize(nil).N != 0 {
		t.Fatal("empty")
	}
}
