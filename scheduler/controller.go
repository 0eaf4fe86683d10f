package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
	"github.com/hashicorp/go-hclog"
)

// Defaults shared by the workload controllers.
const (
	defaultWorkers  = 8
	defaultDebounce = 5 * time.Millisecond
	defaultResync   = 30 * time.Second
	// maxBurst bounds the pods one pass of one owner creates or deletes, as
	// Kubernetes' burstReplicas does.
	maxBurst = 500
	// writeParallelism bounds one owner's writes in flight. The servers
	// batch concurrent writes into one log entry, so wide is cheap.
	writeParallelism = 64
	maxRetryDelay    = 30 * time.Second
	firstRetryDelay  = 50 * time.Millisecond
	eventsPerRead    = 10_000
)

// syncFunc reconciles one owner, keyed namespace/name. A positive duration
// asks to look again after it even if nothing changes (minReadySeconds,
// progress deadlines).
type syncFunc func(ctx context.Context, key string) (time.Duration, error)

// ownerLoop is the shape every workload controller shares: reconcile every
// object of a kind at start, then, each time the store commits, wait a few
// milliseconds for the burst to settle, read the events since the last
// look, map them to the owners they concern, and queue those. A full pass
// runs every resync period, and after a restore or a history gap. A work
// queue keyed by owner serializes the passes over one owner while passes
// over different owners run in parallel.
type ownerLoop struct {
	store    *state.Store
	logger   hclog.Logger
	kind     string
	workers  int
	debounce time.Duration
	resync   time.Duration
	// keysFor lists the owners one event concerns.
	keysFor func(view *state.ReadView, ev state.Event) []string
	// kinds, when set, are the only kinds whose events keysFor maps to
	// owners: the loop then skips the others without copying them.
	kinds map[string]bool
	// all, when set, lists the keys of a full pass in place of every
	// object of kind (the garbage collector's keys are not one kind's).
	all  func(view *state.ReadView) []string
	sync syncFunc
}

func (l *ownerLoop) run(ctx context.Context) {
	l.setDefaults()
	q := newWorkQueue()
	var wg sync.WaitGroup
	for i := 0; i < l.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.work(ctx, q)
		}()
	}
	l.watch(ctx, q)
	q.shutDown()
	wg.Wait()
}

func (l *ownerLoop) setDefaults() {
	if l.workers <= 0 {
		l.workers = defaultWorkers
	}
	if l.debounce <= 0 {
		l.debounce = defaultDebounce
	}
	if l.resync <= 0 {
		l.resync = defaultResync
	}
	if l.logger == nil {
		l.logger = hclog.NewNullLogger()
	}
}

// watch feeds the queue until ctx ends. It reads the events at most once
// per debounce period, however busy the store, and runs the full pass on
// time even when the store never rests.
func (l *ownerLoop) watch(ctx context.Context, q *workQueue) {
	last, restores := l.fullPass(q)
	resync := time.NewTicker(l.resync)
	defer resync.Stop()
	for {
		select {
		case <-resync.C:
			last, restores = l.fullPass(q)
		default:
		}
		changed := l.store.Changed()
		if l.store.Index() == last && l.store.Restores() == restores {
			select {
			case <-changed:
			case <-resync.C:
				last, restores = l.fullPass(q)
				continue
			case <-ctx.Done():
				return
			}
		}
		if !sleepCtx(ctx, l.debounce) {
			return
		}
		if l.store.Restores() != restores {
			last, restores = l.fullPass(q)
			continue
		}
		next, ok := l.queueChanges(q, last)
		if !ok {
			last, restores = l.fullPass(q)
			continue
		}
		last = next
	}
}

// fullPass queues every object of the kind and returns where the event
// scan resumes.
func (l *ownerLoop) fullPass(q *workQueue) (uint64, uint64) {
	restores := l.store.Restores()
	view := l.store.View()
	if l.all != nil {
		for _, k := range l.all(view) {
			q.add(k)
		}
		return view.Index, restores
	}
	for _, obj := range view.List(l.kind, "", nil) {
		q.add(obj.GetObjectMeta().Key())
	}
	return view.Index, restores
}

