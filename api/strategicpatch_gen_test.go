package api_test

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
)

// The generator of TestStrategicMergePatchRandomAgreesWithKubernetes
// (strategicpatch_diff_test.go): random pods and the patches kubectl sends.

// The pools the generator draws names from are small, so that patches
// often meet the original's elements.
var (
	smpContainerNames = []any{"web", "log", "side", "proxy"}
	smpInitNames      = []any{"setup", "migrate", "wait"}
	smpEnvNames       = []any{"A", "B", "C", "D"}
	smpPorts          = []any{80, 443, 8080, 9090}
	smpMountPaths     = []any{"/data", "/logs", "/etc/app", "/cache"}
	smpVolumeNames    = []any{"data", "logs", "conf", "cache"}
	smpFinalizers     = []any{"a.io/x", "a.io/y", "b.io/z", "c.io/w", "d.io/v"}
	smpUIDs           = []any{"u1", "u2", "u3", "u4"}
	smpLabelKeys      = []any{"app", "tier", "env", "team"}
	smpNodeKeys       = []any{"zone", "disk", "gpu"}
	smpArgs           = []any{"-v", "--port=80", "serve", "--debug"}
	smpResources      = []any{"cpu", "memory"}
	smpValues         = []string{"1", "2", "3"}
)

// smpGen makes random pods and random patches of the kinds kubectl sends:
// kubectl patch (elements added, changed or deleted by their merge key,
// lists replaced, null deletions, primitive lists unioned or with
// $deleteFromPrimitiveList) and kubectl apply's three-way patches
// ($setElementOrder with the full desired order, the patch listing only
// changed elements, deletions, $retainKeys when a volume switches source).
//
// Some inputs are never made (smpExcludedMap tells them), where Kubernetes'
// result is one Barque should not copy:
//   - directives in a part of the patch Kubernetes takes as it is rather
//     than merging: an element new to its list, a map or list the original
//     lacks, a list that is not merged (tolerations, args), the elements of
//     a list and the fields of a map replaced with "$patch": "replace".
//     Kubernetes leaves "$retainKeys", "$setElementOrder/..." (and, but in
//     a part the original lacks, "$patch") in the patched JSON, where
//     Barque applies or drops them; kubectl never sends them there;
//   - nulls in such an element or list: Kubernetes keeps "field": null
//     where Barque leaves the field out, which is the same object once
//     decoded;
//   - "$patch": "replace" on a map the original lacks: Kubernetes drops the
//     map, replacement and all, where Barque sets it to the patch's
//     content.
type smpGen struct{ r *rand.Rand }

func (g smpGen) coin(p float64) bool { return g.r.Float64() < p }

func (g smpGen) value() string { return smpValues[g.r.Intn(len(smpValues))] }

// some is between min and len(pool) distinct values of pool, in random order.
func (g smpGen) some(pool []any, min int) []any {
	perm := g.r.Perm(len(pool))
	out := make([]any, min+g.r.Intn(len(pool)-min+1))
	for i := range out {
		out[i] = pool[perm[i]]
	}
	return out
}

func (g smpGen) list(keys []any, elem func(any) map[string]any) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = elem(k)
	}
	return out
}

func (g smpGen) strMap(keys []any) map[string]any {
	m := map[string]any{}
	for _, k := range keys {
		m[k.(string)] = g.value()
	}
	return m
}

