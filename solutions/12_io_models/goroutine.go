package iomodels

import (
	"context"
	"net"

	echo "netlings/lessons/02_echo"
)

// ANCHOR: goroutine

// GoroutinePerConn is lesson 02's echo server as a Server: one goroutine
// per connection, each blocked in Read or Write while Go's netpoller
// waits for its socket.
type GoroutinePerConn struct {
	ln net.Listener
}

// NewGoroutinePerConn listens on addr (TCP) and returns the server,
// not serving yet.
func NewGoroutinePerConn(addr string) (*GoroutinePerConn, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &GoroutinePerConn{ln: ln}, nil
}

// Addr is the listener's address.
func (s *GoroutinePerConn) Addr() net.Addr { return s.ln.Addr() }

// Serve is lesson 02's echo.ServeEcho on UserSpace(listener): ServeEcho
// does everything Server.Serve promises already, and UserSpace makes its
// io.Copy copy through a buffer (see UserSpace).
func (s *GoroutinePerConn) Serve(ctx context.Context) error {
	return echo.ServeEcho(ctx, UserSpace(s.ln))
}

// ANCHOR_END: goroutine
