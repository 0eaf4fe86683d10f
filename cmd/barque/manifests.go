package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/barque-io/barque/api"
)

// manifest is one object as the user wrote it: raw keeps exactly the fields
// the file sets, which apply merges onto the stored object; obj is the typed
// form, which create sends. ignored are the paths of the fields Kubernetes
// defines but Barque does not implement, dropped from both.
type manifest struct {
	obj     api.Object
	raw     obj
	ignored []string
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

// decodeManifests decodes JSON or multi-document YAML into objects,
// unrolling kind: List, with api's decoder (the server's, and fuzzed):
// known kinds at their served apiVersion, no unknown fields, except that
// a field Kubernetes defines but Barque does not implement is dropped and
// listed in the manifest's ignored (see warnIgnored).
func decodeManifests(data []byte) ([]manifest, error) {
	docs, err := api.ManifestObjects(data)
	if err != nil {
		return nil, err
	}
	var out []manifest
	for i, js := range docs {
		d, err := api.DecodeLenient(js)
		if err != nil {
			if len(docs) > 1 {
				return nil, fmt.Errorf("object %d: %w", i+1, err)
			}
			return nil, err
		}
		var raw obj
		if err := json.Unmarshal(d.JSON, &raw); err != nil {
			return nil, err
		}
		out = append(out, manifest{obj: d.Object, raw: raw, ignored: d.Ignored})
	}
	return out, nil
}

// warnIgnored tells the user, on w (stderr), which fields of each manifest
// Barque ignored, one line per object, as kubectl prints warnings.
func warnIgnored(w io.Writer, ms []manifest) {
	for _, m := range ms {
		if len(m.ignored) == 0 {
			continue
		}
		fmt.Fprintf(w, "Warning: %s: fields not implemented by Barque were ignored: %s\n",
			resourceName(mustKind(m.obj), m.obj.GetObjectMeta().Name), strings.Join(m.ignored, ", "))
	}
}
