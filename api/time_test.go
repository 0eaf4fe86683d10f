package api

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeJSON(t *testing.T) {
	at := NewTime(time.Date(2026, 11, 24, 9, 30, 5, 0, time.FixedZone("x", 3600)))
	b, err := json.Marshal(at)
	if err != nil || string(b) != `"2026-11-24T08:30:05Z"` {
		t.Fatalf("Marshal = %s, %v; want the UTC RFC 3339 string", b, err)
	}
	for _, in := range []string{`"2026-11-24T08:30:05Z"`, `"\u0032026-11-24T08:30:05Z"`, `"2026-11-24T09:30:05+01:00"`} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil || !got.Equal(at.Time) || got.Location() != time.UTC {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v in UTC", in, got, err, at)
		}
	}
	var zero Time
	if err := json.Unmarshal([]byte(`null`), &zero); err != nil || !zero.IsZero() {
		t.Errorf("null: %v, %v", zero, err)
	}
	for _, bad := range []string{`"yesterday"`, `12`, `"2026-11-24"`} {
		var got Time
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("Unmarshal(%s) accepted %v", bad, got)
		}
	}
}
