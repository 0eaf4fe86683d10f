package node

import (
	"testing"

	"github.com/barque-io/barque/api"
)

func TestShouldRestart(t *testing.T) {
	tests := []struct {
		policy  api.RestartPolicy
		init    bool
		success bool
		want    bool
	}{
		{api.RestartAlways, false, true, true},
		{api.RestartAlways, false, false, true},
		{"", false, true, true},
		{api.RestartOnFailure, false, true, false},
		{api.RestartOnFailure, false, false, true},
		{api.RestartNever, false, false, false},
		{api.RestartNever, false, true, false},
		{api.RestartAlways, true, true, false}, // an init container that succeeded is done
		{api.RestartAlways, true, false, true},
		{api.RestartNever, true, false, false},
	}
	for _, tt := range tests {
		if got := shouldRestart(tt.policy, tt.init, tt.success); got != tt.want {
			t.Errorf("shouldRestart(%q, init=%v, success=%v) = %v, want %v", tt.policy, tt.init, tt.success, got, tt.want)
		}
	}
}
