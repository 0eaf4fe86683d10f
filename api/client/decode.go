package client

import (
	"encoding/json"
	"fmt"

	"github.com/barque-io/barque/api"
)

// decodeObject turns one JSON object into its Go type, dispatching on its
// kind. want is the kind the caller expects; it is used when the server
// leaves kind out (list items) and checked when it does not.
//
// This is a stopgap until api.DecodeObject lands; swap the body for it then.
func decodeObject(data []byte, want string) (api.Object, error) {
	var tm api.TypeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		return nil, fmt.Errorf("decoding object: %w", err)
	}
	kind := tm.Kind
	if kind == "" {
		kind = want
	}
	if want != "" && kind != want {
		return nil, fmt.Errorf("decoding object: got kind %q, want %q", kind, want)
	}
	obj, err := api.NewObject(kind)
	if err != nil {
		return nil, fmt.Errorf("decoding object: %w", err)
	}
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", kind, err)
	}
	// Keep TypeMeta filled even when the wire form left it out.
	ki, _ := api.LookupKind(kind)
	*obj.GetTypeMeta() = api.TypeMeta{APIVersion: ki.APIVersion(), Kind: kind}
	return obj, nil
}
