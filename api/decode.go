package api

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// DecodeObject reads one object from JSON or YAML. It finds the kind from
// apiVersion and kind, insists the apiVersion is the one the kind is served
// at, and refuses unknown fields, naming each by its path, so that a typo in
// a manifest fails loudly instead of being dropped. Errors are 400s.
func DecodeObject(data []byte) (Object, error) {
	d, err := decodeOne(data, false)
	return d.Object, err
}

// decodeOne is DecodeObject, or with lenient set DecodeLenient.
func decodeOne(data []byte, lenient bool) (Decoded, error) {
	return decodeOneMode(data, lenient, FieldStrict)
}

func decodeOneMode(data []byte, lenient bool, mode FieldValidation) (Decoded, error) {
	// A JSON object is one document by construction; only YAML can hold
	// several (and splitting is not free on the API's hot path).
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		// fall through to decoding
	} else if n := countDocuments(data); n > 1 {
		return Decoded{}, BadRequest(fmt.Sprintf("expected one object, found %d documents (use DecodeManifests)", n))
	}
	js, err := toJSON(data)
	if err != nil {
		return Decoded{}, BadRequest(err.Error())
	}
	d, err := decodeJSON(js, lenient, mode)
	if err != nil {
		return Decoded{}, BadRequest(err.Error())
	}
	return d, nil
}

// toJSON converts YAML to JSON; JSON passes through untouched so that its
// numbers and strings keep their exact form.
func toJSON(data []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(trimmed) {
		return trimmed, nil
	}
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	return js, nil
}

func readTypeMeta(js []byte) (TypeMeta, error) {
	tm, err := PeekTypeMeta(js)
	if err != nil {
		return tm, fmt.Errorf("couldn't get version/kind; json parse error: %w", err)
	}
	if tm.Kind == "" {
		return tm, fmt.Errorf("Object 'Kind' is missing in '%s'", abbreviate(js))
	}
	if tm.APIVersion == "" {
		return tm, fmt.Errorf("Object 'apiVersion' is missing in '%s'", abbreviate(js))
	}
	return tm, nil
}

