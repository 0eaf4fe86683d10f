package node

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/node/driver"
)

// Logs of a task's previous run. Drivers append to <task>.<stream>.N, so a
// restarted task would continue its previous run's files. The agent wraps
// every driver so that a fresh Start first moves the files of the run
// before to <task>.previous.<stream>.N (replacing older ones): the current
// files hold the current run, as with Kubernetes, and `logs --previous`
// reads the run before. Task names are DNS labels, so ".previous" cannot
// collide with another task's files.
const previousSuffix = ".previous"

// logFollowPoll is how often a follower looks for new output.
const logFollowPoll = 200 * time.Millisecond

// keepPreviousLogs wraps a driver so that Start keeps the last run's logs.
type keepPreviousLogs struct{ driver.Driver }

// Unwrap gives the wrapped driver, for its optional interfaces.
func (d keepPreviousLogs) Unwrap() driver.Driver { return d.Driver }

func (d keepPreviousLogs) Start(ctx context.Context, cfg *driver.TaskConfig) (*driver.TaskHandle, error) {
	if cfg.LogDir != "" {
		for _, stream := range []string{"stdout", "stderr"} {
			if err := keepPreviousRun(cfg.LogDir, cfg.TaskName, stream); err != nil {
				return nil, err
			}
		}
	}
	return d.Driver.Start(ctx, cfg)
}

// keepPreviousRun renames the stream's files to the previous-run names.
func keepPreviousRun(dir, task, stream string) error {
	cur := driver.LogFiles(dir, task, stream)
	if len(cur) == 0 {
		return nil
	}
	for _, old := range driver.LogFiles(dir, task+previousSuffix, stream) {
		if err := os.Remove(old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for n := range cur {
		if err := os.Rename(driver.LogFileName(dir, task, stream, n), driver.LogFileName(dir, task+previousSuffix, stream, n)); err != nil {
			return err
		}
	}
	return nil
}

// logRequest is a parsed logs query.
type logRequest struct {
	dir     string
	task    string // file prefix: the task, or its previous run
	streams []string
	follow  bool
	tail    int // lines; negative = all
	// since is a byte offset into the stream's retained output (its files
	// concatenated, oldest first); negative = not given. A follower that
	// lost its connection resumes there without repeating a line.
	since int64
}

func parseLogRequest(r *http.Request, dir, task string) (*logRequest, error) {
	q := r.URL.Query()
	lr := &logRequest{dir: dir, task: task, follow: boolParam(r, "follow"), tail: -1, since: -1}
	switch s := q.Get("stream"); s {
	case "", "both", "all", "All":
		lr.streams = []string{"stdout", "stderr"}
	case "stdout", "stderr":
		lr.streams = []string{s}
	default:
		return nil, api.BadRequest("stream must be stdout, stderr or both")
	}
	if t := q.Get("tail"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return nil, api.BadRequest("tail must be a number of lines")
		}
		lr.tail = n
	}
	if b := q.Get("sinceBytes"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return nil, api.BadRequest("sinceBytes must be a non-negative number of bytes")
		}
		if len(lr.streams) != 1 {
			return nil, api.BadRequest("sinceBytes needs one stream: stdout or stderr")
		}
		lr.since = n
	}
	if boolParam(r, "previous") {
		lr.task += previousSuffix
		lr.follow = false // that run is over
		if len(driver.LogFiles(dir, lr.task, "stdout"))+len(driver.LogFiles(dir, lr.task, "stderr")) == 0 {
			return nil, api.BadRequest("previous terminated container " + task + " not found")
		}
	}
	return lr, nil
}

// handleLogs serves GET /v1/pods/{uid}/tasks/{task}/logs: the task's output,
// stdout then stderr when both are asked for without follow; followed
// streams are interleaved as lines arrive.
func (a *Agent) handleLogs(w http.ResponseWriter, r *http.Request) {
	task := r.PathValue("task")
	dir, err := a.podLogDir(r.PathValue("uid"), task)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	lr, err := parseLogRequest(r, dir, task)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	segs := make(map[string][]segment, len(lr.streams))
	for _, s := range lr.streams {
		segs[s] = lr.segments(s)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(lr.streams) == 1 {
		// Where the answer starts, so that a follower can resume after it.
		s := lr.streams[0]
		w.Header().Set(client.LogOffsetHeader, strconv.FormatInt(startOffset(driver.LogFiles(dir, lr.task, s), segs[s]), 10))
	}
	w.WriteHeader(http.StatusOK)
	out := &flushWriter{w: w, rc: http.NewResponseController(w)}
	if !lr.follow {
		for _, s := range lr.streams {
			if err := copySegments(out, segs[s]); err != nil {
				return
			}
		}
		return
	}
	var wg sync.WaitGroup
	for _, s := range lr.streams {
		wg.Add(1)
		go func(stream string) {
			defer wg.Done()
			followStream(r.Context(), out, lr, stream, segs[stream])
		}(s)
	}
	wg.Wait()
}

// startOffset is the offset of the first segment's start in files.
func startOffset(files []string, segs []segment) int64 {
	if len(segs) == 0 {
		return 0
	}
	var off int64
	for _, f := range files {
		if f == segs[0].path {
			return off + segs[0].off
		}
		if st, err := os.Stat(f); err == nil {
			off += st.Size()
		}
	}
	return 0
}

// flushWriter writes whole chunks under a lock (so two followed streams do
// not interleave inside a write) and flushes each one to the client.
type flushWriter struct {
	mu sync.Mutex
	w  io.Writer
	rc *http.ResponseController
}

func (f *flushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

// segment is a log file read from an offset.
type segment struct {
	path string
	off  int64
}

// segments is where to read a stream's files: from the byte offset since,
// else its last tail lines.
func (lr *logRequest) segments(stream string) []segment {
	files := driver.LogFiles(lr.dir, lr.task, stream)
	if lr.since >= 0 {
		return sinceSegments(files, lr.since)
	}
	return tailSegments(files, lr.tail)
}

// sinceSegments skips the first off bytes of the files (oldest first). An
// offset beyond their end means the files were replaced since it was taken
// (the task restarted: its run before is now the previous one), so the
// current run is read from its start.
func sinceSegments(files []string, off int64) []segment {
	segs := make([]segment, 0, len(files))
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			continue
		}
		if off >= st.Size() && len(segs) == 0 {
			off -= st.Size()
			continue
		}
		segs = append(segs, segment{path: f, off: off})
		off = 0
	}
	if off > 0 {
		return sinceSegments(files, 0)
	}
	if len(segs) == 0 && len(files) > 0 {
		// Exactly at the end: follow the newest file from its end.
		last := files[len(files)-1]
		if st, err := os.Stat(last); err == nil {
			segs = append(segs, segment{path: last, off: st.Size()})
		}
	}
	return segs
}