func (g smpGen) pod() map[string]any {
	meta := map[string]any{"name": "p", "namespace": "default"}
	if g.coin(.8) {
		meta["labels"] = g.strMap(g.some(smpLabelKeys, 1))
	}
	if g.coin(.4) {
		meta["annotations"] = g.strMap(g.some(smpLabelKeys, 1))
	}
	if g.coin(.7) {
		meta["finalizers"] = g.some(smpFinalizers, 1)
	}
	if g.coin(.5) {
		meta["ownerReferences"] = g.list(g.some(smpUIDs, 1), g.ownerRef)
	}
	spec := map[string]any{"containers": g.list(g.some(smpContainerNames, 1), g.container)}
	if g.coin(.3) {
		spec["initContainers"] = g.list(g.some(smpInitNames, 1), g.container)
	}
	if g.coin(.7) {
		spec["volumes"] = g.list(g.some(smpVolumeNames, 1), g.volume)
	}
	if g.coin(.5) {
		spec["tolerations"] = g.tolerations()
	}
	if g.coin(.5) {
		spec["nodeSelector"] = g.strMap(g.some(smpNodeKeys, 1))
	}
	if g.coin(.5) {
		spec["restartPolicy"] = "Always"
	}
	if g.coin(.3) {
		spec["securityContext"] = map[string]any{"runAsUser": 1000}
	}
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
}

func (g smpGen) ownerRef(uid any) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "K", "name": "o" + g.value(), "uid": uid}
}

func (g smpGen) container(name any) map[string]any {
	c := map[string]any{"name": name, "image": name.(string) + ":" + g.value()}
	if g.coin(.6) {
		c["env"] = g.list(g.some(smpEnvNames, 1), g.env)
	}
	if g.coin(.5) {
		c["ports"] = g.list(g.some(smpPorts, 1), g.port)
	}
	// Kubernetes allows two elements of one key: a port served over TCP
	// and UDP, an env var named twice.
	if ports, _ := c["ports"].([]any); len(ports) > 0 && g.coin(.15) {
		udp := map[string]any{"containerPort": ports[0].(map[string]any)["containerPort"], "protocol": "UDP"}
		c["ports"] = slices.Insert(ports, g.r.Intn(len(ports)+1), any(udp))
	}
	if env, _ := c["env"].([]any); len(env) > 0 && g.coin(.1) {
		c["env"] = append(env, g.env(env[0].(map[string]any)["name"]))
	}
	if g.coin(.3) {
		c["resources"] = map[string]any{"limits": g.strMap(g.some(smpResources, 1))}
	}
	if g.coin(.5) {
		c["volumeMounts"] = g.list(g.some(smpMountPaths, 1), g.mount)
	}
	if g.coin(.4) {
		c["args"] = g.some(smpArgs, 1)
	}
	return c
}

func (g smpGen) env(name any) map[string]any {
	return map[string]any{"name": name, "value": g.value()}
}

func (g smpGen) port(p any) map[string]any {
	m := map[string]any{"containerPort": p}
	if g.coin(.5) {
		m["name"] = fmt.Sprintf("p%d", p)
	}
	if g.coin(.3) {
		m["protocol"] = "TCP"
	}
	return m
}

func (g smpGen) mount(path any) map[string]any {
	m := map[string]any{"name": smpVolumeNames[g.r.Intn(len(smpVolumeNames))], "mountPath": path}
	if g.coin(.3) {
		m["readOnly"] = true
	}
	return m
}

var smpSources = []string{"emptyDir", "configMap", "secret", "hostPath"}

func (g smpGen) source(kind string) any {
	switch kind {
	case "emptyDir":
		if g.coin(.5) {
			return map[string]any{"medium": "Memory"}
		}
		return map[string]any{}
	case "configMap":
		return map[string]any{"name": "cm" + g.value()}
	case "secret":
		return map[string]any{"secretName": "s" + g.value()}
	}
	return map[string]any{"path": "/host/" + g.value()}
}

func (g smpGen) volume(name any) map[string]any {
	kind := smpSources[g.r.Intn(len(smpSources))]
	return map[string]any{"name": name, kind: g.source(kind)}
}

func (g smpGen) tolerations() []any {
	var out []any
	for _, k := range g.some([]any{"k1", "k2", "k3"}, 1) {
		out = append(out, map[string]any{"key": k, "operator": "Exists"})
	}
	return out
}

// The patch ---------------------------------------------------------------

