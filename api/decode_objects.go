package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ManifestObjects cuts a file as DecodeManifests does and returns the JSON
// of each object in it, in order: Lists expanded, empty documents skipped.
// A client that needs what the user wrote as well as the typed object (the
// CLI's apply merges exactly the fields the file sets) decodes each with
// DecodeObject.
func ManifestObjects(data []byte) ([][]byte, error) {
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, BadRequest(err.Error())
	}
	var out [][]byte
	for i, doc := range docs {
		objs, err := documentObjects(doc)
		if err != nil {
			if len(docs) > 1 {
				return nil, BadRequest(fmt.Sprintf("document %d: %v", i+1, err))
			}
			return nil, BadRequest(err.Error())
		}
		out = append(out, objs...)
	}
	return out, nil
}

// documentObjects is the JSON of the objects of one document: itself, or
// a List's items.
func documentObjects(doc []byte) ([][]byte, error) {
	js, err := toJSON(doc)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(js); len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	var list struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(js, &list); err != nil {
		return nil, fmt.Errorf("a manifest must be an object: %w", err)
	}
	if list.Kind != "List" && !(strings.HasSuffix(list.Kind, "List") && list.Items != nil) {
		return [][]byte{js}, nil
	}
	out := make([][]byte, 0, len(list.Items))
	for _, it := range list.Items {
		out = append(out, it)
	}
	return out, nil
}
