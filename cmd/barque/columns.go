package main

import (
	"fmt"
	"sort"
	"strings"
)

// column is one per-kind table column; wide columns show with -o wide.
type column struct {
	header string
	wide   bool
	value  func(o obj) string
}

var ageColumn = column{header: "AGE", value: func(o obj) string { return ageOf(o.str("metadata", "creationTimestamp")) }}

// kindColumns are the columns after NAME, as kubectl prints them. Kinds
// not listed get AGE only.
var kindColumns = map[string][]column{
	"Pod": {
		{header: "READY", value: podReady},
		{header: "STATUS", value: podStatus},
		{header: "RESTARTS", value: podRestarts},
		ageColumn,
		{header: "IP", wide: true, value: func(o obj) string { return orNone(o.str("status", "podIP")) }},
		{header: "NODE", wide: true, value: func(o obj) string { return orNone(o.str("spec", "nodeName")) }},
	},
	"Node": {
		{header: "STATUS", value: nodeStatus},
		{header: "ROLES", value: nodeRoles},
		ageColumn,
		{header: "VERSION", value: nodeVersion},
		{header: "CPU(ALLOC/CAP)", value: func(o obj) string { return nodeResource(o, "cpu") }},
		{header: "MEMORY(ALLOC/CAP)", value: func(o obj) string { return nodeResource(o, "memory") }},
		{header: "PODS", value: func(o obj) string { return orDefault(o.str("status", "allocated", "pods"), "0") }},
		{header: "DRIVERS", wide: true, value: func(o obj) string { return orNone(joinList(o.list("status", "drivers"))) }},
		{header: "INTERNAL-IP", wide: true, value: nodeInternalIP},
	},
	"Deployment": {
		{header: "READY", value: func(o obj) string {
			return fmt.Sprintf("%d/%d", o.num("status", "readyReplicas"), o.num("spec", "replicas"))
		}},
		{header: "UP-TO-DATE", value: func(o obj) string { return itoa(o.num("status", "updatedReplicas")) }},
		{header: "AVAILABLE", value: func(o obj) string { return itoa(o.num("status", "availableReplicas")) }},
		ageColumn,
	},
	"ReplicaSet": {
		{header: "DESIRED", value: func(o obj) string { return itoa(o.num("spec", "replicas")) }},
		{header: "CURRENT", value: func(o obj) string { return itoa(o.num("status", "replicas")) }},
		{header: "READY", value: func(o obj) string { return itoa(o.num("status", "readyReplicas")) }},
		ageColumn,
	},
	"ConfigMap": {
		{header: "DATA", value: func(o obj) string { return itoa(int64(len(o.dict("data")) + len(o.dict("binaryData")))) }},
		ageColumn,
	},
	"Secret": {
		{header: "TYPE", value: func(o obj) string { return orDefault(o.str("type"), "Opaque") }},
		{header: "DATA", value: func(o obj) string { return itoa(int64(len(o.dict("data")) + len(o.dict("stringData")))) }},
		ageColumn,
	},
	"Service": {
		{header: "TYPE", value: func(o obj) string { return orDefault(o.str("spec", "type"), "ClusterIP") }},
		{header: "CLUSTER-IP", value: func(o obj) string { return orNone(o.str("spec", "clusterIP")) }},
		{header: "PORT(S)", value: servicePorts},
		ageColumn,
	},
	"Ingress": {
		{header: "CLASS", value: func(o obj) string { return orNone(o.str("spec", "ingressClassName")) }},
		{header: "HOSTS", value: ingressHostList},
		{header: "PORTS", value: func(o obj) string {
			if len(o.list("spec", "tls")) > 0 {
				return "80, 443"
			}
			return "80"
		}},
		ageColumn,
	},
	"PersistentVolumeClaim": {
		{header: "STATUS", value: func(o obj) string { return orDefault(o.str("status", "phase"), "Pending") }},
		{header: "NODE", value: func(o obj) string {
			return orNone(o.str("metadata", "annotations", "volume.kubernetes.io/selected-node"))
		}},
		{header: "CAPACITY", value: func(o obj) string { return o.str("spec", "resources", "requests", "storage") }},
		{header: "ACCESS MODES", value: func(o obj) string { return accessModes(o.list("spec", "accessModes")) }},
		{header: "STORAGECLASS", value: func(o obj) string { return orNone(o.str("spec", "storageClassName")) }},
		ageColumn,
	},
	"Namespace": {
		{header: "STATUS", value: func(o obj) string { return orDefault(o.str("status", "phase"), "Active") }},
		ageColumn,
	},
	"NomadJob": {
		{header: "TYPE", value: func(o obj) string { return orDefault(o.str("spec", "type"), "service") }},
		{header: "STATUS", value: func(o obj) string {
			if b, _ := o.get("spec", "stop").(bool); b {
				return "dead (stopped)"
			}
			return "running"
		}},
		{header: "VERSION", value: func(o obj) string { return itoa(max(o.num("spec", "version"), o.num("status", "version"))) }},
		{header: "OBJECTS", value: func(o obj) string { return itoa(int64(len(o.list("spec", "objects")))) }},
		ageColumn,
		{header: "SOURCE", wide: true, value: func(o obj) string { return orNone(o.str("spec", "sourcePath")) }},
	},
	"NomadJobVersion": {
		{header: "JOB", value: func(o obj) string { return o.str("spec", "job", "jobName") }},
		{header: "VERSION", value: func(o obj) string { return itoa(o.num("spec", "version")) }},
		{header: "OBJECTS", value: func(o obj) string { return itoa(int64(len(o.list("spec", "job", "objects")))) }},
		ageColumn,
	},
}

