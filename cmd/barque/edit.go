package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	jsonpatch "github.com/evanphx/json-patch/v5"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

func init() { subcommands = append(subcommands, newEditCmd) }

// runEditor opens path in the user's editor; tests replace it.
var runEditor = func(path string) error {
	ed := os.Getenv("BARQUE_EDITOR")
	if ed == "" {
		ed = os.Getenv("EDITOR")
	}
	if ed == "" {
		ed = "vi"
	}
	// Through the shell, so EDITOR="code --wait" works.
	cmd := exec.Command("sh", "-c", ed+` "$1"`, "--", path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

const editHeader = `# Please edit the object below. The lines beginning with a '#' up here will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
`

func newEditCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "edit KIND NAME",
		Short: "Edit an object in $EDITOR and write it back",
		Long: `Edit opens the object as YAML in $BARQUE_EDITOR, $EDITOR or vi. Saving writes it
back only if nobody changed it meanwhile (compare-and-swap on resourceVersion);
on any error the file is reopened with the error at the top.`,
		Args: cobra.ExactArgs(2),
		RunE: runEdit,
	}
}

func runEdit(cmd *cobra.Command, args []string) error {
	ki, err := api.ResolveName(args[0])
	if err != nil {
		return err
	}
	c, err := newAPIClient()
	if err != nil {
		return err
	}
	orig, err := c.Get(cmd.Context(), ki.Kind, currentNamespace(), args[1], client.GetOptions{})
	if err != nil {
		return err
	}
	body, err := toYAML(orig)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "barque-edit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, strings.ToLower(ki.Kind)+"-"+args[1]+".yaml")
	return editLoop(cmd, c, orig, path, body)
}

// editLoop reopens the editor until the write succeeds, the user cancels,
// or saves the same failing content twice.
func editLoop(cmd *cobra.Command, c *client.Client, orig api.Object, path string, body []byte) error {
	ki := mustKind(orig)
	failed := ""
	var lastErr error
	for {
		text := editHeader + errorComment(lastErr) + string(body)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return err
		}
		if err := runEditor(path); err != nil {
			return fmt.Errorf("editor: %w", err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		edited := stripHashComments(raw)
		switch {
		case len(bytes.TrimSpace(edited)) == 0:
			fmt.Fprintln(cmd.ErrOrStderr(), "Edit cancelled, saved file was empty.")
			return nil
		case lastErr == nil && bytes.Equal(bytes.TrimSpace(edited), bytes.TrimSpace(body)):
			fmt.Fprintln(cmd.ErrOrStderr(), "Edit cancelled, no changes made.")
			return nil
		case lastErr != nil && string(edited) == failed:
			return fmt.Errorf("%w (the edited file is kept at %s)", lastErr, keepCopy(raw))
		}
		lastErr = saveEdited(cmd, c, orig, edited)
		if lastErr == nil {
			fmt.Fprintln(cmd.OutOrStdout(), resourceName(ki, orig.GetObjectMeta().Name), "edited")
			return nil
		}
		body, failed = edited, string(edited)
	}
}

// saveEdited sends what the user changed, as kubectl edit does: a JSON
// merge patch from the object as shown to the object as saved. Fields the
// user did not touch are not in it, so a concurrent change to them (a
// controller's, a label) is kept instead of making the edit conflict; a
// field the user changed wins.
func saveEdited(cmd *cobra.Command, c *client.Client, orig api.Object, edited []byte) error {
	ms, err := decodeManifests(edited)
	if err != nil {
		return err
	}
	if len(ms) != 1 {
		return fmt.Errorf("the edited file must hold exactly one object, it holds %d", len(ms))
	}
	warnIgnored(cmd.ErrOrStderr(), ms)
	o, om := ms[0].obj, orig.GetObjectMeta()
	m := o.GetObjectMeta()
	if o.GetTypeMeta().Kind != orig.GetTypeMeta().Kind || m.Name != om.Name || m.Namespace != om.Namespace {
		return errors.New("the kind, name and namespace of the object cannot be changed")
	}
	patch, err := changesPatch(orig, o)
	if err != nil {
		return err
	}
	if string(patch) == "{}" {
		return nil
	}
	_, err = c.Patch(cmd.Context(), o.GetTypeMeta().Kind, m.Namespace, m.Name, patch)
	return err
}

func toYAML(o api.Object) ([]byte, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(b)
}

func errorComment(err error) string {
	if err == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("# error:\n")
	for _, l := range strings.Split(err.Error(), "\n") {
		b.WriteString("#   " + l + "\n")
	}
	b.WriteString("#\n")
	return b.String()
}

// stripHashComments drops the comment lines at the top of the file (the
// instructions and the last error, which editLoop writes there). Lines
// further down are the user's: a '#' line inside a block scalar is data (a
// script's "#!/bin/sh"), and YAML drops real comments itself.
func stripHashComments(raw []byte) []byte {
	lines := strings.Split(string(raw), "\n")
	i := 0
	for i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
		i++
	}
	return []byte(strings.Join(lines[i:], "\n"))
}

// keepCopy saves a failed edit where the user can find it, as kubectl does.
func keepCopy(raw []byte) string {
	f, err := os.CreateTemp("", "barque-edit-*.yaml")
	if err != nil {
		return "(could not save a copy: " + err.Error() + ")"
	}
	defer f.Close()
	_, _ = f.Write(raw)
	return f.Name()
}

// changesPatch is the JSON merge patch that turns before into after: only
// the fields that differ, so that a server applying it to a newer version
// of the object keeps what others changed meanwhile.
func changesPatch(before, after api.Object) ([]byte, error) {
	b, err := json.Marshal(before)
	if err != nil {
		return nil, err
	}
	a, err := json.Marshal(after)
	if err != nil {
		return nil, err
	}
	return jsonpatch.CreateMergePatch(b, a)
}
