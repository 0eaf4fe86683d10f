package consensus

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm"
	"github.com/hashicorp/raft"
)

// Server is one member of the Raft configuration.
type Server struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Voter   bool   `json:"voter"`
	Leader  bool   `json:"leader"`
}

// Configuration lists the Raft members and the index of that configuration.
func (n *Node) Configuration() ([]Server, uint64, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, 0, translate(err)
	}
	leaderID, _ := n.Leader()
	var out []Server
	for _, s := range f.Configuration().Servers {
		out = append(out, Server{ID: string(s.ID), Address: string(s.Address),
			Voter: s.Suffrage == raft.Voter, Leader: string(s.ID) == leaderID})
	}
	return out, f.Index(), nil
}

// AddVoter adds (or updates the address of) a voting member. Leader only.
func (n *Node) AddVoter(ctx context.Context, id, addr string) error {
	return n.wait(ctx, n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, n.cfg.ApplyTimeout))
}

// RemoveServer removes a member. Leader only.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	servers, _, err := n.Configuration()
	if err != nil {
		return err
	}
	for _, s := range servers {
		if s.ID == id {
			return n.wait(ctx, n.raft.RemoveServer(raft.ServerID(id), 0, n.cfg.ApplyTimeout))
		}
	}
	return api.NotFound("raft peer", id)
}

// TransferLeadership hands leadership to id, or to the most up-to-date
// follower when id is empty. Leader only.
func (n *Node) TransferLeadership(ctx context.Context, id string) error {
	if id == "" {
		return n.wait(ctx, n.raft.LeadershipTransfer())
	}
	servers, _, err := n.Configuration()
	if err != nil {
		return err
	}
	for _, s := range servers {
		if s.ID == id {
			return n.wait(ctx, n.raft.LeadershipTransferToServer(raft.ServerID(id), raft.ServerAddress(s.Address)))
		}
	}
	return api.NotFound("raft peer", id)
}

// snapshotMagic starts every saved snapshot file, followed by one JSON line
// of metadata and then the FSM's typed records.
const snapshotMagic = "BARQUE-SNAPSHOT-1\n"

type savedMeta struct {
	Index   uint64 `json:"index"`
	Term    uint64 `json:"term"`
	Version int    `json:"version"`
	Size    int64  `json:"size"`
}

// SnapshotSave takes a fresh Raft snapshot and writes it to w.
func (n *Node) SnapshotSave(w io.Writer) error {
	f := n.raft.Snapshot()
	if err := f.Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return translate(err)
	}
	meta, rc, err := openLatest(n, f)
	if err != nil {
		return err
	}
	defer rc.Close()
	hdr, _ := json.Marshal(savedMeta{Index: meta.Index, Term: meta.Term, Version: int(meta.Version), Size: meta.Size})
	if _, err := io.WriteString(w, snapshotMagic+string(hdr)+"\n"); err != nil {
		return err
	}
	_, err = io.Copy(w, rc)
	return err
}

func openLatest(n *Node, f raft.SnapshotFuture) (*raft.SnapshotMeta, io.ReadCloser, error) {
	if f.Error() == nil {
		return f.Open()
	}
	// Nothing new since the last snapshot (raft refuses to take one of an
	// unchanged store): stream the newest one on disk.
	list, err := n.snaps.List()
	if err != nil || len(list) == 0 {
		return nil, nil, api.Unavailable("no snapshot could be taken or found")
	}
	meta, rc, err := n.snaps.Open(list[0].ID)
	if err != nil {
		return nil, nil, api.Internal(err)
	}
	return meta, rc, nil
}

// SnapshotRestore replaces the cluster's state with a saved snapshot. Leader
// only; followers receive it through Raft's snapshot installation.
func (n *Node) SnapshotRestore(r io.Reader, tmpDir string) error {
	br := bufio.NewReader(r)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return api.BadRequest("not a Barque snapshot file (bad header)")
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return api.BadRequest("snapshot file: truncated metadata")
	}
	var sm savedMeta
	if err := json.Unmarshal(line, &sm); err != nil {
		return api.BadRequest(fmt.Sprintf("snapshot file: metadata: %v", err))
	}
	// Raft wants the exact size; spool to a file to learn it and to avoid
	// holding a large snapshot in memory.
	tmp, err := os.CreateTemp(tmpDir, "restore-*")
	if err != nil {
		return api.Internal(err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	counted := &countingReader{r: br}
	size, err := fsm.MarkForRestore(counted, tmp)
	if err != nil {
		return api.BadRequest(fmt.Sprintf("snapshot file: %v", err))
	}
	if sm.Size != 0 && counted.n != sm.Size {
		return api.BadRequest(fmt.Sprintf("snapshot file: body is %d bytes, metadata says %d", counted.n, sm.Size))
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return api.Internal(err)
	}
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersion(sm.Version), Index: sm.Index, Term: sm.Term, Size: size}
	if err := translate(n.raft.Restore(meta, tmp, n.cfg.ApplyTimeout)); err != nil {
		return err
	}
	// The restored store carries the snapshot's (older) index, so no store
	// index moved; an empty command moves every replica's past the restore,
	// so that read indexes (and WaitForIndex) cover it.
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ApplyTimeout)
	defer cancel()
	_, _, err = n.Propose(ctx, nil)
	return err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
