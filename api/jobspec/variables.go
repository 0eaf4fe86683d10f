package jobspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var variableAttrs = map[string]bool{"type": true, "default": true, "description": true,
	"sensitive": true, "nullable": true}

// evalContext resolves the variable blocks (defaults overridden by vars)
// and the locals, and returns the context the job block is decoded in.
func evalContext(blocks hcl.Blocks, vars map[string]string, dir string) (*hcl.EvalContext, hcl.Diagnostics) {
	ctx := &hcl.EvalContext{Functions: functions(dir), Variables: map[string]cty.Value{}}
	values := map[string]cty.Value{}
	var diags hcl.Diagnostics
	for _, b := range blocks.OfType("variable") {
		v, d := variableValue(b, vars, ctx)
		diags = append(diags, d...)
		values[b.Labels[0]] = v
	}
	declared := strings.Join(sortedKeys(values), ", ")
	if declared == "" {
		declared = "none"
	}
	for _, name := range sortedKeys(vars) {
		if _, ok := values[name]; !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undeclared variable",
				Detail: fmt.Sprintf("-var %s is not declared in the job file; declared: %s.", name, declared)})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	ctx.Variables["var"] = cty.ObjectVal(values)
	locals, diags := resolveLocals(blocks.OfType("locals"), ctx)
	ctx.Variables["local"] = cty.ObjectVal(locals)
	return ctx, diags
}

func variableValue(b *hcl.Block, vars map[string]string, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	name := b.Labels[0]
	attrs, diags := b.Body.JustAttributes()
	for n, a := range attrs {
		if !variableAttrs[n] {
			diags = append(diags, diag("Unsupported argument", fmt.Sprintf(
				"argument %q is not expected in a variable block; valid arguments: default, description, nullable, sensitive, type.", n), a.NameRange))
		}
	}
	ty := cty.DynamicPseudoType
	if a, ok := attrs["type"]; ok {
		t, d := typeexpr.TypeConstraint(a.Expr)
		diags, ty = append(diags, d...), t
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	val, rng, d := rawVariable(name, attrs, vars, ctx)
	if diags = append(diags, d...); diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	out, err := convert.Convert(val, ty)
	if err != nil {
		return cty.DynamicVal, append(diags, diag("Invalid value for variable",
			fmt.Sprintf("variable %q: %s.", name, err), rng))
	}
	return out, diags
}

// rawVariable is a variable's -var override, else its default.
func rawVariable(name string, attrs hcl.Attributes, vars map[string]string, ctx *hcl.EvalContext) (cty.Value, hcl.Range, hcl.Diagnostics) {
	if s, ok := vars[name]; ok {
		return overrideValue(name, s, attrs)
	}
	a, ok := attrs["default"]
	if !ok {
		return cty.DynamicVal, hcl.Range{}, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Missing variable value",
			Detail: fmt.Sprintf("variable %q has no default; give it with -var %s=VALUE.", name, name)}}
	}
	funcsOnly := &hcl.EvalContext{Functions: ctx.Functions}
	v, diags := a.Expr.Value(funcsOnly)
	return v, a.Expr.Range(), diags
}

// overrideValue reads a -var value: a string as it is when the variable is
// a string (or untyped), else as an HCL expression ("[1, 2]", "true").
func overrideValue(name, s string, attrs hcl.Attributes) (cty.Value, hcl.Range, hcl.Diagnostics) {
	rng := hcl.Range{Filename: "-var " + name, Start: hcl.InitialPos, End: hcl.InitialPos}
	a, typed := attrs["type"]
	if typed {
		if t, d := typeexpr.TypeConstraint(a.Expr); !d.HasErrors() && t == cty.String {
			typed = false
		}
	}
	if !typed {
		return cty.StringVal(s), rng, nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(s), rng.Filename, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.DynamicVal, rng, diags
	}
	v, diags := expr.Value(nil)
	return v, rng, diags
}

// resolveLocals evaluates locals in dependency order: each pass evaluates
// those whose references are all known, until none are left.
func resolveLocals(blocks hcl.Blocks, ctx *hcl.EvalContext) (map[string]cty.Value, hcl.Diagnostics) {
	pending := map[string]*hcl.Attribute{}
	var diags hcl.Diagnostics
	for _, b := range blocks {
		attrs, d := b.Body.JustAttributes()
		diags = append(diags, d...)
		for name, a := range attrs {
			if prev, ok := pending[name]; ok {
				diags = append(diags, diag("Duplicate local value",
					fmt.Sprintf("local %q was already defined at %s.", name, prev.NameRange), a.NameRange))
			}
			pending[name] = a
		}
	}
	done := map[string]cty.Value{}
	for len(pending) > 0 && !diags.HasErrors() {
		ready := readyLocals(pending, done)
		if len(ready) == 0 {
			return done, append(diags, unresolvedLocals(pending)...)
		}
		ctx.Variables["local"] = cty.ObjectVal(done)
		for _, name := range ready {
			v, d := pending[name].Expr.Value(ctx)
			diags = append(diags, d...)
			done[name] = v
			delete(pending, name)
		}
	}
	return done, diags
}

func readyLocals(pending map[string]*hcl.Attribute, done map[string]cty.Value) []string {
	var ready []string
	for _, name := range sortedKeys(pending) {
		ok := true
		for _, tr := range pending[name].Expr.Variables() {
			if tr.RootName() != "local" || len(tr) < 2 {
				continue
			}
			if ref, isAttr := tr[1].(hcl.TraverseAttr); isAttr {
				if _, known := done[ref.Name]; !known {
					if _, exists := pending[ref.Name]; exists {
						ok = false
					}
				}
			}
		}
		if ok {
			ready = append(ready, name)
		}
	}
	return ready
}

func unresolvedLocals(pending map[string]*hcl.Attribute) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range sortedKeys(pending) {
		diags = append(diags, diag("Cyclic local value",
			fmt.Sprintf("local %q depends on itself through other locals.", name), pending[name].NameRange))
	}
	return diags
}
