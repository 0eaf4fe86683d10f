package main

import (
	"reflect"
	"testing"
)

func TestNomadStyleArgs(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"job", "stop", "-purge", "web"}, []string{"job", "stop", "--purge", "web"}},
		{[]string{"job", "run", "-var=a=1", "-detach", "f.hcl"}, []string{"job", "run", "--var=a=1", "--detach", "f.hcl"}},
		{[]string{"job", "logs", "-f", "web"}, []string{"job", "logs", "-f", "web"}},
		{[]string{"job", "run", "--", "-purge"}, []string{"job", "run", "--", "-purge"}},
		{[]string{"get", "-purge"}, []string{"get", "-purge"}},
		{[]string{"node", "drain", "-deadline", "5m", "n1"}, []string{"node", "drain", "--deadline", "5m", "n1"}},
		{[]string{"node", "eligibility", "-disable", "n1"}, []string{"node", "eligibility", "--disable", "n1"}},
		{[]string{"node", "status", "-purge"}, []string{"node", "status", "-purge"}},
	}
	for _, tt := range tests {
		if got := nomadStyleArgs(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("nomadStyleArgs(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
