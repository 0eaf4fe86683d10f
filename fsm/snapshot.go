package fsm

import (
	"bufio"
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
}

// Snapshot is a point-in-time view of the store, cheap to take (go-memdb
// views are immutable); Persist does the I/O later, off the apply path.
type Snapshot struct {
	view *state.ReadView
}

// Snapshot captures the current state.
func (f *FSM) Snapshot() *Snapshot { return &Snapshot{view: f.store.View()} }

// Index is the store index the snapshot holds.
func (s *Snapshot) Index() uint64 { return s.view.Index }

// Persist writes typed records: a header, then every object of every kind,
// kinds by name and objects by key, so that equal states give equal bytes.
func (s *Snapshot) Persist(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if err := writeRecord(bw, RecordHeader, snapshotHeader{Format: snapshotFormat, Index: s.view.Index}); err != nil {
		return err
	}
	for _, k := range api.Kinds() {
		for _, obj := range s.view.List(k.Kind, "", nil) {
			if err := writeRecord(bw, RecordObject, obj); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

func writeRecord(w *bufio.Writer, t RecordType, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("fsm: snapshot record %d: %w", t, err)
	}
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = byte(t)
	n := binary.PutUvarint(hdr[1:], uint64(len(b)))
	if _, err := w.Write(hdr[:1+n]); err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Restore replaces the FSM's state with a persisted snapshot. It builds a
// fresh store content and swaps it in whole.
func (f *FSM) Restore(r io.Reader) error {
	idx, objs, err := ReadSnapshot(r)
	if err != nil {
		return err
	}
	return f.store.Restore(idx, objs)
}

// ReadSnapshot decodes a persisted snapshot into its index and objects.
func ReadSnapshot(r io.Reader) (uint64, []api.Object, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	var idx uint64
	var objs []api.Object
	sawHeader := false
	for {
		t, data, err := readRecord(br)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, nil, err
		}
		switch RecordType(t) {
		case RecordHeader:
			var h snapshotHeader
			if err := json.Unmarshal(data, &h); err != nil {
				return 0, nil, fmt.Errorf("fsm: snapshot header: %w", err)
			}
			if h.Format != snapshotFormat {
				return 0, nil, fmt.Errorf("fsm: snapshot format %d not supported", h.Format)
			}
			idx, sawHeader = h.Index, true
		case RecordObject:
			obj, err := decodeRecordObject(data)
			if err != nil {
				return 0, nil, err
			}
			objs = append(objs, obj)
		default:
			return 0, nil, fmt.Errorf("fsm: unknown snapshot record type %d", t)
		}
	}
	if !sawHeader {
		return 0, nil, errors.New("fsm: snapshot has no header")
	}
	return idx, objs, nil
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
