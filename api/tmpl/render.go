package tmpl

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// ErrTemplate is wrapped by every error of Render and ParseEnv, so that
// the agent can give a task a clear status reason.
var ErrTemplate = errors.New("template rendering failed")

// parseText parses one template named after its destination, so that
// text/template's errors read "template: local/app.conf:3: ...".
func parseText(name, text string, o Options, fm template.FuncMap) (*template.Template, error) {
	t := template.New(name).Delims(o.LeftDelimiter, o.RightDelimiter).Funcs(fm).Option("missingkey=error")
	return t.Parse(text)
}

// Check parses a template without rendering it, as `job validate` does:
// syntax errors, unknown functions and functions that need Consul, Vault
// or Nomad's catalogs are errors naming the template and line.
func Check(key, text string, o Options) error {
	if err := o.Check(); err != nil {
		return err
	}
	t, err := parseText(o.Name(key), text, o, funcs(nil))
	if err != nil {
		return err
	}
	for _, def := range t.Templates() {
		if def.Tree == nil || def.Tree.Root == nil {
			continue
		}
		if n, name := findUnsupported(def.Tree.Root); n != nil {
			loc, _ := def.Tree.ErrorContext(n)
			return fmt.Errorf("template: %s: %w", loc, unsupportedErr(name))
		}
	}
	return nil
}

// findUnsupported walks a parse tree for the first call of an unsupported function.
func findUnsupported(n parse.Node) (parse.Node, string) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil, ""
		}
		for _, c := range n.Nodes {
			if f, name := findUnsupported(c); f != nil {
				return f, name
			}
		}
	case *parse.ActionNode:
		return findUnsupported(n.Pipe)
	case *parse.PipeNode:
		if n == nil {
			return nil, ""
		}
		for _, c := range n.Cmds {
			if f, name := findUnsupported(c); f != nil {
				return f, name
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			if f, name := findUnsupported(a); f != nil {
				return f, name
			}
		}
	case *parse.IdentifierNode:
		if _, bad := unsupported[n.Ident]; bad {
			return n, n.Ident
		}
	case *parse.IfNode:
		return findBranch(&n.BranchNode)
	case *parse.RangeNode:
		return findBranch(&n.BranchNode)
	case *parse.WithNode:
		return findBranch(&n.BranchNode)
	case *parse.TemplateNode:
		return findUnsupported(n.Pipe)
	}
	return nil, ""
}

func findBranch(b *parse.BranchNode) (parse.Node, string) {
	for _, c := range []parse.Node{b.Pipe, b.List, b.ElseList} {
		if f, name := findUnsupported(c); f != nil {
			return f, name
		}
	}
	return nil, ""
}

// Render renders one template with the task's environment.
func Render(key, text string, o Options, env Env) ([]byte, error) {
	t, err := parseText(o.Name(key), text, o, funcs(&env))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	return buf.Bytes(), nil
}

// ParseEnv reads a rendered env template: KEY=VALUE lines, blank lines
// and # comments skipped, an optional leading "export ", and values in
// double quotes unquoted. name (the destination) names the template in errors.
func ParseEnv(name string, data []byte) (map[string]string, error) {
	out := map[string]string{}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%w: env template %s: line %d is not KEY=VALUE", ErrTemplate, name, n+1)
		}
		v = strings.TrimSpace(v)
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	return out, nil
}
