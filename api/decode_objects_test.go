package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestManifestObjects(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		kinds    []string
		err      string
	}{
		{"yaml documents", "# c\n---\nkind: Namespace\n---\n\n---\nkind: Pod\n", []string{"Namespace", "Pod"}, ""},
		{"list", "kind: List\nitems:\n- {kind: Service}\n- {kind: ConfigMap}\n", []string{"Service", "ConfigMap"}, ""},
		{"json array", `[{"kind":"Secret"},{"kind":"Pod"}]`, []string{"Secret", "Pod"}, ""},
		{"json stream", `{"kind":"Pod"} {"kind":"PodList","items":[{"kind":"Pod"}]}`, []string{"Pod", "Pod"}, ""},
		{"not an object", "kind: Pod\n---\n- a\n", nil, "document 2: a manifest must be an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := ManifestObjects([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, js := range objs {
				var tm TypeMeta
				if err := json.Unmarshal(js, &tm); err != nil {
					t.Fatalf("%s: %v", js, err)
				}
				kinds = append(kinds, tm.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tc.kinds, ",") {
				t.Fatalf("kinds %v, want %v", kinds, tc.kinds)
			}
		})
	}
}
