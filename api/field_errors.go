package api

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The helpers below produce Kubernetes' field error wording ("Required
// value", "Invalid value: …", "Unsupported value: …") so that messages read
// the same as kubectl users know them.

// Required records a missing field; detail may be empty.
func (fe *FieldErrors) Required(field, detail string) {
	fe.add(field, "Required value", detail)
}

// Invalid records a field whose value is wrong, quoting the value.
func (fe *FieldErrors) Invalid(field string, value any, detail string) {
	fe.add(field, "Invalid value: "+quoteValue(value), detail)
}

// NotSupported records a value outside an enumeration, listing the allowed
// values.
func (fe *FieldErrors) NotSupported(field string, value any, allowed []string) {
	q := make([]string, len(allowed))
	for i, a := range allowed {
		q[i] = strconv.Quote(a)
	}
	sort.Strings(q)
	fe.add(field, "Unsupported value: "+quoteValue(value), "supported values: "+strings.Join(q, ", "))
}

// Duplicate records a value that must be unique.
func (fe *FieldErrors) Duplicate(field string, value any) {
	fe.add(field, "Duplicate value: "+quoteValue(value), "")
}

// Forbidden records a field that may not be set here.
func (fe *FieldErrors) Forbidden(field, detail string) {
	fe.add(field, "Forbidden", detail)
}

// NotFound records a reference to something that does not exist.
func (fe *FieldErrors) NotFound(field string, value any) {
	fe.add(field, "Not found: "+quoteValue(value), "")
}

// TooLong records a value over a size limit.
func (fe *FieldErrors) TooLong(field string, limit int) {
	fe.add(field, "Too long", fmt.Sprintf("must have at most %d bytes", limit))
}

// Fields lists the field paths, in order, for tests and callers that only
// care which fields failed.
func (fe FieldErrors) Fields() []string {
	out := make([]string, len(fe))
	for i, e := range fe {
		out[i] = e.Field
	}
	return out
}

func (fe *FieldErrors) add(field, kind, detail string) {
	if detail != "" {
		kind += ": " + detail
	}
	*fe = append(*fe, FieldError{Field: field, Detail: kind})
}

func quoteValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case *string:
		if x == nil {
			return "null"
		}
		return strconv.Quote(*x)
	case *int32:
		if x == nil {
			return "null"
		}
		return strconv.Itoa(int(*x))
	case *int64:
		if x == nil {
			return "null"
		}
		return strconv.FormatInt(*x, 10)
	}
	return fmt.Sprintf("%v", v)
}

// idx and key build Kubernetes-style field paths: spec.containers[0],
// data[key].
func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func key(path, k string) string { return path + "[" + k + "]" }

// addMsgs records each message from a Is* check as an invalid value.
func (fe *FieldErrors) addMsgs(field string, value any, msgs []string) {
	for _, m := range msgs {
		fe.Invalid(field, value, m)
	}
}