func abbreviate(js []byte) string {
	s := string(js)
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

func decodeJSONObject(js []byte) (Object, error) {
	d, err := decodeJSON(js, false, FieldStrict)
	return d.Object, err
}

// decodeJSON decodes one object strictly. With lenient set, a field that
// Kubernetes defines but Barque's types lack is dropped and its path
// returned instead of refused; a field neither knows is refused either way.
func decodeJSON(js []byte, lenient bool, mode FieldValidation) (Decoded, error) {
	tm, err := readTypeMeta(js)
	if err != nil {
		return Decoded{}, err
	}
	info, ok := LookupKind(tm.Kind)
	if !ok {
		return Decoded{}, fmt.Errorf("no kind %q is registered for version %q", tm.Kind, tm.APIVersion)
	}
	if tm.APIVersion != info.APIVersion() {
		return Decoded{}, fmt.Errorf("kind %q is served at apiVersion %q, not %q", tm.Kind, info.APIVersion(), tm.APIVersion)
	}
	if obj := info.New(); decodeFast(js, obj) {
		return Decoded{Object: obj, JSON: js}, nil
	}
	obj := info.New()
	// encoding/json matches field names case-insensitively and names an
	// unknown field without its place; Kubernetes does neither. So the
	// fields are checked first, exactly, with their full paths.
	generic, err := decodeGeneric(js)
	if err != nil {
		return Decoded{}, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	root := k8sRoot(tm.Kind)
	if !lenient {
		root = k8sRef{} // every field Barque lacks is refused
	}
	rep := fieldReport{dropUnknown: mode != FieldStrict}
	rep.checkFields(generic, typeOfObject(obj), root, "")
	if len(rep.unknown) > 0 && mode == FieldStrict {
		return Decoded{}, strictError(tm.Kind, rep.unknown)
	}
	if len(rep.unimplemented) > 0 || len(rep.unknown) > 0 {
		// The dropped fields are gone from generic; decode what is left.
		if js, err = json.Marshal(generic); err != nil {
			return Decoded{}, fmt.Errorf("%s: %w", tm.Kind, err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return Decoded{}, describeDecodeError(tm.Kind, js, err)
	}
	return Decoded{Object: obj, JSON: js, Ignored: rep.unimplemented, Unknown: rep.unknown}, nil
}

// decodeGeneric decodes JSON into maps and slices, keeping numbers as
// written so that re-encoding them loses nothing.
func decodeGeneric(js []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid character after top-level value")
	}
	return v, nil
}

func strictError(kind string, paths []string) error {
	quoted := make([]string, len(paths))
	for i, f := range paths {
		quoted[i] = fmt.Sprintf("unknown field %q", f)
	}
	return fmt.Errorf("strict decoding error: %s: %s", kind, strings.Join(quoted, ", "))
}

// describeDecodeError names the field a type mismatch is at.
func describeDecodeError(kind string, js []byte, err error) error {
	if named := describeBase64Error(kind, js, err); named != err {
		return named
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%s: field %s: cannot decode %s into %s", kind, te.Field, te.Value, te.Type)
	}
	return fmt.Errorf("%s: %w", kind, err)
}

// describeBase64Error names the map entry whose value is not base64 when
// err is encoding/json's base64 error, which names no field: a Secret's
// data or a ConfigMap's binaryData (the fields of byte values).
func describeBase64Error(kind string, js []byte, err error) error {
	var ce base64.CorruptInputError
	if !errors.As(err, &ce) {
		return err
	}
	var doc struct {
		Data       map[string]any `json:"data"`
		BinaryData map[string]any `json:"binaryData"`
	}
	if json.Unmarshal(js, &doc) != nil {
		return err
	}
	field, values := "binaryData", doc.BinaryData // a ConfigMap's data is plain text
	if kind == "Secret" {
		field, values = "data", doc.Data
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := values[k].(string)
		if _, derr := base64.StdEncoding.DecodeString(v); ok && derr != nil {
			return fmt.Errorf("%s: %s[%s]: Invalid value: not base64: %v", kind, field, k, derr)
		}
	}
	return err
}

// DecodeManifests reads every object in a file: YAML documents separated
// by "---" lines, a JSON object or array, and "kind: List" wrappers (whose
// items are expanded). Empty documents are skipped. Errors name the
// document (1-based) they come from, and the List item. It is
// ManifestObjects with each object decoded.
func DecodeManifests(data []byte) ([]Object, error) {
	var out []Object
	err := eachManifestObject(data, func(js []byte) error {
		obj, err := decodeJSONObject(js)
		if err == nil {
			out = append(out, obj)
		}
		return err
	})
	return out, err
}

// splitDocuments cuts a file into documents: the elements of a JSON array,
// each value of a JSON stream (as `kubectl get -o json` output
// concatenates), or YAML documents.
func splitDocuments(data []byte) ([][]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || (trimmed[0] != '[' && trimmed[0] != '{') {
		return splitYAMLDocuments(data), nil
	}
	var docs [][]byte
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			// Not JSON after all: YAML flow style also starts with { or [.
			return splitYAMLDocuments(data), nil
		}
		if raw[0] != '[' {
			docs = append(docs, raw)
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("invalid JSON array: %w", err)
		}
		for _, it := range items {
			docs = append(docs, it)
		}
	}
}

// countDocuments counts the YAML documents in data that hold more than
// blank lines and comments, without parsing them.
func countDocuments(data []byte) int {
	n := 0
	for _, d := range splitYAMLDocuments(data) {
		for _, line := range strings.Split(string(d), "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				n++
				break
			}
		}
	}
	return n
}

// splitYAMLDocuments splits at lines that are "---" (optionally followed by
// spaces or a comment), as YAML's document separator.
func splitYAMLDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), MaxObjectBytes*16)
	for sc.Scan() {
		line := sc.Text()
		if isDocSeparator(line) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
			cur.Reset()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	return append(docs, cur.Bytes())
}

func isDocSeparator(line string) bool {
	rest, ok := strings.CutPrefix(line, "---")
	if !ok {
		return false
	}
	rest = strings.TrimSpace(rest)
	return rest == "" || strings.HasPrefix(rest, "#")
}
