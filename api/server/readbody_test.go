package server

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
)

// readBody returns the whole body whatever length was announced, reading
// in small pieces too.
func TestReadBody(t *testing.T) {
	body := strings.Repeat("0123456789", 1000)
	for _, announced := range []int64{-1, 0, 1, 100, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 7, maxPresizedBody + 1} {
		for _, half := range []bool{false, true} {
			r := bytes.NewReader([]byte(body))
			var got []byte
			var err error
			if half {
				got, err = readBody(iotest.HalfReader(r), announced)
			} else {
				got, err = readBody(r, announced)
			}
			if err != nil || string(got) != body {
				t.Fatalf("announced %d, half reads %v: %d bytes, error %v; want the %d bytes", announced, half, len(got), err, len(body))
			}
		}
	}
	if _, err := readBody(iotest.ErrReader(iotest.ErrTimeout), 10); err != iotest.ErrTimeout {
		t.Fatalf("a failing reader: error %v, want %v", err, iotest.ErrTimeout)
	}
}
