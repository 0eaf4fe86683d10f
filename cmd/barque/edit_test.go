package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/internal/cluster"
)

// TestEditKeepsHashLinesAndConcurrentChanges: an edit keeps the '#' lines
// of a block scalar (a script's "#!/bin/sh": data, not comments), and sends
// only what the user changed, so that a change another writer made while
// the editor was open (a label here) survives and does not make the edit
// fail with a conflict.
func TestEditKeepsHashLinesAndConcurrentChanges(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	m := c.WaitForLeader(10 * time.Second)
	t.Setenv("BARQUE_ADDR", m.APIURL())
	t.Setenv("HOME", t.TempDir())
	ctx := context.Background()
	cl, err := client.New(client.Config{Addresses: []string{m.APIURL()}})
	if err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n# start the thing\necho hi\n"
	if _, err := cl.Create(ctx, &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: api.ObjectMeta{Name: "script", Namespace: "default"}, Data: map[string]string{"run.sh": script}}); err != nil {
		t.Fatal(err)
	}
	edit := func(editor func(path string) error) string {
		t.Helper()
		defer func(f func(string) error) { runEditor = f }(runEditor)
		runEditor = editor
		cmd := newEditCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"configmap", "script"})
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Fatalf("edit: %v\n%s", err, out.String())
		}
		return out.String()
	}
	data := func() (string, string) {
		o, err := cl.Get(ctx, "ConfigMap", "default", "script", client.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm := o.(*api.ConfigMap)
		return cm.Data["run.sh"], cm.Labels["owner"]
	}

	if out := edit(func(string) error { return nil }); !strings.Contains(out, "no changes") {
		t.Fatalf("an edit that changed nothing: %q", out)
	}
	if got, _ := data(); got != script {
		t.Fatalf("an edit that changed nothing left run.sh = %q", got)
	}

	edit(func(path string) error {
		if _, err := cl.Patch(ctx, "ConfigMap", "default", "script", []byte(`{"metadata":{"labels":{"owner":"ops"}}}`)); err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(path, bytes.Replace(b, []byte("echo hi"), []byte("echo bye"), 1), 0o600)
	})
	got, owner := data()
	if want := "#!/bin/sh\n# start the thing\necho bye\n"; got != want || owner != "ops" {
		t.Fatalf("after the edit: run.sh %q label owner %q, want %q and the concurrent label \"ops\"", got, owner, want)
	}
}
