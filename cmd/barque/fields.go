package main

import (
	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/table"
)

// obj is an object in its JSON form (table.Fields). Printers read fields
// this way so they work for every kind without depending on its Go type.
type obj = table.Fields

func toMap(o api.Object) (obj, error) { return table.FromObject(o) }

// asObj views one element of a list as an obj.
func asObj(v any) obj { return table.AsFields(v) }

var (
	orNone    = table.OrNone
	orDefault = table.OrDefault
	itoa      = table.Itoa
)
