package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/table"
)

// Output formats of -o.
const (
	outTable = ""
	outWide  = "wide"
	outJSON  = "json"
	outYAML  = "yaml"
	outName  = "name"
)

func checkOutput(o string) error {
	switch o {
	case outTable, outWide, outJSON, outYAML, outName:
		return nil
	}
	return fmt.Errorf("unable to match a printer suitable for the output format %q, allowed formats are: json,name,wide,yaml", o)
}

// printer writes objects in one output format. Tables keep their header
// state so that a watch prints the header once.
type printer struct {
	out    io.Writer
	format string
	ki     *api.KindInfo
	// withNamespace adds the NAMESPACE column (-A on a namespaced kind).
	withNamespace bool
	// withKind prints names as KIND/NAME (get of several kinds).
	withKind   bool
	headerDone bool
	// showManagedFields keeps metadata.managedFields in JSON and YAML;
	// hidden by default, as kubectl hides them.
	showManagedFields bool
}

func newPrinter(out io.Writer, format string, ki *api.KindInfo, allNamespaces bool) *printer {
	return &printer{out: out, format: format, ki: ki, withNamespace: allNamespaces && ki.Namespaced}
}

// print writes objs. asList wraps JSON/YAML in a List as kubectl does for
// `get KIND`, while `get KIND NAME` prints the bare object.
func (p *printer) print(objs []api.Object, asList bool) error {
	switch p.format {
	case outJSON, outYAML:
		return p.printEncoded(objs, asList)
	case outName:
		for _, o := range objs {
			fmt.Fprintln(p.out, resourceName(p.ki, o.GetObjectMeta().Name))
		}
		return nil
	}
	return p.printTable(objs)
}

func (p *printer) printEncoded(objs []api.Object, asList bool) error {
	if !p.showManagedFields {
		objs = withoutManagedFields(objs)
	}
	var v any = objs
	if asList || len(objs) != 1 {
		v = map[string]any{"apiVersion": "v1", "kind": "List", "items": objs, "metadata": map[string]any{}}
	} else {
		v = objs[0]
	}
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	if p.format == outYAML {
		if b, err = yaml.JSONToYAML(b); err != nil {
			return err
		}
		if !asList && p.headerDone { // a watch streams YAML documents
			fmt.Fprintln(p.out, "---")
		}
		p.headerDone = true
		_, err = p.out.Write(b)
		return err
	}
	_, err = fmt.Fprintf(p.out, "%s\n", b)
	return err
}

// printTable writes kubectl-style columns.
func (p *printer) printTable(objs []api.Object) error {
	rows := make([]obj, len(objs))
	for i, o := range objs {
		m, err := toMap(o)
		if err != nil {
			return err
		}
		rows[i] = m
	}
	return p.writeRows(rows)
}

// writeRows renders objects in JSON form: gaps of three spaces, header in
// capitals, NAMESPACE first with -A.
func (p *printer) writeRows(rows []obj) error {
	tw := tabwriter.NewWriter(p.out, 6, 4, 3, ' ', 0)
	cols := table.ColumnsFor(p.ki.Kind, p.format == outWide)
	if !p.headerDone {
		var h []string
		if p.withNamespace {
			h = append(h, "NAMESPACE")
		}
		h = append(h, "NAME")
		for _, c := range cols {
			h = append(h, strings.ToUpper(c.Name))
		}
		fmt.Fprintln(tw, strings.Join(h, "\t"))
		p.headerDone = true
	}
	for _, m := range rows {
		var row []string
		if p.withNamespace {
			row = append(row, m.Str("metadata", "namespace"))
		}
		if p.withKind {
			row = append(row, resourceName(p.ki, m.Str("metadata", "name")))
		} else {
			row = append(row, m.Str("metadata", "name"))
		}
		for _, c := range cols {
			row = append(row, c.Cell(m, now()))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// resourceName is kubectl's kind/name: "configmap/x", "deployment.apps/web".
func resourceName(ki *api.KindInfo, name string) string {
	k := strings.ToLower(ki.Kind)
	if ki.Group != "" {
		k += "." + ki.Group
	}
	return k + "/" + name
}

// withoutManagedFields is objs with metadata.managedFields left out
// (copies of the objects that have them).
func withoutManagedFields(objs []api.Object) []api.Object {
	out := make([]api.Object, len(objs))
	for i, o := range objs {
		if len(o.GetObjectMeta().ManagedFields) == 0 {
			out[i] = o
			continue
		}
		c := api.Clone(o)
		c.GetObjectMeta().ManagedFields = nil
		out[i] = c
	}
	return out
}
