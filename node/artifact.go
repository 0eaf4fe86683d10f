package node

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/barque-io/barque/api"
)

// Artifacts: a pod annotated barque.io/artifacts lists, per task, files
// and directories of the node that the agent copies into the task's
// directory before the task first starts (Nomad fetches artifacts on the
// client too; Barque has no network fetcher, so sources are node paths).
// Archives (.tar, .tar.gz, .tgz, .zip) are unpacked unless mode = "file";
// a checksum is verified; nothing is written outside the task directory.
// A failed fetch keeps the task from starting with reason ArtifactError,
// and is tried again as the restart policy allows.

// ErrArtifact marks a failed artifact fetch.
var ErrArtifact = errors.New("artifact")

// fetchArtifacts copies the task's artifacts into taskDir, once per pod:
// a marker under the pod's directory records the fetched list, so that a
// restarted task keeps what it changed, as in Nomad.
func (a *Agent) fetchArtifacts(pod *api.Pod, c api.Container, d podDirs, expand func(string) string, shipped configMapGetter) error {
	all, err := api.DecodeArtifacts(pod.Annotations)
	if err != nil || len(all[c.Name]) == 0 {
		return wrapArtifact(err)
	}
	list := all[c.Name]
	for i := range list {
		list[i].Source, list[i].Destination = expand(list[i].Source), expand(list[i].Destination)
	}
	want, _ := json.Marshal(list)
	marker := filepath.Join(d.root, ".artifacts", c.Name) // no task is named .artifacts
	if got, err := os.ReadFile(marker); err == nil && bytes.Equal(got, want) {
		return nil
	}
	owner, paths := artifactOwner(pod, c), taskPathsOf(pod, c, d)
	for i, art := range list {
		if art.ConfigMap != "" {
			p, err := unship(art, filepath.Join(d.root, ".artifacts", "shipped", c.Name, strconv.Itoa(i)), shipped)
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrArtifact, art.Source, err)
			}
			art.Source = p
		}
		dest, err := paths.resolve(orDefault(art.Destination, "local/"))
		if err == nil {
			err = fetchArtifact(art, dest, owner)
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrArtifact, art.Source, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(marker), 0o755); err != nil {
		return err
	}
	return os.WriteFile(marker, want, 0o644)
}

// configMapGetter reads a ConfigMap of the pod's namespace.
type configMapGetter func(name string) (*api.ConfigMap, error)

// unship writes a file the job shipped (ConfigMap binaryData) into dir,
// under the source's name (its extension says whether it is an archive),
// and returns its path.
func unship(art api.Artifact, dir string, get configMapGetter) (string, error) {
	cm, err := get(art.ConfigMap)
	if err != nil {
		return "", fmt.Errorf("ConfigMap %s: %w", art.ConfigMap, err)
	}
	b, ok := cm.BinaryData[art.Key]
	if !ok {
		return "", fmt.Errorf("ConfigMap %s has no key %q", art.ConfigMap, art.Key)
	}
	p := filepath.Join(dir, filepath.Base(filepath.Clean("/"+art.Source)))
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	return p, writeFile(p, bytes.NewReader(b), 0o644)
}

func wrapArtifact(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrArtifact, err)
}

// taskPaths are a task's Nomad directories on the node as its driver
// shows them: an exec task starts in its task directory, which holds
// local/ and secrets/; the docker driver mounts the task directory itself
// at /local (node/driver/docker). alloc/ is the pod's shared directory.
type taskPaths struct{ task, local, secrets, alloc string }

func taskPathsOf(pod *api.Pod, c api.Container, d podDirs) taskPaths {
	t := d.task(c.Name)
	p := taskPaths{task: t, local: filepath.Join(t, "local"), secrets: filepath.Join(t, "secrets"), alloc: d.alloc()}
	if driverName(pod, c) == "docker" {
		p.local = t
	}
	return p
}

// resolve maps a destination ("local/x", "/alloc/data", "bin") to its node
// path, refusing one that climbs out of the task directory.
func (p taskPaths) resolve(dest string) (string, error) {
	if _, err := insideDir(p.task, dest); err != nil {
		return "", err
	}
	rel := filepath.Clean("/" + dest)[1:]
	first, rest, _ := strings.Cut(rel, string(filepath.Separator))
	switch first {
	case "local":
		return filepath.Join(p.local, rest), nil
	case "secrets":
		return filepath.Join(p.secrets, rest), nil
	case "alloc":
		return filepath.Join(p.alloc, rest), nil
	}
	return filepath.Join(p.task, rel), nil
}

