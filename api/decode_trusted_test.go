package api

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestDecodeTrustedAgreesWithEncodingJSON fills objects of every kind with
// random values, encodes them with encoding/json (as the API and the log
// do), and checks that DecodeTrusted and encoding/json decode them to the
// same value: the replicas must not depend on which decoder read an entry.
func TestDecodeTrustedAgreesWithEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range Kinds() {
		for i := 0; i < 200; i++ {
			obj := k.New()
			fillRandom(r, reflect.ValueOf(obj).Elem(), 0)
			js, err := json.Marshal(obj)
			if err != nil {
				t.Fatalf("%s: marshal: %v", k.Kind, err)
			}
			v1, v2 := k.New(), k.New()
			if err := json.Unmarshal(js, v1); err != nil {
				t.Fatalf("%s: encoding/json: %v\n%s", k.Kind, err, js)
			}
			if err := DecodeTrusted(js, v2); err != nil {
				t.Fatalf("%s: DecodeTrusted: %v\n%s", k.Kind, err, js)
			}
			if !reflect.DeepEqual(v1, v2) {
				t.Fatalf("%s: the decoders disagree on\n%s\nencoding/json: %+v\nDecodeTrusted: %+v", k.Kind, js, v1, v2)
			}
		}
	}
}

var (
	timeType        = reflect.TypeOf(Time{})
	intOrStringType = reflect.TypeOf(IntOrString{})
	rawMessageType  = reflect.TypeOf(json.RawMessage{})
)

// fillRandom sets v, and everything under it, to random values, leaving
// some pointers, slices and maps empty.
func fillRandom(r *rand.Rand, v reflect.Value, depth int) {
	if depth > 8 {
		return
	}
	switch v.Type() {
	case timeType:
		v.Set(reflect.ValueOf(*NewTime(time.Unix(r.Int64N(4e9), 0))))
		return
	case intOrStringType:
		if r.IntN(2) == 0 {
			v.Set(reflect.ValueOf(FromInt(r.IntN(1000))))
		} else {
			v.Set(reflect.ValueOf(FromString(randomString(r))))
		}
		return
	case rawMessageType:
		// Embedded JSON (a job record's objects) must itself be JSON.
		js, _ := json.Marshal(map[string]any{"kind": randomString(r), "n": r.IntN(1000), "list": []string{randomString(r)}})
		v.SetBytes(js)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillRandom(r, v.Field(i), depth+1)
			}
		}
	case reflect.Pointer:
		if r.IntN(3) > 0 {
			v.Set(reflect.New(v.Type().Elem()))
			fillRandom(r, v.Elem(), depth+1)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(randomString(r)))
			return
		}
		n := r.IntN(3)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := 0; i < n; i++ {
			fillRandom(r, v.Index(i), depth+1)
		}
	case reflect.Map:
		n := r.IntN(3)
		v.Set(reflect.MakeMap(v.Type()))
		for i := 0; i < n; i++ {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fillRandom(r, k, depth+1)
			fillRandom(r, e, depth+1)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		v.SetString(randomString(r))
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(r.Int64N(1<<(v.Type().Bits()-2)) - r.Int64N(1<<(v.Type().Bits()-2)))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(r.Uint64N(1 << (v.Type().Bits() - 1)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(r.IntN(1e6)) / 8)
	}
}

func randomString(r *rand.Rand) string {
	const alphabet = "abcXYZ019-._/ \"\\\n\t<>&é世\u2028"
	runes := []rune(alphabet)
	b := make([]rune, r.IntN(12))
	for i := range b {
		b[i] = runes[r.IntN(len(runes))]
	}
	return string(b)
}
