package consensus

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Filter decides whether traffic to or from a Raft peer address may pass.
// Tests use it to partition a replica; production leaves it nil.
type Filter func(peer string) bool

// streamLayer is raft's TCP stream layer with an optional partition filter.
type streamLayer struct {
	net.Listener
	advertise net.Addr

	mu     sync.RWMutex
	filter Filter

	// sent counts writes on connections this replica dialled (replication
	// and heartbeats when it leads), for tests of idle traffic.
	sent atomic.Uint64

	// inboundLost, when set, is called once for each inbound connection
	// whose reads end (leaderprobe.go).
	inboundLost func()

	// open holds every connection not yet closed, so that closeAll can end
	// them as a dying process's kernel would.
	connMu sync.Mutex
	open   map[*filteredConn]struct{}
}

// track registers a new connection.
func (s *streamLayer) track(c net.Conn, peer string) *filteredConn {
	fc := &filteredConn{Conn: c, peer: peer, layer: s}
	s.connMu.Lock()
	if s.open == nil {
		s.open = map[*filteredConn]struct{}{}
	}
	s.open[fc] = struct{}{}
	s.connMu.Unlock()
	return fc
}

// closeAll closes every open connection, in both directions. A replica
// stopped in-process (the test harness's Kill) thus looks to its peers as a
// killed process does: Raft's transport leaves pooled connections open.
func (s *streamLayer) closeAll() {
	s.connMu.Lock()
	conns := make([]*filteredConn, 0, len(s.open))
	for c := range s.open {
		conns = append(conns, c)
	}
	s.connMu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func (s *streamLayer) allowed(peer string) bool {
	s.mu.RLock()
	f := s.filter
	s.mu.RUnlock()
	return f == nil || f(peer)
}

func (s *streamLayer) setFilter(f Filter) {
	s.mu.Lock()
	s.filter = f
	s.mu.Unlock()
}

var errPartitioned = errors.New("consensus: peer is partitioned away")

// Dial opens a connection to a peer, unless the filter cuts it off.
func (s *streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	if !s.allowed(string(address)) {
		return nil, errPartitioned
	}
	c, err := net.DialTimeout("tcp", string(address), timeout)
	if err != nil {
		return nil, err
	}
	return s.track(c, string(address)), nil
}

// Accept returns inbound connections. Inbound peers dial from ephemeral
// ports, so the filter sees only their IP here; the harness partitions by
// closing connections on Write/Read of established outbound streams too.
func (s *streamLayer) Accept() (net.Conn, error) {
	for {
		c, err := s.Listener.Accept()
		if err != nil {
			return nil, err
		}
		return s.track(c, ""), nil
	}
}

// Close closes the connection and forgets it.
func (c *filteredConn) Close() error {
	c.layer.connMu.Lock()
	delete(c.layer.open, c)
	c.layer.connMu.Unlock()
	return c.Conn.Close()
}

// lost reports an inbound connection's end, once.
func (c *filteredConn) lost() {
	if c.peer == "" && c.ended.CompareAndSwap(false, true) && c.layer.inboundLost != nil {
		c.layer.inboundLost()
	}
}

// Addr is the advertised address peers dial.
func (s *streamLayer) Addr() net.Addr {
	if s.advertise != nil {
		return s.advertise
	}
	return s.Listener.Addr()
}

// filteredConn fails I/O once its peer is partitioned away, so that a cut
// takes effect on connections that were already open.
type filteredConn struct {
	net.Conn
	peer  string // dialled address, empty for inbound
	layer *streamLayer
	ended atomic.Bool
}

func (c *filteredConn) check() error {
	if !c.layer.allowed(c.peer) {
		c.Close()
		return errPartitioned
	}
	return nil
}

func (c *filteredConn) Read(b []byte) (int, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(b)
	if err != nil {
		c.lost()
	}
	return n, err
}

func (c *filteredConn) Write(b []byte) (int, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	if c.peer != "" {
		c.layer.sent.Add(1)
	}
	return c.Conn.Write(b)
}
