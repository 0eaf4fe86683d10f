package main

import (
	"time"

	"github.com/barque-io/barque/api/table"
)

// now is the clock for AGE columns; tests pin it.
var now = time.Now

// humanDuration renders an age as kubectl does ("45s", "3m2s", "2d5h").
func humanDuration(d time.Duration) string { return table.HumanDuration(d) }

// ageOf renders an RFC 3339 creation timestamp as an age.
func ageOf(ts string) string { return table.Age(ts, now()) }
