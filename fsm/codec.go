package fsm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/barque-io/barque/api"
)

// The payload of CmdObjectOps is a compact binary envelope around each op's
// object JSON, so that proposing a batch never re-encodes (or re-scans) the
// objects it carries:
//
//	format byte (opsFormat)
//	uvarint count
//	per op: string op, kind, namespace, name, uid; uvarint resourceVersion;
//	        varint time (unix seconds, 0 = none); bytes object
//
// where string and bytes are a uvarint length and then the bytes. Format 2
// adds, after uid, string propagationPolicy; format 3 adds after that a
// uvarint gracePeriodSeconds + 1 (0 = none). Each is written only when an
// op of the batch needs it, so entries without stay readable by replicas
// that know only the older formats; every pod delete is written in format
// 3, as pod deletes of the older formats apply as they did then (at once).
const (
	opsFormat            = 1
	opsFormatPropagation = 2
	opsFormatGrace       = 3
)

// EncodeOps builds a CmdObjectOps log entry.
func EncodeOps(ops []Op) ([]byte, error) {
	size := 16
	for i := range ops {
		size += len(ops[i].Object) + len(ops[i].Kind) + len(ops[i].Namespace) + len(ops[i].Name) + len(ops[i].UID) + 48
	}
	b := make([]byte, 0, size)
	format := byte(opsFormat)
	for i := range ops {
		if ops[i].GracePeriodSeconds != nil || (ops[i].Type == OpDelete && ops[i].Kind == "Pod") {
			format = opsFormatGrace
			break
		}
		if ops[i].Propagation != "" {
			format = opsFormatPropagation
		}
	}
	b = append(b, byte(CmdObjectOps), format)
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for i := range ops {
		op := &ops[i]
		for _, s := range []string{string(op.Type), op.Kind, op.Namespace, op.Name, op.UID} {
			b = appendBytes(b, []byte(s))
		}
		if format >= opsFormatPropagation {
			b = appendBytes(b, []byte(op.Propagation))
		}
		if format >= opsFormatGrace {
			var g uint64
			if op.GracePeriodSeconds != nil {
				g = uint64(max(*op.GracePeriodSeconds, 0)) + 1
			}
			b = binary.AppendUvarint(b, g)
		}
		b = binary.AppendUvarint(b, uint64(op.ResourceVersion))
		var ts int64
		if op.Time != nil {
			ts = op.Time.Unix()
		}
		b = binary.AppendVarint(b, ts)
		b = appendBytes(b, op.Object)
	}
	return b, nil
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errTruncated = errors.New("fsm: truncated ops payload")

// opsReader decodes the envelope; object bytes alias the log entry.
type opsReader struct {
	b      []byte
	format byte
}

func (r *opsReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		return 0, errTruncated
	}
	r.b = r.b[n:]
	return v, nil
}

func (r *opsReader) bytes() ([]byte, error) {
	n, err := r.uvarint()
	if err != nil || n > uint64(len(r.b)) {
		return nil, errTruncated
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out, nil
}

// decodeOps reads a CmdObjectOps payload (after the type byte).
func decodeOps(payload []byte) ([]Op, error) {
	if len(payload) == 0 || payload[0] < opsFormat || payload[0] > opsFormatGrace {
		return nil, fmt.Errorf("fsm: unknown ops format")
	}
	r := &opsReader{b: payload[1:], format: payload[0]}
	n, err := r.uvarint()
	if err != nil || n > uint64(len(payload)) {
		return nil, errTruncated
	}
	ops := make([]Op, n)
	for i := range ops {
		if err := r.op(&ops[i]); err != nil {
			return nil, err
		}
	}
	return ops, nil
}

func (r *opsReader) op(op *Op) error {
	var strs [5]string
	for j := range strs {
		s, err := r.bytes()
		if err != nil {
			return err
		}
		strs[j] = string(s)
	}
	op.Type, op.Kind, op.Namespace, op.Name, op.UID = OpType(strs[0]), strs[1], strs[2], strs[3], strs[4]
	if r.format >= opsFormatPropagation {
		s, err := r.bytes()
		if err != nil {
			return err
		}
		op.Propagation = string(s)
	}
	op.legacyDelete = op.Type == OpDelete && r.format < opsFormatGrace
	if r.format >= opsFormatGrace {
		g, err := r.uvarint()
		if err != nil {
			return err
		}
		if g > 0 {
			grace := int64(g - 1)
			op.GracePeriodSeconds = &grace
		}
	}
	rv, err := r.uvarint()
	if err != nil {
		return err
	}
	op.ResourceVersion = api.Version(rv)
	ts, n := binary.Varint(r.b)
	if n <= 0 {
		return errTruncated
	}
	r.b = r.b[n:]
	if ts != 0 {
		op.Time = &api.Time{Time: time.Unix(ts, 0).UTC()}
	}
	op.Object, err = r.bytes()
	return err
}

// DecodeOps reads a whole CmdObjectOps entry (type byte included), for the
// API server's internal forwarding of batched writes to the leader.
func DecodeOps(entry []byte) ([]Op, error) {
	if len(entry) == 0 || CommandType(entry[0]) != CmdObjectOps {
		return nil, fmt.Errorf("fsm: not an ops entry")
	}
	return decodeOps(entry[1:])
}
