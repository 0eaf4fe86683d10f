package tmpl

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// unsupported are consul-template's functions that read Consul, Vault or
// Nomad's service and variable catalogs, or act on the host; Barque runs
// none of those, so a template using one fails, naming it.
var unsupported = map[string]string{
	"key": "Consul's KV store", "keyExists": "Consul's KV store", "keyOrDefault": "Consul's KV store",
	"ls": "Consul's KV store", "safeLs": "Consul's KV store", "tree": "Consul's KV store", "safeTree": "Consul's KV store",
	"service": "Consul's catalog", "services": "Consul's catalog", "node": "Consul's catalog", "nodes": "Consul's catalog",
	"datacenters": "Consul's catalog", "connect": "Consul Connect", "caLeaf": "Consul Connect", "caRoots": "Consul Connect",
	"partitions": "Consul's catalog", "peerings": "Consul's catalog", "exportedServices": "Consul's catalog",
	"secret": "Vault", "secrets": "Vault", "pkiCert": "Vault",
	"nomadService": "Nomad's service catalog", "nomadServices": "Nomad's service catalog",
	"nomadVar": "Nomad variables", "nomadVarList": "Nomad variables", "nomadVarListSafe": "Nomad variables",
	"nomadVarExists": "Nomad variables",
	"plugin":         "running host programs", "writeToFile": "writing host files", "executeTemplate": "consul-template's named-template runner",
	"sockaddr": "go-sockaddr",
}

// ErrUnsupported is wrapped by the error of a template that calls an
// unsupported function.
var ErrUnsupported = errors.New("not supported by Barque")

func unsupportedErr(name string) error {
	return fmt.Errorf("function %q needs %s: %w", name, unsupported[name], ErrUnsupported)
}

// Env is what a template sees at render time.
type Env struct {
	// Vars is the task's environment.
	Vars map[string]string
	// TaskDir is the task's directory; file reads stay inside it.
	TaskDir string
	// Now is the clock of timestamp; time.Now when nil.
	Now func() time.Time
}

// funcs are the template functions: consul-template's names, bound to e.
// With e nil (static checks) they exist but must not be called.
func funcs(e *Env) template.FuncMap {
	fm := template.FuncMap{
		"env":          func(k string) string { return e.Vars[k] },
		"envOrDefault": func(k, def string) string { return envOr(e.Vars, k, def) },
		"mustEnv":      func(k string) (string, error) { return mustEnv(e.Vars, k) },
		"file":         func(p string) (string, error) { return readFile(e.TaskDir, p) },
		"timestamp":    func(f ...string) string { return timestamp(e.now(), f...) },

		"toLower": strings.ToLower, "toUpper": strings.ToUpper, "toTitle": toTitle, "trimSpace": strings.TrimSpace,
		"trimPrefix": func(p, s string) string { return strings.TrimPrefix(s, p) },
		"trimSuffix": func(p, s string) string { return strings.TrimSuffix(s, p) },
		"split":      func(sep, s string) []string { return splitNonEmpty(s, sep) },
		"join":       func(sep string, a []string) string { return strings.Join(a, sep) },
		"replaceAll": func(from, to, s string) string { return strings.ReplaceAll(s, from, to) },
		"contains":   func(v, list any) (bool, error) { return in(list, v) },
		"indent":     indent,
		"regexMatch": func(re, s string) (bool, error) { return regexp.MatchString(re, s) },
		"regexReplaceAll": func(re, to, s string) (string, error) {
			r, err := regexp.Compile(re)
			if err != nil {
				return "", err
			}
			return r.ReplaceAllString(s, to), nil
		},
		"parseInt":   func(s string) (int64, error) { return strconv.ParseInt(strings.TrimSpace(s), 10, 64) },
		"parseUint":  func(s string) (uint64, error) { return strconv.ParseUint(strings.TrimSpace(s), 10, 64) },
		"parseFloat": func(s string) (float64, error) { return strconv.ParseFloat(strings.TrimSpace(s), 64) },
		"parseBool":  func(s string) (bool, error) { return strconv.ParseBool(strings.TrimSpace(s)) },
		"parseJSON":  parseJSON,
		"toJSON":     toJSON,
		"toJSONPretty": func(v any) (string, error) {
			b, err := json.MarshalIndent(v, "", "  ")
			return string(b), err
		},
		"base64Encode":    func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"base64Decode":    decode(base64.StdEncoding),
		"base64URLEncode": func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) },
		"base64URLDecode": decode(base64.URLEncoding),
		"sha256Hex":       func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) },
		"md5sum":          func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) },
		"loop":            loop,
		"in":              in,
		"add":             arith(func(a, b int64) int64 { return a + b }),
		"subtract":        arith(func(a, b int64) int64 { return b - a }),
		"multiply":        arith(func(a, b int64) int64 { return a * b }),
		"divide":          divide,
		"modulo":          modulo,
	}
	for name := range unsupported {
		name := name
		fm[name] = func(...any) (any, error) { return nil, unsupportedErr(name) }
	}
	return fm
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func envOr(vars map[string]string, k, def string) string {
	if v, ok := vars[k]; ok {
		return v
	}
	return def
}

