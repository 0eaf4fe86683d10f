package api

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// typeMetaDecoders recycles the tokenizers of PeekTypeMeta.
var typeMetaDecoders = sync.Pool{New: func() any { return &typeMetaDecoder{} }}

type typeMetaDecoder struct {
	r   bytes.Reader
	dec jsontext.Decoder
}

// PeekTypeMeta reads the apiVersion and kind of a JSON object as
// encoding/json would decode them into a TypeMeta, without decoding the
// rest: the other members are only tokenized, which checks their syntax.
// It is every write's first look at its body, and encoding/json took three
// times as long as the object's whole decode to find these two strings.
// ok is false for anything unusual (not one object, a duplicate or escaped
// name, a name that matches only case-insensitively, a non-string or
// escaped value); PeekTypeMeta then decodes with encoding/json, whose
// answer and error stand.
func PeekTypeMeta(js []byte) (TypeMeta, error) {
	if tm, ok := peekTypeMeta(js); ok {
		return tm, nil
	}
	var tm TypeMeta
	err := json.Unmarshal(js, &tm)
	return tm, err
}

func peekTypeMeta(js []byte) (tm TypeMeta, ok bool) {
	d := typeMetaDecoders.Get().(*typeMetaDecoder)
	defer typeMetaDecoders.Put(d)
	d.r.Reset(js)
	d.dec.Reset(&d.r)
	defer d.r.Reset(nil)
	if tok, err := d.dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return tm, false
	}
	for d.dec.PeekKind() == '"' {
		name, err := d.dec.ReadValue()
		if err != nil {
			return tm, false
		}
		var dst *string
		switch key := name[1 : len(name)-1]; {
		case string(key) == "apiVersion":
			dst = &tm.APIVersion
		case string(key) == "kind":
			dst = &tm.Kind
		case bytes.IndexByte(key, '\\') >= 0, bytes.EqualFold(key, []byte("apiVersion")), bytes.EqualFold(key, []byte("kind")):
			return tm, false
		}
		if dst == nil {
			if d.dec.SkipValue() != nil {
				return tm, false
			}
			continue
		}
		v, err := d.dec.ReadValue()
		if err != nil || v.Kind() != '"' || bytes.IndexByte(v, '\\') >= 0 {
			return tm, false
		}
		*dst = string(v[1 : len(v)-1])
	}
	if tok, err := d.dec.ReadToken(); err != nil || tok.Kind() != '}' {
		return tm, false
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		return tm, false // more after the object
	}
	return tm, true
}
