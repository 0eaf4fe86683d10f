package server

import "github.com/barque-io/barque/api"

// defaultObject fills defaults before validation.
func defaultObject(obj api.Object) { api.Default(obj) }
