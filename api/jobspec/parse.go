package jobspec

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "job", LabelNames: []string{"name"}},
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
}}

// Parse decodes an HCL2 job file. filename names the file in errors and is
// the base for file() and templatefile(); vars are -var overrides of the
// file's variable blocks. Errors are an *Error with file:line:column.
func Parse(filename string, src []byte, vars map[string]string) (*Job, error) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, errDiags(diags)
	}
	body := file.Body.(*hclsyntax.Body)
	if diags := checkTopLevel(body); diags.HasErrors() {
		return nil, errDiags(diags)
	}
	keepRuntimeRefs(body, src)
	content, diags := body.Content(fileSchema)
	if diags.HasErrors() {
		return nil, errDiags(diags)
	}
	jobBlock, diags := oneJob(content.Blocks, body)
	if diags.HasErrors() {
		return nil, errDiags(diags)
	}
	ctx, diags := evalContext(content.Blocks, vars, filepath.Dir(filename))
	if diags.HasErrors() {
		return nil, errDiags(diags)
	}
	return decodeJob(jobBlock, ctx)
}

func checkTopLevel(body *hclsyntax.Body) hcl.Diagnostics {
	var diags hcl.Diagnostics
	const valid = "valid top-level blocks: job, locals, variable"
	for _, name := range sortedAttrNames(body) {
		diags = append(diags, diag("Unsupported argument",
			fmt.Sprintf("argument %q is not expected at the top level; %s.", name, valid), body.Attributes[name].NameRange))
	}
	for _, b := range body.Blocks {
		switch {
		case unsupported[b.Type] != "":
			diags = append(diags, diag(unsupportedSummary, fmt.Sprintf("%q: %s.", b.Type, unsupported[b.Type]), b.TypeRange))
		case b.Type != "job" && b.Type != "variable" && b.Type != "locals":
			diags = append(diags, diag("Unsupported block type",
				fmt.Sprintf("block %q is not expected at the top level; %s.", b.Type, valid), b.TypeRange))
		}
	}
	return diags
}

func oneJob(blocks hcl.Blocks, body *hclsyntax.Body) (*hcl.Block, hcl.Diagnostics) {
	jobs := blocks.OfType("job")
	switch len(jobs) {
	case 0:
		return nil, hcl.Diagnostics{diag("Missing job block", "a job file needs one job block.", body.MissingItemRange())}
	case 1:
		return jobs[0], nil
	}
	return nil, hcl.Diagnostics{diag("Duplicate job block",
		fmt.Sprintf("a job file holds one job; another was defined at %s.", jobs[0].DefRange), jobs[1].DefRange)}
}

func decodeJob(block *hcl.Block, ctx *hcl.EvalContext) (*Job, error) {
	c := &checker{}
	c.body(block.Body.(*hclsyntax.Body), reflect.TypeOf(Job{}), "job")
	if c.diags.HasErrors() {
		return nil, errDiags(c.diags)
	}
	job := &Job{}
	diags := gohcl.DecodeBody(block.Body, ctx, job)
	if diags.HasErrors() {
		return nil, errDiags(diags)
	}
	job.Name = block.Labels[0]
	job.Warnings = c.warnings
	if diags := fillMaps(job, ctx); diags.HasErrors() {
		return nil, errDiags(diags)
	}
	if err := validate(job); err != nil {
		return nil, err
	}
	if diags := extraDiags(job, block, ctx); diags.HasErrors() {
		return nil, errDiags(diags)
	}
	return job, nil
}

// fillMaps evaluates the meta and env blocks into string maps.
func fillMaps(job *Job, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	get := func(m *Map) map[string]string {
		v, d := stringMap(m, ctx)
		diags = append(diags, d...)
		return v
	}
	job.Meta = get(job.MetaBlock)
	for _, g := range job.Groups {
		g.Meta = get(g.MetaBlock)
		for _, t := range g.Tasks {
			t.Env, t.Meta = get(t.EnvBlock), get(t.MetaBlock)
		}
	}
	return diags
}

func stringMap(m *Map, ctx *hcl.EvalContext) (map[string]string, hcl.Diagnostics) {
	if m == nil {
		return nil, nil
	}
	attrs, diags := m.Body.JustAttributes()
	out := make(map[string]string, len(attrs))
	for name, a := range attrs {
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() || !s.IsKnown() {
			diags = append(diags, diag("Invalid value", fmt.Sprintf("%q must be a string, number or bool.", name), a.Expr.Range()))
			continue
		}
		out[name] = s.AsString()
	}
	return out, diags
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
