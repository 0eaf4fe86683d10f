package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeManifestsWarnsAboutIgnoredFields(t *testing.T) {
	in := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: x, lifecycle: {preStop: {sleep: {seconds: 1}}}, resizePolicy: []}\n" +
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
	ms, err := decodeManifests([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d manifests", len(ms))
	}
	// apply merges raw: it must not carry the ignored fields either.
	if b, _ := json.Marshal(ms[0].raw); ms[0].raw.Dict("spec") == nil || strings.Contains(string(b), "preStop") {
		t.Errorf("raw kept an ignored field: %v", ms[0].raw)
	}
	var w bytes.Buffer
	warnIgnored(&w, ms)
	want := "Warning: pod/p: fields not implemented by Barque were ignored: spec.containers[0].lifecycle.preStop, spec.containers[0].resizePolicy\n"
	if w.String() != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", w.String(), want)
	}
	if _, err := decodeManifests([]byte(strings.Replace(in, "image:", "imagee:", 1))); err == nil || !strings.Contains(err.Error(), `"spec.containers[0].imagee"`) {
		t.Errorf("typo: %v", err)
	}
}
