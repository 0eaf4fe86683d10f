package jobspec

import (
	"reflect"
	"sort"
	"strings"
	"sync"
)

// schemaNode is what one block type accepts, read from its struct's hcl
// tags: attribute names, and the struct type of each nested block.
type schemaNode struct {
	attrs  map[string]bool
	blocks map[string]reflect.Type
	open   bool // a remain-only struct (Map, Ignored): any attributes
}

var schemaCache sync.Map // reflect.Type -> *schemaNode

func schemaOf(t reflect.Type) *schemaNode {
	if n, ok := schemaCache.Load(t); ok {
		return n.(*schemaNode)
	}
	n := &schemaNode{attrs: map[string]bool{}, blocks: map[string]reflect.Type{}}
	for i := 0; i < t.NumField(); i++ {
		name, kind, _ := strings.Cut(t.Field(i).Tag.Get("hcl"), ",")
		switch kind {
		case "", "optional", "attr":
			if name != "" {
				n.attrs[name] = true
			}
		case "block":
			n.blocks[name] = elemStruct(t.Field(i).Type)
		}
	}
	n.open = len(n.attrs) == 0 && len(n.blocks) == 0
	schemaCache.Store(t, n)
	return n
}

func elemStruct(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Slice || t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	return t
}

// validNames lists what a block accepts, for "unknown name" errors.
func (n *schemaNode) validNames() string {
	list := func(m []string) string {
		sort.Strings(m)
		if len(m) == 0 {
			return "none"
		}
		return strings.Join(m, ", ")
	}
	var attrs, blocks []string
	for a := range n.attrs {
		attrs = append(attrs, a)
	}
	for b := range n.blocks {
		blocks = append(blocks, b)
	}
	return "valid arguments: " + list(attrs) + "; valid blocks: " + list(blocks)
}

// blockNoun names a block type in messages ("group", "task"…).
var blockNoun = map[reflect.Type]string{}

func init() {
	for name, v := range map[string]any{"job": Job{}, "group": Group{}, "task": Task{},
		"config": TaskConfig{}, "resources": Resources{}, "template": Template{},
		"lifecycle": Lifecycle{}, "network": Network{}, "port": Port{}, "service": Service{},
		"check": Check{}, "restart": Restart{}, "update": Update{}, "periodic": Periodic{},
		"constraint": Constraint{}, "volume": Volume{}, "volume_mount": VolumeMount{}} {
		blockNoun[reflect.TypeOf(v)] = name
	}
}

// unsupported names Nomad blocks and arguments that Barque rejects, with why.
var unsupported = map[string]string{
	"vault":           "Vault integration is not supported by Barque; put secrets in a Secret and read them through env or a template",
	"connect":         "Consul Connect (service mesh) is not supported by Barque",
	"sidecar_service": "Consul Connect (service mesh) is not supported by Barque",
	"csi_plugin":      "CSI plugins are not supported by Barque",
	"consul":          "Consul integration is not supported by Barque",
	"identity":        "workload identities are not supported by Barque",
	"multiregion":     "multiregion jobs are not supported by Barque",
	"scaling":         "scaling policies are not supported by Barque",
	"device":          "device requests are not supported by Barque",
	"numa":            "NUMA-aware scheduling is not supported by Barque",
	"dns":             "custom DNS settings are not supported by Barque",
	"headers":         "artifact headers are for network fetches, and Barque fetches artifacts from local paths only",
}

// ignoredAttrs are accepted arguments that have no effect yet.
var ignoredAttrs = map[string]bool{
	"shutdown_delay": true, "stagger": true, "all_at_once": true, "change_signal": true,
	"access_mode": true, "attachment_mode": true, "sticky": true, "propagation_mode": true,
}
