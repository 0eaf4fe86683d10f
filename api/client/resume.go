package client

import "github.com/barque-io/barque/api"

// resumePoint tracks where a watch can resume without gap or duplicate.
//
// Several objects changed by one log entry share that entry's
// resourceVersion, and the stream may break between their events. So unless
// everything at last is known delivered (after a list or a bookmark), the
// watch resumes from last-1 and drops the replayed events at last that were
// already delivered, counted per object key.
type resumePoint struct {
	last api.Version
	// complete: every event at last has been delivered.
	complete bool
	// seen counts events delivered at last, by namespace/name.
	seen map[string]int
	// skip counts, on a resumed stream, the replays at last still to drop.
	skip map[string]int
}

// reset starts from a version the caller holds in full (a list's, or the
// one the caller gave).
func (p *resumePoint) reset(v api.Version) {
	p.last, p.complete, p.seen, p.skip = v, true, nil, nil
}

// resumeFrom is the resourceVersion to ask the server for.
func (p *resumePoint) resumeFrom() api.Version {
	if p.complete || p.last == 0 {
		return p.last
	}
	return p.last - 1
}

// resumed is called when a new stream starts: replays of what was seen at
// last will come again and must be dropped.
func (p *resumePoint) resumed() {
	p.skip = nil
	if !p.complete && len(p.seen) > 0 {
		p.skip = make(map[string]int, len(p.seen))
		for k, n := range p.seen {
			p.skip[k] = n
		}
	}
}

// bookmark: the server has sent everything up to v.
func (p *resumePoint) bookmark(v api.Version) {
	if v >= p.last {
		p.reset(v)
	}
}

// admit decides whether an event at v for key is new, and records it.
func (p *resumePoint) admit(v api.Version, key string) bool {
	switch {
	case v > p.last:
		p.last, p.complete, p.skip = v, false, nil
		p.seen = map[string]int{key: 1}
		return true
	case v < p.last || p.complete:
		return false
	case p.skip[key] > 0:
		p.skip[key]--
		return false
	default:
		p.seen[key]++
		return true
	}
}
