package table

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Column is one per-kind column after the object's name.
type Column struct {
	// Name is Kubernetes' column name ("Up-to-date"); kubectl prints it in
	// capitals.
	Name string
	// Wide columns show with -o wide only (priority 1 in a Table).
	Wide bool
	// Value renders the cell; Since instead shows the age of the timestamp
	// at that path, and Timed a cell that depends on the time (a Job's
	// duration so far).
	Value func(o Fields) string
	Since []string
	Timed func(o Fields, now time.Time) string
}

// Cell is the column's text for the object f at now.
func (c Column) Cell(f Fields, now time.Time) string {
	switch {
	case c.Since != nil:
		return Age(f.Str(c.Since...), now)
	case c.Timed != nil:
		return c.Timed(f, now)
	}
	return c.Value(f)
}

var ageColumn = Column{Name: "Age", Since: []string{"metadata", "creationTimestamp"}}

// kindColumns are the columns after NAME, as kubectl prints them. Kinds
// not listed get AGE only.
var kindColumns = map[string][]Column{
	"Pod": {
		{Name: "Ready", Value: PodReady},
		{Name: "Status", Value: PodStatus},
		{Name: "Restarts", Value: podRestarts},
		ageColumn,
		{Name: "IP", Wide: true, Value: func(o Fields) string { return OrNone(o.Str("status", "podIP")) }},
		{Name: "Node", Wide: true, Value: func(o Fields) string { return OrNone(o.Str("spec", "nodeName")) }},
	},
	"Node": {
		{Name: "Status", Value: NodeStatus},
		{Name: "Roles", Value: nodeRoles},
		ageColumn,
		{Name: "Version", Value: NodeVersion},
		{Name: "CPU(alloc/cap)", Value: func(o Fields) string { return NodeResource(o, "cpu") }},
		{Name: "Memory(alloc/cap)", Value: func(o Fields) string { return NodeResource(o, "memory") }},
		{Name: "Pods", Value: func(o Fields) string { return OrDefault(o.Str("status", "allocated", "pods"), "0") }},
		{Name: "Drivers", Wide: true, Value: func(o Fields) string { return OrNone(joinList(o.List("status", "drivers"))) }},
		{Name: "Internal-IP", Wide: true, Value: NodeInternalIP},
	},
	"Deployment": {
		{Name: "Ready", Value: func(o Fields) string {
			return fmt.Sprintf("%d/%d", o.Num("status", "readyReplicas"), o.Num("spec", "replicas"))
		}},
		{Name: "Up-to-date", Value: func(o Fields) string { return Itoa(o.Num("status", "updatedReplicas")) }},
		{Name: "Available", Value: func(o Fields) string { return Itoa(o.Num("status", "availableReplicas")) }},
		ageColumn,
	},
	"ReplicaSet": {
		{Name: "Desired", Value: func(o Fields) string { return Itoa(o.Num("spec", "replicas")) }},
		{Name: "Current", Value: func(o Fields) string { return Itoa(o.Num("status", "replicas")) }},
		{Name: "Ready", Value: func(o Fields) string { return Itoa(o.Num("status", "readyReplicas")) }},
		ageColumn,
	},
	"ConfigMap": {
		{Name: "Data", Value: func(o Fields) string { return Itoa(int64(len(o.Dict("data")) + len(o.Dict("binaryData")))) }},
		ageColumn,
	},
	"Secret": {
		{Name: "Type", Value: func(o Fields) string { return OrDefault(o.Str("type"), "Opaque") }},
		{Name: "Data", Value: func(o Fields) string { return Itoa(int64(len(o.Dict("data")) + len(o.Dict("stringData")))) }},
		ageColumn,
	},
	"Service": {
		{Name: "Type", Value: func(o Fields) string { return OrDefault(o.Str("spec", "type"), "ClusterIP") }},
		{Name: "Cluster-IP", Value: func(o Fields) string { return OrNone(o.Str("spec", "clusterIP")) }},
		{Name: "Port(s)", Value: servicePorts},
		ageColumn,
	},
	"Ingress": {
		{Name: "Class", Value: func(o Fields) string { return OrNone(o.Str("spec", "ingressClassName")) }},
		{Name: "Hosts", Value: ingressHostList},
		{Name: "Ports", Value: func(o Fields) string {
			if len(o.List("spec", "tls")) > 0 {
				return "80, 443"
			}
			return "80"
		}},
		ageColumn,
	},
	"PersistentVolumeClaim": {
		{Name: "Status", Value: func(o Fields) string { return OrDefault(o.Str("status", "phase"), "Pending") }},
		{Name: "Node", Value: func(o Fields) string {
			return OrNone(o.Str("metadata", "annotations", "volume.kubernetes.io/selected-node"))
		}},
		{Name: "Capacity", Value: func(o Fields) string { return o.Str("spec", "resources", "requests", "storage") }},
		{Name: "Access Modes", Value: func(o Fields) string { return accessModes(o.List("spec", "accessModes")) }},
		{Name: "StorageClass", Value: func(o Fields) string { return OrNone(o.Str("spec", "storageClassName")) }},
		ageColumn,
	},
	"Namespace": {
		{Name: "Status", Value: func(o Fields) string { return OrDefault(o.Str("status", "phase"), "Active") }},
		ageColumn,
	},
	"NomadJob": {
		{Name: "Type", Value: func(o Fields) string { return OrDefault(o.Str("spec", "type"), "service") }},
		{Name: "Status", Value: func(o Fields) string {
			if b, _ := o.Get("spec", "stop").(bool); b {
				return "dead (stopped)"
			}
			return "running"
		}},
		{Name: "Version", Value: func(o Fields) string { return Itoa(max(o.Num("spec", "version"), o.Num("status", "version"))) }},
		{Name: "Objects", Value: func(o Fields) string { return Itoa(int64(len(o.List("spec", "objects")))) }},
		ageColumn,
		{Name: "Source", Wide: true, Value: func(o Fields) string { return OrNone(o.Str("spec", "sourcePath")) }},
	},
	"NomadJobVersion": {
		{Name: "Job", Value: func(o Fields) string { return o.Str("spec", "job", "jobName") }},
		{Name: "Version", Value: func(o Fields) string { return Itoa(o.Num("spec", "version")) }},
		{Name: "Objects", Value: func(o Fields) string { return Itoa(int64(len(o.List("spec", "job", "objects")))) }},
		ageColumn,
	},
}

