package api

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeManifests checks that no input makes the manifest decoders
// (DecodeManifests; ManifestObjects then DecodeObject, as `barque apply -f`
// reads; DecodeObject, as the server reads a body), or the defaulting and
// validation the server runs on what they decode, panic. Seeds: the
// examples, and the shapes splitDocuments tells apart. DecodeLenient must
// leave JSON that decodes strictly.
func FuzzDecodeManifests(f *testing.F) {
	for _, pattern := range []string{"../examples/*.yaml", "../examples/*/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if src, err := os.ReadFile(file); err == nil {
				f.Add(src)
			}
		}
	}
	for _, s := range []string{
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}}`,
		`[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}},{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"a"},"stringData":{"t":"x"}}]`,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}} {"apiVersion":"v1","kind":"Pod","metadata":{"name":"q"}}`,
		"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80, targetPort: http}]}}\n",
		"---\n# only a comment\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {schedule: '@every 5s', jobTemplate: {spec: {template: {spec: {containers: [{name: c, command: [sh]}]}}}}}\n",
		"{kind: Pod, apiVersion: v1, metadata: {name: flow}}",
		"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      volumes: [{name: d, hostPath: {path: /tmp/d, type: DirectoryOrCreate}}]\n      containers: [{name: c, command: [sh], volumeMounts: [{name: d, mountPath: data}]}]\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: {a: &a b}, annotations: {c: *a}}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostAliases: [{ip: 1.2.3.4}]\n  containers: [{name: a, image: x, lifecycle: {preStop: {sleep: {seconds: 1}}}}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := DecodeManifests(data)
		if err == nil {
			for _, o := range objs {
				Default(o)
				_ = Validate(o)
			}
		}
		if items, err := ManifestObjects(data); err == nil {
			for _, js := range items {
				if obj, err := DecodeObject(js); err == nil {
					Default(obj)
					_ = Validate(obj)
				}
			}
		}
		if obj, err := DecodeObject(data); err == nil {
			Default(obj)
			_ = Validate(obj)
		}
		// The lenient decoder (the CLI's and the server's): what it keeps
		// must decode strictly.
		if d, err := DecodeLenient(data); err == nil {
			if _, err := DecodeObject(d.JSON); err != nil {
				t.Errorf("DecodeLenient kept JSON that DecodeObject refuses: %v\n%s", err, d.JSON)
			}
			Default(d.Object)
			_ = Validate(d.Object)
		}
		// A merge-patched body, as the server decodes it.
		if obj, _, err := DecodeKindWarn("Pod", data); err == nil {
			Default(obj)
			_ = Validate(obj)
		}
	})
}
