package api

import jsonv2 "github.com/go-json-experiment/json"

// decodeFast decodes js into obj and reports ok=false when the precise
// (slower) path must decide instead: on any decode error, an unknown field,
// or a key that differs only in case from a field name. The JSON v2 decoder
// matches names exactly and can refuse unknown members, which is
// Kubernetes' strict decoding, at about twice encoding/json's speed. For
// input it accepts, it decodes as encoding/json does (see
// TestDecodeTrustedAgreesWithEncodingJSON); everything else gets the
// precise path's field-naming errors.
func decodeFast(js []byte, obj Object) bool {
	return jsonv2.Unmarshal(js, obj, jsonv2.RejectUnknownMembers(true)) == nil
}
