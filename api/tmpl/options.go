// Package tmpl renders the templates of Nomad job files (Go text/template
// with consul-template's function names) for the node agent, and checks
// them for the job file parser before anything is submitted.
//
// A template reaches the agent as a ConfigMap annotated
// barque.io/template: "true". Each of its keys is one template; the
// per-key options (destination, delimiters, perms, change_mode, env) are
// a JSON object in the barque.io/template-options annotation, keyed by
// the ConfigMap key. Data of ConfigMaps without the annotation are never
// rendered.
package tmpl

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// Annotation marks a ConfigMap whose data are templates to render on the node.
const Annotation = "barque.io/template"

// OptionsAnnotation holds the per-key Options as a JSON object.
const OptionsAnnotation = "barque.io/template-options"

// Options are one template's settings, as the job file's template block gives them.
type Options struct {
	// Destination is the path the job file named ("local/app.conf"); it
	// names the template in errors.
	Destination    string `json:"destination,omitempty"`
	LeftDelimiter  string `json:"leftDelimiter,omitempty"`
	RightDelimiter string `json:"rightDelimiter,omitempty"`
	// Perms is the rendered file's mode in octal ("0640"); 0644 when empty.
	Perms string `json:"perms,omitempty"`
	// ChangeMode and ChangeSignal are accepted for Nomad compatibility. A
	// template is rendered at every start of its task, from the ConfigMap
	// as it then is; nothing re-renders a running task's templates.
	ChangeMode   string `json:"changeMode,omitempty"`
	ChangeSignal string `json:"changeSignal,omitempty"`
	// Env: the rendered text is KEY=VALUE lines added to the task's environment.
	Env bool `json:"env,omitempty"`
}

// IsTemplate reports whether a ConfigMap's annotations mark it as templates.
func IsTemplate(annotations map[string]string) bool {
	return annotations[Annotation] == "true"
}

// Parse reads the per-key options of a template ConfigMap. Keys without
// options get the defaults.
func Parse(annotations map[string]string) (map[string]Options, error) {
	out := map[string]Options{}
	s := annotations[OptionsAnnotation]
	if s == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", OptionsAnnotation, err)
	}
	return out, nil
}

// Encode is the OptionsAnnotation value for opts (keys in sorted order,
// as encoding/json writes maps).
func Encode(opts map[string]Options) string {
	b, _ := json.Marshal(opts) // a map of plain strings and bools always encodes
	return string(b)
}

// Name is how errors name the template: its destination, else key.
func (o Options) Name(key string) string {
	if o.Destination != "" {
		return o.Destination
	}
	return key
}

// FileMode is the rendered file's mode: Perms in octal, 0644 by default.
func (o Options) FileMode() (os.FileMode, error) {
	if o.Perms == "" {
		return 0o644, nil
	}
	m, err := strconv.ParseUint(o.Perms, 8, 32)
	if err != nil || m > 0o7777 {
		return 0, fmt.Errorf("template %s: perms %q is not an octal file mode", o.Name(""), o.Perms)
	}
	return os.FileMode(m), nil
}

// Check validates the options that do not need the template's text.
func (o Options) Check() error {
	if _, err := o.FileMode(); err != nil {
		return err
	}
	switch o.ChangeMode {
	case "", "noop", "restart", "signal", "script":
	default:
		return fmt.Errorf("template %s: change_mode %q is not one of noop, restart, signal, script", o.Name(""), o.ChangeMode)
	}
	return nil
}
