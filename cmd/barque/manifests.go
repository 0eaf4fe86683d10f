package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/barque-io/barque/api"
)

// manifest is one object as the user wrote it: raw keeps exactly the fields
// the file sets, which apply merges onto the stored object; obj is the typed
// form, which create sends.
type manifest struct {
	obj api.Object
	raw obj
}

// readManifests reads objects from a file, every .yaml/.yml/.json file of a
// directory, or stdin ("-").
func readManifests(path string, stdin io.Reader) ([]manifest, error) {
	if path == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, err
		}
		return decodeManifests(data)
	}
	files, err := manifestFiles(path)
	if err != nil {
		return nil, err
	}
	var out []manifest
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		objs, err := decodeManifests(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

func manifestFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no .yaml, .yml or .json files in %s", path)
	}
	return files, nil
}

var yamlDocSep = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

// decodeManifests decodes JSON or multi-document YAML into objects,
// unrolling kind: List. It stands in for api.DecodeManifests until that
// lands; swap the body for it then.
func decodeManifests(data []byte) ([]manifest, error) {
	var out []manifest
	for i, doc := range yamlDocSep.Split(string(data), -1) {
		if strings.TrimSpace(stripYAMLComments(doc)) == "" {
			continue
		}
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		objs, err := decodeDocument(js)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

func decodeDocument(js []byte) ([]manifest, error) {
	var head struct {
		api.TypeMeta
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(js, &head); err != nil {
		return nil, err
	}
	if head.Kind == "List" || strings.HasSuffix(head.Kind, "List") && head.Items != nil {
		var out []manifest
		for _, it := range head.Items {
			objs, err := decodeDocument(it)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	if head.Kind == "" {
		return nil, fmt.Errorf("object has no kind")
	}
	o, err := api.NewObject(head.Kind)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields() // a typo in a manifest should not vanish silently
	if err := dec.Decode(o); err != nil {
		return nil, fmt.Errorf("%s: %w", head.Kind, err)
	}
	var raw obj
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, err
	}
	return []manifest{{obj: o, raw: raw}}, nil
}

func stripYAMLComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l)
		}
	}
	return b.String()
}
