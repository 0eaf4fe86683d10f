package placement

import (
	"strings"

	"github.com/barque-io/barque/api"
)

// nb builds test nodes: ready, 4 cpu, 8Gi, 110 pods, exec and docker.
type nb struct{ n *api.Node }

func node(name string) *nb {
	return &nb{&api.Node{
		ObjectMeta: api.ObjectMeta{Name: name, UID: "uid-" + name,
			Labels: map[string]string{"kubernetes.io/hostname": name}},
		Status: api.NodeStatus{
			Allocatable: api.ResourceList{"cpu": "4", "memory": "8Gi", "pods": "110"},
			Conditions:  []api.Condition{{Type: api.NodeReady, Status: api.ConditionTrue}},
			Drivers:     []string{"exec", "docker"},
			Attributes:  map[string]string{}, Meta: map[string]string{},
		},
	}}
}

func (b *nb) alloc(cpu, mem, pods string) *nb {
	b.n.Status.Allocatable = api.ResourceList{"cpu": cpu, "memory": mem, "pods": pods}
	return b
}

func (b *nb) label(kv ...string) *nb {
	for i := 0; i+1 < len(kv); i += 2 {
		b.n.Labels[kv[i]] = kv[i+1]
	}
	return b
}

func (b *nb) taint(key, value string, effect api.TaintEffect) *nb {
	b.n.Spec.Taints = append(b.n.Spec.Taints, api.Taint{Key: key, Value: value, Effect: effect})
	return b
}

func (b *nb) notReady() *nb {
	b.n.Status.Conditions[0].Status = api.ConditionFalse
	return b
}

func (b *nb) cordon() *nb             { b.n.Spec.Unschedulable = true; return b }
func (b *nb) drivers(d ...string) *nb { b.n.Status.Drivers = d; return b }
func (b *nb) attr(k, v string) *nb    { b.n.Status.Attributes[k] = v; return b }
func (b *nb) meta(k, v string) *nb    { b.n.Status.Meta[k] = v; return b }
func (b *nb) dc(dc, class string) *nb {
	b.n.Status.Datacenter, b.n.Status.NodeClass = dc, class
	return b
}
func (b *nb) obj() *api.Node            { return b.n }
func nodes(bs ...*nb) (out []*api.Node) { return appendNodes(out, bs) }

func appendNodes(out []*api.Node, bs []*nb) []*api.Node {
	for _, b := range bs {
		out = append(out, b.n)
	}
	return out
}

// pb builds test pods: namespace default, one exec container "main".
type pb struct{ p *api.Pod }

func pod(name string) *pb {
	return &pb{&api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name,
			Labels: map[string]string{}, Annotations: map[string]string{}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "main", Command: []string{"sleep"}}}},
	}}
}

func (b *pb) ctr() *api.Container { return &b.p.Spec.Containers[0] }

func (b *pb) req(cpu, mem string) *pb {
	b.ctr().Resources.Requests = api.ResourceList{"cpu": cpu, "memory": mem}
	return b
}

func (b *pb) limit(cpu, mem string) *pb {
	b.ctr().Resources.Limits = api.ResourceList{"cpu": cpu, "memory": mem}
	return b
}

func (b *pb) label(kv ...string) *pb {
	for i := 0; i+1 < len(kv); i += 2 {
		b.p.Labels[kv[i]] = kv[i+1]
	}
	return b
}

func (b *pb) annotate(k, v string) *pb { b.p.Annotations[k] = v; return b }

func (b *pb) port(name string, container, host int32) *pb {
	b.ctr().Ports = append(b.ctr().Ports, api.ContainerPort{Name: name, ContainerPort: container, HostPort: host})
	return b
}

func (b *pb) dynamic(names ...string) *pb {
	for _, n := range names {
		b.port(n, 80, 0)
	}
	return b.annotate(AnnotationDynamicPorts, strings.Join(names, ","))
}

func (b *pb) tolerate(t api.Toleration) *pb {
	b.p.Spec.Tolerations = append(b.p.Spec.Tolerations, t)
	return b
}

func (b *pb) selector(kv ...string) *pb {
	b.p.Spec.NodeSelector = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		b.p.Spec.NodeSelector[kv[i]] = kv[i+1]
	}
	return b
}

func (b *pb) affinity() *api.Affinity {
	if b.p.Spec.Affinity == nil {
		b.p.Spec.Affinity = &api.Affinity{}
	}
	return b.p.Spec.Affinity
}

func (b *pb) requireNodes(terms ...api.NodeSelectorTerm) *pb {
	b.affinity().NodeAffinity = &api.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{NodeSelectorTerms: terms}}
	return b
}

func (b *pb) preferNodes(terms ...api.PreferredSchedulingTerm) *pb {
	b.affinity().NodeAffinity = &api.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: terms}
	return b
}

func (b *pb) antiAffinity(topo string, kv ...string) *pb {
	a := b.affinity()
	if a.PodAntiAffinity == nil {
		a.PodAntiAffinity = &api.PodAntiAffinity{}
	}
	a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(
		a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, affinityTermOf(topo, kv...))
	return b
}

func (b *pb) preferAnti(weight int32, topo string, kv ...string) *pb {
	a := b.affinity()
	if a.PodAntiAffinity == nil {
		a.PodAntiAffinity = &api.PodAntiAffinity{}
	}
	a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(
		a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
		api.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: affinityTermOf(topo, kv...)})
	return b
}

