package node

import (
	"testing"

	"github.com/barque-io/barque/node/driver"
)

func TestInterpolate(t *testing.T) {
	a := &Agent{cfg: Config{Name: "n1", Datacenter: "dc2", NodeClass: "web", Meta: map[string]string{"rack": "r7"}},
		attributes: map[string]string{"kernel.name": "linux"}}
	tc := &driver.TaskConfig{
		Command: []string{"serve", "-port=${NOMAD_PORT_http}"},
		Args:    []string{"${node.unique.name}/${node.datacenter}/${node.class}", "${attr.kernel.name}", "${meta.rack}", "${unknown.thing}"},
		Env:     map[string]string{"NOMAD_PORT_http": "23456", "URL": "http://${NOMAD_ADDR_http}/"},
	}
	tc.Env["NOMAD_ADDR_http"] = "10.0.0.5:23456"
	a.interpolate(tc)
	want := []string{"-port=23456", "n1/dc2/web", "linux", "r7", "${unknown.thing}"}
	got := []string{tc.Command[1], tc.Args[0], tc.Args[1], tc.Args[2], tc.Args[3]}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %q, want %q", i, got[i], want[i])
		}
	}
	if tc.Env["URL"] != "http://10.0.0.5:23456/" {
		t.Errorf("env URL = %q", tc.Env["URL"])
	}
}
