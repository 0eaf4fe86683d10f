package controlplane

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// failWriter issues one create every tick, each in its own goroutine so a
// write stuck on a dead or leaderless member does not delay the next one:
// the failover window then measures the system, not the writer.
type failWriter struct {
	sys     System
	group   string
	value   []byte
	tick    time.Duration
	timeout time.Duration

	target atomic.Int32 // member the next write goes to
	sem    chan struct{}
	wg     sync.WaitGroup

	mu   sync.Mutex
	recs []*writeRec // in issue order
}

type writeRec struct {
	key          string
	member       int
	issued, done time.Time
	finished, ok bool
	err          string
}

func newFailWriter(sys System, group string, value []byte, tick, timeout time.Duration) *failWriter {
	// Enough room for every write of one timeout period to be in flight.
	inflight := int(timeout/tick) + 16
	return &failWriter{sys: sys, group: group, value: value, tick: tick, timeout: timeout,
		sem: make(chan struct{}, inflight)}
}

// run issues writes until ctx ends, then waits for those in flight.
func (w *failWriter) run(ctx context.Context) {
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for seq := 0; ; seq++ {
		select {
		case <-ctx.Done():
			w.wg.Wait()
			return
		case <-t.C:
		}
		select {
		case w.sem <- struct{}{}:
		default:
			continue // every slot is waiting on a stuck write: skip this tick
		}
		rec := &writeRec{key: fmt.Sprintf("%s-%d", w.group, seq), issued: time.Now()}
		w.mu.Lock()
		w.recs = append(w.recs, rec)
		w.mu.Unlock()
		w.wg.Add(1)
		go w.write(rec)
	}
}

func (w *failWriter) write(rec *writeRec) {
	defer func() { <-w.sem; w.wg.Done() }()
	idx := w.target.Load()
	rec.member = int(idx) // written before any reader can see the record finished
	// Not the run's ctx: a write already issued is allowed to finish so its
	// outcome (acknowledged or not) is known.
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	err := probeWriter(w.sys, int(idx)).Create(ctx, w.group, rec.key, w.value)
	cancel()
	w.mu.Lock()
	rec.done, rec.finished, rec.ok = time.Now(), true, err == nil
	if err != nil {
		rec.err = err.Error()
	}
	w.mu.Unlock()
	if err != nil {
		// Next tick goes to the next member; CAS so that many writes failing
		// on the same member move the target once, not once each.
		w.target.CompareAndSwap(idx, (idx+1)%Members)
	}
}

// window returns kill -> completion of the first successful write issued at
// or after kill, once it is known: every write issued after kill and before
// that one has finished (and failed).
func (w *failWriter) window(kill time.Time) (time.Duration, bool) {
	d, _, ok := w.windowInfo(kill)
	return d, ok
}

// windowInfo is window plus a one-line account of the writes it spans, so
// an odd window in the log can be told apart from a writer artefact.
func (w *failWriter) windowInfo(kill time.Time) (time.Duration, string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	failed, firstErr := 0, ""
	for _, r := range w.recs {
		if r.issued.Before(kill) {
			continue
		}
		if !r.finished {
			return 0, "", false
		}
		if r.ok {
			info := fmt.Sprintf("first success issued +%.0f ms to member %d; %d failed before it",
				ms(r.issued.Sub(kill)), r.member, failed)
			if firstErr != "" {
				info += "; first error: " + firstErr
			}
			return r.done.Sub(kill), info, true
		}
		if failed++; firstErr == "" {
			firstErr = fmt.Sprintf("member %d after %.0f ms: %s", r.member, ms(r.done.Sub(r.issued)), r.err)
		}
	}
	return 0, "", false
}

// results returns the keys acknowledged and the count of failed writes.
func (w *failWriter) results() (acked []string, failed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.recs {
		switch {
		case r.ok:
			acked = append(acked, r.key)
		case r.finished:
			failed++
		}
	}
	return acked, failed
}

// ProbeWriterSystem is implemented by systems whose usual Writer retries
// inside (Barque's Go client backs off 50, 100, 200 ms... after a 503):
// the failover writer wants each write to be one attempt, so that the
// first success after a kill dates the recovery to within one tick, not to
// a client's backoff step.
type ProbeWriterSystem interface {
	ProbeWriter(i int) Writer
}

func probeWriter(sys System, i int) Writer {
	if p, ok := sys.(ProbeWriterSystem); ok {
		return p.ProbeWriter(i)
	}
	return sys.Writer(i)
}