func columnsFor(kind string, wide bool) []column {
	cols, ok := kindColumns[kind]
	if !ok {
		cols = []column{ageColumn}
	}
	var out []column
	for _, c := range cols {
		if !c.wide || wide {
			out = append(out, c)
		}
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func podReady(o obj) string {
	ready := 0
	for _, cs := range o.list("status", "containerStatuses") {
		if b, _ := asObj(cs)["ready"].(bool); b {
			ready++
		}
	}
	return fmt.Sprintf("%d/%d", ready, len(o.list("spec", "containers")))
}

// podStatus is kubectl's STATUS: a waiting or terminated container's reason
// says more than the phase ("CrashLoopBackOff"), and a pod being deleted
// shows Terminating.
func podStatus(o obj) string {
	if o.str("metadata", "deletionTimestamp") != "" {
		return "Terminating"
	}
	status := orDefault(o.str("status", "reason"), o.str("status", "phase"))
	for _, v := range o.list("status", "containerStatuses") {
		cs := asObj(v)
		if r := cs.str("state", "waiting", "reason"); r != "" {
			return r
		}
		if r := cs.str("state", "terminated", "reason"); r != "" && status != "Succeeded" {
			status = r
		}
	}
	return orDefault(status, "Pending")
}

// accessModes abbreviates as kubectl does: RWO, RWOP.
func accessModes(modes []any) string {
	short := map[string]string{"ReadWriteOnce": "RWO", "ReadWriteOncePod": "RWOP", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX"}
	var out []string
	for _, m := range modes {
		s, _ := m.(string)
		out = append(out, orDefault(short[s], s))
	}
	return strings.Join(out, ",")
}

func podRestarts(o obj) string {
	var n int64
	for _, cs := range o.list("status", "containerStatuses") {
		n += asObj(cs).num("restartCount")
	}
	return itoa(n)
}

func nodeStatus(o obj) string {
	status := "Unknown"
	for _, v := range o.list("status", "conditions") {
		c := asObj(v)
		if c.str("type") == "Ready" {
			status = map[string]string{"True": "Ready", "False": "NotReady"}[c.str("status")]
			status = orDefault(status, "Unknown")
		}
	}
	if b, _ := o.get("spec", "unschedulable").(bool); b {
		status += ",SchedulingDisabled"
	}
	return status
}

// nodeRoles reads node-role.kubernetes.io/ROLE labels, as kubectl does.
func nodeRoles(o obj) string {
	var roles []string
	for k := range o.dict("metadata", "labels") {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	return orNone(strings.Join(roles, ","))
}

func nodeVersion(o obj) string {
	for _, f := range []string{"barqueVersion", "agentVersion", "kubeletVersion", "version"} {
		if v := o.str("status", "nodeInfo", f); v != "" {
			return v
		}
	}
	return "<none>"
}

// servicePorts renders "80/TCP,443:30443/TCP".
func servicePorts(o obj) string {
	var parts []string
	for _, v := range o.list("spec", "ports") {
		p := asObj(v)
		s := itoa(p.num("port"))
		if np := p.num("nodePort"); np != 0 {
			s += ":" + itoa(np)
		}
		parts = append(parts, s+"/"+orDefault(p.str("protocol"), "TCP"))
	}
	return orNone(strings.Join(parts, ","))
}

// nodeResource renders "allocated/capacity" of one resource.
func nodeResource(o obj, name string) string {
	return orDefault(o.str("status", "allocated", name), "0") + "/" + orNone(o.str("status", "capacity", name))
}

func nodeInternalIP(o obj) string {
	for _, v := range o.list("status", "addresses") {
		if a := asObj(v); a.str("type") == "InternalIP" {
			return a.str("address")
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
func ingressHostList(o obj) string {
	var hosts []string
	for _, r := range o.list("spec", "rules") {
		m, _ := r.(map[string]any)
		h, _ := m["host"].(string)
		hosts = append(hosts, orDefault(h, "*"))
	}
	return orDefault(strings.Join(hosts, ","), "*")
}
