package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barque-io/barque/api"
)

// Reconnect backoff of FollowPodLogs: short, since a replica or agent
// restart or a leader election takes a second or two.
const (
	followBackoffStart = 100 * time.Millisecond
	followBackoffMax   = 2 * time.Second
)

// FollowPodLogs follows a pod container's logs, calling line with each
// whole line (without its newline), until ctx ends (answering nil), or the
// pod is deleted or finished and its output read. A stream that breaks (the
// server that proxied it stopped, the agent restarted) is opened again,
// through any server, with backoff, and resumes at the byte after the last
// whole line delivered: no line is repeated or lost. Only an error before
// the first stream opens is returned (the pod or container does not exist).
//
// With o.Stream empty, stdout and stderr are followed as two streams, each
// resumed at its own offset; line is then called from two goroutines.
func (c *Client) FollowPodLogs(ctx context.Context, namespace, name string, o LogOptions, line func(text []byte) error) error {
	obj, err := c.Get(ctx, "Pod", namespace, name, GetOptions{})
	if err != nil {
		return err
	}
	f := &logFollow{c: c, namespace: namespace, name: name, uid: obj.(*api.Pod).UID, line: line}
	// A previous run is over: its output is read once, not followed.
	f.endedAtStart = api.PodIsTerminal(obj.(*api.Pod)) || o.Previous
	over, stop := context.WithCancel(ctx)
	defer stop()
	f.over = over
	if !f.endedAtStart {
		go f.watchPod(over, stop)
	}
	if o.Stream != "" {
		return f.follow(ctx, o)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, s := range []string{"stdout", "stderr"} {
		so := o
		so.Stream = s
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f.follow(ctx, so) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// followPodPoll is how often FollowPodLogs looks whether a followed pod has
// finished or gone: the agent keeps a followed stream open after its task
// ends, so the client ends it.
const followPodPoll = 2 * time.Second

// Pod states seen by logFollow.watchPod.
const (
	podLive int32 = iota
	podEnded
	podGone
)

// logFollow is one pod followed by FollowPodLogs.
type logFollow struct {
	c               *Client
	namespace, name string
	uid             string
	endedAtStart    bool // finished pod, or previous run: read once
	line            func([]byte) error
	// over ends the followed streams once state is podEnded or podGone.
	over  context.Context
	state atomic.Int32
}

// watchPod polls the pod until it has finished or gone, then records it
// and ends the follow streams (stop), which then read what is left.
func (f *logFollow) watchPod(ctx context.Context, stop context.CancelFunc) {
	for sleep(ctx, followPodPoll) == nil {
		gone, ended := f.podState(ctx)
		if gone {
			f.state.Store(podGone)
		} else if ended {
			f.state.Store(podEnded)
		}
		if gone || ended {
			stop()
			return
		}
	}
}

// follow streams one stream of the pod until it is over.
func (f *logFollow) follow(ctx context.Context, o LogOptions) error {
	off := int64(-1) // unknown until the first answer
	backoff := followBackoffStart
	ended := f.endedAtStart
	for opened := false; ; {
		lo := o
		lo.Follow = !ended
		if off >= 0 {
			lo.TailLines, lo.SinceBytes = nil, &off
		}
		rctx := ctx // a follow ends when the pod does, too
		if lo.Follow {
			rctx = f.over
		}
		rc, h, err := f.c.podLogs(rctx, f.namespace, f.name, lo)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !opened && rctx.Err() == nil:
			return err
		case err == nil:
			opened = true
			if off, err = f.read(rctx, rc, h, off, !lo.Follow); err != nil || !lo.Follow {
				return err
			}
			backoff = followBackoffStart
		}
		if ctx.Err() != nil {
			return nil
		}
		gone, nowEnded := f.stateAfterBreak(ctx)
		if gone {
			return nil
		}
		if ended = ended || nowEnded; ended {
			continue // read what is left, without following
		}
		f.c.logger.Debug("log stream broke; reopening", "pod", f.name, "stream", o.Stream, "offset", off, "error", err)
		if sleep(ctx, backoff) != nil {
			return nil
		}
		backoff = min(backoff*2, followBackoffMax)
	}
}

// stateAfterBreak: what watchPod found, else a fresh look at the pod.
func (f *logFollow) stateAfterBreak(ctx context.Context) (gone, ended bool) {
	switch f.state.Load() {
	case podGone:
		return true, false
	case podEnded:
		return false, true
	}
	return f.podState(ctx)
}

// read delivers the answer's whole lines and returns the offset after the
// last one. A final line without its newline is delivered only when the
// answer is complete (not followed): a broken stream re-reads it next time.
func (f *logFollow) read(ctx context.Context, rc io.ReadCloser, h http.Header, off int64, complete bool) (int64, error) {
	defer rc.Close()
	stop := context.AfterFunc(ctx, func() { rc.Close() }) // Ctrl-C: at once
	defer stop()
	if off < 0 {
		off = 0
		if v := h.Get(LogOffsetHeader); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("bad %s %q", LogOffsetHeader, v)
			}
			off = n
		}
	}
	br := bufio.NewReaderSize(rc, 64<<10)
	for {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 && (err == nil || (complete && errors.Is(err, io.EOF))) {
			off += int64(len(b))
			if lerr := f.line(bytes.TrimSuffix(b, []byte("\n"))); lerr != nil {
				return off, lerr
			}
		}
		if err != nil {
			return off, nil
		}
	}
}

// podState tells whether the pod is gone (deleted, or replaced by another
// of the same name) or has finished. A failed read says neither: retry.
func (f *logFollow) podState(ctx context.Context) (gone, ended bool) {
	obj, err := f.c.Get(ctx, "Pod", f.namespace, f.name, GetOptions{})
	if errors.Is(err, api.ErrNotFound) {
		return true, false
	}
	if err != nil {
		return false, false
	}
	p := obj.(*api.Pod)
	return p.UID != f.uid, api.PodIsTerminal(p)
}
