package state

import "github.com/barque-io/barque/api"

// EventType is what happened to an object.
type EventType string

// Event types, named as in Kubernetes watches.
const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
)

// Event is one change to one object, at the log index that made it. Size
// is what the history charges for retaining it (see eventCost).
type Event struct {
	Type   EventType
	Index  uint64
	Kind   string
	Object api.Object
	// Prev is the version a Modified or Deleted event replaced, with its
	// own resourceVersion: a watch with a selector tells from it an object
	// that starts or stops matching (ADDED, DELETED), as Kubernetes does,
	// and a list at a past index (ListPage) finds the object as it was.
	// Usually an earlier event of the history holds it anyway; it is not
	// charged to Size.
	Prev api.Object
	Size int
}

// eventOverhead is charged per retained event on top of its object's
// encoded size: the ring slot, the object's Go headers, maps and strings.
const eventOverhead = 256

// minRing is the ring's first capacity; it doubles up to the event bound,
// so a store with little history does not hold a full-size ring.
const minRing = 1024

// history keeps the most recent events in a ring so that watches can resume
// from a resourceVersion. Events with Index > floor are all present; a
// resume from before floor is told the history is gone. It holds at most
// maxEvents events and, beyond the newest entry's, maxBytes of them.
type history struct {
	ring      []Event
	start     int // position of the oldest event
	n         int // number of events held
	bytes     int // sum of the held events' Size
	maxEvents int
	maxBytes  int
	floor     uint64
}

func newHistory(maxEvents, maxBytes int, floor uint64) *history {
	if maxEvents < 1 {
		maxEvents = 1
	}
	return &history{ring: make([]Event, min(maxEvents, minRing)), maxEvents: maxEvents, maxBytes: maxBytes, floor: floor}
}

func (h *history) at(i int) *Event { return &h.ring[(h.start+i)%len(h.ring)] }

// append adds the events of one log entry. To keep "every event after floor"
// true, eviction removes whole entries: when the oldest index must go, every
// event with that index goes. The newest entry is never evicted for bytes,
// so a resume from the entry before it always works.
func (h *history) append(evs []Event) {
	for _, ev := range evs {
		if h.n == len(h.ring) {
			if len(h.ring) < h.maxEvents {
				h.grow()
			} else {
				h.evictOldestIndex()
			}
		}
		*h.at(h.n) = ev
		h.n++
		h.bytes += ev.Size
	}
	if len(evs) == 0 || h.maxBytes <= 0 {
		return
	}
	newest := evs[len(evs)-1].Index
	for h.bytes > h.maxBytes && h.n > 0 && h.at(0).Index != newest {
		h.evictOldestIndex()
	}
}

func (h *history) grow() {
	ring := make([]Event, min(2*len(h.ring), h.maxEvents))
	for i := 0; i < h.n; i++ {
		ring[i] = *h.at(i)
	}
	h.ring, h.start = ring, 0
}

func (h *history) evictOldestIndex() {
	idx := h.at(0).Index
	for h.n > 0 && h.at(0).Index == idx {
		h.bytes -= h.at(0).Size
		*h.at(0) = Event{}
		h.start = (h.start + 1) % len(h.ring)
		h.n--
	}
	h.floor = idx
}

// after returns up to max events with Index > rv, or ok=false when events
// after rv have already been evicted.
func (h *history) after(rv uint64, max int) (out []Event, ok bool) {
	if rv < h.floor {
		return nil, false
	}
	lo := h.firstAfter(rv)
	if n := min(h.n-lo, max); n > 0 {
		out = make([]Event, 0, n)
	}
	for i := lo; i < h.n && len(out) < max; i++ {
		out = append(out, *h.at(i))
	}
	// Never split one entry's events across two calls: a caller that resumes
	// from the last index it saw would miss the rest.
	if len(out) > 0 && len(out) == max && lo+max < h.n && h.at(lo+max).Index == out[len(out)-1].Index {
		last := out[len(out)-1].Index
		for i := lo + max; i < h.n && h.at(i).Index == last; i++ {
			out = append(out, *h.at(i))
		}
	}
	return out, true
}

// afterOf is after keeping only the events of the given kinds; it also
// returns the index of the last event it looked at, matching or not (rv
// when none), which is where the caller resumes. It looks at up to max
// events and, like after, never stops inside one entry's events.
func (h *history) afterOf(rv uint64, max int, kinds map[string]bool) (out []Event, scanned uint64, ok bool) {
	if rv < h.floor {
		return nil, 0, false
	}
	lo := h.firstAfter(rv)
	scanned = rv
	for i := lo; i < h.n; i++ {
		ev := h.at(i)
		if i-lo >= max && ev.Index != scanned {
			break
		}
		scanned = ev.Index
		if kinds[ev.Kind] {
			out = append(out, *ev)
		}
	}
	return out, scanned, true
}

// changesAfter copies the events after rv of kind whose objects are in
// namespace ns ("" = all) and sort after the key after: what a list page
// at rv needs to undo. It filters while it scans, under the store's read
// lock, so that a continued page in a cluster of many namespaces copies
// only its own namespace's changes. ok is false once events after rv are
// gone from the history.
func (h *history) changesAfter(rv uint64, kind, ns, after string) (out []Event, ok bool) {
	if rv < h.floor {
		return nil, false
	}
	for i := h.firstAfter(rv); i < h.n; i++ {
		ev := h.at(i)
		if ev.Kind != kind {
			continue
		}
		m := ev.Object.GetObjectMeta()
		if (ns != "" && m.Namespace != ns) || !keyAfter(m.Namespace, m.Name, after) {
			continue
		}
		out = append(out, *ev)
	}
	return out, true
}

// keyAfter says whether objectKey(ns, name) sorts after after, without
// building the key.
func keyAfter(ns, name, after string) bool {
	n := len(ns) + 1 + len(name)
	for i := 0; i < n && i < len(after); i++ {
		var c byte
		switch {
		case i < len(ns):
			c = ns[i]
		case i == len(ns):
			c = '/'
		default:
			c = name[i-len(ns)-1]
		}
		if c != after[i] {
			return c > after[i]
		}
	}
	return n > len(after)
}

// firstAfter is the position of the first event with Index > rv.
func (h *history) firstAfter(rv uint64) int {
	lo, hi := 0, h.n
	for lo < hi {
		mid := (lo + hi) / 2
		if h.at(mid).Index <= rv {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
