package jobspec

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

var ignoredType = reflect.TypeOf(Ignored{})

// checker walks a block's syntax tree before decoding, so that unknown and
// unsupported names get a clear message, and collects warnings.
type checker struct {
	diags    hcl.Diagnostics
	warnings []string
}

func (c *checker) body(b *hclsyntax.Body, t reflect.Type, where string) {
	n := schemaOf(t)
	if n.open {
		return // meta and env take any names; their values are decoded later
	}
	for _, name := range sortedAttrNames(b) {
		a := b.Attributes[name]
		switch {
		case unsupported[name] != "":
			c.unsupported(name, a.NameRange)
		case !n.attrs[name]:
			c.unknown("argument", name, where, n, a.NameRange)
		case ignoredAttrs[name]:
			c.warn(a.NameRange, "%s %q is accepted but has no effect in Barque yet", where, name)
		}
	}
	for _, blk := range b.Blocks {
		child, ok := n.blocks[blk.Type]
		switch {
		case unsupported[blk.Type] != "":
			c.unsupported(blk.Type, blk.TypeRange)
		case !ok:
			c.unknown("block", blk.Type, where, n, blk.TypeRange)
		case child == ignoredType:
			c.warn(blk.TypeRange, "%s block %q is accepted but has no effect in Barque yet", where, blk.Type)
		default:
			c.body(blk.Body, child, nounOf(child, blk.Type))
		}
	}
}

func nounOf(t reflect.Type, fallback string) string {
	if n, ok := blockNoun[t]; ok {
		return n
	}
	return fallback
}

func (c *checker) unsupported(name string, rng hcl.Range) {
	c.diags = append(c.diags, diag(unsupportedSummary, fmt.Sprintf("%q: %s.", name, unsupported[name]), rng))
}

func (c *checker) unknown(what, name, where string, n *schemaNode, rng hcl.Range) {
	summary := "Unsupported argument"
	if what == "block" {
		summary = "Unsupported block type"
	}
	detail := fmt.Sprintf("%s %q is not expected in a %s block; %s.", what, name, where, n.validNames())
	c.diags = append(c.diags, diag(summary, detail, rng))
}

func (c *checker) warn(rng hcl.Range, format string, args ...any) {
	c.warnings = append(c.warnings, fmt.Sprintf("%s:%d:%d: ", rng.Filename, rng.Start.Line, rng.Start.Column)+
		fmt.Sprintf(format, args...))
}

func sortedAttrNames(b *hclsyntax.Body) []string {
	names := make([]string, 0, len(b.Attributes))
	for name := range b.Attributes {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		return b.Attributes[names[i]].NameRange.Start.Byte < b.Attributes[names[j]].NameRange.Start.Byte
	})
	return names
}

// keepRuntimeRefs rewrites, in place, every interpolation of a runtime
// value (${node.unique.name}, ${attr.kernel.name}, ${meta.rack},
// ${NOMAD_PORT_http}…) into its own text, so that it survives decoding and
// reaches the scheduler or the agent, as Nomad's HCL2 parser does.
func keepRuntimeRefs(b *hclsyntax.Body, src []byte) {
	_ = hclsyntax.VisitAll(b, func(node hclsyntax.Node) hcl.Diagnostics {
		switch e := node.(type) {
		case *hclsyntax.TemplateExpr:
			for i, part := range e.Parts {
				e.Parts[i] = literalRef(part, src)
			}
		case *hclsyntax.TemplateWrapExpr:
			e.Wrapped = literalRef(e.Wrapped, src)
		}
		return nil
	})
}

func literalRef(e hclsyntax.Expression, src []byte) hclsyntax.Expression {
	st, ok := e.(*hclsyntax.ScopeTraversalExpr)
	if !ok || !isRuntimeRoot(st.Traversal.RootName()) {
		return e
	}
	r := st.SrcRange
	if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return e
	}
	text := "${" + string(src[r.Start.Byte:r.End.Byte]) + "}"
	return &hclsyntax.LiteralValueExpr{Val: cty.StringVal(text), SrcRange: r}
}

func isRuntimeRoot(name string) bool {
	switch name {
	case "node", "attr", "meta", "env", "device":
		return true
	}
	return strings.HasPrefix(name, "NOMAD_") || strings.HasPrefix(name, "BARQUE_")
}
