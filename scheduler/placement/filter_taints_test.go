package placement

import (
	"testing"

	"github.com/barque-io/barque/api"
)

func TestTaintToleration(t *testing.T) {
	ns := nodes(node("plain"), node("gpu").taint("dedicated", "gpu", api.TaintNoSchedule),
		node("soft").taint("dedicated", "gpu", api.TaintPreferNoSchedule),
		node("evict").taint("maint", "", api.TaintNoExecute))
	gpuTaint := "node(s) had untolerated taint {dedicated: gpu}"
	maintTaint := "node(s) had untolerated taint {maint: }"
	runFilterCases(t, TaintToleration{}, []filterCase{
		{name: "no tolerations", nodes: ns, pod: pod("p").obj(),
			want: map[string]string{"plain": "", "gpu": gpuTaint, "soft": "", "evict": maintTaint}},
		{name: "equal toleration", nodes: ns,
			pod:  pod("p").tolerate(api.Toleration{Key: "dedicated", Value: "gpu", Effect: api.TaintNoSchedule}).obj(),
			want: map[string]string{"plain": "", "gpu": "", "soft": "", "evict": maintTaint}},
		{name: "wrong value", nodes: ns,
			pod:  pod("p").tolerate(api.Toleration{Key: "dedicated", Value: "cpu"}).obj(),
			want: map[string]string{"plain": "", "gpu": gpuTaint, "soft": "", "evict": maintTaint}},
		{name: "tolerate everything", nodes: ns,
			pod:  pod("p").tolerate(api.Toleration{Operator: api.TolerationOpExists}).obj(),
			want: map[string]string{"plain": "", "gpu": "", "soft": "", "evict": ""}},
	})
}