func affinityTermOf(topo string, kv ...string) api.PodAffinityTerm {
	ml := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		ml[kv[i]] = kv[i+1]
	}
	return api.PodAffinityTerm{LabelSelector: &api.LabelSelector{MatchLabels: ml}, TopologyKey: topo}
}

func (b *pb) spread(maxSkew int32, topo string, kv ...string) *pb {
	ml := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		ml[kv[i]] = kv[i+1]
	}
	b.p.Spec.TopologySpreadConstraints = append(b.p.Spec.TopologySpreadConstraints, api.TopologySpreadConstraint{
		MaxSkew: maxSkew, TopologyKey: topo, WhenUnsatisfiable: api.DoNotSchedule,
		LabelSelector: &api.LabelSelector{MatchLabels: ml}})
	return b
}

func (b *pb) owner(uid string) *pb {
	b.p.OwnerReferences = []api.OwnerReference{{Kind: "ReplicaSet", Name: uid, UID: uid, Controller: api.Ptr(true)}}
	return b
}

func (b *pb) on(node string) *pb { b.p.Spec.NodeName = node; return b }
func (b *pb) ns(ns string) *pb   { b.p.Namespace = ns; return b }
func (b *pb) obj() *api.Pod      { return b.p }
func pods(bs ...*pb) (out []*api.Pod) {
	for _, b := range bs {
		out = append(out, b.p)
	}
	return out
}

func term(key, op string, values ...string) api.NodeSelectorTerm {
	return api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}
}

// cb builds test claims: namespace default, 1Gi, not bound.
type cb struct{ c *api.PersistentVolumeClaim }

func claim(name string) *cb {
	return &cb{&api.PersistentVolumeClaim{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name,
			Annotations: map[string]string{}},
		Spec: api.PersistentVolumeClaimSpec{AccessModes: []string{api.ReadWriteOnce},
			Resources: api.VolumeResourceRequirements{Requests: api.ResourceList{"storage": "1Gi"}}},
	}}
}

func (b *cb) size(q string) *cb { b.c.Spec.Resources.Requests["storage"] = q; return b }
func (b *cb) boundTo(node string) *cb {
	b.c.Annotations[api.ClaimNodeAnnotation] = node
	return b
}
func (b *cb) obj() *api.PersistentVolumeClaim { return b.c }
func claims(bs ...*cb) (out []*api.PersistentVolumeClaim) {
	for _, b := range bs {
		out = append(out, b.c)
	}
	return out
}

// claimMap is the snapshot's claims lookup of cs.
func claimMap(cs []*api.PersistentVolumeClaim) map[ClaimKey]*api.PersistentVolumeClaim {
	if cs == nil {
		return nil
	}
	m := map[ClaimKey]*api.PersistentVolumeClaim{}
	for _, c := range cs {
		m[ClaimKey{c.Namespace, c.Name}] = c
	}
	return m
}

// mount gives the pod a volume per claim, named after it.
func (b *pb) mount(claimNames ...string) *pb {
	for _, n := range claimNames {
		b.p.Spec.Volumes = append(b.p.Spec.Volumes, api.Volume{Name: n,
			VolumeSource: api.VolumeSource{PersistentVolumeClaim: &api.PersistentVolumeClaimVolumeSource{ClaimName: n}}})
	}
	return b
}

func (b *nb) storage(q string) *nb {
	b.n.Status.Allocatable[api.ResourceEphemeralStorage] = q
	return b
}

// filterResults runs one filter for p over the nodes, with existing bound
// pods charged first, and returns each node's first reason ("" = fits).
func filterResults(f Filter, ns []*api.Node, existing []*api.Pod, p *api.Pod) map[string]string {
	return filterResultsWithClaims(f, ns, existing, nil, p)
}

// filterResultsWithClaims is filterResults with a claims lookup. A
// PreFilter's rejection of the pod is every node's reason.
func filterResultsWithClaims(f Filter, ns []*api.Node, existing []*api.Pod, cs []*api.PersistentVolumeClaim, p *api.Pod) map[string]string {
	snap := NewSnapshot(ns, existing)
	snap.Claims = claimMap(cs)
	c := newCluster(snap, Config{}.withDefaults())
	pi := c.newPodInfo(p)
	out := map[string]string{}
	if pf, ok := f.(PreFilter); ok {
		if st := pf.PreFilter(c, pi); st != nil {
			for _, n := range c.nodes {
				out[n.name] = strings.Join(st.Reasons, "; ")
			}
			return out
		}
	}
	check := f.Prepare(c, pi)
	for _, n := range c.nodes {
		out[n.name] = ""
		if check == nil {
			continue
		}
		if st := check(n); st != nil {
			out[n.name] = strings.Join(st.Reasons, "; ")
		}
	}
	return out
}

// scoreResults runs one scorer for p; a scorer that opts out scores -1.
func scoreResults(s Scorer, ns []*api.Node, existing []*api.Pod, p *api.Pod) map[string]int64 {
	c := newCluster(NewSnapshot(ns, existing), Config{}.withDefaults())
	fn := s.Prepare(c, c.newPodInfo(p))
	out := map[string]int64{}
	for _, n := range c.nodes {
		out[n.name] = -1
		if fn != nil {
			out[n.name] = fn(n)
		}
	}
	return out
}
