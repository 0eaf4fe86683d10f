package scheduler

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronSchedule answers when a schedule next fires strictly after t. The zero
// time means never (a date that cannot occur, like 30 February).
type cronSchedule interface {
	Next(t time.Time) time.Time
}

// parseCron parses a standard five-field schedule (minute hour day-of-month
// month day-of-week, with *, ranges, lists, steps and JAN/MON names) or a
// descriptor (@hourly, @daily, @midnight, @weekly, @monthly, @yearly,
// @annually, @every <duration>). A CRON_TZ= (or TZ=) prefix names the time
// zone and wins over loc. The semantics are those of robfig/cron, which
// Kubernetes uses: when both day fields are restricted a day matches
// either; a time a DST change skips does not fire, one it repeats fires
// twice.
func parseCron(spec string, loc *time.Location) (cronSchedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	spec = strings.TrimSpace(spec)
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if rest, ok := strings.CutPrefix(spec, p); ok {
			name, tail, _ := strings.Cut(rest, " ")
			l, err := time.LoadLocation(name)
			if err != nil {
				return nil, fmt.Errorf("cron: time zone %q: %w", name, err)
			}
			loc, spec = l, strings.TrimSpace(tail)
		}
	}
	if strings.HasPrefix(spec, "@") {
		return parseDescriptor(spec, loc)
	}
	fields := strings.Fields(spec)
	if len(fields) != 5 {
		return nil, fmt.Errorf("cron: expected 5 fields, found %d: %q", len(fields), spec)
	}
	s := &fieldSchedule{loc: loc}
	bits := []*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dow}
	for i, f := range fields {
		b, star, err := parseCronField(f, cronRanges[i])
		if err != nil {
			return nil, fmt.Errorf("cron: %s field %q: %w", cronRanges[i].name, f, err)
		}
		*bits[i] = b
		switch i {
		case 2:
			s.domStar = star
		case 4:
			s.dowStar = star
		}
	}
	if s.dow&(1<<7) != 0 { // 7 is Sunday too
		s.dow |= 1
	}
	return s, nil
}

type cronRange struct {
	name     string
	min, max int
	names    []string // names[i] is min+i
}

var cronRanges = []cronRange{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

var cronDescriptors = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

func parseDescriptor(spec string, loc *time.Location) (cronSchedule, error) {
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("cron: bad duration in %q", spec)
		}
		return everySchedule{max(dur.Truncate(time.Second), time.Second)}, nil
	}
	std, ok := cronDescriptors[strings.ToLower(spec)]
	if !ok {
		return nil, fmt.Errorf("cron: unrecognized descriptor %q", spec)
	}
	return parseCron(std, loc)
}

// parseCronField returns the bit set of one field, and whether it started
// with * or ? (an unrestricted day field).
func parseCronField(f string, r cronRange) (uint64, bool, error) {
	var bits uint64
	star := f == "*" || f == "?" || strings.HasPrefix(f, "*/") || strings.HasPrefix(f, "?/")
	for _, part := range strings.Split(f, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n <= 0 {
				return 0, false, fmt.Errorf("bad step %q", stepStr)
			}
			step = n
		}
		lo, hi := r.min, r.max
		if rng != "*" && rng != "?" {
			loS, hiS, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = cronValue(loS, r); err != nil {
				return 0, false, err
			}
			hi = lo
			if isRange {
				if hi, err = cronValue(hiS, r); err != nil {
					return 0, false, err
				}
			} else if hasStep {
				hi = r.max // "5/15" means 5-max/15
			}
			if lo > hi {
				return 0, false, fmt.Errorf("range %d-%d is backwards", lo, hi)
			}
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, star, nil
}

func cronValue(s string, r cronRange) (int, error) {
	for i, n := range r.names {
		if strings.EqualFold(s, n) {
			return r.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("bad value %q", s)
	}
	if v < r.min || v > r.max {
		return 0, fmt.Errorf("value %d out of range %d-%d", v, r.min, r.max)
	}
	return v, nil
}

// fieldSchedule is a parsed five-field expression: one bit per allowed
// value.
type fieldSchedule struct {
	minute, hour, dom, month, dow uint64
	domStar, dowStar              bool
	loc                           *time.Location
}

// Next walks from the following minute, field by field from the month
// down, in the schedule's zone, as robfig/cron does. Wrapping a field
// restarts the walk from the top; five years without a match means never.
func (s *fieldSchedule) Next(t time.Time) time.Time {
	t = t.In(s.loc).Truncate(time.Minute).Add(time.Minute)
	// Truncate works on absolute time; zones with sub-minute offsets are
	// historical only, so minute boundaries agree.
	limit := t.Year() + 5
	reset := false
wrap:
	if t.Year() > limit {
		return time.Time{}
	}
	for s.month&(1<<uint(t.Month())) == 0 {
		if !reset {
			reset = true
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, s.loc)
		}
		t = t.AddDate(0, 1, 0)
		if t.Month() == time.January {
			goto wrap
		}
	}
	for !s.dayMatches(t) {
		if !reset {
			reset = true
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.loc)
		}
		t = t.AddDate(0, 0, 1)
		// Midnight may not exist (a DST change at 00:00): stay on the day.
		if h := t.Hour(); h != 0 {
			if h > 12 {
				t = t.Add(time.Duration(24-h) * time.Hour)
			} else {
				t = t.Add(-time.Duration(h) * time.Hour)
			}
		}
		if t.Day() == 1 {
			goto wrap
		}
	}
	for s.hour&(1<<uint(t.Hour())) == 0 {
		if !reset {
			reset = true
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, s.loc)
		}
		t = t.Add(time.Hour)
		if t.Hour() == 0 {
			goto wrap
		}
	}
	for s.minute&(1<<uint(t.Minute())) == 0 {
		if !reset {
			reset = true
		}
		t = t.Add(time.Minute)
		if t.Minute() == 0 {
			goto wrap
		}
	}
	return t
}

// dayMatches applies cron's day rule: when both day fields are restricted,
// either may match; otherwise both must.
func (s *fieldSchedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}

// everySchedule fires every d, counted from whatever time it is asked
// about (whole seconds).
type everySchedule struct{ d time.Duration }

func (e everySchedule) Next(t time.Time) time.Time {
	return t.Truncate(time.Second).Add(e.d)
}

// lastMissed returns the latest time the schedule fired in (after, now],
// or the zero time if none, and its next firing after now. A walk from
// long ago starts five years back: Next finds nothing further anyway.
func lastMissed(s cronSchedule, after, now time.Time) (last, next time.Time) {
	if e, ok := s.(everySchedule); ok {
		base := after.Truncate(time.Second)
		k := max(now.Sub(base)/e.d, 0)
		if k >= 1 {
			last = base.Add(k * e.d)
		}
		return last, base.Add((k + 1) * e.d)
	}
	t := after
	if floor := now.AddDate(-5, 0, 0); t.Before(floor) {
		t = floor
	}
	for {
		n := s.Next(t)
		if n.IsZero() || n.After(now) {
			return last, n
		}
		last, t = n, n
	}
}