func (g smpGen) patch(pod map[string]any) map[string]any {
	meta, spec := pod["metadata"].(map[string]any), pod["spec"].(map[string]any)
	pm, ps := map[string]any{}, map[string]any{}
	for len(pm)+len(ps) == 0 {
		if g.coin(.3) {
			g.mapPatch(pm, "labels", meta, smpLabelKeys)
		}
		if g.coin(.2) {
			g.mapPatch(pm, "annotations", meta, smpLabelKeys)
		}
		if g.coin(.35) {
			g.primitivePatch(pm, "finalizers", meta, smpFinalizers)
		}
		if g.coin(.2) {
			g.listPatch(pm, "ownerReferences", meta, smpOwnerRefs(g))
		}
		if g.coin(.5) {
			g.listPatch(ps, "containers", spec, smpContainers(g, smpContainerNames))
		}
		if g.coin(.2) {
			g.listPatch(ps, "initContainers", spec, smpContainers(g, smpInitNames))
		}
		if g.coin(.3) {
			g.listPatch(ps, "volumes", spec, smpVolumes(g))
		}
		if g.coin(.15) {
			if g.coin(.8) {
				ps["tolerations"] = g.tolerations()
			} else {
				ps["tolerations"] = nil
			}
		}
		if g.coin(.2) {
			g.mapPatch(ps, "nodeSelector", spec, smpNodeKeys)
		}
		if g.coin(.1) {
			ps["restartPolicy"] = []any{"Never", nil}[g.r.Intn(2)]
		}
		if g.coin(.1) {
			g.securityContextPatch(ps, spec)
		}
	}
	p := map[string]any{}
	if len(pm) > 0 {
		p["metadata"] = pm
	}
	if len(ps) > 0 {
		p["spec"] = ps
	}
	return p
}

// mapPatch patches the string map orig[field]: keys set or deleted with
// null, the whole map deleted with null, or replaced or deleted with a
// "$patch" directive.
func (g smpGen) mapPatch(patch map[string]any, field string, orig map[string]any, pool []any) {
	_, exists := orig[field]
	switch n := g.r.Intn(10); {
	case n == 0:
		patch[field] = nil
	case n == 1 && exists:
		m := g.strMap(g.some(pool, 0))
		m["$patch"] = "replace"
		patch[field] = m
	case n == 2:
		patch[field] = map[string]any{"$patch": "delete"}
	default:
		m := map[string]any{}
		for _, k := range g.some(pool, 1) {
			if g.coin(.3) {
				m[k.(string)] = nil
			} else {
				m[k.(string)] = g.value()
			}
		}
		patch[field] = m
	}
}

// securityContextPatch merges into, replaces or deletes a struct.
func (g smpGen) securityContextPatch(patch map[string]any, orig map[string]any) {
	_, exists := orig["securityContext"]
	m := map[string]any{}
	switch n := g.r.Intn(4); {
	case n == 0:
		m["$patch"] = "delete"
	case n == 1 && exists:
		m["$patch"], m["runAsNonRoot"] = "replace", true
	default:
		m["runAsUser"] = []any{2000, nil}[g.r.Intn(2)]
		m["runAsGroup"] = 3000
	}
	patch["securityContext"] = m
}

// primitivePatch patches the primitive merge list orig[field] as kubectl
// patch (a union, a $deleteFromPrimitiveList, or both) or kubectl apply
// (the full desired order, the added values, the removed ones) would.
func (g smpGen) primitivePatch(patch map[string]any, field string, orig map[string]any, pool []any) {
	had, _ := orig[field].([]any)
	switch g.r.Intn(4) {
	case 0:
		add := g.some(pool, 1)
		if g.coin(.1) { // a value twice
			add = append(add, add[0])
		}
		patch[field] = add
	case 1:
		patch["$deleteFromPrimitiveList/"+field] = g.some(pool, 1)
	case 2:
		add := g.some(pool, 1)
		var del []any
		for _, v := range g.some(pool, 1) {
			if !slices.Contains(add, v) {
				del = append(del, v)
			}
		}
		patch[field] = add
		if len(del) > 0 {
			patch["$deleteFromPrimitiveList/"+field] = del
		}
	default:
		want := g.some(pool, 0)
		var add, del []any
		for _, v := range want {
			if !slices.Contains(had, v) {
				add = append(add, v)
			}
		}
		for _, v := range had {
			if !slices.Contains(want, v) && g.coin(.7) { // else the server's own
				del = append(del, v)
			}
		}
		patch["$setElementOrder/"+field] = want
		if len(add) > 0 {
			patch[field] = add
		}
		if len(del) > 0 {
			patch["$deleteFromPrimitiveList/"+field] = del
		}
	}
}