// queueChanges queues the owners of every event after index last. It
// reports false when the history no longer reaches back that far.
func (l *ownerLoop) queueChanges(q *workQueue, last uint64) (uint64, bool) {
	view := l.store.View()
	for {
		evs, next, err := l.readEvents(last)
		if err != nil {
			l.logger.Debug("event history gap, full pass", "error", err)
			return last, false
		}
		if next == last {
			// Writes that changed nothing still move the index.
			if idx := l.store.Index(); idx > last {
				last = idx
			}
			return last, true
		}
		for _, ev := range evs {
			for _, k := range l.keysFor(view, ev) {
				q.add(k)
			}
		}
		last = next
	}
}

// readEvents reads the events after last that the loop looks at, and the
// index to resume from (last when there were none at all).
func (l *ownerLoop) readEvents(last uint64) ([]state.Event, uint64, error) {
	if l.kinds != nil {
		return l.store.EventsAfterOf(last, eventsPerRead, l.kinds)
	}
	evs, _, err := l.store.EventsAfter(last, eventsPerRead)
	if err != nil || len(evs) == 0 {
		return nil, last, err
	}
	return evs, evs[len(evs)-1].Index, nil
}

// kindSet is the kinds an ownerLoop looks at.
func kindSet(kinds ...string) map[string]bool {
	m := make(map[string]bool, len(kinds))
	for _, k := range kinds {
		m[k] = true
	}
	return m
}

func (l *ownerLoop) work(ctx context.Context, q *workQueue) {
	for {
		key, ok := q.get()
		if !ok {
			return
		}
		after, err := l.sync(ctx, key)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			d := q.failed(key)
			if raced(err) {
				l.logger.Debug("sync raced another write, retrying", "key", key, "error", err)
			} else {
				l.logger.Warn("sync failed", "key", key, "retry_in", d, "error", err)
			}
			q.addAfter(key, d)
		default:
			q.forget(key)
			if after > 0 {
				q.addAfter(key, after)
			}
		}
		q.done(key)
	}
}

// raced reports an error that only says another write came first: the
// store moved, and the next pass will see why.
func raced(err error) bool {
	return errors.Is(err, api.ErrConflict) || errors.Is(err, api.ErrNotFound) || errors.Is(err, api.ErrAlreadyExists)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// workQueue is a set of keys to process, as client-go's workqueue: a key
// added while queued is queued once; a key added while it is being
// processed is queued again once processing is done, so no two workers
// ever hold the same key.
type workQueue struct {
	mu         sync.Mutex
	cond       *sync.Cond
	queue      []string
	dirty      map[string]bool
	processing map[string]bool
	delayed    map[string]time.Time
	failures   map[string]int
	stopped    bool
}

func newWorkQueue() *workQueue {
	q := &workQueue{dirty: map[string]bool{}, processing: map[string]bool{},
		delayed: map[string]time.Time{}, failures: map[string]int{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *workQueue) add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped || q.dirty[key] {
		return
	}
	q.dirty[key] = true
	if !q.processing[key] {
		q.queue = append(q.queue, key)
		q.cond.Signal()
	}
}

// addAfter queues key after d; of several pending delays the earliest wins.
func (q *workQueue) addAfter(key string, d time.Duration) {
	at := time.Now().Add(d)
	q.mu.Lock()
	if prev, ok := q.delayed[key]; (ok && !prev.After(at)) || q.stopped {
		q.mu.Unlock()
		return
	}
	q.delayed[key] = at
	q.mu.Unlock()
	time.AfterFunc(d, func() {
		q.mu.Lock()
		if t, ok := q.delayed[key]; ok && t.Equal(at) {
			delete(q.delayed, key)
		}
		q.mu.Unlock()
		q.add(key)
	})
}

func (q *workQueue) get() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.queue) == 0 && !q.stopped {
		q.cond.Wait()
	}
	if q.stopped {
		return "", false
	}
	key := q.queue[0]
	q.queue = q.queue[1:]
	q.processing[key] = true
	delete(q.dirty, key)
	return key, true
}

func (q *workQueue) done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.dirty[key] && !q.stopped {
		q.queue = append(q.queue, key)
		q.cond.Signal()
	}
}

// failed counts a failure and returns the backoff before the next try.
func (q *workQueue) failed(key string) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.failures[key]
	q.failures[key] = n + 1
	d := firstRetryDelay << min(n, 16)
	return min(d, maxRetryDelay)
}

