package controlplane

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Etcd is a three-member etcd cluster (the store Barque replaces) run from
// the etcd binary on PATH (Debian's etcd-server, 3.4).
type Etcd struct {
	Bin string // etcd binary; "etcd" when empty

	procs   [Members]*Proc
	clients [Members]*clientv3.Client
	own     *clientv3.Client // every member: clientv3's balancer spreads requests
	ids     map[uint64]int   // member ID -> index, learnt once the cluster is up
}

// Name implements System.
func (e *Etcd) Name() string { return "etcd" }

// etcdArgs is the whole command line of one member. Defaults (heartbeat
// 100 ms, election 1000 ms, snapshot-count) are left as a user gets them.
func etcdArgs(name, dir string, client, peer int, cluster string) []string {
	cu := fmt.Sprintf("http://%s:%d", Loopback, client)
	pu := fmt.Sprintf("http://%s:%d", Loopback, peer)
	return []string{
		"--name", name,
		"--data-dir", dir,
		"--listen-client-urls", cu, "--advertise-client-urls", cu,
		"--listen-peer-urls", pu, "--initial-advertise-peer-urls", pu,
		"--initial-cluster", cluster,
		"--initial-cluster-state", "new",
		"--initial-cluster-token", "cpbench",
		"--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
	}
}

