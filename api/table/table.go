package table

import (
	"strings"
	"time"

	"github.com/barque-io/barque/api"
)

// Table is Kubernetes' meta.k8s.io Table: what `kubectl get` asks the
// server for and prints as it is, so that the columns are the server's.
type Table struct {
	api.TypeMeta      `json:",inline"`
	Metadata          ListMeta           `json:"metadata"`
	ColumnDefinitions []ColumnDefinition `json:"columnDefinitions"`
	Rows              []Row              `json:"rows"`

	columns []Column // the kind's, all of them: each row's cells
}

// ListMeta is a Table's list metadata.
type ListMeta struct {
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Continue        string `json:"continue,omitempty"`
}

// ColumnDefinition describes one column of a Table.
type ColumnDefinition struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Format      string `json:"format"`
	Description string `json:"description"`
	Priority    int32  `json:"priority"`
}

// Row is one object's cells, with the object (or its metadata, or nothing)
// as the request's includeObject asks.
type Row struct {
	Cells  []any `json:"cells"`
	Object any   `json:"object,omitempty"`
}

// PartialObjectMetadata is an object reduced to its metadata, Kubernetes'
// default for a Table row's object.
type PartialObjectMetadata struct {
	api.TypeMeta `json:",inline"`
	Metadata     any `json:"metadata"`
}

// Include says what a Table row carries of its object (the includeObject
// query parameter).
type Include string

// The values of includeObject.
const (
	IncludeMetadata Include = "PartialObjectMetadata" // the default
	IncludeObject   Include = "Object"
	IncludeNone     Include = "None"
)

// New is an empty Table of kind's columns, all of them (wide ones at
// priority 1), in the given meta.k8s.io version ("v1" or "v1beta1").
// Without headers (a watch event after the first) the column definitions
// are left out: kubectl keeps the last ones it saw.
func New(kind, version string, headers bool) *Table {
	t := &Table{TypeMeta: api.TypeMeta{APIVersion: "meta.k8s.io/" + version, Kind: "Table"}, Rows: []Row{},
		columns: ColumnsFor(kind, true)}
	if !headers {
		return t
	}
	t.ColumnDefinitions = []ColumnDefinition{{Name: "Name", Type: "string", Format: "name",
		Description: "Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"}}
	for _, c := range t.columns {
		d := ColumnDefinition{Name: c.Name, Type: "string"}
		if c.Wide {
			d.Priority = 1
		}
		if c.Since != nil {
			d.Description = "The age of " + strings.Join(c.Since, ".") + "."
		}
		t.ColumnDefinitions = append(t.ColumnDefinitions, d)
	}
	return t
}

// AddRow appends the row of o: its name and its kind's cells at now, and
// o itself as include says.
func (t *Table) AddRow(o api.Object, include Include, now time.Time) error {
	f, err := FromObject(o)
	if err != nil {
		return err
	}
	cells := []any{f.Str("metadata", "name")}
	for _, c := range t.columns {
		cells = append(cells, c.Cell(f, now))
	}
	row := Row{Cells: cells}
	switch include {
	case IncludeObject:
		row.Object = o
	case IncludeNone:
	default:
		row.Object = PartialObjectMetadata{TypeMeta: api.TypeMeta{APIVersion: t.APIVersion, Kind: "PartialObjectMetadata"},
			Metadata: f["metadata"]}
	}
	t.Rows = append(t.Rows, row)
	return nil
}