// smpList describes a list merged by key: the keys its elements may have,
// a new element, and a patch of an existing one.
type smpList struct {
	key    string
	pool   []any
	whole  func(k any) map[string]any
	change func(old map[string]any) map[string]any
}

func smpContainers(g smpGen, names []any) smpList {
	return smpList{key: "name", pool: names, whole: g.container, change: g.changeContainer}
}

func smpOwnerRefs(g smpGen) smpList {
	return smpList{key: "uid", pool: smpUIDs, whole: g.ownerRef, change: func(old map[string]any) map[string]any {
		m := map[string]any{"uid": old["uid"]}
		if g.coin(.5) {
			m["name"] = "o" + g.value()
		}
		if g.coin(.3) {
			m["controller"] = true
		}
		return m
	}}
}

// smpVolumes: a volume that switches source says so with $retainKeys, as
// kubectl apply does for a field of retainKeys strategy.
func smpVolumes(g smpGen) smpList {
	return smpList{key: "name", pool: smpVolumeNames, whole: g.volume, change: func(old map[string]any) map[string]any {
		kind := smpSources[g.r.Intn(len(smpSources))]
		m := map[string]any{"name": old["name"], kind: g.source(kind)}
		if _, same := old[kind]; !same || g.coin(.3) {
			m["$retainKeys"] = []any{"name", kind}
		}
		return m
	}}
}

func (g smpGen) changeContainer(old map[string]any) map[string]any {
	c := map[string]any{"name": old["name"]}
	if g.coin(.5) {
		c["image"] = old["name"].(string) + ":" + g.value()
	}
	if g.coin(.4) {
		g.listPatch(c, "env", old, smpList{key: "name", pool: smpEnvNames, whole: g.env, change: func(old map[string]any) map[string]any {
			return map[string]any{"name": old["name"], "value": []any{g.value(), nil}[g.r.Intn(2)]}
		}})
	}
	if g.coin(.3) {
		g.listPatch(c, "ports", old, smpList{key: "containerPort", pool: smpPorts, whole: g.port, change: func(old map[string]any) map[string]any {
			m := map[string]any{"containerPort": old["containerPort"]}
			switch g.r.Intn(3) {
			case 0:
				m["name"] = "n" + g.value()
			case 1:
				m["protocol"] = "UDP"
			default:
				m["name"] = nil
			}
			return m
		}})
	}
	if g.coin(.3) {
		g.listPatch(c, "volumeMounts", old, smpList{key: "mountPath", pool: smpMountPaths, whole: g.mount, change: func(old map[string]any) map[string]any {
			return map[string]any{"mountPath": old["mountPath"], "readOnly": []any{true, false, nil}[g.r.Intn(3)]}
		}})
	}
	if g.coin(.2) {
		if g.coin(.7) {
			c["args"] = g.some(smpArgs, 0)
		} else {
			c["args"] = nil
		}
	}
	if g.coin(.2) {
		limits := map[string]any{}
		for _, r := range g.some(smpResources, 1) {
			limits[r.(string)] = []any{g.value(), nil}[g.r.Intn(2)]
		}
		c["resources"] = map[string]any{"limits": limits}
	}
	return c
}

func smpFind(list []any, key string, v any) map[string]any {
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && m[key] == v {
			return m
		}
	}
	return nil
}

