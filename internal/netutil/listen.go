// Package netutil creates every network listener Barque opens, in one place,
// so that TLS (and any other wrapping) can later be added here once for all.
package netutil

import (
	"fmt"
	"net"
	"strconv"
)

// Listen opens a TCP listener on addr ("host:port"; port 0 lets the OS pick).
func Listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return l, nil
}

// JoinHostPort is net.JoinHostPort with an int port.
func JoinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// PortOf returns the port a listener is bound to.
func PortOf(l net.Listener) int {
	if a, ok := l.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}
