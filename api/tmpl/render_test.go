package tmpl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testEnv(t *testing.T) Env {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "local"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "local", "motd"), []byte("welcome"), 0o644); err != nil {
		t.Fatal(err)
	}
	return Env{TaskDir: dir, Vars: map[string]string{"NOMAD_PORT_http": "8080", "NOMAD_ALLOC_INDEX": "2", "NAME": "Web App",
		"LIST": "a,b,c", "NUM": " 42 ", "FLAG": "true", "RATIO": "0.5"},
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
}

func TestRenderFunctions(t *testing.T) {
	env := testEnv(t)
	for _, tc := range []struct{ name, text, want string }{
		{"env", `port={{ env "NOMAD_PORT_http" }}`, "port=8080"},
		{"env missing", `[{{ env "NOPE" }}]`, "[]"},
		{"envOrDefault", `{{ envOrDefault "NOPE" "x" }}`, "x"},
		{"case", `{{ env "NAME" | toLower }} {{ env "NAME" | toUpper }} {{ "a b" | toTitle }}`, "web app WEB APP A B"},
		{"trimSpace parseInt", `{{ env "NUM" | trimSpace }} {{ env "NUM" | parseInt | add 1 }}`, "42 43"},
		{"split join", `{{ env "LIST" | split "," | join ";" }}`, "a;b;c"},
		{"range split", `{{ range $i, $v := env "LIST" | split "," }}{{ $i }}{{ $v }}{{ end }}`, "0a1b2c"},
		{"replaceAll", `{{ "a.b.c" | replaceAll "." "_" }}`, "a_b_c"},
		{"contains string", `{{ if env "NAME" | contains "App" }}yes{{ end }}`, "yes"},
		{"contains list", `{{ if env "LIST" | split "," | contains "b" }}yes{{ end }}`, "yes"},
		{"parseBool parseFloat", `{{ env "FLAG" | parseBool }} {{ env "RATIO" | parseFloat }}`, "true 0.5"},
		{"base64", `{{ "hi" | base64Encode }} {{ "aGk=" | base64Decode }}`, "aGk= hi"},
		{"toJSON", `{{ "a,b" | split "," | toJSON }}`, `["a","b"]`},
		{"parseJSON", `{{ with parseJSON "{\"k\":\"v\"}" }}{{ .k }}{{ end }}`, "v"},
		{"timestamp", `{{ timestamp }} {{ timestamp "unix" }} {{ timestamp "2006" }}`, "2026-01-02T03:04:05Z 1767323045 2026"},
		{"file", `{{ file "local/motd" }}`, "welcome"},
		{"loop arith", `{{ range loop 3 }}{{ . }}{{ end }} {{ 10 | subtract 3 }} {{ 10 | divide 2 }} {{ 10 | modulo 3 }} {{ 2 | multiply 4 }}`, "012 7 5 1 8"},
		{"regex", `{{ "v1.2" | regexReplaceAll "v([0-9]+).*" "$1" }} {{ "abc" | regexMatch "^a" }}`, "1 true"},
		{"trim prefix suffix", `{{ "web-01" | trimPrefix "web-" }}{{ "a.conf" | trimSuffix ".conf" }}`, "01a"},
		{"indent", `{{ indent 2 "a\nb" }}`, "  a\n  b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Check("k", tc.text, Options{}); err != nil {
				t.Fatalf("check: %v", err)
			}
			got, err := Render("k", tc.text, Options{Destination: "local/app.conf"}, env)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderDelimiters(t *testing.T) {
	o := Options{LeftDelimiter: "[[", RightDelimiter: "]]"}
	got, err := Render("k", `{{ not a template }} [[ env "NOMAD_PORT_http" ]]`, o, testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{{ not a template }} 8080` {
		t.Errorf("got %q", got)
	}
}

func TestFileStaysInTaskDir(t *testing.T) {
	env := testEnv(t)
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(env.TaskDir, "local", "link")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../secret", outside, "local/link", "/etc/passwd"} {
		_, err := Render("k", `{{ file "`+p+`" }}`, Options{Destination: "local/a"}, env)
		if err == nil || !errors.Is(err, ErrTemplate) {
			t.Errorf("file %q: got %v, want an error", p, err)
		}
	}
}

// Errors name the template's destination, its line, and the function.
func TestErrorsNameTemplateLineAndFunction(t *testing.T) {
	o := Options{Destination: "local/app.conf"}
	text := "a\nb={{ key \"config/b\" }}\n"
	err := Check("app.conf", text, o)
	if err == nil || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("check: got %v", err)
	}
	for _, want := range []string{"local/app.conf:2", `function "key"`, "Consul"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("check error %q lacks %q", err, want)
		}
	}
	_, err = Render("app.conf", text, o, testEnv(t))
	if err == nil || !errors.Is(err, ErrTemplate) || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("render: got %v", err)
	}
	for _, want := range []string{"local/app.conf:2", `function "key"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("render error %q lacks %q", err, want)
		}
	}
	for _, tc := range []struct{ text, want string }{
		{"x\n{{ if true }}{{ with secret \"kv/x\" }}{{ .Data }}{{ end }}{{ end }}", `local/app.conf:2:`},
		{"{{ range nomadService \"db\" }}{{ .Address }}{{ end }}", `function "nomadService" needs Nomad's service catalog`},
		{"{{ define \"x\" }}{{ nomadVar \"a\" }}{{ end }}", `function "nomadVar"`},
		{"\n\n{{ nosuch 1 }}", `local/app.conf:3: function "nosuch" not defined`},
		{"{{ env \"A\" ", `local/app.conf:1`},
	} {
		err := Check("app.conf", tc.text, o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("check %q: got %v, want %q", tc.text, err, tc.want)
		}
	}
	_, err = Render("app.conf", "{{ parseInt \"x\" }}", o, testEnv(t))
	if err == nil || !strings.Contains(err.Error(), "local/app.conf:1") || !strings.Contains(err.Error(), "parseInt") {
		t.Errorf("render: got %v", err)
	}
}

func TestOptions(t *testing.T) {
	opts := map[string]Options{"a.conf": {Destination: "local/a.conf", Perms: "0600", ChangeMode: "restart"}}
	ann := map[string]string{Annotation: "true", OptionsAnnotation: Encode(opts)}
	if !IsTemplate(ann) {
		t.Fatal("not a template")
	}
	got, err := Parse(ann)
	if err != nil || got["a.conf"] != opts["a.conf"] {
		t.Fatalf("got %v, %v", got, err)
	}
	if m, err := got["a.conf"].FileMode(); err != nil || m != 0o600 {
		t.Errorf("mode %v, %v", m, err)
	}
	for _, o := range []Options{{Perms: "rw"}, {Perms: "99"}, {ChangeMode: "reload"}} {
		if err := o.Check(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestParseEnv(t *testing.T) {
	got, err := ParseEnv("local/x.env", []byte("# c\n\nA=1\nexport B = \"two words\"\nC='q'\nD=a=b\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "two words", "C": "q", "D": "a=b"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	_, err = ParseEnv("local/x.env", []byte("A=1\nnot a pair\n"))
	if err == nil || !strings.Contains(err.Error(), "local/x.env: line 2") {
		t.Errorf("got %v", err)
	}
}
