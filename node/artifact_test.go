package node

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barque-io/barque/api"
)

// artifactPod is a pod whose task "show" has the given artifacts, with its
// directories created.
func artifactPod(t *testing.T, arts ...api.Artifact) (*api.Pod, podDirs) {
	t.Helper()
	b, _ := json.Marshal(api.TaskArtifacts{"show": arts})
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Annotations: map[string]string{api.AnnotationArtifacts: string(b)}},
		Spec: api.PodSpec{Containers: []api.Container{{Name: "show"}}}}
	d := podDirs{root: t.TempDir()}
	if err := d.create(pod); err != nil {
		t.Fatal(err)
	}
	return pod, d
}

func fetch(pod *api.Pod, d podDirs) error {
	return (&Agent{}).fetchArtifacts(pod, pod.Spec.Containers[0], d, func(s string) string { return s }, noConfigMaps)
}

func noConfigMaps(name string) (*api.ConfigMap, error) {
	return nil, fmt.Errorf("configmap %q: %w", name, api.ErrNotFound)
}

func writeTestFile(t *testing.T, p, data string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantFile(t *testing.T, p, data string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil || string(b) != data {
		t.Errorf("%s: %q, %v; want %q", p, b, err, data)
	}
}

func TestArtifactFileWithChecksum(t *testing.T) {
	src := writeTestFile(t, filepath.Join(t.TempDir(), "motd.txt"), "hello\n")
	sum := sha256.Sum256([]byte("hello\n"))
	pod, d := artifactPod(t, api.Artifact{Source: src, Checksum: "sha256:" + hex.EncodeToString(sum[:])},
		api.Artifact{Source: src, Destination: "/local/conf/renamed.txt", Mode: api.ArtifactModeFile})
	if err := fetch(pod, d); err != nil {
		t.Fatal(err)
	}
	wantFile(t, filepath.Join(d.task("show"), "local", "motd.txt"), "hello\n")
	wantFile(t, filepath.Join(d.task("show"), "local", "conf", "renamed.txt"), "hello\n")
	// Fetched once per pod: a restart keeps what the task changed.
	writeTestFile(t, filepath.Join(d.task("show"), "local", "motd.txt"), "changed")
	if err := fetch(pod, d); err != nil {
		t.Fatal(err)
	}
	wantFile(t, filepath.Join(d.task("show"), "local", "motd.txt"), "changed")
}

func TestArtifactChecksumMismatch(t *testing.T) {
	src := writeTestFile(t, filepath.Join(t.TempDir(), "motd.txt"), "hello\n")
	pod, d := artifactPod(t, api.Artifact{Source: src, Checksum: "sha256:" + strings.Repeat("0", 64)})
	err := fetch(pod, d)
	if !errors.Is(err, ErrArtifact) || !strings.Contains(err.Error(), "checksum mismatch") || startFailureReason(err) != "ArtifactError" {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(filepath.Join(d.task("show"), "local", "motd.txt")); err == nil {
		t.Error("a file that failed its checksum was copied")
	}
}

func TestArtifactDirectory(t *testing.T) {
	src := t.TempDir()
	writeTestFile(t, filepath.Join(src, "a.txt"), "a")
	writeTestFile(t, filepath.Join(src, "sub", "b.txt"), "b")
	if err := os.Symlink("a.txt", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	pod, d := artifactPod(t, api.Artifact{Source: src, Destination: "local/tree"})
	if err := fetch(pod, d); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(d.task("show"), "local", "tree")
	wantFile(t, filepath.Join(dir, "a.txt"), "a")
	wantFile(t, filepath.Join(dir, "sub", "b.txt"), "b")
	wantFile(t, filepath.Join(dir, "link"), "a")
}

func writeTarGz(t *testing.T, p string, entries map[string]string, link [2]string) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for name, data := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(data))
	}
	if link[0] != "" {
		tw.WriteHeader(&tar.Header{Name: link[0], Linkname: link[1], Typeflag: tar.TypeSymlink})
	}
	tw.Close()
	gz.Close()
}

func TestArtifactTarGzUnpacked(t *testing.T) {
	src := filepath.Join(t.TempDir(), "site.tar.gz")
	writeTarGz(t, src, map[string]string{"index.html": "<h1>hi</h1>", "bin/run.sh": "#!/bin/sh\n"}, [2]string{"current", "index.html"})
	pod, d := artifactPod(t, api.Artifact{Source: src, Destination: "local/site"}, api.Artifact{Source: src, Mode: api.ArtifactModeFile, Destination: "local/raw.tgz"})
	if err := fetch(pod, d); err != nil {
		t.Fatal(err)
	}
	site := filepath.Join(d.task("show"), "local", "site")
	wantFile(t, filepath.Join(site, "index.html"), "<h1>hi</h1>")
	wantFile(t, filepath.Join(site, "current"), "<h1>hi</h1>")
	if fi, err := os.Stat(filepath.Join(site, "bin", "run.sh")); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("run.sh: %v %v (mode kept?)", fi, err)
	}
	if _, err := os.Stat(filepath.Join(d.task("show"), "local", "raw.tgz")); err != nil {
		t.Errorf("mode file unpacked the archive: %v", err)
	}
}

func TestArtifactZipUnpacked(t *testing.T) {
	src := filepath.Join(t.TempDir(), "tool.zip")
	f, _ := os.Create(src)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("tool/README")
	w.Write([]byte("read me"))
	zw.Close()
	f.Close()
	pod, d := artifactPod(t, api.Artifact{Source: src})
	if err := fetch(pod, d); err != nil {
		t.Fatal(err)
	}
	wantFile(t, filepath.Join(d.task("show"), "local", "tool", "README"), "read me")
}