// ColumnsFor is kind's columns after NAME, with the wide ones when wide.
func ColumnsFor(kind string, wide bool) []Column {
	cols, ok := kindColumns[kind]
	if !ok {
		cols = []Column{ageColumn}
	}
	var out []Column
	for _, c := range cols {
		if !c.Wide || wide {
			out = append(out, c)
		}
	}
	return out
}

func PodReady(o Fields) string {
	ready := 0
	for _, cs := range o.List("status", "containerStatuses") {
		if b, _ := AsFields(cs)["ready"].(bool); b {
			ready++
		}
	}
	return fmt.Sprintf("%d/%d", ready, len(o.List("spec", "containers")))
}

// podStatus is kubectl's STATUS: a waiting or terminated container's reason
// says more than the phase ("CrashLoopBackOff"), and a pod being deleted
// shows Terminating.
func PodStatus(o Fields) string {
	if o.Str("metadata", "deletionTimestamp") != "" {
		return "Terminating"
	}
	status := OrDefault(o.Str("status", "reason"), o.Str("status", "phase"))
	for _, v := range o.List("status", "containerStatuses") {
		cs := AsFields(v)
		if r := cs.Str("state", "waiting", "reason"); r != "" {
			return r
		}
		if r := cs.Str("state", "terminated", "reason"); r != "" && status != "Succeeded" {
			status = r
		}
	}
	return OrDefault(status, "Pending")
}

// accessModes abbreviates as kubectl does: RWO, RWOP.
func accessModes(modes []any) string {
	short := map[string]string{"ReadWriteOnce": "RWO", "ReadWriteOncePod": "RWOP", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX"}
	var out []string
	for _, m := range modes {
		s, _ := m.(string)
		out = append(out, OrDefault(short[s], s))
	}
	return strings.Join(out, ",")
}

func podRestarts(o Fields) string {
	var n int64
	for _, cs := range o.List("status", "containerStatuses") {
		n += AsFields(cs).Num("restartCount")
	}
	return Itoa(n)
}

func NodeStatus(o Fields) string {
	status := "Unknown"
	for _, v := range o.List("status", "conditions") {
		c := AsFields(v)
		if c.Str("type") == "Ready" {
			status = map[string]string{"True": "Ready", "False": "NotReady"}[c.Str("status")]
			status = OrDefault(status, "Unknown")
		}
	}
	if b, _ := o.Get("spec", "unschedulable").(bool); b {
		status += ",SchedulingDisabled"
	}
	return status
}

// nodeRoles reads node-role.kubernetes.io/ROLE labels, as kubectl does.
func nodeRoles(o Fields) string {
	var roles []string
	for k := range o.Dict("metadata", "labels") {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	return OrNone(strings.Join(roles, ","))
}

func NodeVersion(o Fields) string {
	for _, f := range []string{"barqueVersion", "agentVersion", "kubeletVersion", "version"} {
		if v := o.Str("status", "nodeInfo", f); v != "" {
			return v
		}
	}
	return "<none>"
}

// servicePorts renders "80/TCP,443:30443/TCP".
func servicePorts(o Fields) string {
	var parts []string
	for _, v := range o.List("spec", "ports") {
		p := AsFields(v)
		s := Itoa(p.Num("port"))
		if np := p.Num("nodePort"); np != 0 {
			s += ":" + Itoa(np)
		}
		parts = append(parts, s+"/"+OrDefault(p.Str("protocol"), "TCP"))
	}
	return OrNone(strings.Join(parts, ","))
}

// nodeResource renders "allocated/capacity" of one resource.
func NodeResource(o Fields, name string) string {
	return OrDefault(o.Str("status", "allocated", name), "0") + "/" + OrNone(o.Str("status", "capacity", name))
}

func NodeInternalIP(o Fields) string {
	for _, v := range o.List("status", "addresses") {
		if a := AsFields(v); a.Str("type") == "InternalIP" {
			return a.Str("address")
		}
	}
	return "<none>"
}

func joinList(vs []any) string {
	var out []string
	for _, v := range vs {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

// ingressHostList is kubectl's HOSTS: the rules' hosts, "*" for a rule
// without one.
func ingressHostList(o Fields) string {
	var hosts []string
	for _, r := range o.List("spec", "rules") {
		m, _ := r.(map[string]any)
		h, _ := m["host"].(string)
		hosts = append(hosts, OrDefault(h, "*"))
	}
	return OrDefault(strings.Join(hosts, ","), "*")
}
