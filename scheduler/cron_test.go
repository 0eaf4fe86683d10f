package scheduler

import (
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no zone data for %s: %v", name, err)
	}
	return l
}

func TestCronNext(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		spec, from string
		want       []string // successive firings, UTC
	}{
		{"* * * * *", "2024-03-01 10:00", []string{"2024-03-01 10:01", "2024-03-01 10:02"}},
		{"*/15 * * * *", "2024-03-01 10:07", []string{"2024-03-01 10:15", "2024-03-01 10:30", "2024-03-01 10:45", "2024-03-01 11:00"}},
		{"5/20 * * * *", "2024-03-01 10:00", []string{"2024-03-01 10:05", "2024-03-01 10:25", "2024-03-01 10:45", "2024-03-01 11:05"}},
		{"0 9-17/4 * * *", "2024-03-01 10:00", []string{"2024-03-01 13:00", "2024-03-01 17:00", "2024-03-02 09:00"}},
		{"30 2 * * MON-FRI", "2024-03-01 03:00", []string{"2024-03-04 02:30", "2024-03-05 02:30"}}, // Fri -> Mon
		{"0 0 1,15 * *", "2024-03-01 00:00", []string{"2024-03-15 00:00", "2024-04-01 00:00"}},
		{"0 0 * JAN,jul *", "2024-03-01 00:00", []string{"2024-07-01 00:00", "2024-07-02 00:00"}},
		{"0 0 13 * 5", "2024-09-01 00:00", []string{"2024-09-06 00:00", "2024-09-13 00:00", "2024-09-20 00:00"}}, // dom OR dow
		{"0 0 * * 7", "2024-03-01 00:00", []string{"2024-03-03 00:00", "2024-03-10 00:00"}},                      // 7 = Sunday
		{"0 0 29 2 *", "2024-03-01 00:00", []string{"2028-02-29 00:00"}},
		{"0 0 31 * *", "2024-04-01 00:00", []string{"2024-05-31 00:00", "2024-07-31 00:00"}},
		{"@hourly", "2024-03-01 10:30", []string{"2024-03-01 11:00"}},
		{"@daily", "2024-03-01 10:30", []string{"2024-03-02 00:00"}},
		{"@midnight", "2024-12-31 23:59", []string{"2025-01-01 00:00"}},
		{"@weekly", "2024-03-01 10:30", []string{"2024-03-03 00:00"}},
		{"@monthly", "2024-03-01 10:30", []string{"2024-04-01 00:00"}},
		{"@yearly", "2024-03-01 10:30", []string{"2025-01-01 00:00"}},
		{"@every 90m", "2024-03-01 10:30", []string{"2024-03-01 12:00", "2024-03-01 13:30"}},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			s, err := parseCron(c.spec, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			at := utc(c.from)
			for _, w := range c.want {
				at = s.Next(at)
				if !at.Equal(utc(w)) {
					t.Fatalf("next = %s, want %s", at.UTC().Format("2006-01-02 15:04 Mon"), w)
				}
			}
		})
	}
}

func TestCronNever(t *testing.T) {
	s, err := parseCron("0 0 30 2 *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Next(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)); !n.IsZero() {
		t.Errorf("30 February fires at %s", n)
	}
}

func TestCronParseErrors(t *testing.T) {
	for _, spec := range []string{"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *",
		"* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "* * * FOO *", "@often", "@every -1m",
		"@every x", "CRON_TZ=Nowhere/Land * * * * *"} {
		if _, err := parseCron(spec, time.UTC); err == nil {
			t.Errorf("%q parsed", spec)
		}
	}
}

