package jobspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// ParseVarFile reads a variable file, as Nomad's -var-file: HCL attributes
// `name = value` with literal values. It answers them in -var form, for
// Parse: a string as it is, any other value (number, bool, list, map) as
// its HCL text, which Parse reads back as an expression for a variable of
// that type.
func ParseVarFile(filename string, src []byte) (map[string]string, error) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, errDiags(diags)
	}
	attrs, diags := file.Body.JustAttributes()
	if diags.HasErrors() {
		return nil, errDiags(diags)
	}
	out := make(map[string]string, len(attrs))
	for name, a := range attrs {
		v, d := a.Expr.Value(nil)
		if d.HasErrors() {
			return nil, errDiags(append(d, diag("Invalid variable value",
				fmt.Sprintf("variable %q: a variable file holds literal values only.", name), a.Expr.Range())))
		}
		if v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			out[name] = v.AsString()
			continue
		}
		out[name] = string(a.Expr.Range().SliceBytes(src))
	}
	return out, nil
}
