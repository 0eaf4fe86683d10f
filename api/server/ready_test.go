package server

import (
	"math"
	"testing"
)

func TestFollowerCaughtUp(t *testing.T) {
	cases := []struct {
		name                      string
		commit, prevCommit, apply uint64
		want                      bool
	}{
		{"restarted: no commit index told yet", 0, math.MaxUint64, 0, false},
		{"restarted: no commit index, a replayed snapshot", 0, math.MaxUint64, 40, false},
		{"first check, behind the commit index", 50, math.MaxUint64, 40, false},
		{"first check, caught up", 50, math.MaxUint64, 50, true},
		{"busy leader: behind now, past the previous check's commit", 90, 80, 85, true},
		{"catching up a backlog: behind the previous check's commit", 90, 80, 60, false},
		{"idle and caught up", 90, 90, 90, true},
	}
	for _, c := range cases {
		if got := followerCaughtUp(c.commit, c.prevCommit, c.apply); got != c.want {
			t.Errorf("%s: followerCaughtUp(%d, %d, %d) = %v, want %v", c.name, c.commit, c.prevCommit, c.apply, got, c.want)
		}
	}
}
