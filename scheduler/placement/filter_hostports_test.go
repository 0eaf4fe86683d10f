package placement

import (
	"testing"

	"github.com/barque-io/barque/api"
)

func TestHostPorts(t *testing.T) {
	ns := nodes(node("a"), node("b"))
	hostNet := pod("p").port("http", 8080, 0).obj()
	hostNet.Spec.HostNetwork = true
	udp := pod("p").port("dns", 53, 53).obj()
	udp.Spec.Containers[0].Ports[0].Protocol = api.ProtocolUDP
	runFilterCases(t, HostPorts{}, []filterCase{
		{name: "no ports skips", nodes: ns, pod: pod("p").obj(), want: map[string]string{"a": "", "b": ""}},
		{name: "static conflict", nodes: ns, existing: pods(pod("x").port("http", 80, 8080).on("a")),
			pod: pod("p").port("web", 8080, 8080).obj(), want: map[string]string{"a": ReasonPortConflict, "b": ""}},
		{name: "other protocol does not conflict", nodes: ns, existing: pods(pod("x").port("dns", 53, 53).on("a")),
			pod: udp, want: map[string]string{"a": "", "b": ""}},
		{name: "hostPort 0 on host network claims nothing", nodes: ns,
			existing: pods(pod("x").port("http", 8080, 8080).on("a")),
			pod:      hostNet, want: map[string]string{"a": "", "b": ""}},
		{name: "dynamic ports need room in the range", nodes: nodes(node("a")),
			existing: func() []*api.Pod {
				var out []*api.Pod
				for port := int32(DefaultMinDynamicPort); port <= DefaultMaxDynamicPort; port++ {
					out = append(out, pod("x").port("p", 1, port).on("a").obj())
				}
				return out
			}(),
			pod: pod("p").dynamic("http").obj(), want: map[string]string{"a": ReasonNoDynamicPort}},
	})
}

func TestAllocatePorts(t *testing.T) {
	c := newCluster(NewSnapshot(nodes(node("a")), pods(pod("x").port("p", 1, DefaultMinDynamicPort).on("a"))),
		Config{}.withDefaults())
	p := c.newPodInfo(pod("p").dynamic("http", "metrics").port("admin", 9000, DefaultMinDynamicPort+1).obj())
	got := allocatePorts(p, c.nodes[0], c.cfg)
	want := map[string]int{"http": DefaultMinDynamicPort + 2, "metrics": DefaultMinDynamicPort + 3}
	if len(got) != 2 || got["http"] != want["http"] || got["metrics"] != want["metrics"] {
		t.Fatalf("got %v, want %v", got, want)
	}
}
