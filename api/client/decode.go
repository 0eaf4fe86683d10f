package client

import (
	"encoding/json"
	"fmt"

	"github.com/barque-io/barque/api"
)

// decodeObject turns one JSON object into its Go type, dispatching on its
// kind. want is the kind the caller expects; it is used when the server
// leaves kind out (list items) and checked when it does not. The server's
// answers are Barque's own encoding, so they take api.DecodeTrusted.
func decodeObject(data []byte, want string) (api.Object, error) {
	kind := want
	if kind == "" {
		var tm api.TypeMeta
		if err := json.Unmarshal(data, &tm); err != nil {
			return nil, fmt.Errorf("decoding object: %w", err)
		}
		kind = tm.Kind
	}
	obj, err := api.NewObject(kind)
	if err != nil {
		return nil, fmt.Errorf("decoding object: %w", err)
	}
	if err := api.DecodeTrusted(data, obj); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", kind, err)
	}
	if got := obj.GetTypeMeta().Kind; got != "" && got != kind {
		return nil, fmt.Errorf("decoding object: got kind %q, want %q", got, kind)
	}
	// Keep TypeMeta filled even when the wire form left it out.
	ki, _ := api.LookupKind(kind)
	*obj.GetTypeMeta() = api.TypeMeta{APIVersion: ki.APIVersion(), Kind: kind}
	return obj, nil
}
