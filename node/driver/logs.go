package driver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Log file layout shared by the drivers and `barque logs`.
//
// Each stream of a task is written to LogDir/<task>.<stream>.0, the file
// being written now. When it reaches MaxBytes it is rotated the way
// logrotate does it: .N-2 becomes .N-1, …, .0 becomes .1, and a fresh .0 is
// opened; whatever would become .MaxFiles is deleted. So the highest number
// is the oldest output and .0 the newest; a reader concatenates
// .MaxFiles-1 … .0 (LogFiles returns them in that order).
const (
	DefaultLogMaxBytes = 10 << 20
	DefaultLogMaxFiles = 5
)

// LogFileName is the path of file n of a task's stream ("stdout", "stderr").
func LogFileName(dir, task, stream string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("%s.%s.%d", task, stream, n))
}

// LogFiles lists the existing files of a task's stream, oldest first.
func LogFiles(dir, task, stream string) []string {
	var files []string
	for n := 0; ; n++ {
		p := LogFileName(dir, task, stream, n)
		if _, err := os.Stat(p); err != nil {
			break
		}
		files = append([]string{p}, files...)
	}
	return files
}

// RotatingWriter is an io.WriteCloser over a task stream's numbered files.
// It splits a write that crosses MaxBytes so that no file exceeds it.
type RotatingWriter struct {
	mu       sync.Mutex
	dir      string
	task     string
	stream   string
	maxBytes int64
	maxFiles int
	f        *os.File
	size     int64
}

// NewRotatingWriter opens (appending to) file .0 of the stream, so a
// restarted task continues the same log.
func NewRotatingWriter(dir, task, stream string, maxBytes int64, maxFiles int) (*RotatingWriter, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultLogMaxBytes
	}
	if maxFiles <= 0 {
		maxFiles = DefaultLogMaxFiles
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	w := &RotatingWriter{dir: dir, task: task, stream: stream, maxBytes: maxBytes, maxFiles: maxFiles}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *RotatingWriter) open() error {
	f, err := os.OpenFile(LogFileName(w.dir, w.task, w.stream, 0), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log: %w", err)
	}
	w.f, w.size = f, st.Size()
	return nil
}

// Write appends p, rotating as many times as it takes.
func (w *RotatingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, os.ErrClosed
	}
	written := 0
	for len(p) > 0 {
		if w.size >= w.maxBytes {
			if err := w.rotate(); err != nil {
				return written, err
			}
		}
		chunk := p
		if room := w.maxBytes - w.size; int64(len(chunk)) > room {
			chunk = chunk[:room]
		}
		n, err := w.f.Write(chunk)
		written += n
		w.size += int64(n)
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// rotate shifts the numbered files up by one and starts a new .0.
func (w *RotatingWriter) rotate() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("close log: %w", err)
	}
	w.f = nil
	last := LogFileName(w.dir, w.task, w.stream, w.maxFiles-1)
	if err := os.Remove(last); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("drop oldest log: %w", err)
	}
	for n := w.maxFiles - 2; n >= 0; n-- {
		from := LogFileName(w.dir, w.task, w.stream, n)
		to := LogFileName(w.dir, w.task, w.stream, n+1)
		if err := os.Rename(from, to); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log: %w", err)
		}
	}
	return w.open()
}

// Close closes the current file; further writes fail.
func (w *RotatingWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
