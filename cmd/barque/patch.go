package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newPatchCmd) }

type patchOpts struct {
	patch, patchFile, patchType, subresource, output string
}

// patchTypes maps kubectl's --type names to Content-Types.
var patchTypes = map[string]string{
	"strategic": client.PatchStrategic,
	"merge":     client.PatchMerge,
	"json":      client.PatchJSON,
}

func newPatchCmd() *cobra.Command {
	var o patchOpts
	cmd := &cobra.Command{
		Use:   "patch (KIND NAME | KIND/NAME) (-p PATCH | --patch-file FILE) [--type strategic|merge|json]",
		Short: "Change fields of an object with a patch",
		Long: `Patch changes an object on the server with a patch, as kubectl patch does. The
patch is JSON or YAML. --type strategic (the default) is Kubernetes' strategic
merge patch: lists such as a pod's containers merge by name; merge is a JSON
merge patch (RFC 7386), which replaces lists; json is a JSON patch (RFC 6902).`,
		Example: `  barque patch deployment web -p '{"spec":{"replicas":3}}'
  barque patch deployment web -p '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}'
  barque patch pod web-1 --type json -p '[{"op":"remove","path":"/metadata/labels/tier"}]'
  barque patch deployment web --subresource status --type merge -p '{"status":{"replicas":0}}'`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error { return runPatch(cmd, o, args) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.patch, "patch", "p", "", "the patch, JSON or YAML")
	f.StringVar(&o.patchFile, "patch-file", "", "a file holding the patch")
	f.StringVar(&o.patchType, "type", "strategic", "strategic, merge or json")
	f.StringVar(&o.subresource, "subresource", "", `"status" or "scale" to patch that subresource`)
	f.StringVarP(&o.output, "output", "o", "", "print the patched object: json|yaml|name")
	return cmd
}

func runPatch(cmd *cobra.Command, o patchOpts, args []string) error {
	ctype, ok := patchTypes[o.patchType]
	if !ok {
		return fmt.Errorf("--type: %q is not one of strategic, merge, json", o.patchType)
	}
	if o.subresource != "" && o.subresource != "status" && o.subresource != "scale" {
		return fmt.Errorf("--subresource: %q is not supported; use status or scale", o.subresource)
	}
	if o.output != "" && o.output != outJSON && o.output != outYAML && o.output != outName {
		return fmt.Errorf("--output: %q is not one of json, yaml, name", o.output)
	}
	body, err := patchBody(o)
	if err != nil {
		return err
	}
	ki, names, err := kindAndNames(args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return fmt.Errorf("patch one object at a time: %d names given", len(names))
	}
	c, err := newAPIClient()
	if err != nil {
		return err
	}
	sub := ""
	if o.subresource != "" {
		sub = "/" + o.subresource
	}
	raw, err := c.PatchRaw(cmd.Context(), ki.Kind, currentNamespace(), names[0], ctype, sub, body)
	if err != nil {
		return err
	}
	return printPatched(cmd, o.output, ki, names[0], raw)
}

// printPatched prints what kubectl patch prints: "KIND/NAME patched", or
// the answer (the object, or a Scale) as JSON, YAML or its name.
func printPatched(cmd *cobra.Command, output string, ki *api.KindInfo, name string, raw []byte) error {
	w := cmd.OutOrStdout()
	switch output {
	case "":
		fmt.Fprintf(w, "%s/%s patched\n", lowerKind(ki), name)
	case outName:
		fmt.Fprintf(w, "%s/%s\n", lowerKind(ki), name)
	case outYAML:
		y, err := yaml.JSONToYAML(raw)
		if err != nil {
			return err
		}
		_, err = w.Write(y)
		return err
	default:
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		out, err := json.MarshalIndent(v, "", "    ")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", out)
	}
	return nil
}

// patchBody reads the patch from -p or --patch-file, as JSON (YAML is
// turned into JSON, as kubectl accepts it).
func patchBody(o patchOpts) ([]byte, error) {
	text := []byte(o.patch)
	switch {
	case o.patch != "" && o.patchFile != "":
		return nil, fmt.Errorf("give the patch with -p or --patch-file, not both")
	case o.patchFile != "":
		b, err := os.ReadFile(o.patchFile)
		if err != nil {
			return nil, fmt.Errorf("--patch-file: %w", err)
		}
		text = b
	case o.patch == "":
		return nil, fmt.Errorf("a patch is required: -p PATCH or --patch-file FILE")
	}
	body, err := yaml.YAMLToJSON(text)
	if err != nil {
		return nil, fmt.Errorf("--patch: not JSON or YAML: %w", err)
	}
	return body, nil
}