// Start implements System.
func (e *Etcd) Start(ctx context.Context, dir string) error {
	bin := e.Bin
	if bin == "" {
		bin = "etcd"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ports, err := FreePorts(2 * Members) // client, peer per member
	if err != nil {
		return err
	}
	var peers []string
	for i := 0; i < Members; i++ {
		peers = append(peers, fmt.Sprintf("m%d=http://%s:%d", i+1, Loopback, ports[2*i+1]))
	}
	cluster := strings.Join(peers, ",")
	for i := 0; i < Members; i++ {
		name := fmt.Sprintf("m%d", i+1)
		e.procs[i] = &Proc{
			Name:    "etcd-" + name,
			Path:    bin,
			Args:    etcdArgs(name, filepath.Join(dir, name), ports[2*i], ports[2*i+1], cluster),
			LogPath: filepath.Join(dir, name+".log"),
		}
		if err := e.procs[i].Start(); err != nil {
			return err
		}
		// One client per member, pinned to it, so the bench (not the client's
		// balancer) decides where each request goes.
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   []string{fmt.Sprintf("http://%s:%d", Loopback, ports[2*i])},
			DialTimeout: 2 * time.Second,
			Logger:      zap.NewNop(),
		})
		if err != nil {
			return err
		}
		e.clients[i] = c
	}
	var all []string
	for _, c := range e.clients {
		all = append(all, c.Endpoints()...)
	}
	own, err := clientv3.New(clientv3.Config{Endpoints: all, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	e.own = own
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := e.WaitReady(wctx); err != nil {
		return fmt.Errorf("etcd not ready (logs in %s): %w", dir, err)
	}
	return e.learnIDs(ctx)
}

func (e *Etcd) learnIDs(ctx context.Context) error {
	e.ids = map[uint64]int{}
	for i := range e.clients {
		st, err := e.status(ctx, i)
		if err != nil {
			return err
		}
		e.ids[st.Header.MemberId] = i
	}
	return nil
}

func (e *Etcd) status(ctx context.Context, i int) (*clientv3.StatusResponse, error) {
	c := e.clients[i]
	return c.Status(ctx, c.Endpoints()[0])
}

// Stop implements System.
func (e *Etcd) Stop() {
	if e.own != nil {
		e.own.Close()
		e.own = nil
	}
	for i := range e.procs {
		if e.clients[i] != nil {
			e.clients[i].Close()
			e.clients[i] = nil
		}
		if e.procs[i] != nil {
			e.procs[i].Stop(5 * time.Second)
		}
	}
}

// Writer implements System. It uses the raw gRPC KV stub on the member's
// connection, not clientv3's KV: clientv3 calls with WaitForReady(true), so
// a Put to a SIGKILLed member would hang until its timeout instead of failing
// at once, and the failover writer would measure that timeout, not etcd.
// Barque's writer likewise fails at once on a refused connection.
func (e *Etcd) Writer(i int) Writer {
	return etcdWriter{pb.NewKVClient(e.clients[i].ActiveConnection())}
}

// OwnWriter implements System: one clientv3 given every member, as
// kube-apiserver's --etcd-servers configures it; its gRPC balancer sends
// each request to the next member in turn.
func (e *Etcd) OwnWriter() Writer { return etcdWriter{pb.NewKVClient(e.own.ActiveConnection())} }

type etcdWriter struct{ kv pb.KVClient }

func (w etcdWriter) Create(ctx context.Context, group, key string, value []byte) error {
	_, err := w.kv.Put(ctx, &pb.PutRequest{Key: []byte(etcdPrefix(group) + key), Value: value})
	return err
}

// Leader implements System: the maintenance Status API of any live member
// names the leader's member ID.
func (e *Etcd) Leader(ctx context.Context) (int, error) {
	var last error
	for i := range e.clients {
		if !e.procs[i].Running() {
			continue
		}
		st, err := e.status(ctx, i)
		if err != nil {
			last = err
			continue
		}
		if idx, ok := e.ids[st.Leader]; ok {
			return idx, nil
		}
		last = fmt.Errorf("member %d reports leader %x", i, st.Leader)
	}
	return -1, fmt.Errorf("no leader: %v", last)
}

// Kill implements System.
func (e *Etcd) Kill(i int) error { return e.procs[i].Kill() }

// Restart implements System; the same command line finds the existing data
// dir and rejoins (--initial-cluster-state is ignored then).
func (e *Etcd) Restart(i int) error { return e.procs[i].Start() }

// PID implements System.
func (e *Etcd) PID(i int) int { return e.procs[i].PID() }

// WaitReady implements System: every member answers Status, all agree on a
// leader, and every follower has applied what the leader had committed.
func (e *Etcd) WaitReady(ctx context.Context) error {
	return pollUntil(ctx, 100*time.Millisecond, e.ready)
}

func (e *Etcd) ready(ctx context.Context) error {
	if err := checkRunning(e.procs[:]); err != nil {
		return backoffStop{err}
	}
	var leader uint64
	var commit uint64
	for i := range e.clients {
		st, err := e.status(ctx, i)
		if err != nil {
			return fmt.Errorf("member %d: %w", i, err)
		}
		if st.Leader == 0 || (leader != 0 && st.Leader != leader) {
			return fmt.Errorf("member %d: leader %x", i, st.Leader)
		}
		leader = st.Leader
		if st.Header.MemberId == leader {
			commit = st.RaftIndex
		}
	}
	// Second pass so every member is compared with the leader's commit index
	// read before it, which it must reach even while writes continue.
	for i := range e.clients {
		st, err := e.status(ctx, i)
		if err != nil {
			return fmt.Errorf("member %d: %w", i, err)
		}
		if st.RaftAppliedIndex < commit {
			return fmt.Errorf("member %d applied %d < leader commit %d", i, st.RaftAppliedIndex, commit)
		}
	}
	return nil
}

// Missing implements System with a serializable (member-local) range read.
func (e *Etcd) Missing(ctx context.Context, i int, group string, keys []string) ([]string, error) {
	prefix := etcdPrefix(group)
	resp, err := e.clients[i].Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly(),
		clientv3.WithSerializable())
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		have[string(kv.Key)] = true
	}
	var missing []string
	for _, k := range keys {
		if !have[prefix+k] {
			missing = append(missing, k)
		}
	}
	return missing, nil
}

// etcdPrefix keeps each workload's keys apart so one range read lists them.
func etcdPrefix(group string) string { return "/cpbench/" + group + "/" }
