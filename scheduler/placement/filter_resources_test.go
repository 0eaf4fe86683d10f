package placement

import (
	"testing"

	"github.com/barque-io/barque/api"
)

func TestResources(t *testing.T) {
	small := node("a").alloc("1", "1Gi", "2")
	unlimited := node("u").alloc("", "", "")
	unlimited.obj().Status.Allocatable = nil
	runFilterCases(t, Resources{}, []filterCase{
		{name: "fits", nodes: nodes(small), pod: pod("p").req("500m", "512Mi").obj(),
			want: map[string]string{"a": ""}},
		{name: "exactly full fits", nodes: nodes(small), pod: pod("p").req("1", "1Gi").obj(),
			want: map[string]string{"a": ""}},
		{name: "too much cpu", nodes: nodes(small), pod: pod("p").req("1500m", "1Mi").obj(),
			want: map[string]string{"a": ReasonInsufficientCPU}},
		{name: "both short", nodes: nodes(small), pod: pod("p").req("2", "2Gi").obj(),
			want: map[string]string{"a": ReasonInsufficientCPU + "; " + ReasonInsufficientMemory}},
		{name: "existing pods count", nodes: nodes(small),
			existing: pods(pod("x").req("600m", "100Mi").on("a")),
			pod:      pod("p").req("500m", "100Mi").obj(),
			want:     map[string]string{"a": ReasonInsufficientCPU}},
		{name: "terminal pods do not count", nodes: nodes(small),
			existing: []*api.Pod{func() *api.Pod {
				p := pod("x").req("1", "1Gi").on("a").obj()
				p.Status.Phase = api.PodSucceeded
				return p
			}()},
			pod: pod("p").req("1", "1Gi").obj(), want: map[string]string{"a": ""}},
		{name: "limits stand for missing requests", nodes: nodes(small),
			pod: pod("p").limit("2", "10Mi").obj(), want: map[string]string{"a": ReasonInsufficientCPU}},
		{name: "too many pods", nodes: nodes(small),
			existing: pods(pod("x").on("a"), pod("y").on("a")),
			pod:      pod("p").obj(), want: map[string]string{"a": ReasonTooManyPods}},
		{name: "no allocatable means no limit", nodes: nodes(unlimited),
			pod: pod("p").req("64", "1Ti").obj(), want: map[string]string{"u": ""}},
	})
}
