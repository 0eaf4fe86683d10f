package jobspec

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Artifact is a file or directory the agent copies into the task's
// directory before the task starts. Barque fetches nothing over the
// network: the source is a path on the node (file:///abs or /abs), or a
// file relative to the job file, which Parse reads and Objects ships in a
// ConfigMap.
type Artifact struct {
	Source      string `hcl:"source"`
	Destination string `hcl:"destination,optional"`
	Mode        string `hcl:"mode,optional"`
	Chown       bool   `hcl:"chown,optional"`
	Options     *Map   `hcl:"options,block"`

	// Checksum is options.checksum ("sha256:<hex>"…).
	Checksum string
	// shipped is the content of a source relative to the job file.
	shipped []byte
}

func init() {
	blockNoun[reflect.TypeOf(Artifact{})] = "artifact"
	blockNoun[reflect.TypeOf(Parameterized{})] = "parameterized"
	blockNoun[reflect.TypeOf(DispatchPayload{})] = "dispatch_payload"
}

// networkSchemes are go-getter sources Barque refuses: it has no network.
var networkSchemes = []string{"http://", "https://", "git::", "git@", "hg::", "s3::", "s3://", "gcs::", "gcs://",
	"github.com/", "bitbucket.org/", "ssh://", "ftp://"}

// checksumLen is the hex length of each checksum type go-getter knows.
var checksumLen = map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}

// checkArtifacts validates every task's artifacts against their blocks'
// source ranges, and resolves their sources to absolute paths.
func checkArtifacts(job *Job, body *hclsyntax.Body, ctx *hcl.EvalContext, base string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	total := 0
	eachTaskBlock(job, body, func(t *Task, tb *hclsyntax.Body) {
		blocks := blocksOfType(tb, "artifact")
		for i, a := range t.Artifacts {
			if i >= len(blocks) {
				continue
			}
			diags = append(diags, checkArtifact(a, blocks[i], ctx, base)...)
			if total += len(a.shipped); a.shipped != nil && total > api.ShippedArtifactMaxBytes {
				diags = append(diags, diag("Artifact too large", fmt.Sprintf(
					"artifact source %q: the files a job ships (sources relative to the job file) may hold %d KiB together, these %d bytes; place large files on the nodes and give an absolute path.",
					a.Source, api.ShippedArtifactMaxBytes>>10, total), blocks[i].Body.Attributes["source"].Expr.Range()))
			}
		}
	})
	return diags
}

func checkArtifact(a *Artifact, b *hclsyntax.Block, ctx *hcl.EvalContext, base string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	at := func(name string) hcl.Range {
		if attr := b.Body.Attributes[name]; attr != nil {
			return attr.Expr.Range()
		}
		return b.TypeRange
	}
	src, err := localSource(a.Source, base)
	if err != nil {
		diags = append(diags, diag(unsupportedSummary, err.Error(), at("source")))
	} else if rel := shippedPath(a.Source); rel != "" {
		a.shipped, err = readShipped(filepath.Join(base, rel))
		if err != nil {
			diags = append(diags, diag("Invalid artifact source", fmt.Sprintf("artifact source %q: %v.", a.Source, err), at("source")))
		}
		src = a.Source
	}
	a.Source = src
	switch a.Mode {
	case "", api.ArtifactModeAny, api.ArtifactModeFile, api.ArtifactModeDir:
	default:
		diags = append(diags, diag("Invalid artifact mode",
			fmt.Sprintf("artifact mode %q is not one of any, file, dir.", a.Mode), at("mode")))
	}
	if dest := a.Destination; dest != "" && escapes(dest) {
		diags = append(diags, diag("Invalid artifact destination",
			fmt.Sprintf("artifact destination %q escapes the task directory.", dest), at("destination")))
	}
	diags = append(diags, artifactOptions(a, b, ctx)...)
	return diags
}

