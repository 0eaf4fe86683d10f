package placement

import (
	"maps"
	"testing"

	"github.com/barque-io/barque/api"
)

// filterCase is the shape of every filter's table.
type filterCase struct {
	name     string
	nodes    []*api.Node
	existing []*api.Pod
	claims   []*api.PersistentVolumeClaim // the snapshot's claims lookup
	pod      *api.Pod
	want     map[string]string // node -> reason, "" when it fits
}

func runFilterCases(t *testing.T, f Filter, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := filterResultsWithClaims(f, tc.nodes, tc.existing, tc.claims, tc.pod)
			if !maps.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", f.Name(), got, tc.want)
			}
		})
	}
}
