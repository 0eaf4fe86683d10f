package fsm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

// RecordType tags each snapshot record. Numbers are never reused.
type RecordType uint8

const (
	RecordHeader RecordType = 1 // snapshotHeader
	RecordObject RecordType = 2 // one object: {"kind":…} JSON
)

const snapshotFormat = 1

type snapshotHeader struct {
	Format int    `json:"format"`
	Index  uint64 `json:"index"`
	// Restamp: the snapshot was handed to an operator restore, and every
	// object's resourceVersion moves to the index of the first entry
	// applied after it (see FSM.restampPending).
	Restamp bool `json:"restamp,omitempty"`
}

// Snapshot is a point-in-time view of the store, cheap to take (go-memdb
// views are immutable); Persist does the I/O later, off the apply path.
type Snapshot struct {
	view    *state.ReadView
	restamp bool
}

// Snapshot captures the current state. Raft calls it between applies, on
// the goroutine that applies.
func (f *FSM) Snapshot() *Snapshot {
	return &Snapshot{view: f.store.View(), restamp: f.restampPending}
}

// Index is the store index the snapshot holds.
func (s *Snapshot) Index() uint64 { return s.view.Index }

// Persist writes typed records: a header, then every object of every kind,
// kinds by name and objects by key, so that equal states give equal bytes.
func (s *Snapshot) Persist(w io.Writer) error {
	rw := newRecordWriter(w)
	if err := rw.write(RecordHeader, snapshotHeader{Format: snapshotFormat, Index: s.view.Index, Restamp: s.restamp}); err != nil {
		return err
	}
	for _, k := range api.Kinds() {
		for _, obj := range s.view.List(k.Kind, "", nil) {
			if err := rw.write(RecordObject, obj); err != nil {
				return err
			}
		}
	}
	return rw.bw.Flush()
}

// recordWriter encodes records through one reused buffer: a snapshot of
// 100,000 objects no longer leaves 100,000 encoded copies behind for the
// GC, on a replica that is serving writes at the same time. The bytes are
// json.Marshal's (the Encoder's trailing newline dropped).
type recordWriter struct {
	bw  *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

func newRecordWriter(w io.Writer) *recordWriter {
	rw := &recordWriter{bw: bufio.NewWriterSize(w, 256<<10)}
	rw.enc = json.NewEncoder(&rw.buf)
	return rw
}

func (rw *recordWriter) write(t RecordType, v any) error {
	rw.buf.Reset()
	if err := rw.enc.Encode(v); err != nil {
		return fmt.Errorf("fsm: snapshot record %d: %w", t, err)
	}
	b := bytes.TrimSuffix(rw.buf.Bytes(), []byte{'\n'})
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = byte(t)
	n := binary.PutUvarint(hdr[1:], uint64(len(b)))
	if _, err := rw.bw.Write(hdr[:1+n]); err != nil {
		return err
	}
	_, err := rw.bw.Write(b)
	return err
}

// Restore replaces the FSM's state with a persisted snapshot. It builds a
// fresh store content and swaps it in whole.
func (f *FSM) Restore(r io.Reader) error {
	h, objs, err := readSnapshot(r)
	if err != nil {
		return err
	}
	if err := f.store.Restore(h.Index, objs); err != nil {
		return err
	}
	f.restampPending = h.Restamp
	return nil
}

// ReadSnapshot decodes a persisted snapshot into its index and objects.
func ReadSnapshot(r io.Reader) (uint64, []api.Object, error) {
	h, objs, err := readSnapshot(r)
	return h.Index, objs, err
}

// MarkForRestore copies a persisted snapshot from src to dst, flagged so
// that the replicas restoring it restamp every object (FSM.restampPending).
// It returns the bytes written.
func MarkForRestore(src io.Reader, dst io.Writer) (int64, error) {
	br := bufio.NewReaderSize(src, 256<<10)
	t, data, err := readRecord(br)
	if err != nil || RecordType(t) != RecordHeader {
		return 0, errors.New("fsm: snapshot does not start with its header")
	}
	var h snapshotHeader
	if err := json.Unmarshal(data, &h); err != nil || h.Format != snapshotFormat {
		return 0, fmt.Errorf("fsm: snapshot header %s is not format %d", data, snapshotFormat)
	}
	h.Restamp = true
	cw := &countingWriter{w: dst}
	rw := newRecordWriter(cw)
	if err := rw.write(RecordHeader, h); err != nil {
		return 0, err
	}
	if _, err := io.Copy(rw.bw, br); err != nil {
		return 0, err
	}
	err = rw.bw.Flush()
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func readSnapshot(r io.Reader) (snapshotHeader, []api.Object, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	var h snapshotHeader
	var objs []api.Object
	sawHeader := false
	for {
		t, data, err := readRecord(br)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return h, nil, err
		}
		switch RecordType(t) {
		case RecordHeader:
			if err := json.Unmarshal(data, &h); err != nil {
				return h, nil, fmt.Errorf("fsm: snapshot header: %w", err)
			}
			if h.Format != snapshotFormat {
				return h, nil, fmt.Errorf("fsm: snapshot format %d not supported", h.Format)
			}
			sawHeader = true
		case RecordObject:
			obj, err := decodeRecordObject(data)
			if err != nil {
				return h, nil, err
			}
			objs = append(objs, obj)
		default:
			return h, nil, fmt.Errorf("fsm: unknown snapshot record type %d", t)
		}
	}
	if !sawHeader {
		return h, nil, errors.New("fsm: snapshot has no header")
	}
	return h, objs, nil
}

func readRecord(br *bufio.Reader) (byte, []byte, error) {
	t, err := br.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return 0, nil, fmt.Errorf("fsm: snapshot record length: %w", err)
	}
	if n > 64<<20 {
		return 0, nil, fmt.Errorf("fsm: snapshot record of %d bytes is corrupt", n)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(br, data); err != nil {
		return 0, nil, fmt.Errorf("fsm: snapshot record: %w", err)
	}
	return t, data, nil
}

func decodeRecordObject(data []byte) (api.Object, error) {
	var tm api.TypeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		return nil, fmt.Errorf("fsm: snapshot object: %w", err)
	}
	obj, err := api.NewObject(tm.Kind)
	if err != nil {
		return nil, fmt.Errorf("fsm: snapshot object: %w", err)
	}
	if err := api.DecodeTrusted(data, obj); err != nil {
		return nil, fmt.Errorf("fsm: snapshot %s: %w", tm.Kind, err)
	}
	return obj, nil
}
