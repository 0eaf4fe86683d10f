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
	var out [][]byte
	err := eachManifestObject(data, func(js []byte) error {
		out = append(out, js)
		return nil
	})
	return out, err
}

// eachManifestObject cuts a file into documents, and each document into
// its objects (itself, or a List's items), and calls fn with the JSON of
// each, in order. Errors, fn's included, name the document (1-based) when
// there are several, and the List item; they are 400s.
func eachManifestObject(data []byte, fn func(js []byte) error) error {
	docs, err := splitDocuments(data)
	if err != nil {
		return BadRequest(err.Error())
	}
	for i, doc := range docs {
		if err := documentObjects(doc, fn); err != nil {
			if len(docs) > 1 {
				return BadRequest(fmt.Sprintf("document %d: %v", i+1, err))
			}
			return BadRequest(err.Error())
		}
	}
	return nil
}

// documentObjects calls fn with the JSON of each object of one document:
// itself, or a List's items.
func documentObjects(doc []byte, fn func(js []byte) error) error {
	js, err := toJSON(doc)
	if err != nil {
		return err
	}
	if t := bytes.TrimSpace(js); len(t) == 0 || string(t) == "null" {
		return nil
	}
	var list struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(js, &list); err != nil {
		return fmt.Errorf("a manifest must be an object: %w", err)
	}
	if list.Kind != "List" && !(strings.HasSuffix(list.Kind, "List") && list.Items != nil) {
		return fn(js)
	}
	for i, it := range list.Items {
		if err := fn(it); err != nil {
			return fmt.Errorf("items[%d]: %w", i, err)
		}
	}
	return nil
}
