package api

import (
	"encoding/json"
	"testing"
)

var typeMetaCases = []string{
	`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}}`,
	`{"metadata":{"name":"a","kind":"Pod"},"kind":"ConfigMap","apiVersion":"v1"}`,
	`{"data":{"apiVersion":"x"},"kind":"ConfigMap"}`,
	` {"kind":"Pod"} `,
	`{}`,
	`{"Kind":"Pod","apiVersion":"v1"}`,
	`{"KIND":"Pod"}`,
	`{"kind":"Pod","kind":"Node"}`,
	`{"kind":"P\u006fd"}`,
	`{"\u006bind":"Pod"}`,
	`{"kind":5}`,
	`{"kind":null,"apiVersion":"v1"}`,
	`{"kind":"Pod"}{"kind":"Node"}`,
	`{}A`,
	`{"kind":"Pod",}`,
	`{"kind":"Pod","spec":{"a":[1,2,{"b":tru}]}}`,
	`[{"kind":"Pod"}]`,
	`{"kind":"Pod","x":"` + "\xff" + `"}`,
	`"kind"`,
	``,
}

// PeekTypeMeta gives encoding/json's answer, or an error where it errs.
func TestPeekTypeMetaAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range typeMetaCases {
		checkPeekTypeMeta(t, []byte(c))
	}
}

func FuzzPeekTypeMeta(f *testing.F) {
	for _, c := range typeMetaCases {
		f.Add([]byte(c))
	}
	f.Fuzz(checkPeekTypeMeta)
}

func checkPeekTypeMeta(t *testing.T, js []byte) {
	var want TypeMeta
	wantErr := json.Unmarshal(js, &want)
	got, err := PeekTypeMeta(js)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, encoding/json's %v", js, err, wantErr)
	}
	if err == nil && got != want {
		t.Fatalf("%q: %+v, encoding/json decodes %+v", js, got, want)
	}
}