func mustEnv(vars map[string]string, k string) (string, error) {
	if v, ok := vars[k]; ok {
		return v, nil
	}
	return "", fmt.Errorf("environment variable %s is not set", k)
}

// readFile reads a file inside the task directory: relative paths are
// taken from it, and neither .. nor a symlink may lead out of it.
func readFile(taskDir, p string) (string, error) {
	if taskDir == "" {
		return "", errors.New("file: no task directory")
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(taskDir, p)
	}
	root, err := filepath.EvalSymlinks(taskDir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(filepath.Clean(p))
	if err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("file %q is outside the task directory", p)
	}
	b, err := os.ReadFile(real)
	return string(b), err
}

// timestamp formats now in UTC: RFC 3339 by default, "unix" for seconds,
// else the Go layout given.
func timestamp(now time.Time, f ...string) string {
	now = now.UTC()
	switch {
	case len(f) == 0:
		return now.Format(time.RFC3339)
	case f[0] == "unix":
		return strconv.FormatInt(now.Unix(), 10)
	}
	return now.Format(f[0])
}

func toTitle(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune { // keep the original spacing
		out := r
		if prev == ' ' || prev == '\t' || prev == '\n' {
			out = []rune(strings.ToUpper(string(r)))[0]
		}
		prev = r
		return out
	}, s)
}

func splitNonEmpty(s, sep string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, sep)
}

func indent(n int, s string) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("indent: negative width %d", n)
	}
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad), nil
}

func parseJSON(s string) (any, error) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	return v, nil
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func decode(enc *base64.Encoding) func(string) (string, error) {
	return func(s string) (string, error) {
		b, err := enc.DecodeString(s)
		return string(b), err
	}
}

// loop is consul-template's: loop N is 0..N-1, loop A B is A..B-1.
func loop(ints ...any) ([]int64, error) {
	var from, to int64
	switch len(ints) {
	case 1:
		n, err := toInt(ints[0])
		if err != nil {
			return nil, err
		}
		to = n
	case 2:
		a, err := toInt(ints[0])
		if err != nil {
			return nil, err
		}
		b, err := toInt(ints[1])
		if err != nil {
			return nil, err
		}
		from, to = a, b
	default:
		return nil, fmt.Errorf("loop: takes 1 or 2 integers, got %d", len(ints))
	}
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out, nil
}

// in reports whether v is an element of list (a slice) or a substring of it (a string).
func in(list, v any) (bool, error) {
	if s, ok := list.(string); ok {
		return strings.Contains(s, fmt.Sprint(v)), nil
	}
	rv := reflect.ValueOf(list)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return false, fmt.Errorf("in: %T is not a list", list)
	}
	for i := 0; i < rv.Len(); i++ {
		if reflect.DeepEqual(rv.Index(i).Interface(), v) {
			return true, nil
		}
	}
	return false, nil
}

func toInt(v any) (int64, error) {
	switch n := v.(type) {
	case int:
		return int64(n), nil
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case uint64:
		return int64(n), nil
	case float64:
		return int64(n), nil
	case string:
		return strconv.ParseInt(strings.TrimSpace(n), 10, 64)
	}
	return 0, fmt.Errorf("%v (%T) is not an integer", v, v)
}

// arith applies op to consul-template's argument order: the value piped
// in comes last (`{{ 2 | add 1 }}` is 3, `{{ 10 | subtract 3 }}` is 7).
func arith(op func(a, b int64) int64) func(a, b any) (int64, error) {
	return func(a, b any) (int64, error) {
		x, err := toInt(a)
		if err != nil {
			return 0, err
		}
		y, err := toInt(b)
		if err != nil {
			return 0, err
		}
		return op(x, y), nil
	}
}

func divide(a, b any) (int64, error) {
	return nonZero(a, b, func(x, y int64) int64 { return y / x })
}

func modulo(a, b any) (int64, error) {
	return nonZero(a, b, func(x, y int64) int64 { return y % x })
}

func nonZero(a, b any, op func(x, y int64) int64) (int64, error) {
	x, err := toInt(a)
	if err != nil {
		return 0, err
	}
	if x == 0 {
		return 0, errors.New("division by zero")
	}
	y, err := toInt(b)
	if err != nil {
		return 0, err
	}
	return op(x, y), nil
}
