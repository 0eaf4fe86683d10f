package execdriver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/barque-io/barque/node/driver"
)

// defaultPath is given to tasks whose environment has no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// buildCommand turns the task's config into the command the executor
// starts: argv, environment, working directory, user, own process group.
func buildCommand(t *driver.TaskConfig) (*exec.Cmd, error) {
	argv := append(append([]string{}, t.Command...), t.Args...)
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("task has no command")
	}
	env := taskEnv(t.Env)
	dir := workDir(t)
	path, err := lookPath(argv[0], envValue(env, "PATH"), dir)
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Env: env, Dir: dir}
	// Its own group, so Stop can signal the task and its children at once
	// without touching the executor.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cred, err := credential(t.User)
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr.Credential = cred
	return cmd, nil
}

func workDir(t *driver.TaskConfig) string {
	if t.WorkDir != "" {
		return t.WorkDir
	}
	return t.TaskDir
}

// taskEnv is the task's environment in a stable order, with a PATH.
func taskEnv(m map[string]string) []string {
	env := make([]string, 0, len(m)+1)
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	if _, ok := m["PATH"]; !ok {
		env = append(env, "PATH="+defaultPath)
	}
	return env
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// lookPath resolves the command in the task's PATH rather than the
// executor's, which is what a shell in the task would do.
func lookPath(name, pathEnv, dir string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil // relative ones are resolved in dir by os/exec
	}
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) && dir != "" {
			d = filepath.Join(dir, d)
		}
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("command %q not found in PATH %q", name, pathEnv)
}

// credential is the uid/gid to run as: a user name or uid, optionally
// ":group" (a gid or group name), as docker's User. A numeric uid needs no
// passwd entry (Kubernetes' runAsUser is a bare number); its group is then
// the entry's primary group if there is one, else the gid equal to the uid,
// never root's group. Switching user needs root; asking for the user we
// already are is allowed without it.
func credential(spec string) (*syscall.Credential, error) {
	if spec == "" {
		return nil, nil
	}
	name, group, hasGroup := strings.Cut(spec, ":")
	uid, gid, u, err := lookupUser(name)
	if err != nil {
		return nil, fmt.Errorf("task user %q: %w", spec, err)
	}
	if hasGroup {
		if gid, err = lookupGroup(group); err != nil {
			return nil, fmt.Errorf("task user %q: %w", spec, err)
		}
	}
	if os.Getuid() != 0 {
		if int(uid) == os.Getuid() && (!hasGroup || int(gid) == os.Getgid()) {
			return nil, nil
		}
		return nil, fmt.Errorf("task user %q: the agent must run as root to switch users", spec)
	}
	cred := &syscall.Credential{Uid: uid, Gid: gid}
	if u != nil {
		groups, _ := u.GroupIds()
		for _, g := range groups {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return cred, nil
}

// lookupUser resolves a name or uid; u is nil for a uid with no entry.
func lookupUser(name string) (uid, gid uint32, u *user.User, err error) {
	if n, perr := strconv.ParseUint(name, 10, 32); perr == nil {
		uid, gid = uint32(n), uint32(n)
		if u, err = user.LookupId(name); err != nil {
			return uid, gid, nil, nil
		}
	} else if u, err = user.Lookup(name); err != nil {
		return 0, 0, nil, err
	}
	n, err1 := strconv.ParseUint(u.Uid, 10, 32)
	g, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, nil, err
	}
	return uint32(n), uint32(g), u, nil
}

func lookupGroup(group string) (uint32, error) {
	if n, err := strconv.ParseUint(group, 10, 32); err == nil {
		return uint32(n), nil
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(g.Gid, 10, 32)
	return uint32(n), err
}
