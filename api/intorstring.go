package api

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// IntOrString holds either an int or a string, as targetPort and maxSurge do
// in manifests. It marshals as a bare number or a string, never as an object.
type IntOrString struct {
	IsString bool
	IntVal   int32
	StrVal   string
}

// FromInt makes an int-valued IntOrString.
func FromInt(i int) IntOrString { return IntOrString{IntVal: int32(i)} }

// FromString makes a string-valued IntOrString.
func FromString(s string) IntOrString { return IntOrString{IsString: true, StrVal: s} }

// MarshalJSON writes 8080 or "http".
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.IsString {
		return json.Marshal(v.StrVal)
	}
	return json.Marshal(v.IntVal)
}

// UnmarshalJSON reads a number or a string.
func (v *IntOrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		v.IsString, v.IntVal = true, 0
		return json.Unmarshal(b, &v.StrVal)
	}
	v.IsString, v.StrVal = false, ""
	return json.Unmarshal(b, &v.IntVal)
}

// String renders the value as written.
func (v IntOrString) String() string {
	if v.IsString {
		return v.StrVal
	}
	return strconv.Itoa(int(v.IntVal))
}

// IsZero reports whether the value is the int 0 or the empty string.
func (v IntOrString) IsZero() bool {
	return !v.IsString && v.IntVal == 0 || v.IsString && v.StrVal == ""
}

// ScaledValue resolves a percentage ("25%") against total, rounding up or
// down as asked (maxSurge rounds up, maxUnavailable rounds down); an int is
// returned as is.
func (v IntOrString) ScaledValue(total int, roundUp bool) (int, error) {
	if !v.IsString {
		return int(v.IntVal), nil
	}
	pct, err := v.percent()
	if err != nil {
		return 0, err
	}
	f := float64(pct) * float64(total) / 100
	if roundUp {
		return int(math.Ceil(f)), nil
	}
	return int(math.Floor(f)), nil
}

func (v IntOrString) percent() (int, error) {
	s, ok := strings.CutSuffix(v.StrVal, "%")
	if !ok {
		return 0, fmt.Errorf("invalid value for IntOrString: invalid type: string is not a percentage")
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("invalid value %q: not a percentage", v.StrVal)
	}
	return n, nil
}