// listPatch patches the list orig[field] merged by s.key, in one of the
// ways kubectl does: patch's elements added, changed or deleted; apply's
// $setElementOrder with the changed elements; or a replacement.
func (g smpGen) listPatch(patch map[string]any, field string, orig map[string]any, s smpList) {
	had, _ := orig[field].([]any)
	var list []any
	switch g.r.Intn(11) {
	case 10:
		patch[field] = nil
		return
	case 0, 1, 2, 3:
		for _, k := range g.some(s.pool, 1) {
			switch old := smpFind(had, s.key, k); {
			case old == nil:
				list = append(list, s.whole(k))
			case g.coin(.3):
				list = append(list, map[string]any{s.key: k, "$patch": "delete"})
			default:
				list = append(list, s.change(old))
			}
		}
	case 4, 5, 6, 7, 8:
		order := []any{}
		for _, k := range g.some(s.pool, 0) {
			switch old := smpFind(had, s.key, k); {
			case old == nil:
				order = append(order, map[string]any{s.key: k})
				list = append(list, s.whole(k))
			case g.coin(.25):
				list = append(list, map[string]any{s.key: k, "$patch": "delete"})
			case g.coin(.2): // the server's own: neither ordered nor patched
			default:
				order = append(order, map[string]any{s.key: k})
				if g.coin(.5) {
					list = append(list, s.change(old))
				}
			}
		}
		patch["$setElementOrder/"+field] = order
	default:
		list = g.list(g.some(s.pool, 0), s.whole)
		at := g.r.Intn(len(list) + 1)
		list = slices.Insert(list, at, any(map[string]any{"$patch": "replace"}))
	}
	if len(list) > 0 {
		patch[field] = list
	}
}

// The lists of a pod merged by key, by field name ("" for a primitive
// list); other lists are replaced.
var smpMergeKeys = map[string]string{
	"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
	"ports": "containerPort", "volumeMounts": "mountPath", "ownerReferences": "uid", "finalizers": "",
}

// smpExcludedMap reports whether patch holds one of the inputs smpGen does
// not make: a directive in a part Kubernetes takes as it is (one orig
// lacks, a list it does not merge, a replacement), a null in a new list
// element, a "$patch": "replace" on a map orig lacks.
func smpExcludedMap(orig, patch map[string]any) bool {
	for k, pv := range patch {
		switch pv := pv.(type) {
		case map[string]any:
			om, ok := orig[k].(map[string]any)
			_, directive := pv["$patch"]
			switch {
			case !ok && pv["$patch"] == "delete":
				// Nothing to delete, in both.
			case !ok && !smpPlain(pv, true):
				return true
			case ok && directive:
				for dk, dv := range pv {
					if dk != "$patch" && !smpPlain(dv, false) {
						return true
					}
				}
			case ok && smpExcludedMap(om, pv):
				return true
			}
		case []any:
			if strings.HasPrefix(k, "$") {
				continue
			}
			key, merged := smpMergeKeys[k]
			ol, had := orig[k].([]any)
			switch {
			case !merged && !smpPlain(pv, false):
				return true
			case merged && key != "" && smpExcludedList(ol, pv, key, had):
				return true
			}
		}
	}
	return false
}

func smpExcludedList(orig, patch []any, key string, had bool) bool {
	replace := slices.ContainsFunc(patch, func(e any) bool {
		m, _ := e.(map[string]any)
		return m["$patch"] == "replace"
	})
	for _, e := range patch {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if _, directive := m["$patch"]; directive {
			continue
		}
		old := smpFind(orig, key, m[key])
		if replace || old == nil {
			if !smpPlain(m, !had) {
				return true
			}
		} else if smpExcludedMap(old, m) {
			return true
		}
	}
	return false
}

// smpPlain: v holds no directive (and no null, unless nulls).
func smpPlain(v any, nulls bool) bool {
	switch v := v.(type) {
	case nil:
		return nulls
	case map[string]any:
		for k, e := range v {
			if strings.HasPrefix(k, "$") || !smpPlain(e, nulls) {
				return false
			}
		}
	case []any:
		for _, e := range v {
			if !smpPlain(e, nulls) {
				return false
			}
		}
	}
	return true
}