func TestCronTimeZones(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	t.Run("zone field", func(t *testing.T) {
		s, _ := parseCron("0 9 * * *", ny)
		got := s.Next(at(time.UTC, 2024, 1, 10, 0, 0))
		if want := at(time.UTC, 2024, 1, 10, 14, 0); !got.Equal(want) { // EST = UTC-5
			t.Errorf("next = %s, want %s", got.UTC(), want)
		}
	})
	t.Run("CRON_TZ prefix wins", func(t *testing.T) {
		s, err := parseCron("CRON_TZ=Asia/Tokyo 0 9 * * *", ny)
		if err != nil {
			t.Fatal(err)
		}
		got := s.Next(at(time.UTC, 2024, 1, 10, 0, 0))
		if want := at(time.UTC, 2024, 1, 11, 0, 0); !got.Equal(want) { // JST = UTC+9
			t.Errorf("next = %s, want %s", got.UTC(), want)
		}
	})
	t.Run("spring forward skips the missing hour", func(t *testing.T) {
		// 2024-03-10 02:00 EST jumps to 03:00 EDT.
		s, _ := parseCron("30 2 * * *", ny)
		got := s.Next(at(ny, 2024, 3, 9, 12, 0))
		if want := at(ny, 2024, 3, 11, 2, 30); !got.Equal(want) {
			t.Errorf("next = %s, want %s", got, want)
		}
		h, _ := parseCron("0 * * * *", ny)
		got = h.Next(at(ny, 2024, 3, 10, 1, 30))
		if want := at(ny, 2024, 3, 10, 3, 0); !got.Equal(want) || got.Sub(at(ny, 2024, 3, 10, 1, 30)) != 30*time.Minute {
			t.Errorf("hourly across the gap = %s, want %s", got, want)
		}
	})
	t.Run("fall back fires in both 01:30s", func(t *testing.T) {
		// 2024-11-03 02:00 EDT falls back to 01:00 EST.
		s, _ := parseCron("30 1 * * *", ny)
		first := s.Next(at(ny, 2024, 11, 3, 0, 0))
		second := s.Next(first)
		if first.UTC() != at(time.UTC, 2024, 11, 3, 5, 30) || second.UTC() != at(time.UTC, 2024, 11, 3, 6, 30) {
			t.Errorf("firings %s, %s", first.UTC(), second.UTC())
		}
		if third := s.Next(second); third.UTC() != at(time.UTC, 2024, 11, 4, 6, 30) {
			t.Errorf("next day = %s", third.UTC())
		}
	})
	t.Run("daily at midnight where midnight is skipped", func(t *testing.T) {
		// Santiago moved clocks from 00:00 to 01:00 on 2024-09-08.
		scl := mustLoc(t, "America/Santiago")
		s, _ := parseCron("0 * * * *", scl)
		got := s.Next(at(scl, 2024, 9, 7, 23, 30))
		if got.Sub(at(scl, 2024, 9, 7, 23, 30)) != 30*time.Minute {
			t.Errorf("next = %s", got)
		}
	})
}

func TestLastMissed(t *testing.T) {
	s, _ := parseCron("*/10 * * * *", time.UTC)
	base := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		after, now time.Duration
		last, next time.Duration // -1 = zero
	}{
		{0, 5 * time.Minute, -1, 10 * time.Minute},
		{0, 10 * time.Minute, 10 * time.Minute, 20 * time.Minute},
		{0, 35 * time.Minute, 30 * time.Minute, 40 * time.Minute},
		{10 * time.Minute, 19 * time.Minute, -1, 20 * time.Minute},
		{0, 24 * 400 * time.Hour, 24 * 400 * time.Hour, 24*400*time.Hour + 10*time.Minute},
	}
	for _, c := range cases {
		last, next := lastMissed(s, base.Add(c.after), base.Add(c.now))
		wantLast := time.Time{}
		if c.last >= 0 {
			wantLast = base.Add(c.last)
		}
		if !last.Equal(wantLast) || !next.Equal(base.Add(c.next)) {
			t.Errorf("lastMissed(%v, %v) = %s, %s", c.after, c.now, last, next)
		}
	}
	e, _ := parseCron("@every 1s", time.UTC)
	last, next := lastMissed(e, base, base.Add(1000*time.Hour+500*time.Millisecond))
	if !last.Equal(base.Add(1000*time.Hour)) || !next.Equal(base.Add(1000*time.Hour+time.Second)) {
		t.Errorf("@every: %s, %s", last, next)
	}
}