// tailSegments returns where to read files (oldest first) to get their last
// n lines; n < 0 means everything.
func tailSegments(files []string, n int) []segment {
	segs := make([]segment, len(files))
	for i, f := range files {
		segs[i] = segment{path: f}
	}
	if n < 0 {
		return segs
	}
	found, skipTrailing := 0, true
	for i := len(files) - 1; i >= 0; i-- {
		off, got, ok := scanBack(files[i], n-found, &skipTrailing)
		found += got
		if ok {
			segs[i].off = off
			return segs[i:]
		}
	}
	return segs
}

// scanBack looks backwards through one file for the start of its last need
// lines. skipTrailing drops the newline ending the whole log (true until a
// non-empty file has been seen).
func scanBack(path string, need int, skipTrailing *bool) (off int64, got int, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, false
	}
	pos := st.Size()
	if need == 0 {
		return pos, 0, true
	}
	buf := make([]byte, 32<<10)
	for pos > 0 {
		size := min(int64(len(buf)), pos)
		chunk := buf[:size]
		if _, err := f.ReadAt(chunk, pos-size); err != nil && !errors.Is(err, io.EOF) {
			return 0, got, false
		}
		if *skipTrailing {
			*skipTrailing = false
			if chunk[len(chunk)-1] == '\n' {
				chunk = chunk[:len(chunk)-1]
			}
		}
		for i := len(chunk) - 1; i >= 0; i-- {
			if chunk[i] == '\n' {
				if got++; got == need {
					return pos - size + int64(i) + 1, got, true
				}
			}
		}
		pos -= size
	}
	return 0, got, false
}

func copySegments(w io.Writer, segs []segment) error {
	for _, s := range segs {
		if err := copyFrom(w, s); err != nil {
			return err
		}
	}
	return nil
}

func copyFrom(w io.Writer, s segment) error {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // rotated away meanwhile
	} else if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(s.off, io.SeekStart); err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}

// followStream writes the tail of a stream, then keeps reading its current
// file (.0) as it grows. When .0 is replaced (size rotation, or the task
// restarted) it drains the old file and continues with the new one. It ends
// when the client goes away.
func followStream(ctx context.Context, w io.Writer, lr *logRequest, stream string, segs []segment) {
	var start int64
	if n := len(segs); n > 0 && segs[n-1].path == driver.LogFileName(lr.dir, lr.task, stream, 0) {
		start, segs = segs[n-1].off, segs[:n-1]
	}
	if copySegments(w, segs) != nil {
		return
	}
	cur := driver.LogFileName(lr.dir, lr.task, stream, 0)
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	buf := make([]byte, 32<<10)
	for ctx.Err() == nil {
		if f == nil {
			var err error
			if f, err = os.Open(cur); err != nil {
				f = nil
			} else if _, err := f.Seek(start, io.SeekStart); err != nil {
				return
			}
		}
		if f != nil {
			n, err := drain(w, f, buf)
			if err != nil {
				return
			}
			if n == 0 && replaced(f, cur) {
				if _, err := drain(w, f, buf); err != nil {
					return
				}
				f.Close()
				f, start = nil, 0
				continue
			}
			if n > 0 {
				continue
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(logFollowPoll):
		}
	}
}

// drain copies what f holds now; it returns the bytes copied and a write
// error (read errors end the drain, like EOF).
func drain(w io.Writer, f *os.File, buf []byte) (int, error) {
	total := 0
	for {
		n, err := f.Read(buf)
		if n > 0 {
			total += n
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, werr
			}
		}
		if err != nil {
			return total, nil
		}
	}
}

// replaced reports whether path now names another file than f (or none).
func replaced(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return true
	}
	b, err := os.Stat(path) // gone: renamed away, a new one is coming
	return err != nil || !os.SameFile(a, b)
}
