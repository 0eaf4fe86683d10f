package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newDescribeCmd) }

func newDescribeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "describe KIND NAME",
		Short: "Show an object in detail",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ki, err := api.ResolveName(args[0])
			if err != nil {
				return err
			}
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			o, err := c.Get(cmd.Context(), ki.Kind, currentNamespace(), args[1], client.GetOptions{})
			if err != nil {
				return err
			}
			if err := describe(cmd.OutOrStdout(), o); err != nil {
				return err
			}
			// As kubectl: the object's events, by its uid, in its
			// namespace (all namespaces for a cluster-scoped object).
			m := o.GetObjectMeta()
			evs, err := c.List(cmd.Context(), "Event", m.Namespace, client.ListOptions{FieldSelector: "involvedObject.uid=" + m.UID})
			if err != nil {
				return err
			}
			describeEvents(cmd.OutOrStdout(), evs.Items)
			return nil
		},
	}
}

// describe prints metadata as aligned "Key: value" lines, as kubectl does,
// then every other top-level section as indented YAML.
func describe(w io.Writer, o api.Object) error {
	m, err := toMap(o)
	if err != nil {
		return err
	}
	meta := o.GetObjectMeta()
	line := func(k, v string) { fmt.Fprintf(w, "%-20s%s\n", k+":", v) }
	line("Name", meta.Name)
	if meta.Namespace != "" {
		line("Namespace", meta.Namespace)
	}
	line("Labels", keyValues(meta.Labels, "="))
	ann := make(map[string]string, len(meta.Annotations))
	for k, v := range meta.Annotations {
		if k != lastAppliedKey { // long and already in the user's file
			ann[k] = v
		}
	}
	line("Annotations", keyValues(ann, ": "))
	if meta.CreationTimestamp != nil {
		line("CreationTimestamp", meta.CreationTimestamp.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	}
	line("UID", meta.UID)
	line("ResourceVersion", meta.ResourceVersion.String())
	if len(meta.OwnerReferences) > 0 {
		r := meta.OwnerReferences[0]
		line("Controlled By", r.Kind+"/"+r.Name)
	}
	return describeSections(w, m)
}

func describeSections(w io.Writer, m obj) error {
	var keys []string
	for k := range m {
		if k != "metadata" && k != "kind" && k != "apiVersion" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, err := yaml.Marshal(m[k])
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s:\n", strings.ToUpper(k[:1])+k[1:])
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	return nil
}

// keyValues prints one pair per line, continuation lines aligned under the
// first value, or <none>.
func keyValues(kv map[string]string, sep string) string {
	if len(kv) == 0 {
		return "<none>"
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + sep + kv[k]
	}
	return strings.Join(lines, "\n"+strings.Repeat(" ", 18))
}

// describeEvents prints the Events section as kubectl does, oldest first:
// type, reason, age (with the count and span of repeats), source, message.
func describeEvents(w io.Writer, items []api.Object) {
	var evs []*api.Event
	for _, o := range items {
		if e, ok := o.(*api.Event); ok {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		fmt.Fprintln(w, "Events:             <none>")
		return
	}
	sort.SliceStable(evs, func(i, j int) bool { return eventTime(evs[i], true).Before(eventTime(evs[j], true)) })
	fmt.Fprintln(w, "Events:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  Type\tReason\tAge\tFrom\tMessage")
	fmt.Fprintln(tw, "  ----\t------\t----\t----\t-------")
	for _, e := range evs {
		age := humanDuration(now().Sub(eventTime(e, true)))
		if e.Count > 1 {
			age = fmt.Sprintf("%s (x%d over %s)", age, e.Count, humanDuration(now().Sub(eventTime(e, false))))
		}
		from := e.Source.Component
		if from == "" {
			from = e.ReportingController
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", e.Type, e.Reason, age, from, strings.TrimSpace(e.Message))
	}
	tw.Flush()
}

// eventTime is an event's last (or first) occurrence, from whichever
// timestamp its reporter set.
func eventTime(e *api.Event, last bool) time.Time {
	ts := []*api.Time{e.FirstTimestamp, e.LastTimestamp}
	if last {
		ts[0], ts[1] = ts[1], ts[0]
	}
	for _, t := range append(ts, e.EventTime, e.CreationTimestamp) {
		if t != nil && !t.IsZero() {
			return t.Time
		}
	}
	return time.Time{}
}