// localSource is the node path of a source; sources that would need the
// network are refused, naming the source.
func localSource(src, base string) (string, error) {
	lower := strings.ToLower(src)
	for _, s := range networkSchemes {
		if strings.HasPrefix(lower, s) {
			return src, fmt.Errorf("artifact source %q: no network fetches: use a local path (file:///abs/path, /abs/path, or a path relative to the job file)", src)
		}
	}
	if scheme, _, ok := strings.Cut(src, "://"); ok && scheme != "file" || strings.Contains(src, "::") {
		return src, fmt.Errorf("artifact source %q: no network fetches: use a local path (file:///abs/path, /abs/path, or a path relative to the job file)", src)
	}
	p := strings.TrimPrefix(src, "file://")
	if p == "" {
		return src, fmt.Errorf("artifact source is empty")
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	if strings.HasPrefix(p, "${") {
		return p, nil // a runtime interpolation: the agent expands it
	}
	abs, err := filepath.Abs(filepath.Join(base, p))
	if err != nil {
		return src, fmt.Errorf("artifact source %q: %w", src, err)
	}
	return abs, nil
}

// shippedPath is a source's path relative to the job file, "" when the
// source is a node path (absolute, or a runtime interpolation).
func shippedPath(src string) string {
	p := strings.TrimPrefix(src, "file://")
	if filepath.IsAbs(p) || strings.HasPrefix(p, "${") {
		return ""
	}
	return p
}

// readShipped reads a file that ships with the job.
func readShipped(p string) ([]byte, error) {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("a source relative to the job file is shipped with the job and must be a file; place directories on the nodes and give an absolute path")
	case fi.Size() > api.ShippedArtifactMaxBytes:
		return nil, fmt.Errorf("%d bytes is over the %d KiB a job may ship; place it on the nodes and give an absolute path", fi.Size(), api.ShippedArtifactMaxBytes>>10)
	}
	b, err := os.ReadFile(p)
	if b == nil && err == nil {
		b = []byte{}
	}
	return b, err
}

// escapes: a destination is taken relative to the task directory ("/local"
// is <task dir>/local), and may not climb out of it.
func escapes(dest string) bool {
	if path.IsAbs(dest) {
		dest = strings.TrimLeft(dest, "/")
	}
	c := path.Clean(dest)
	return c == ".." || strings.HasPrefix(c, "../")
}

// artifactOptions reads the options block: checksum only (the other
// go-getter options tune network fetches).
func artifactOptions(a *Artifact, b *hclsyntax.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	if a.Options == nil {
		return nil
	}
	opts, diags := stringMap(a.Options, ctx)
	if diags.HasErrors() {
		return diags
	}
	ob := blocksOfType(b.Body, "options")[0].Body
	for _, name := range sortedAttrNames(ob) {
		rng := ob.Attributes[name].NameRange
		if name != "checksum" {
			diags = append(diags, diag(unsupportedSummary,
				fmt.Sprintf("artifact option %q: Barque fetches local paths only and reads only the checksum option.", name), rng))
			continue
		}
		typ, sum, ok := strings.Cut(opts[name], ":")
		if n, known := checksumLen[typ]; !ok || !known || len(sum) != n || !isHex(sum) {
			diags = append(diags, diag("Invalid artifact checksum",
				fmt.Sprintf("artifact checksum %q: want TYPE:HEX with TYPE one of md5, sha1, sha256, sha512 and the digest's full hex.", opts[name]),
				ob.Attributes[name].Expr.Range()))
			continue
		}
		a.Checksum = typ + ":" + strings.ToLower(sum)
	}
	return diags
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// eachTaskBlock walks the decoded tasks beside their syntax blocks (the
// decoder keeps the file's order).
func eachTaskBlock(job *Job, body *hclsyntax.Body, f func(*Task, *hclsyntax.Body)) {
	groups := blocksOfType(body, "group")
	for gi, g := range job.Groups {
		if gi >= len(groups) {
			return
		}
		tasks := blocksOfType(groups[gi].Body, "task")
		for ti, t := range g.Tasks {
			if ti < len(tasks) {
				f(t, tasks[ti].Body)
			}
		}
	}
}

func blocksOfType(b *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, blk := range b.Blocks {
		if blk.Type == typ {
			out = append(out, blk)
		}
	}
	return out
}

// artifactAnnotation lists the group's tasks' artifacts for the agent,
// and returns a ConfigMap per task holding the files it ships.
func (j *Job) artifactAnnotation(g *Group, ann map[string]string) ([]api.Object, error) {
	all := api.TaskArtifacts{}
	var cms []api.Object
	for _, t := range g.Tasks {
		var cm *api.ConfigMap
		for i, a := range t.Artifacts {
			art := api.Artifact{Source: a.Source, Destination: orDefault(a.Destination, "local/"), Mode: a.Mode,
				Checksum: a.Checksum, Chown: a.Chown}
			if a.shipped != nil {
				if cm == nil {
					cm = j.configMap(g, fmt.Sprintf("%s-%s-artifacts", j.objectName(g), t.Name))
					cm.Data, cm.BinaryData = nil, map[string][]byte{}
					cms = append(cms, cm)
				}
				art.ConfigMap, art.Key = cm.Name, fmt.Sprintf("%d-%s", i, filepath.Base(shippedPath(a.Source)))
				cm.BinaryData[art.Key] = a.shipped
			}
			all[t.Name] = append(all[t.Name], art)
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(all)
	ann[api.AnnotationArtifacts] = string(b)
	return cms, err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