func (q *workQueue) forget(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.failures, key)
}

func (q *workQueue) shutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	q.cond.Broadcast()
}

// parallel runs fn for i in [0, n) with at most writeParallelism at once,
// in slow-start batches (16, 32, 64… calls) that stop at the first batch
// with an error, as Kubernetes does, so a failing write (a deleted
// namespace) fails a few times rather than hundreds. It returns how many
// calls succeeded and the errors.
func parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) (int, error) {
	done, batch := 0, 16
	var errs []error
	for done < n && len(errs) == 0 {
		size := min(batch, n-done)
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, writeParallelism)
		ok := 0
		for i := done; i < done+size; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				err := fn(ctx, i)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					ok++
				}
				mu.Unlock()
			}(i)
		}
		wg.Wait()
		done += size
		batch *= 2
		if len(errs) > 0 {
			return done - size + ok, errors.Join(errs...)
		}
	}
	return done, nil
}

// controllerOf returns an object's controlling owner reference, or nil.
func controllerOf(m *api.ObjectMeta) *api.OwnerReference {
	for i := range m.OwnerReferences {
		if r := &m.OwnerReferences[i]; r.Controller != nil && *r.Controller {
			return r
		}
	}
	return nil
}

// ownedBy lists the objects of kind in ns whose controller is uid.
func ownedBy(view *state.ReadView, kind, ns, uid string) []api.Object {
	var out []api.Object
	for _, obj := range view.ByIndex(kind, state.IndexOwner, uid) {
		m := obj.GetObjectMeta()
		if ref := controllerOf(m); ref != nil && ref.UID == uid && m.Namespace == ns {
			out = append(out, obj)
		}
	}
	return out
}

// controllerRef builds the owner reference a controller stamps on what it
// creates.
func controllerRef(apiVersion, kind string, m *api.ObjectMeta) api.OwnerReference {
	return api.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: m.Name, UID: m.UID,
		Controller: api.Ptr(true), BlockOwnerDeletion: api.Ptr(true)}
}

func splitKey(key string) (ns, name string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}

// waitForStore lets the store catch up with the writes just made, so the
// next pass reads them (the leader's store normally has them already).
func waitForStore(ctx context.Context, store *state.Store, objs ...api.Object) {
	var idx uint64
	for _, o := range objs {
		if o != nil {
			idx = max(idx, uint64(o.GetObjectMeta().ResourceVersion))
		}
	}
	if idx == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = store.WaitForIndex(ctx, idx)
}

// keysForOwnerOf maps a change to the owners it concerns, for a controller
// of kind owner whose dependents are of kind dependent: the owner itself,
// or the owner controlling a dependent.
func keysForOwnerOf(owner, dependent string) func(*state.ReadView, state.Event) []string {
	return func(_ *state.ReadView, ev state.Event) []string {
		m := ev.Object.GetObjectMeta()
		switch ev.Kind {
		case owner:
			return []string{m.Key()}
		case dependent:
			if ref := controllerOf(m); ref != nil && ref.Kind == owner {
				return []string{m.Namespace + "/" + ref.Name}
			}
		}
		return nil
	}
}

// deletePodsOf deletes an owner's pods concurrently, each conditional on the
// version read (a pod that changed meanwhile is left for the next pass); a
// pod already gone counts as deleted. owner names the controller and object
// for logs and errors ("replicaset ns/web"); why says which pods they are.
func deletePodsOf(ctx context.Context, w Writer, log hclog.Logger, owner string, pods []*api.Pod, why string) error {
	if len(pods) == 0 {
		return nil
	}
	ok, err := parallel(ctx, len(pods), func(ctx context.Context, i int) error {
		p := pods[i]
		err := w.Delete(ctx, "Pod", p.Namespace, p.Name, p.ResourceVersion, p.UID)
		if errors.Is(err, api.ErrNotFound) {
			return nil
		}
		return err
	})
	log.Debug("deleted pods", "owner", owner, "reason", why, "count", ok)
	if err != nil {
		what := "pods"
		if why != "" {
			what = why + " pods"
		}
		return fmt.Errorf("%s: deleted %d of %d %s: %w", owner, ok, len(pods), what, err)
	}
	return nil
}
