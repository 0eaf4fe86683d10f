package jobspec

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Parameterized makes a batch job a template that `job dispatch` runs,
// with a payload and meta values given at dispatch time.
type Parameterized struct {
	Payload      string   `hcl:"payload,optional"`
	MetaRequired []string `hcl:"meta_required,optional"`
	MetaOptional []string `hcl:"meta_optional,optional"`
}

// DispatchPayload names the file, under the task's local/ directory, that
// receives a dispatched job's payload.
type DispatchPayload struct {
	File string `hcl:"file"`
}

// Record is the parameterized block as the job's record keeps it; nil
// for a job that is not parameterized.
func (j *Job) Record() *api.NomadJobParameterized {
	p := j.Parameterized
	if p == nil {
		return nil
	}
	payload := p.Payload
	if payload == "" {
		payload = api.DispatchPayloadOptional
	}
	return &api.NomadJobParameterized{Payload: payload, MetaRequired: p.MetaRequired, MetaOptional: p.MetaOptional}
}

// checkDispatch validates the parameterized and dispatch_payload blocks,
// naming the attribute's range.
func checkDispatch(job *Job, body *hclsyntax.Body) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if p := job.Parameterized; p != nil {
		b := blocksOfType(body, "parameterized")[0]
		diags = append(diags, checkParameterized(job, p, b)...)
	}
	eachTaskBlock(job, body, func(t *Task, tb *hclsyntax.Body) {
		if t.DispatchPayload == nil {
			return
		}
		b := blocksOfType(tb, "dispatch_payload")[0]
		rng := b.TypeRange
		if a := b.Body.Attributes["file"]; a != nil {
			rng = a.Expr.Range()
		}
		f := t.DispatchPayload.File
		switch {
		case job.Parameterized == nil:
			diags = append(diags, diag("Invalid dispatch_payload",
				"a dispatch_payload block needs a parameterized job (a job block with a parameterized block).", b.TypeRange))
		case f == "" || strings.HasSuffix(f, "/") || escapes(f):
			diags = append(diags, diag("Invalid dispatch_payload file",
				fmt.Sprintf("dispatch_payload file %q must name a file inside the task's local/ directory.", f), rng))
		}
	})
	return diags
}

func checkParameterized(job *Job, p *Parameterized, b *hclsyntax.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	at := func(name string) hcl.Range {
		if a := b.Body.Attributes[name]; a != nil {
			return a.Expr.Range()
		}
		return b.TypeRange
	}
	if job.Type != TypeBatch {
		diags = append(diags, diag(unsupportedSummary,
			fmt.Sprintf("parameterized: only batch jobs can be parameterized in Barque (this job's type is %q).", job.Type), b.TypeRange))
	}
	if job.Periodic != nil {
		diags = append(diags, diag("Invalid parameterized job",
			"a job cannot be both periodic and parameterized.", b.TypeRange))
	}
	switch p.Payload {
	case "", api.DispatchPayloadOptional, api.DispatchPayloadRequired, api.DispatchPayloadForbidden:
	default:
		diags = append(diags, diag("Invalid parameterized payload",
			fmt.Sprintf("payload %q is not one of optional, required, forbidden.", p.Payload), at("payload")))
	}
	seen := map[string]string{}
	for _, l := range []struct {
		attr string
		keys []string
	}{{"meta_required", p.MetaRequired}, {"meta_optional", p.MetaOptional}} {
		for _, k := range l.keys {
			if prev, dup := seen[k]; dup {
				diags = append(diags, diag("Invalid parameterized meta",
					fmt.Sprintf("meta key %q is listed in %s and %s.", k, prev, l.attr), at(l.attr)))
			}
			seen[k] = l.attr
			if k == "" || strings.ContainsAny(k, "= ") {
				diags = append(diags, diag("Invalid parameterized meta",
					fmt.Sprintf("%s: meta key %q must be non-empty, without '=' or spaces.", l.attr, k), at(l.attr)))
			}
		}
	}
	return diags
}

// payloadAnnotation maps each task with a dispatch_payload block to its
// file, relative to the task's local/ directory.
func payloadAnnotation(g *Group, ann map[string]string) error {
	files := map[string]string{}
	for _, t := range g.Tasks {
		if t.DispatchPayload != nil {
			files[t.Name] = path.Clean(strings.TrimLeft(t.DispatchPayload.File, "/"))
		}
	}
	if len(files) == 0 {
		return nil
	}
	b, err := json.Marshal(files)
	ann[api.AnnotationDispatchPayloadFiles] = string(b)
	return err
}

// dispatchAnnotations adds the artifact and dispatch annotations to a
// group's pod template, and appends the ConfigMaps of shipped artifacts
// to objs.
func (j *Job) dispatchAnnotations(g *Group, tmpl *api.PodTemplateSpec, objs []api.Object) ([]api.Object, error) {
	ann := map[string]string{}
	cms, err := j.artifactAnnotation(g, ann)
	if err == nil {
		err = payloadAnnotation(g, ann)
	}
	if err != nil || len(ann) == 0 {
		return objs, err
	}
	if tmpl.Annotations == nil {
		tmpl.Annotations = map[string]string{}
	}
	for k, v := range ann {
		tmpl.Annotations[k] = v
	}
	return append(objs, cms...), nil
}

// extraDiags are the checks of the blocks in artifact.go and dispatch.go.
func extraDiags(job *Job, block *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	body := block.Body.(*hclsyntax.Body)
	base := filepath.Dir(block.DefRange.Filename)
	return append(checkArtifacts(job, body, ctx, base), checkDispatch(job, body)...)
}
