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
	return &filteredConn{Conn: c, peer: string(address), layer: s}, nil
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
		return &filteredConn{Conn: c, layer: s}, nil
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
}

func (c *filteredConn) check() error {
	if c.peer != "" && !c.layer.allowed(c.peer) {
		c.Conn.Close()
		return errPartitioned
	}
	if c.peer == "" && !c.layer.allowed("") {
		c.Conn.Close()
		return errPartitioned
	}
	return nil
}

func (c *filteredConn) Read(b []byte) (int, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
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
