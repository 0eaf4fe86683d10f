package node

import (
	"os"
	"strconv"

	"github.com/barque-io/barque/api"
)

// taskIdentity is the uid and gid a task runs as, from the container's
// securityContext over the pod's (Kubernetes' precedence; a job file's
// `user` arrives as runAsUser). nil uid: the agent's own user.
func taskIdentity(pod *api.Pod, c api.Container) (uid, gid *int64) {
	if psc := pod.Spec.SecurityContext; psc != nil {
		uid, gid = psc.RunAsUser, psc.RunAsGroup
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
	}
	return uid, gid
}

// taskUser is the driver's user string: "uid" or "uid:gid", as docker's
// User takes it; "" keeps the agent's user. A runAsGroup alone keeps the
// agent's uid with that group.
func taskUser(pod *api.Pod, c api.Container) string {
	uid, gid := taskIdentity(pod, c)
	if uid == nil && gid == nil {
		return ""
	}
	s := strconv.Itoa(os.Getuid())
	if uid != nil {
		s = strconv.FormatInt(*uid, 10)
	}
	if gid != nil {
		s += ":" + strconv.FormatInt(*gid, 10)
	}
	return s
}
