package table

import (
	"fmt"
	"time"
)

// HumanDuration renders an age as kubectl does: precise while small, then
// coarser, so columns stay short ("45s", "3m2s", "4h", "2d5h", "3y").
func HumanDuration(d time.Duration) string {
	secs := int64(d / time.Second)
	switch {
	case secs < -1:
		return "<invalid>" // more than clock skew: the timestamp is wrong
	case secs < 0:
		return "0s"
	case secs < 120:
		return fmt.Sprintf("%ds", secs)
	}
	mins := secs / 60
	switch {
	case mins < 10:
		return withRest(mins, "m", secs%60, "s")
	case mins < 180:
		return fmt.Sprintf("%dm", mins)
	}
	hours := mins / 60
	switch {
	case hours < 8:
		return withRest(hours, "h", mins%60, "m")
	case hours < 48:
		return fmt.Sprintf("%dh", hours)
	case hours < 24*8:
		return withRest(hours/24, "d", hours%24, "h")
	case hours < 24*365*2:
		return fmt.Sprintf("%dd", hours/24)
	case hours < 24*365*8:
		return withRest(hours/24/365, "y", (hours/24)%365, "d")
	}
	return fmt.Sprintf("%dy", hours/24/365)
}

func withRest(n int64, unit string, rest int64, restUnit string) string {
	if rest == 0 {
		return fmt.Sprintf("%d%s", n, unit)
	}
	return fmt.Sprintf("%d%s%d%s", n, unit, rest, restUnit)
}

// Age renders an RFC 3339 timestamp as its age at now.
func Age(ts string, now time.Time) string {
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return "<unknown>"
	}
	return HumanDuration(now.Sub(t))
}
