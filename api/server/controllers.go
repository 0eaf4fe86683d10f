package server

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
	"github.com/barque-io/barque/scheduler"
)

// controllerWriter lets leader-only controllers write through the log. Every
// write carries the resourceVersion the controller read, so a decision made
// on stale state (or by a deposed leader) fails with a conflict.
type controllerWriter struct{ s *Server }

var _ scheduler.Writer = controllerWriter{}

func (w controllerWriter) Update(ctx context.Context, obj api.Object) (api.Object, error) {
	return w.write(ctx, fsm.OpUpdate, obj)
}

func (w controllerWriter) UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error) {
	return w.write(ctx, fsm.OpUpdateStatus, obj)
}

// Create stamps identity and time as the API does, applies defaults and
// validation, and creates.
func (w controllerWriter) Create(ctx context.Context, obj api.Object) (api.Object, error) {
	m := obj.GetObjectMeta()
	if m.Name == "" && m.GenerateName != "" {
		m.Name = m.GenerateName + strings.ReplaceAll(uuid.NewString()[:5], "-", "x")
	}
	m.UID, m.CreationTimestamp = uuid.NewString(), api.NewTime(time.Now())
	op, err := prepareOp(fsm.OpCreate, obj, nil)
	if err != nil {
		return nil, err
	}
	return w.s.proposeOne(ctx, op)
}

func (w controllerWriter) Delete(ctx context.Context, kind, namespace, name string, rv api.Version, uid string) error {
	return w.delete(ctx, kind, namespace, name, rv, uid, "")
}

func (w controllerWriter) DeleteForeground(ctx context.Context, kind, namespace, name string, rv api.Version, uid string) error {
	return w.delete(ctx, kind, namespace, name, rv, uid, api.DeletePropagationForeground)
}

func (w controllerWriter) ForceDeletePod(ctx context.Context, namespace, name, uid string) error {
	zero := int64(0)
	_, err := w.s.proposeOne(ctx, fsm.Op{Type: fsm.OpDelete, Kind: "Pod", Namespace: namespace, Name: name,
		UID: uid, Time: api.NewTime(time.Now()), GracePeriodSeconds: &zero})
	return err
}

func (w controllerWriter) delete(ctx context.Context, kind, namespace, name string, rv api.Version, uid, propagation string) error {
	_, err := w.s.proposeOne(ctx, fsm.Op{Type: fsm.OpDelete, Kind: kind, Namespace: namespace, Name: name,
		ResourceVersion: rv, UID: uid, Time: api.NewTime(time.Now()), Propagation: propagation})
	return err
}

// Bind proposes every binding in one batch; the proposer keeps them in one
// log entry (or a few, with other concurrent writes).
func (w controllerWriter) Bind(ctx context.Context, bs []scheduler.Binding) ([]error, error) {
	ops := make([]fsm.Op, len(bs))
	for i, b := range bs {
		ops[i] = fsm.NewBindOp(b.Namespace, b.Name, b.UID, b.ResourceVersion, b.Node, b.Ports)
	}
	results, _, err := w.s.node.Propose(ctx, ops)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(results))
	for i, r := range results {
		errs[i] = r.Err
	}
	return errs, nil
}

func (w controllerWriter) write(ctx context.Context, t fsm.OpType, obj api.Object) (api.Object, error) {
	op, err := fsm.NewOp(t, obj)
	if err != nil {
		return nil, err
	}
	op.ResourceVersion = obj.GetObjectMeta().ResourceVersion
	return w.s.proposeOne(ctx, op)
}

// gossipLiveness answers from this server's view of the gossip pool.
type gossipLiveness struct{ s *Server }

func (g gossipLiveness) NodeGone(name string) bool { return g.s.pool.Gone("node-" + name) }

func (g gossipLiveness) Changed() <-chan struct{} { return g.s.pool.Changed() }

// startControllers registers the leader-only loops, less any disabled.
func (s *Server) startControllers() {
	grace := s.cfg.NodeGrace
	if grace == 0 {
		grace = 10 * time.Second
	}
	w := controllerWriter{s}
	log := s.cfg.Logger
	loops := []struct {
		name string
		run  LeaderService
	}{
		{"nodelifecycle", (&scheduler.NodeLifecycle{Store: s.node.Store(), Writer: w, Liveness: gossipLiveness{s},
			Heartbeats: s.heartbeats, Grace: grace, Logger: log.Named("node-lifecycle")}).Run},
		{"scheduler", (&scheduler.Scheduler{Store: s.node.Store(), Writer: w, Placer: scheduler.NewPlacementPlacer(),
			Logger: log.Named("scheduler")}).Run},
		{"replicaset", (&scheduler.ReplicaSetController{Store: s.node.Store(), Writer: w, Logger: log.Named("replicaset")}).Run},
		{"deployment", (&scheduler.DeploymentController{Store: s.node.Store(), Writer: w, Logger: log.Named("deployment")}).Run},
		{"job", (&scheduler.JobController{Store: s.node.Store(), Writer: w, Logger: log.Named("job")}).Run},
		{"cronjob", (&scheduler.CronJobController{Store: s.node.Store(), Writer: w, Logger: log.Named("cronjob")}).Run},
		{"daemonset", (&scheduler.DaemonSetController{Store: s.node.Store(), Writer: w, Logger: log.Named("daemonset")}).Run},
		{"gc", (&scheduler.GarbageCollector{Store: s.node.Store(), Writer: w, Logger: log.Named("gc")}).Run},
		{"statefulset", (&scheduler.StatefulSetController{Store: s.node.Store(), Writer: w, Logger: log.Named("statefulset")}).Run},
	}
	for _, l := range loops {
		if !slices.Contains(s.cfg.DisabledControllers, l.name) {
			s.AddLeaderService(l.run)
		}
	}
}
