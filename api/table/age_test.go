package table

import (
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-5 * time.Second, "<invalid>"},
		{-500 * time.Millisecond, "0s"},
		{5 * time.Second, "5s"},
		{119 * time.Second, "119s"},
		{2 * time.Minute, "2m"},
		{3*time.Minute + 2*time.Second, "3m2s"},
		{10*time.Minute + 30*time.Second, "10m"},
		{179 * time.Minute, "179m"},
		{4 * time.Hour, "4h"},
		{4*time.Hour + 5*time.Minute, "4h5m"},
		{30 * time.Hour, "30h"},
		{48 * time.Hour, "2d"},
		{53 * time.Hour, "2d5h"},
		{10 * 24 * time.Hour, "10d"},
		{3 * 365 * 24 * time.Hour, "3y"},
		{(3*365 + 20) * 24 * time.Hour, "3y20d"},
		{10 * 365 * 24 * time.Hour, "10y"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := HumanDuration(tt.d); got != tt.want {
				t.Errorf("HumanDuration(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestAge(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if got := Age("2026-01-01T11:57:00Z", now); got != "3m" {
		t.Errorf("Age = %q, want 3m", got)
	}
	if got := Age("", now); got != "<unknown>" {
		t.Errorf("Age(\"\") = %q", got)
	}
}