// fetchArtifact copies one artifact to dest.
func fetchArtifact(art api.Artifact, dest string, owner *[2]int) error {
	fi, err := os.Stat(art.Source)
	if err != nil {
		return err
	}
	if art.Checksum != "" {
		if fi.IsDir() {
			return fmt.Errorf("a checksum needs a file source, not a directory")
		}
		if err := verifyChecksum(art.Source, art.Checksum); err != nil {
			return err
		}
	}
	mode := orDefault(art.Mode, api.ArtifactModeAny)
	switch {
	case mode == api.ArtifactModeFile:
		if fi.IsDir() {
			return fmt.Errorf("mode \"file\" needs a file source, not a directory")
		}
		err = copyFile(art.Source, dest, fi.Mode())
	case fi.IsDir():
		err = copyTree(art.Source, dest)
	case archiveKind(art.Source) != "":
		err = unpack(art.Source, dest)
	case mode == api.ArtifactModeDir:
		return fmt.Errorf("mode \"dir\" needs a directory or an archive (.tar, .tar.gz, .tgz, .zip)")
	default:
		err = copyFile(art.Source, filepath.Join(dest, filepath.Base(art.Source)), fi.Mode())
	}
	if err == nil && owner != nil {
		err = chownTree(dest, owner[0], owner[1])
	}
	return err
}

// insideDir joins rel to root, refusing a path that climbs out of root.
func insideDir(root, rel string) (string, error) {
	p := filepath.Join(root, filepath.Clean("/"+rel))
	r, err := filepath.Rel(root, filepath.Join(root, rel))
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("destination %q escapes the task directory", rel)
	}
	return p, nil
}

func verifyChecksum(file, sum string) error {
	typ, want, _ := strings.Cut(sum, ":")
	var h hash.Hash
	switch typ {
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return fmt.Errorf("checksum type %q is not one of md5, sha1, sha256, sha512", typ)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
		return fmt.Errorf("checksum mismatch: want %s:%s, got %s:%s", typ, strings.ToLower(want), typ, got)
	}
	return nil
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeFile(dst, in, mode)
}

// writeFile writes r to dst (its parents created), replacing what was there.
func writeFile(dst string, r io.Reader, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	_ = os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyTree copies a directory's files into dst; symbolic links are kept
// when they point inside the copy.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return makeLink(dst, target, link)
		case info.Mode().IsRegular():
			return copyFile(p, target, info.Mode())
		}
		return nil // devices, sockets and pipes are not copied
	})
}

// makeLink creates a symbolic link inside root whose target stays inside it.
func makeLink(root, at, link string) error {
	resolved := link
	if !filepath.IsAbs(link) {
		resolved = filepath.Join(filepath.Dir(at), link)
	}
	if r, err := filepath.Rel(root, resolved); filepath.IsAbs(link) || err != nil || r == ".." ||
		strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return fmt.Errorf("link %s -> %s escapes the task directory", filepath.Base(at), link)
	}
	if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
		return err
	}
	_ = os.Remove(at)
	return os.Symlink(link, at)
}

// artifactOwner is the task's uid and gid when it runs as another user,
// for chown = true; nil to keep the agent's.
func artifactOwner(pod *api.Pod, c api.Container) *[2]int {
	uid, gid := taskIdentity(pod, c)
	if uid == nil {
		return nil
	}
	if gid == nil {
		gid = uid
	}
	return &[2]int{int(*uid), int(*gid)}
}

func chownTree(root string, uid, gid int) error {
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// writePayload writes a dispatched job's payload into the task's local/
// directory, at the file its dispatch_payload block names.
func writePayload(pod *api.Pod, c api.Container, d podDirs) error {
	files, err := api.DecodePayloadFiles(pod.Annotations)
	if err != nil || files[c.Name] == "" {
		return err
	}
	enc, ok := pod.Annotations[api.AnnotationDispatchPayload]
	if !ok {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return fmt.Errorf("annotation %s: %w", api.AnnotationDispatchPayload, err)
	}
	dst, err := insideDir(taskPathsOf(pod, c, d).local, files[c.Name])
	if err != nil {
		return err
	}
	return writeFile(dst, bytes.NewReader(b), 0o644)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
