package api

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Decoded is one object decoded from a manifest written for Kubernetes.
type Decoded struct {
	Object Object
	// JSON is the object as given, less the Ignored fields: what the user
	// wrote that Barque keeps (the CLI's apply merges exactly these).
	JSON []byte
	// Ignored are the paths of the fields Kubernetes defines but Barque
	// does not implement ("spec.template.spec.containers[0].lifecycle"),
	// which were dropped.
	Ignored []string
	// Unknown are the paths of fields neither defines, dropped under
	// fieldValidation Warn or Ignore (Strict refuses them).
	Unknown []string
}

// FieldValidation is Kubernetes' fieldValidation parameter: what a write
// does with a field that neither Kubernetes nor Barque defines (a typo).
// Barque's default is Strict, so that a typo is an error naming it.
type FieldValidation string

const (
	FieldStrict FieldValidation = "Strict" // a 400 naming the field
	FieldWarn   FieldValidation = "Warn"   // dropped, with a warning naming it
	FieldIgnore FieldValidation = "Ignore" // dropped silently
)

// ParseFieldValidation reads the parameter; empty means Strict.
func ParseFieldValidation(s string) (FieldValidation, error) {
	switch v := FieldValidation(s); v {
	case "":
		return FieldStrict, nil
	case FieldStrict, FieldWarn, FieldIgnore:
		return v, nil
	}
	return "", BadRequest(fmt.Sprintf("fieldValidation: %q is not one of Strict, Warn, Ignore", s))
}

// DecodeObjectValidated is DecodeObjectWarn under a fieldValidation mode:
// it returns the warnings to answer with (ignored and, under Warn, unknown
// fields).
func DecodeObjectValidated(data []byte, mode FieldValidation) (Object, []string, error) {
	d, err := decodeOneMode(data, true, mode)
	if err != nil {
		return nil, nil, err
	}
	return d.Object, fieldWarnings(d.Ignored, d.Unknown, mode), nil
}

// fieldWarnings words the warnings of a decode: each ignored field, and
// each unknown one under Warn (Kubernetes' own words).
func fieldWarnings(ignored, unknown []string, mode FieldValidation) []string {
	var out []string
	for _, p := range ignored {
		out = append(out, UnimplementedWarning(p))
	}
	if mode == FieldWarn {
		for _, p := range unknown {
			out = append(out, fmt.Sprintf("unknown field %q", p))
		}
	}
	return out
}

// DecodeLenient decodes one object as DecodeObject does, except that a
// field Kubernetes defines for the kind but Barque does not implement is
// dropped and named in Ignored rather than refused: a real Kubernetes
// manifest applies, and the user is told what it asked for that Barque
// will not do. A field Kubernetes does not define either, a typo, is still
// a 400 naming its path. Kubernetes' field names come from k8s.io/api (see
// k8sfields_gen.go).
func DecodeLenient(data []byte) (Decoded, error) {
	return decodeOne(data, true)
}

// DecodeObjectWarn is DecodeLenient returning the object and the paths of
// the fields it ignored.
func DecodeObjectWarn(data []byte) (Object, []string, error) {
	d, err := DecodeLenient(data)
	return d.Object, d.Ignored, err
}

// DecodeKindWarn decodes the JSON of an object of kind, with or without
// apiVersion and kind (which it does not check), as DecodeLenient does: a
// field Kubernetes defines but Barque does not implement is dropped and its
// path returned, a field neither knows is a 400. The server decodes a
// merge-patched object with it.
func DecodeKindWarn(kind string, js []byte) (Object, []string, error) {
	obj, ignored, _, err := decodeKind(kind, js, FieldStrict)
	return obj, ignored, err
}

// DecodeKindValidated is DecodeKindWarn under a fieldValidation mode,
// returning the warnings to answer with.
func DecodeKindValidated(kind string, js []byte, mode FieldValidation) (Object, []string, error) {
	obj, ignored, unknown, err := decodeKind(kind, js, mode)
	return obj, fieldWarnings(ignored, unknown, mode), err
}

func decodeKind(kind string, js []byte, mode FieldValidation) (Object, []string, []string, error) {
	info, ok := LookupKind(kind)
	if !ok {
		return nil, nil, nil, BadRequest(fmt.Sprintf("unknown kind %q", kind))
	}
	if obj := info.New(); decodeFast(js, obj) {
		return obj, nil, nil, nil // every field is Barque's: the common case
	}
	obj := info.New()
	generic, err := decodeGeneric(js)
	if err != nil {
		return nil, nil, nil, BadRequest(fmt.Sprintf("%s: %v", kind, err))
	}
	rep := fieldReport{dropUnknown: mode != FieldStrict}
	rep.checkFields(generic, typeOfObject(obj), k8sRoot(kind), "")
	if len(rep.unknown) > 0 && mode == FieldStrict {
		return nil, nil, nil, BadRequest(strictError(kind, rep.unknown).Error())
	}
	if len(rep.unimplemented) > 0 || len(rep.unknown) > 0 {
		if js, err = json.Marshal(generic); err != nil {
			return nil, nil, nil, Internal(err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, nil, nil, BadRequest(describeDecodeError(kind, js, err).Error())
	}
	return obj, rep.unimplemented, rep.unknown, nil
}

// UnimplementedWarning is the warning for an ignored field, in the words
// of Kubernetes' fieldValidation=Warn ("unknown field ...") plus why.
func UnimplementedWarning(path string) string {
	return fmt.Sprintf("unknown field %q is not implemented by Barque and was ignored", path)
}