func TestArtifactEscapesRefused(t *testing.T) {
	dir := t.TempDir()
	plain := writeTestFile(t, filepath.Join(dir, "a.txt"), "a")
	evil := filepath.Join(dir, "evil.tar.gz")
	writeTarGz(t, evil, map[string]string{"../../../outside.txt": "x"}, [2]string{})
	evilLink := filepath.Join(dir, "link.tar.gz")
	writeTarGz(t, evilLink, nil, [2]string{"passwd", "/etc/passwd"})
	for name, art := range map[string]api.Artifact{
		"destination": {Source: plain, Destination: "../../etc"},
		"entry":       {Source: evil},
		"link":        {Source: evilLink},
	} {
		t.Run(name, func(t *testing.T) {
			pod, d := artifactPod(t, art)
			err := fetch(pod, d)
			if !errors.Is(err, ErrArtifact) || !strings.Contains(err.Error(), "escapes") && !strings.Contains(err.Error(), "absolute") {
				t.Fatalf("error %v", err)
			}
			if _, err := os.Stat(filepath.Join(d.root, "outside.txt")); err == nil {
				t.Error("an entry was written outside the task directory")
			}
		})
	}
}

func TestArtifactMissingSource(t *testing.T) {
	pod, d := artifactPod(t, api.Artifact{Source: "/nonexistent/barque/artifact.txt"})
	if err := fetch(pod, d); !errors.Is(err, ErrArtifact) || !strings.Contains(err.Error(), "/nonexistent/barque/artifact.txt") {
		t.Fatalf("error %v", err)
	}
}

func TestWritePayload(t *testing.T) {
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Annotations: map[string]string{
		api.AnnotationDispatchPayloadFiles: `{"show":"in/input.json"}`,
		api.AnnotationDispatchPayload:      base64.StdEncoding.EncodeToString([]byte(`{"n":1}`)),
	}}, Spec: api.PodSpec{Containers: []api.Container{{Name: "show"}, {Name: "other"}}}}
	d := podDirs{root: t.TempDir()}
	if err := d.create(pod); err != nil {
		t.Fatal(err)
	}
	for _, c := range pod.Spec.Containers {
		if err := writePayload(pod, c, d); err != nil {
			t.Fatal(err)
		}
	}
	wantFile(t, filepath.Join(d.task("show"), "local", "in", "input.json"), `{"n":1}`)
	if entries, _ := os.ReadDir(filepath.Join(d.task("other"), "local")); len(entries) != 0 {
		t.Errorf("a task without dispatch_payload got %v", entries)
	}
}

func TestArtifactShippedWithTheJob(t *testing.T) {
	var tgz strings.Builder
	p := filepath.Join(t.TempDir(), "site.tgz")
	writeTarGz(t, p, map[string]string{"index.html": "shipped"}, [2]string{})
	b, _ := os.ReadFile(p)
	tgz.Write(b)
	cm := &api.ConfigMap{BinaryData: map[string][]byte{"0-motd.txt": []byte("from the job"), "1-site.tgz": []byte(tgz.String())}}
	pod, d := artifactPod(t, api.Artifact{Source: "files/motd.txt", ConfigMap: "j-t-artifacts", Key: "0-motd.txt"},
		api.Artifact{Source: "site.tgz", Destination: "local/site", ConfigMap: "j-t-artifacts", Key: "1-site.tgz"})
	get := func(name string) (*api.ConfigMap, error) {
		if name != "j-t-artifacts" {
			return nil, api.ErrNotFound
		}
		return cm, nil
	}
	if err := (&Agent{}).fetchArtifacts(pod, pod.Spec.Containers[0], d, func(s string) string { return s }, get); err != nil {
		t.Fatal(err)
	}
	wantFile(t, filepath.Join(d.task("show"), "local", "motd.txt"), "from the job")
	wantFile(t, filepath.Join(d.task("show"), "local", "site", "index.html"), "shipped")
	// A ConfigMap that is gone is an ArtifactError naming the source.
	pod2, d2 := artifactPod(t, api.Artifact{Source: "files/motd.txt", ConfigMap: "gone", Key: "0-motd.txt"})
	if err := fetch(pod2, d2); !errors.Is(err, ErrArtifact) || !strings.Contains(err.Error(), "files/motd.txt") {
		t.Fatalf("error %v", err)
	}
}

// TestArtifactPathsByDriver: destinations are where the task sees them —
// a docker task has its task directory mounted at /local.
func TestArtifactPathsByDriver(t *testing.T) {
	src := writeTestFile(t, filepath.Join(t.TempDir(), "motd.txt"), "m")
	arts := []api.Artifact{{Source: src}, {Source: src, Destination: "alloc/shared"}, {Source: src, Destination: "/secrets/s.txt", Mode: api.ArtifactModeFile}}
	for _, tc := range []struct {
		name  string
		image string
		local string
	}{{"exec", "", "local"}, {"docker", "busybox", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			pod, d := artifactPod(t, arts...)
			pod.Spec.Containers[0].Image = tc.image
			pod.Annotations[api.AnnotationDispatchPayloadFiles] = `{"show":"in.txt"}`
			pod.Annotations[api.AnnotationDispatchPayload] = base64.StdEncoding.EncodeToString([]byte("p"))
			if err := fetch(pod, d); err != nil {
				t.Fatal(err)
			}
			if err := writePayload(pod, pod.Spec.Containers[0], d); err != nil {
				t.Fatal(err)
			}
			wantFile(t, filepath.Join(d.task("show"), tc.local, "motd.txt"), "m")
			wantFile(t, filepath.Join(d.task("show"), tc.local, "in.txt"), "p")
			wantFile(t, filepath.Join(d.alloc(), "shared", "motd.txt"), "m")
			wantFile(t, filepath.Join(d.task("show"), "secrets", "s.txt"), "m")
		})
	}
}
