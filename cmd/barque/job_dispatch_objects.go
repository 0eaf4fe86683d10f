package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// childObjects makes a dispatched child's objects from the record's: each
// is renamed from the job's name to the child's (ConfigMap references
// follow), labelled as the child's with its parent named, owned by the
// record; the pod templates get the meta values and the payload.
func childObjects(rec *api.NomadJob, id string, req *dispatchRequest) ([]api.Object, error) {
	sub, err := submissionOf(rec.Namespace, rec.Spec)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, o := range sub.objs {
		n := o.GetObjectMeta().Name
		names[n] = id + strings.TrimPrefix(n, rec.Name)
	}
	rename := func(n string) string {
		if v, ok := names[n]; ok {
			return v
		}
		return n
	}
	for _, o := range sub.objs {
		m := o.GetObjectMeta()
		*m = api.ObjectMeta{Name: rename(m.Name), Namespace: rec.Namespace, Labels: childLabels(m.Labels, id, rec.Name),
			Annotations: m.Annotations, OwnerReferences: []api.OwnerReference{ownerRef(rec)}}
		switch v := o.(type) {
		case *api.Job:
			if v.Spec.Selector != nil {
				v.Spec.Selector.MatchLabels = childLabels(v.Spec.Selector.MatchLabels, id, "")
			}
			if err := childTemplate(&v.Spec.Template, id, rec.Name, rename, req); err != nil {
				return nil, err
			}
		case *api.Service:
			v.Spec.Selector = childLabels(v.Spec.Selector, id, "")
		case *api.ConfigMap, *api.Secret:
		default:
			return nil, fmt.Errorf("job %q: a dispatched job cannot hold a %s (%s)", rec.Name, mustKind(o).Kind, m.Name)
		}
	}
	return sub.objs, nil
}

// childLabels relabels a job's labels for the child; parent, when set, is
// recorded in barque.io/dispatch-parent.
func childLabels(in map[string]string, id, parent string) map[string]string {
	out := map[string]string{}
	for k, v := range in {
		out[k] = v
	}
	out[api.LabelNomadJob] = id
	if parent != "" {
		out[api.LabelDispatchParent] = parent
	}
	return out
}

func childTemplate(t *api.PodTemplateSpec, id, parent string, rename func(string) string, req *dispatchRequest) error {
	t.Labels = childLabels(t.Labels, id, parent)
	if err := renameShipped(t.Annotations, rename); err != nil {
		return err
	}
	if len(req.payload) > 0 {
		if t.Annotations == nil {
			t.Annotations = map[string]string{}
		}
		t.Annotations[api.AnnotationDispatchPayload] = encodePayload(req.payload)
	}
	for i := range t.Spec.Volumes {
		v := &t.Spec.Volumes[i]
		if v.ConfigMap != nil {
			v.ConfigMap.Name = rename(v.ConfigMap.Name)
		}
		if v.Secret != nil {
			v.Secret.SecretName = rename(v.Secret.SecretName)
		}
	}
	for _, cs := range [][]api.Container{t.Spec.InitContainers, t.Spec.Containers} {
		for i := range cs {
			childContainer(&cs[i], rename, req.meta)
		}
	}
	return nil
}

// renameShipped points the artifacts the job shipped at the child's
// ConfigMaps.
func renameShipped(ann map[string]string, rename func(string) string) error {
	arts, err := api.DecodeArtifacts(ann)
	if err != nil || arts == nil {
		return err
	}
	for _, list := range arts {
		for i := range list {
			if list[i].ConfigMap != "" {
				list[i].ConfigMap = rename(list[i].ConfigMap)
			}
		}
	}
	b, err := json.Marshal(arts)
	ann[api.AnnotationArtifacts] = string(b)
	return err
}

// childContainer points the container's config references at the child's
// objects and sets the dispatch meta over the job's.
func childContainer(c *api.Container, rename func(string) string, meta map[string]string) {
	for i := range c.EnvFrom {
		if r := c.EnvFrom[i].ConfigMapRef; r != nil {
			r.Name = rename(r.Name)
		}
		if r := c.EnvFrom[i].SecretRef; r != nil {
			r.Name = rename(r.Name)
		}
	}
	set := map[string]string{}
	for k, v := range meta {
		set["NOMAD_META_"+k], set["BARQUE_META_"+k] = v, v
	}
	env := c.Env[:0]
	for _, e := range c.Env {
		if _, over := set[e.Name]; !over {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				e.ValueFrom.ConfigMapKeyRef.Name = rename(e.ValueFrom.ConfigMapKeyRef.Name)
			}
			env = append(env, e)
		}
	}
	for _, k := range sortedMetaKeys(set) {
		env = append(env, api.EnvVar{Name: k, Value: set[k]})
	}
	c.Env = env
}

// printDispatched lists a parameterized job's rules and its dispatched
// children, as Nomad's `job status` does.
func printDispatched(ctx context.Context, w io.Writer, c *client.Client, rec *api.NomadJob) error {
	p := rec.Spec.Parameterized
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintln(w, "\nParameterized Job")
	fmt.Fprintf(tw, "Payload\t= %s\n", p.Payload)
	fmt.Fprintf(tw, "Required Metadata\t= %s\n", orDefault(strings.Join(p.MetaRequired, ", "), "-"))
	fmt.Fprintf(tw, "Optional Metadata\t= %s\n", orDefault(strings.Join(p.MetaOptional, ", "), "-"))
	tw.Flush()
	list, err := c.List(ctx, "Job", rec.Namespace, client.ListOptions{LabelSelector: api.LabelDispatchParent + "=" + rec.Name})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nDispatched Jobs")
	if len(list.Items) == 0 {
		fmt.Fprintln(w, "No dispatched jobs")
		return nil
	}
	jobs := make([]*api.Job, 0, len(list.Items))
	for _, o := range list.Items {
		jobs = append(jobs, o.(*api.Job))
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].Name < jobs[j].Name })
	tw = tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tPODS")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", j.Labels[api.LabelNomadJob], childStatus(j), jobObjectStatus(j))
	}
	return tw.Flush()
}

// childStatus is Nomad's job status of a dispatched child.
func childStatus(j *api.Job) string {
	for _, c := range j.Status.Conditions {
		if (c.Type == api.JobComplete || c.Type == api.JobFailed) && c.Status == api.ConditionTrue {
			return "dead"
		}
	}
	if j.Status.Active > 0 {
		return "running"
	}
	return "pending"
}
