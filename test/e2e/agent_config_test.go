package e2e

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

const agentConfigFile = `
node_class  = "from-file"
datacenter  = "dc2"
meta        = { rack = "r7", owner = "e2e" }
node_labels = { "barque.io/disk" = "ssd" }
taints      = ["dedicated=e2e:NoSchedule", "gpu:PreferNoSchedule"]
`

// TestAgentConfigReachesNode: an agent started with an HCL config file and
// a flag registers a Node with the file's labels and taints in its
// metadata and spec, its class, datacenter and meta in the fingerprint
// (the flag winning over the file), and the machine's own facts.
func TestAgentConfigReachesNode(t *testing.T) {
	c, cl, ctx := startWritable(t, 60*time.Second)
	file := filepath.Join(t.TempDir(), "agent.hcl")
	if err := writeFile(file, agentConfigFile); err != nil {
		t.Fatal(err)
	}
	c.startAgentWith("n1", nil, "-config", file, "-node-class", "from-flag")
	n := waitNodeReady(ctx, t, cl, "n1", api.ConditionTrue)

	for k, want := range map[string]string{"barque.io/disk": "ssd", "topology.barque.io/datacenter": "dc2", "kubernetes.io/hostname": "n1"} {
		if got := n.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q (labels %v)", k, got, want, n.Labels)
		}
	}
	taints := []api.Taint{{Key: "dedicated", Value: "e2e", Effect: api.TaintNoSchedule}, {Key: "gpu", Effect: api.TaintPreferNoSchedule}}
	if !reflect.DeepEqual(n.Spec.Taints, taints) {
		t.Errorf("taints = %+v, want %+v", n.Spec.Taints, taints)
	}
	st := n.Status
	if st.NodeClass != "from-flag" || st.Datacenter != "dc2" {
		t.Errorf("node class %q, datacenter %q; want from-flag (the flag over the file) and dc2", st.NodeClass, st.Datacenter)
	}
	if want := map[string]string{"rack": "r7", "owner": "e2e"}; !reflect.DeepEqual(st.Meta, want) {
		t.Errorf("meta = %v, want %v", st.Meta, want)
	}
	checkFingerprint(t, n)
}

// checkFingerprint: the agent describes its machine and drivers.
func checkFingerprint(t *testing.T, n *api.Node) {
	t.Helper()
	st := n.Status
	for _, r := range []string{"cpu", "memory"} {
		if q, err := api.ParseQuantity(st.Capacity[r]); err != nil || q.Value() <= 0 {
			t.Errorf("capacity %s = %q (%v)", r, st.Capacity[r], err)
		}
	}
	if st.NodeInfo.OperatingSystem != "linux" || st.NodeInfo.Architecture == "" {
		t.Errorf("node info: %+v", st.NodeInfo)
	}
	var host string
	for _, a := range st.Addresses {
		if a.Type == api.NodeHostName {
			host = a.Address
		}
	}
	if host == "" || st.Attributes["unique.hostname"] != host {
		t.Errorf("hostname %q, attribute %q (addresses %+v)", host, st.Attributes["unique.hostname"], st.Addresses)
	}
	if !contains(strings.Join(st.Drivers, ","), "exec") || st.Attributes["driver.exec"] != "true" {
		t.Errorf("drivers %v, driver.exec attribute %q; want exec advertised", st.Drivers, st.Attributes["driver.exec"])
	}
}

// TestAgentBadConfigFile: a config file with an unknown key, or a taint
// the servers would refuse, stops the agent at once with exit 1 and a
// message naming the fault (rather than an agent retrying a registration
// forever).
func TestAgentBadConfigFile(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"unknown key", "node_class = \"a\"\nnode_clas = \"b\"\n", `An argument named "node_clas" is not expected`},
		{"bad taint effect", "taints = [\"k=v:Sometimes\"]\n", `spec.taints[0].effect: Unsupported value: "Sometimes"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "agent.hcl")
			if err := writeFile(file, tc.file); err != nil {
				t.Fatal(err)
			}
			out, code := run(t, nil, "", "agent", "-data-dir", filepath.Join(dir, "data"), "-config", file, "-join", "127.0.0.1:1")
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want 1 and a message with %q:\n%s", code, tc.want, out)
			}
		})
	}
}
